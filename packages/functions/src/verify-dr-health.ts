/**
 * VerifyDrHealth: the move's one verify (Compute.verifyHealth, as the switchback's
 * VerifyNewPrimary): GETs the DR ALB's /health.php (2xx only when the app reaches its database)
 * and, in a failover, requires `"readOnly": false` from the promoted database; a drill's target
 * is still a read replica, so a drill does not ask. Anything else is DrUnhealthyError, which the
 * state machine retries a few times before compensating. Read-only.
 */
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["HEALTH_URL"]));

export const handler = wrap(Failover.FailoverState, async (state) =>
  Compute.verifyHealth(settings().HEALTH_URL, () => new Date(), state.run.mode === "drill" ? Compute.verifyAs.drill : Compute.verifyAs.failover),
);
