/**
 * VerifyNewPrimary (switchback): the primary's /health.php answers 200 from a database that is
 * not read-only; retried (NewPrimaryUnhealthyError) while the tasks reconnect. Read-only.
 */
import { Failback } from "@pilot-light/core";
import { sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => Failback.verifyWritable(sides().primary.healthUrl, () => new Date()));
