/**
 * SealOldServing (switchback, just before the promotion): the primary replica must hold everything
 * the DR database holds (its position unmoved since the catch-up, or executed by the replica where
 * it is now: RDS's own binlog rotation and heartbeat move it with no user write; else
 * ReplicaBehindAtSealError, retried, then nothing is promoted and the run rolls back); then the DR
 * database is made read-only (the failover's database fence, strict: a group that cannot hold it
 * is SealNotReadOnlyError, nothing promoted) and renamed aside: its endpoint goes, so nothing can
 * write to it while the primary replica becomes writable. It is kept, never deleted.
 */
import * as z from "zod";
import { Failback } from "@pilot-light/core";
import { both, lambda, rds, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ run: Failback.FailbackRun, catchUp: Failback.CatchUpState }), async ({ run, catchUp }) => {
  if (!catchUp.source) throw new Failback.WritesAfterCatchUpError("no caught-up position to seal the DR database at");
  return Failback.sealOldServing(both((role) => ({ rds: rds(role), lambda: lambda(role) })), settings().PROBE_FUNCTION, sides(), run, catchUp.source, new Date());
});
