/**
 * VerifyNewPrimary (switchback): the primary's /health.php answers 200 from a database that is
 * not read-only (retried while it is not yet), and the DR database's binary log position has
 * not moved since the replica executed all of it: the measured data loss. Read-only.
 */
import * as z from "zod";
import { Failback } from "@pilot-light/core";
import { lambda, rds, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ catchUp: Failback.CatchUpState }), async ({ catchUp }) => {
  const health = await Failback.verifyWritable(sides().primary.healthUrl, () => new Date());
  const caughtUp = catchUp.source ?? { file: "", position: 0 };
  const old = await Failback.findInstance(rds("dr"), sides().dr.dbId);
  const after = await Failback.readProbe(lambda("dr"), settings().PROBE_FUNCTION, { identifier: sides().dr.dbId, host: old?.endpoint ?? null }).then(
    (r) => r.binlog,
    () => null,
  );
  return { ...health, dataLoss: Failback.judgeDataLoss(caughtUp, after) };
});
