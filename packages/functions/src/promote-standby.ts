/**
 * PromoteStandby (switchback, the point of no return): the failover's promote step the other way
 * (Failover.promoteTarget): promotes the primary replica behind the promotion fence, keeping the
 * stage's backup retention. Already promoted is success; a call of this run still inside its
 * acceptance window is not repeated; CheckStandbyPromotion sends the loop back here when RDS
 * shows no sign of it.
 */
import * as z from "zod";
import { Failback, Failover } from "@pilot-light/core";
import { db, rds, settings, sides, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ run: Failback.FailbackRun, promotion: Failover.PromotionStatus.optional() }), async ({ run, promotion }) =>
  Failover.promoteTarget(rds("primary"), sides().primary.dbId, { db: db(), table: table(), owner: run.executionName }, new Date(), {
    backupRetentionDays: Failover.intSetting("BACKUP_RETENTION_DAYS", settings().BACKUP_RETENTION_DAYS),
    ...(promotion ? { previous: promotion } : {}),
  }),
);
