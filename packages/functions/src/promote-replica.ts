/**
 * PromoteReplica (Parallel branch 1): promotes the DR read replica, keeping the stage's backup
 * retention (BackupRetentionPeriod would otherwise default to 1 day). It decides from what RDS
 * and the lock item show, never from whether a call returned: already promoted is success;
 * promoting, or a call of this execution still within its acceptance window, is reported
 * without a second call; a replica RDS will not promote yet (backing-up, another modification)
 * is ReplicaNotReadyError, retried by the state machine. Just before calling RDS an automatic
 * run probes the primary once more (PrimaryRecoveredError if it answers), then marks
 * "promotion requested" on the lock item, which fails once compensation has begun. Returns at
 * once with when the loop looks next (`nextLookAt`); CheckPromotion polls, and sends the loop back
 * here when RDS shows no sign of the call. The switchback's PromoteStandby is the same call
 * (Failover.promoteTarget) the other way.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RDSClient } from "@aws-sdk/client-rds";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "REPLICA_ID", "TABLE_NAME", "BACKUP_RETENTION_DAYS"]));
const primaryHealthUrl = Failover.lazy(() => Failover.readSettings(process.env, ["PRIMARY_HEALTH_URL"]).PRIMARY_HEALTH_URL);
const clients = Failover.lazy(() => ({
  rds: new RDSClient({ region: settings().DR_REGION }),
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })),
}));

export const handler = wrap(Failover.PromotionRequest, async ({ run, promotion }) => {
  const { rds, db } = clients();
  return Failover.promoteTarget(rds, settings().REPLICA_ID, { db, table: settings().TABLE_NAME, owner: run.executionName }, new Date(), {
    backupRetentionDays: Failover.intSetting("BACKUP_RETENTION_DAYS", settings().BACKUP_RETENTION_DAYS),
    ...(promotion ? { previous: promotion } : {}),
    // An automatic run asks the primary once more just before the call.
    ...(Failover.isAutomatic(run) ? { beforeCall: () => Failover.confirmPrimaryStillDown(primaryHealthUrl()) } : {}),
  });
});
