/**
 * CheckDrService: one poll of the scale loop. Stable = desired and running at the target,
 * one deployment, and that many healthy targets in the DR target group. Read-only.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TARGET_GROUP_ARN"]));
const clients = Failover.lazy(() => ({
  ecs: new ECSClient({ region: settings().DR_REGION }),
  elb: new ElasticLoadBalancingV2Client({ region: settings().DR_REGION }),
}));

export const handler = wrap(Failover.ServicePoll, async ({ service }) =>
  Compute.checkService(clients().ecs, clients().elb, settings().TARGET_GROUP_ARN, service, new Date()),
);
