/**
 * VerifyDrHealth: GETs the DR ALB's /health.php (200 only when the app reaches its
 * database). Not 2xx is DrUnhealthyError, which the state machine retries a few times
 * before compensating. Read-only.
 */
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["HEALTH_URL"]));

export const handler = wrap(Failover.FailoverState, async () => Compute.verifyHealth(settings().HEALTH_URL, () => new Date()));
