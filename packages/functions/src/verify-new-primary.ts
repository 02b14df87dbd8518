/**
 * VerifyNewPrimary (switchback): the move's one verify (Compute.verifyHealth, as the failover's
 * VerifyDrHealth) with writability required: the primary's /health.php answers 2xx from a
 * database that is not read-only; retried (NewPrimaryUnhealthyError) while the tasks reconnect.
 * Read-only.
 */
import { Compute, Failback } from "@pilot-light/core";
import { sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () =>
  Compute.verifyHealth(sides().primary.healthUrl, () => new Date(), Compute.verifyAs.switchback),
);
