/**
 * FencePrimary: best effort, time-bounded: sets the old primary's ECS service to desired 0
 * so a recovering region serves no stale data. Never throws for an unreachable region; the
 * result says whether it worked. Already at 0 is success.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["PRIMARY_REGION", "PRIMARY_CLUSTER", "PRIMARY_SERVICE"]));
// The primary region is probably down: short timeouts and one retry keep this step bounded.
const ecs = Failover.lazy(
  () => new ECSClient({ region: settings().PRIMARY_REGION, maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 4000 } }),
);

export const handler = wrap(Failover.FailoverState, async () => {
  const s = settings();
  return Compute.fenceService(ecs(), s.PRIMARY_REGION, { cluster: s.PRIMARY_CLUSTER, service: s.PRIMARY_SERVICE }, new Date());
});
