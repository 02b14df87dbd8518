/**
 * The Compute stack's DesiredCount custom resource (CloudFormation, through CDK's Provider
 * framework): answers the ECS service's desired count for this deploy from the live service,
 * so a deploy never scales a serving DR service down (packages/core/src/compute/deploy-count.ts).
 * Read-only and idempotent: it decides, CloudFormation applies the count to the service.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { Compute, Failover } from "@pilot-light/core";
import { handler as wrap, logger } from "./lib/handler";

const clients = Failover.lazy(() => new Map<string, ECSClient>());
const ecsIn = (region: string) => clients().get(region) ?? clients().set(region, new ECSClient({ region })).get(region)!;

export const handler = wrap(Compute.DeployCountEvent, async (event) => {
  const answer = await Compute.answerDeployCount(ecsIn(event.ResourceProperties.Region), event);
  logger.info("deploy desired count", { request: event.RequestType, role: event.ResourceProperties.Role, configured: event.ResourceProperties.Configured, ...answer.Data });
  return answer;
});
