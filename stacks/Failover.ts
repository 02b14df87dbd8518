/**
 * The failover state machine (in both regions: the copy in each fails over to its own region, D2/D4): one small Lambda per step, wired by the
 * phase builders in ./failover. Standard workflow with full logging and X-Ray. Each step
 * Lambda gets only the IAM it needs (see `grantStep`); where an API has no resource-level
 * permissions, the statement says so and carries a cdk-nag suppression with the reason.
 */
import { Function, StackContext, use } from "sst/constructs";
import { ArnFormat, Duration, Token } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { Construct } from "constructs";
import { Failover as Runbook, Stage } from "@pilot-light/core";
import { Alerts } from "./Alerts";
import { Compute } from "./Compute";
import { regionSides, usePrimaryAddress, useStage } from "./context";
import { Data } from "./Data";
import { failoverDefinition } from "./failover/phases";
import { stepNames, taskTimeoutSeconds } from "./failover/steps";
import type { StepFunctions } from "./failover/task";
import { grantCompleteFence, grantStep, publishingSteps, type StepResources } from "./failover/grants";
import { functionSuppressions, publishSuppression, suppress, suppressLogRetention, tracingSuppression } from "./nag";
import { State } from "./State";
import { stepFunction, workflowMachine } from "./workflow/machine";

const unscopedReason: Record<string, string> = {
  "cloudwatch:GetMetricData": "cloudwatch:GetMetricData has no resource-level permissions",
  "rds:DescribeEvents": "rds:DescribeEvents has no resource-level permissions",
  "ecs:DescribeTaskDefinition": "ecs:DescribeTaskDefinition has no resource-level permissions",
  "elasticloadbalancing:DescribeTargetGroups": "ELBv2 Describe* actions have no resource-level permissions",
  "elasticloadbalancing:DescribeTargetHealth": "ELBv2 Describe* actions have no resource-level permissions",
};

export function Failover({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const { table } = use(State);
  const { topic } = use(Alerts);
  const compute = use(Compute);
  const data = use(Data);
  // This copy fails over from the other region to its own (D2): it promotes this region's
  // database and fences the other's. The step Lambdas' PRIMARY_* settings name the side failed
  // away from, DR_* this region, in both regions.
  const { local, watched: peer } = regionSides(config, names, isPrimary);
  const localDb = data.replica ?? data.instance;
  if (!localDb) throw new Error("Failover: Data returned no database in this region");
  const peerArn = stack.formatArn({ service: "rds", region: peer.region, resource: "db", resourceName: peer.db, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

  const primaryServiceArn = stack.formatArn({
    service: "ecs",
    region: peer.region,
    resource: "service",
    resourceName: `${peer.cluster}/${peer.service}`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  // The replica's own retention, passed to PromoteReadReplica (whose default would be 1 day).
  const backupRetentionDays = data.backupRetentionDays;
  const detectionPeriodSeconds = (Stage.scheduleMinutes(config.health.schedule) ?? 5) * 60;
  // The URL the health monitor probes: PromoteReplica probes it once more before promoting.
  const primaryHealthUrl = config.dns ? Stage.healthUrl(config, `https://${Stage.regionalHost(config.dns, peer.region)}`) : usePrimaryAddress(stack, names, config).healthUrl;
  const environment: Record<string, string> = {
    STAGE: config.stage,
    PRIMARY_REGION: peer.region,
    DR_REGION: local.region,
    REPLICA_ID: local.db,
    PRIMARY_ID: peer.db,
    PRIMARY_ARN: isPrimary ? peerArn : data.primaryArn,
    DR_CLUSTER: compute.cluster.clusterName,
    DR_SERVICE: compute.service.serviceName,
    TARGET_GROUP_ARN: compute.targetGroup.targetGroupArn,
    // This region's serving count and pilot light (the primary region's pilot light is 0).
    DR_TASK_COUNT: String(isPrimary ? config.primaryTaskCount : config.drTaskCount),
    DR_PILOT_TASK_COUNT: String(isPrimary ? 0 : config.drPilotTaskCount),
    PEER_PILOT_TASK_COUNT: String(isPrimary ? config.drPilotTaskCount : 0),
    RPO_BUDGET_SECONDS: String(config.rpoBudgetSeconds),
    BACKUP_RETENTION_DAYS: String(backupRetentionDays),
    LAG_LOOKBACK_SECONDS: String(Runbook.lagLookbackSeconds({ periodSeconds: detectionPeriodSeconds, failureThreshold: config.health.failureThreshold })),
    SECRET_ID: names.secretName,
    RTO_TARGET_SECONDS: String(config.rtoTargetSeconds),
    DETECTION_PERIOD_SECONDS: String(detectionPeriodSeconds),
    FAILURE_THRESHOLD: String(config.health.failureThreshold),
    HEALTH_URL: compute.healthUrl,
    TABLE_NAME: table.tableName,
    TOPIC_ARN: topic.topicArn,
    PRIMARY_CLUSTER: peer.cluster,
    PRIMARY_SERVICE: peer.service,
    PRIMARY_HEALTH_URL: primaryHealthUrl,
    // The DR copy of an adopting stage: ScaleDrService starts the mirror of the team's task definition (docs/adopt.md).
    ...(config.adopt && !isPrimary ? { MIRROR_FAMILY: names.mirrorFamily } : {}),
    ...(config.dns
      ? {
          HOSTED_ZONE_ID: config.dns.hostedZoneId,
          RECORD_NAME: config.dns.recordName,
          DR_ALB_DNS: compute.alb.loadBalancerDnsName,
          DR_ALB_ZONE_ID: compute.alb.loadBalancerCanonicalHostedZoneId,
        }
      : {}),
  };
  const resources: StepResources = {
    tableArn: table.tableArn,
    replicaArn: localDb.instanceArn,
    drServiceArn: compute.service.serviceArn,
    primaryServiceArn,
    primaryDbArn: isPrimary ? peerArn : data.primaryArn,
    primaryParameterGroupArns: [peer.parameterGroup, `${peer.parameterGroup}-g*`].map((name) =>
      stack.formatArn({ service: "rds", region: peer.region, resource: "pg", resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ),
    executionsArn: stack.formatArn({ service: "states", resource: "execution", resourceName: `${names.stateMachine}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    drSecretArn: stack.formatArn({ service: "secretsmanager", resource: "secret", resourceName: `${names.secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    hostedZoneId: config.dns?.hostedZoneId,
    recordName: config.dns?.recordName,
    mirrorFamily: config.adopt && !isPrimary ? names.mirrorFamily : undefined,
    grantPublish: (g) => topic.grantPublish(g),
  };

  const fenceGroupsSuppression = {
    id: "AwsSolutions-IAM5",
    reason: "The old primary's DB parameter groups: the Data stack's, and the one re-protect gives each replica it creates (<primary>-g<time>), named only when created; the fence reads which one the old primary uses.",
    appliesTo: [`Resource::arn:<AWS::Partition>:rds:${peer.region}:${Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account}:pg:${peer.parameterGroup}-g*`],
  };

  const fns = {} as StepFunctions;
  for (const step of stepNames) {
    const fn = stepFunction(stack, step, { description: `pilot-light ${config.stage} failover step ${step}`, taskTimeoutSeconds: taskTimeoutSeconds(step), environment });
    fns[step] = fn;
    const statements = grantStep(fn, step, resources, stack);
    const wildcard = statements.flatMap((st) => (st.resources.includes("*") ? st.actions : []));
    suppress(fn, [
      ...functionSuppressions,
      {
        id: "AwsSolutions-IAM5",
        reason: ["X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (tracing is active)", ...wildcard.map((a) => unscopedReason[a] ?? a)].join("; "),
        appliesTo: ["Resource::*"],
      },
      ...(publishingSteps.includes(step)
        ? [publishSuppression]
        : []),
      ...(step === "FencePrimary" ? [fenceGroupsSuppression] : []),
      ...(step === "CheckDnsChange"
        ? [{ id: "AwsSolutions-IAM5", reason: "route53:GetChange takes a change id that only exists after SwitchDns runs.", appliesTo: ["Resource::arn:<AWS::Partition>:route53:::change/*"] }]
        : []),
      ...(step === "AcquireLock"
        ? [
            {
              id: "AwsSolutions-IAM5",
              reason: "DescribeExecution/StopExecution of this one state machine's executions: the drill a failover pre-empts is only known when it runs.",
              appliesTo: [`Resource::arn:<AWS::Partition>:states:${local.region}:${Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account}:execution:${names.stateMachine}:*`],
            },
          ]
        : []),
    ]);
  }

  // CompleteFence, on the health checks' schedule: finishes the fence once the old primary's
  // region answers again (FencePrimary could not reach it during the outage), and stays a
  // one-call no-op while no failover happened. The same actions as FencePrimary and SwitchDns.
  const completeFence = new Function(stack, "CompleteFence", {
    handler: "packages/functions/src/complete-fence.handler",
    description: `pilot-light ${config.stage}: fences the old primary once its region answers again after a failover`,
    timeout: 30,
    memorySize: 256,
    environment,
  });
  grantCompleteFence(completeFence, resources, isPrimary ? peerArn : data.primaryArn, stack);
  new events.Rule(stack, "CompleteFenceSchedule", {
    ruleName: `${names.prefix}-complete-fence`,
    description: `pilot-light ${config.stage}: fence completion after a failover (${config.health.schedule})`,
    schedule: events.Schedule.expression(config.health.schedule),
    // The next tick is the retry: a pass that could not reach the region just runs again.
    targets: [new targets.LambdaFunction(completeFence, { retryAttempts: 0 })],
  });
  suppress(completeFence, [...functionSuppressions, tracingSuppression, publishSuppression, fenceGroupsSuppression]);

  const machine = workflowMachine(stack, {
    ids: { machine: "StateMachine", logs: "StateMachineLogs" },
    name: names.stateMachine,
    comment: `pilot-light ${config.stage}: fail over from ${peer.region} to ${local.region} (docs/failover.md)`,
    definition: failoverDefinition(new Construct(stack, "Definition"), fns),
    // The failover lock expires exactly then (Failover.executionTimeoutSeconds).
    timeout: Duration.seconds(Runbook.executionTimeoutSeconds),
    isDevelopment: config.isDevelopment,
    functions: stepNames.map((step) => fns[step]),
  });
  suppressLogRetention(stack);
  stack.addOutputs({ FailoverStateMachineArn: machine.stateMachineArn });
  return { machine, functions: fns, completeFence };
}


