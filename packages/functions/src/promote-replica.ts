/**
 * PromoteReplica (Parallel branch 1): promotes the DR read replica, keeping the stage's backup
 * retention (BackupRetentionPeriod would otherwise default to 1 day). Already promoted is
 * success; already promoting (this execution's marker is on the lock item) is reported
 * without a second call; a replica RDS will not promote yet (backing-up, another
 * modification) is ReplicaNotReadyError, retried by the state machine. Before calling RDS it
 * marks "promotion requested" on the lock item, which fails once compensation has begun, so a
 * promotion never starts behind compensation's back. Returns at once; CheckPromotion polls.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RDSClient } from "@aws-sdk/client-rds";
import { Database, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "REPLICA_ID", "TABLE_NAME", "BACKUP_RETENTION_DAYS"]));
const clients = Failover.lazy(() => ({
  rds: new RDSClient({ region: settings().DR_REGION }),
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })),
}));

export const handler = wrap(Failover.FailoverState, async ({ run }) => {
  const { rds, db } = clients();
  const table = settings().TABLE_NAME;
  const backupRetentionDays = Failover.intSetting("BACKUP_RETENTION_DAYS", settings().BACKUP_RETENTION_DAYS);
  return Database.promoteReplica(rds, settings().REPLICA_ID, new Date(), { backupRetentionDays }, {
    requested: () => Failover.isPromotionRequested(db, table, run.executionName),
    beforeCall: () => Failover.markPromotionRequested(db, table, run.executionName, new Date()),
    afterRefusal: () => Failover.clearPromotionRequested(db, table, run.executionName),
  });
});
