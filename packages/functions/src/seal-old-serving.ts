/**
 * SealOldServing (switchback, just before the promotion): the DR database's last binary log
 * position must equal the caught-up one (else WritesAfterCatchUpError: nothing is promoted and
 * the run rolls back), then the DR database is renamed aside: its endpoint goes, so nothing can
 * write to it while the primary replica becomes writable. It is kept, never deleted.
 */
import * as z from "zod";
import { Failback } from "@pilot-light/core";
import { lambda, rds, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ run: Failback.FailbackRun, catchUp: Failback.CatchUpState }), async ({ run, catchUp }) => {
  if (!catchUp.source) throw new Failback.WritesAfterCatchUpError("no caught-up position to seal the DR database at");
  return Failback.sealOldServing(rds("dr"), lambda("dr"), settings().PROBE_FUNCTION, sides().dr, run, catchUp.source, new Date());
});
