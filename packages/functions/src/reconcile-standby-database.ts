/**
 * ReconcileStandbyDatabase (re-protect): one look at the standby region's database name and at
 * most one change: rename what holds it aside (kept), create the cross-Region read replica of
 * the serving database under it, enable its backups, or nothing (wait, or ready). Called in a
 * Choice + Wait loop until ready; idempotent by construction.
 */
import { Failback } from "@pilot-light/core";
import { rds, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.DirectedState, async ({ run, direction, standbyDb }) => {
  const s = sides();
  const serving = await Failback.findInstance(rds(direction.serving), s[direction.serving].dbId);
  if (!serving || serving.sourceArn !== null) throw new Failback.FailbackPreflightError(`the serving database ${s[direction.serving].dbId} is not a writable instance any more`);
  return Failback.reconcileStandby(rds(direction.standby), s[direction.standby], { arn: serving.arn, region: s[direction.serving].region }, run, Number(settings().BACKUP_RETENTION_DAYS), standbyDb, new Date());
});
