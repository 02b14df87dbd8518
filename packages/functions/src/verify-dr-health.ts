/**
 * VerifyDrHealth: the move's one verify (Compute.verifyHealth, as the switchback's
 * VerifyNewPrimary): GETs the DR ALB's /health.php (2xx only when the app reaches its database).
 * Writability is not asked: in a drill the DR database is still a read replica. Not 2xx is
 * DrUnhealthyError, which the state machine retries a few times before compensating. Read-only.
 */
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["HEALTH_URL"]));

export const handler = wrap(Failover.FailoverState, async () =>
  Compute.verifyHealth(settings().HEALTH_URL, () => new Date(), Compute.verifyAs.failover),
);
