/**
 * Preflight: read-only look at the DR region (replica, the last valid ReplicaLag datapoint in
 * the lookback, ECS service, task definition, target group) and, on a stage with DNS, the record
 * (a simple record cannot move users: RecordNotFailoverPairError before anything changes), and
 * the go/no-go decision.
 * Failover and drill throw PreflightFailedError / RpoBudgetExceededError on blockers, or
 * ReplicaNotReadyError (retried) while the replica is only waiting on itself (a backup); a
 * dry-run returns the report.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const names = ["DR_REGION", "REPLICA_ID", "PRIMARY_ID", "PRIMARY_ARN", "DR_CLUSTER", "DR_SERVICE", "TARGET_GROUP_ARN", "DR_TASK_COUNT", "DR_PILOT_TASK_COUNT", "RPO_BUDGET_SECONDS", "LAG_LOOKBACK_SECONDS"] as const;
const settings = Failover.lazy(() => Failover.readSettings(process.env, names));
const clients = Failover.lazy(() => {
  const region = settings().DR_REGION;
  // Route 53 is a global service whose API endpoint is in us-east-1; bounded, since it may hang in an outage.
  return { rds: new RDSClient({ region }), cloudwatch: new CloudWatchClient({ region }), ecs: new ECSClient({ region }), elb: new ElasticLoadBalancingV2Client({ region }), route53: new Route53Client({ region: "us-east-1", ...Failover.boundedClientConfig }) };
});

export const handler = wrap(Failover.FailoverState, async ({ run }) => {
  const s = settings();
  return Failover.runPreflight(clients(), run, {
    primary: { identifier: s.PRIMARY_ID, arn: s.PRIMARY_ARN },
    replicaIdentifier: s.REPLICA_ID,
    service: { cluster: s.DR_CLUSTER, service: s.DR_SERVICE },
    targetGroupArn: s.TARGET_GROUP_ARN,
    rpoBudgetSeconds: Failover.intSetting("RPO_BUDGET_SECONDS", s.RPO_BUDGET_SECONDS),
    drTaskCount: Failover.intSetting("DR_TASK_COUNT", s.DR_TASK_COUNT),
    pilotTaskCount: Failover.intSetting("DR_PILOT_TASK_COUNT", s.DR_PILOT_TASK_COUNT),
    dnsConfigured: Failover.hasDnsSettings(process.env),
    lagLookbackSeconds: Failover.intSetting("LAG_LOOKBACK_SECONDS", s.LAG_LOOKBACK_SECONDS),
    ...Failover.dnsTarget(process.env),
  }, new Date());
});
