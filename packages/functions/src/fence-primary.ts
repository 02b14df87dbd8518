/**
 * FencePrimary: makes the old primary unable to take writes or users again, best effort and
 * time-bounded: its database `read_only` = 1 (in the parameter group it uses), and with DNS its ECS
 * service tagged `pilot-light:fenced` (deploys keep it at 0) and set to 0. Without DNS the old
 * primary is the only region users reach: its service is left running. Never throws for an
 * unreachable region; what could not be done is in the result, and the health monitor's fence
 * completion finishes it once the region answers. Its calls go to the failed region, where they
 * hang rather than fail: every attempt is bounded (Failover.boundedClientConfig).
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { RDSClient } from "@aws-sdk/client-rds";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["PRIMARY_REGION", "PRIMARY_CLUSTER", "PRIMARY_SERVICE", "PRIMARY_ID"]));
const clients = Failover.lazy(() => ({
  ecs: new ECSClient({ region: settings().PRIMARY_REGION, ...Failover.boundedClientConfig }),
  rds: new RDSClient({ region: settings().PRIMARY_REGION, ...Failover.boundedClientConfig }),
}));

export const handler = wrap(Failover.FailoverState, async ({ run }) => {
  const s = settings();
  const target = { region: s.PRIMARY_REGION, service: { cluster: s.PRIMARY_CLUSTER, service: s.PRIMARY_SERVICE }, database: s.PRIMARY_ID, ...Failover.dnsTarget(process.env) };
  return Failover.fencePrimary(clients(), target, `failover ${run.executionName} (incident ${run.incidentId})`, new Date());
});
