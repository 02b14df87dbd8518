/**
 * CheckCatchUp (switchback): one poll of "has the replica applied everything": no DR task runs,
 * the DR database's binary log position has not moved since the last poll, and the primary
 * replica's applier has executed exactly up to it (Seconds_Behind_Source alone can read 0 while
 * it has not). Read-only; the state machine promotes only once this says caught up.
 */
import { Compute, Failback } from "@pilot-light/core";
import { both, ecs, lambda, rds, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ catchUp }) => {
  const s = sides();
  const [dr, primaryDb, drDb] = await Promise.all([
    Compute.describeService(ecs("dr"), { cluster: s.dr.cluster, service: s.dr.service }),
    Failback.findInstance(rds("primary"), s.primary.dbId),
    Failback.findInstance(rds("dr"), s.dr.dbId),
  ]);
  const clients = both((role) => ({ rds: rds(role), ecs: ecs(role), lambda: lambda(role) }));
  return Failback.readCatchUp(s, clients, { primary: { db: primaryDb, serviceRunning: null }, dr: { db: drDb, serviceRunning: dr.running + dr.pending } }, settings().PROBE_FUNCTION, catchUp as Failback.CatchUp | undefined, new Date());
});
