/**
 * FencePrimary: best effort, time-bounded: sets the old primary's ECS service to desired 0
 * so a recovering region serves no stale data. Never throws for an unreachable region; the
 * result says whether it worked. Already at 0 is success. Its calls go to the failed region,
 * where they hang rather than fail: every attempt is bounded (connect 2 s, whole request 4 s;
 * `requestTimeout` only warns without `throwOnRequestTimeout`), two attempts per call, so the
 * step ends well inside its 25 s Lambda timeout.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["PRIMARY_REGION", "PRIMARY_CLUSTER", "PRIMARY_SERVICE"]));
/** The primary region is probably down: worst case 2 attempts x 4 s per call, 2 calls. */
export const primaryClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2000, requestTimeout: 4000, throwOnRequestTimeout: true },
} as const;
const ecs = Failover.lazy(() => new ECSClient({ region: settings().PRIMARY_REGION, ...primaryClientConfig }));

export const handler = wrap(Failover.FailoverState, async () => {
  const s = settings();
  return Compute.fenceService(ecs(), s.PRIMARY_REGION, { cluster: s.PRIMARY_CLUSTER, service: s.PRIMARY_SERVICE }, new Date());
});
