/**
 * PromoteStandby (switchback, the point of no return): promotes the primary replica, keeping the
 * stage's backup retention. Behind the failover's promotion fence: "promotion requested" is
 * marked on the lock item before the call (refused once compensation began), so compensation
 * knows for certain. Already promoted is success; already requested by this run is not
 * repeated. CheckStandbyPromotion polls.
 */
import { Database, Failover } from "@pilot-light/core";
import { Failback } from "@pilot-light/core";
import { db, rds, settings, sides, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run }) => {
  const owner = run.executionName;
  const options = {
    backupRetentionDays: Failover.intSetting("BACKUP_RETENTION_DAYS", settings().BACKUP_RETENTION_DAYS),
    acceptanceSeconds: Failover.promotionAcceptanceSeconds,
    maxRequests: Failover.maxPromotionRequests,
  };
  return Database.promoteReplica(rds("primary"), sides().primary.dbId, new Date(), options, {
    marker: () => Failover.readPromotionMarker(db(), table(), owner),
    beforeCall: () => Failover.markPromotionRequested(db(), table(), owner, new Date()),
    afterRefusal: () => Failover.clearPromotionRequested(db(), table(), owner),
  });
});
