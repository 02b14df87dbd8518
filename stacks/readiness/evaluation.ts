/**
 * The scheduled readiness evaluation (DR region, with the dashboard): the function, its
 * EventBridge schedule (the stage's `readinessSchedule`), the alarms that tell the alert topic
 * (a failing check, an evaluation that failed, one that stopped running),
 * and the dashboard's widgets. One evaluation per stage, in the DR region where the orchestrator
 * always runs: it reads both regions from there, and a second copy in the primary region would
 * only repeat the same findings under a second alarm.
 */
import { Function } from "sst/constructs";
import type { Stack } from "aws-cdk-lib";
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Readiness, Stage } from "@pilot-light/core";
import { functionSuppressions, suppress, tracingSuppression, wildcardResources } from "../nag";
import { readinessStatements } from "./grants";

export interface ReadinessWiring {
  config: Stage.StageConfig;
  names: ReturnType<typeof Stage.resourceNames>;
  topic: sns.ITopic;
  tableName: string;
  tableArn: string;
  healthCheckId: string | undefined;
}

/** The alarm names (deterministic: the runbook and the status widget name them). */
export const readinessAlarmNames = (prefix: string) => ({ findings: `${prefix}-readiness-findings`, failing: `${prefix}-readiness-not-evaluated`, stopped: `${prefix}-readiness-not-running` });

export function readinessEvaluation(stack: Stack, w: ReadinessWiring) {
  const { config, names } = w;
  const permissions = Readiness.permissionTargetOf(config);
  const fn = new Function(stack, "EvaluateReadiness", {
    handler: "packages/functions/src/evaluate-readiness.handler",
    description: `pilot-light ${config.stage}: whether a failover and a failback could run now (read-only), every ${config.readinessSchedule}`,
    timeout: 120,
    memorySize: 256,
    environment: {
      APP: config.app,
      STAGE: config.stage,
      PRIMARY_REGION: config.primaryRegion,
      DR_REGION: config.drRegion,
      HAS_DNS: String(config.dns !== undefined),
      DR_TASK_COUNT: String(config.drTaskCount),
      TASK_CPU: String(config.sizes.taskCpu),
      TABLE_NAME: w.tableName,
      ACCOUNT: stack.account,
      ...("uri" in config.application.image ? { IMAGE_URI: config.application.image.uri } : {}),
      // An adopted primary's own identifier: readiness reads the team's database, not pilot-light's name.
      ...(config.adopt ? { PRIMARY_DB: names.primaryDb } : {}),
      // What the steps' permission catalogue is bound to (Readiness.permissionTargetOf: the same as pnpm dr readiness).
      PARTITION: stack.partition,
      ...(permissions.dns ? { HOSTED_ZONE_ID: permissions.dns.hostedZoneId, RECORD_NAME: permissions.dns.recordName } : {}),
      ...(permissions.adopted ? { ADOPTED_NAMES: JSON.stringify(permissions.adopted) } : {}),
      // The serving region's health path must answer the health contract: at each region's own
      // name (stages with DNS), else at its load balancer's address, read from SSM at run time.
      HEALTH_PATH: config.application.healthPath,
      ...(config.dns ? { HEALTH_URLS: JSON.stringify(Readiness.healthUrlsOf(config)) } : {}),
    },
  });
  const statements = readinessStatements(stack, {
    names,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    tableArn: w.tableArn,
    healthCheckId: w.healthCheckId,
    hostedZoneId: config.dns?.hostedZoneId,
    prebuiltImage: "uri" in config.application.image,
    stackNames: [Readiness.stackName(config, "Failover"), Readiness.stackName(config, "Failback")],
    adopted: config.adopt !== undefined,
  });
  for (const s of statements) fn.addToRolePolicy(s);
  new events.Rule(stack, "ReadinessSchedule", {
    ruleName: `${names.prefix}-readiness`,
    description: `pilot-light ${config.stage}: the readiness evaluation`,
    schedule: events.Schedule.expression(config.readinessSchedule),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
  });
  // One period per schedule interval, at most 12 hours: two of them stay within CloudWatch's one day.
  const period = Duration.minutes(Math.min(Stage.scheduleMinutes(config.readinessSchedule) ?? 30, 720));
  const alarmNames = readinessAlarmNames(names.prefix);
  // Powertools' namespace and default dimension (packages/functions/src/lib/handler.ts).
  const findings = new cloudwatch.Metric({ namespace: "PilotLight", metricName: "ReadinessFindings", dimensionsMap: { service: "pilot-light" }, statistic: "Maximum", period });
  const notify = new actions.SnsAction(w.topic);
  const findingsAlarm = new cloudwatch.Alarm(stack, "ReadinessFindings", {
    alarmName: alarmNames.findings,
    alarmDescription: `A readiness check of stage ${config.stage} fails: a failover or a failback may not work. Run pnpm dr status --stage ${config.stage} (the last evaluation's findings, each with what to do) or pnpm dr readiness --stage ${config.stage} (docs/runbook.md, "Readiness").`,
    metric: findings,
    threshold: 0,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
  });
  findingsAlarm.addAlarmAction(notify);
  // An evaluation that fails (its reads fail into findings; this is the rest: the table, a bug)
  // leaves no figure, so its errors are told too: nobody would learn of a broken failover.
  const notEvaluated = new cloudwatch.Alarm(stack, "ReadinessNotEvaluated", {
    alarmName: alarmNames.failing,
    alarmDescription: `The readiness evaluation of stage ${config.stage} failed: nothing says whether a failover would work. Read the EvaluateReadiness function's logs; run pnpm dr readiness --stage ${config.stage} meanwhile.`,
    metric: fn.metricErrors({ period, statistic: "Sum" }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  notEvaluated.addAlarmAction(notify);
  // A schedule that stopped (disabled, deleted) leaves neither figure nor error: two empty
  // periods in a row (one late tick empties one period and doubles the next).
  const notRunning = new cloudwatch.Alarm(stack, "ReadinessNotRunning", {
    alarmName: alarmNames.stopped,
    alarmDescription: `The readiness evaluation of stage ${config.stage} has not run for two ${config.readinessSchedule} periods: nothing says whether a failover would work. Check the EventBridge rule ${names.prefix}-readiness is enabled; run pnpm dr readiness --stage ${config.stage} meanwhile.`,
    metric: fn.metricInvocations({ period, statistic: "Sum" }),
    threshold: 1,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  notRunning.addAlarmAction(notify);
  suppress(fn, [
    ...functionSuppressions,
    tracingSuppression,
    {
      id: "AwsSolutions-IAM5",
      reason:
        "Readiness reads what is named only at run time or has no resource type: the databases' KMS keys (read from RDS), the DR image's repository and the task definition's execution role (CloudFormation names them), the Failover and Failback stacks (their ids are CloudFormation's), their step roles and the Compute stack's task execution role (CloudFormation names them after the stack), the secrets the DR task definition names (a mirror copies the team's, DescribeSecret only), ecs:DescribeTaskDefinition, servicequotas:GetAWSDefaultServiceQuota, ecr:DescribeRegistry and ssm:DescribeParameters (\"*\" only in the Service Authorization Reference; DescribeParameters reads no value). All are reads.",
      appliesTo: wildcardResources(stack, statements),
    },
  ]);
  const widgets = [
    new cloudwatch.GraphWidget({
      title: `Readiness: failing checks (every ${config.readinessSchedule}; pnpm dr status shows which)`,
      left: [findings.with({ label: "failing readiness checks" })],
      leftAnnotations: [{ value: 1, label: "not ready", color: "#d62728" }],
      leftYAxis: { min: 0 },
      width: 12,
    }),
    new cloudwatch.AlarmStatusWidget({ title: "Readiness", alarms: [findingsAlarm, notEvaluated, notRunning], width: 12, height: 6 }),
  ];
  return { fn, alarms: { findings: findingsAlarm, notEvaluated, notRunning }, widgets };
}
