/**
 * Operations (DR region, D8): one dashboard that shows readiness at a glance — detection,
 * replica lag against the RPO budget, DR capacity, executions, RTO — and the alarms beyond
 * the foundation's: failed or timed-out executions and a health monitor that stopped running.
 * Every alarm goes to the alerts topic with a description that says what to do. Executions
 * that end FAILED, TIMED_OUT or ABORTED are told to people by ExecutionEnded (an EventBridge
 * rule), naming the step that failed, and the failover lock such a run still holds is released; a notification that cannot be published raises an alarm
 * that reaches people without SNS (an OpsCenter OpsItem). It lives in the DR region with the
 * orchestrator, so a primary outage does not take the view away.
 */
import { Function, StackContext, use } from "sst/constructs";
import { ArnFormat, CfnOutput, Duration, Token } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { Operations as Ops, Stage } from "@pilot-light/core";
import { Alerts } from "./Alerts";
import { desiredCount } from "./Compute";
import { usePrimaryHealthCheckId, useStage } from "./context";
import { Dns } from "./Dns";
import { Monitor } from "./Monitor";
import { State } from "./State";
import { grantExecutionEnded } from "./failover/monitor-grants";
import { functionSuppressions, publishSuppression, suppress, suppressLogRetention, tracingSuppression } from "./nag";
import { readinessEvaluation } from "./readiness/evaluation";

/** Powertools' default dimension: every handler's Metrics has serviceName "pilot-light". */
const service = "pilot-light";
const namespace = "PilotLight";

/** States whose time the per-state widget shows: the phases of docs/failover.md. */
export const timedStates = ["Preflight", "PromoteAndScale", "VerifyDrHealth", "SwitchDns", "CheckDnsChange", "FencePrimary", "EndDrill"];

export function Operations({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const { topic } = use(Alerts);
  const { monitor } = use(Monitor);
  const { table } = use(State);
  // By its deterministic name (as the monitor starts it): no dependency on the Failover stack.
  const stateMachineArn = stack.formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: names.stateMachine,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const executions = (metricName: string, period: Duration, label?: string) =>
    new cloudwatch.Metric({ namespace: "AWS/States", metricName, dimensionsMap: { StateMachineArn: stateMachineArn }, statistic: "Sum", period, ...(label ? { label } : {}) });
  const health = config.health;
  const scheduleMinutes = Stage.scheduleMinutes(health.schedule) ?? 5;
  const texts = Ops.alarmTexts({
    stage: config.stage,
    drRegion: app.region,
    stateMachineName: names.stateMachine,
    scheduleMinutes,
    failureThreshold: health.failureThreshold,
  });
  const notify = new actions.SnsAction(topic);
  const oneMinute = Duration.minutes(1);

  const alarm = (id: string, text: Ops.AlarmText, props: Omit<cloudwatch.AlarmProps, "alarmName" | "alarmDescription">) => {
    const a = new cloudwatch.Alarm(stack, id, { alarmName: text.name, alarmDescription: text.description, ...props });
    a.addAlarmAction(notify);
    return a;
  };
  const executionFailed = alarm("ExecutionFailed", texts.executionFailed, {
    metric: executions("ExecutionsFailed", oneMinute),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const executionTimedOut = alarm("ExecutionTimedOut", texts.executionTimedOut, {
    metric: executions("ExecutionsTimedOut", oneMinute),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const ended = executionEnded();
  // Every failed publish (the notify steps, the monitor, ExecutionEnded) and every failed
  // ExecutionEnded run: someone may not have been told. SNS may be the thing that is down,
  // so this alarm's action is an OpsCenter OpsItem, not the topic.
  const notificationFailed = new cloudwatch.Alarm(stack, "NotificationFailed", {
    alarmName: texts.notificationFailed.name,
    alarmDescription: texts.notificationFailed.description,
    metric: new cloudwatch.MathExpression({
      expression: "FILL(failures, 0) + FILL(endedErrors, 0)",
      usingMetrics: {
        failures: new cloudwatch.Metric({ namespace, metricName: "NotificationFailures", dimensionsMap: { service }, statistic: "Sum", period: oneMinute }),
        endedErrors: ended.metricErrors({ period: oneMinute, statistic: "Sum" }),
      },
      label: "failed notifications",
      period: oneMinute,
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  notificationFailed.addAlarmAction(new actions.SsmAction(actions.OpsItemSeverity.CRITICAL, actions.OpsItemCategory.AVAILABILITY));

  // One period per schedule interval, two empty in a row: a late tick (EventBridge jitter)
  // empties one period and doubles the next, so it never alarms on its own.
  const monitorNotRunning = alarm("MonitorNotRunning", texts.monitorNotRunning, {
    metric: monitor.metricInvocations({ period: Duration.minutes(Math.min(scheduleMinutes, 720)), statistic: "Sum" }),
    threshold: 1,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    // No datapoint is exactly what a stopped schedule looks like.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });

  const pilot = (metricName: string, dimensions: Record<string, string>, statistic: string, label: string, period = oneMinute) =>
    new cloudwatch.Metric({ namespace, metricName, dimensionsMap: { service, ...dimensions }, statistic, label, period });
  const primary = { Target: "primary" };
  const line = (value: number, label: string, color = "#d62728"): cloudwatch.HorizontalAnnotation => ({ value, label, color });

  // The dashboard is the DR region's (dashboard names are global to the account); the primary
  // region's copy of the orchestrator has its alarms and ExecutionEnded.
  if (isPrimary) return { dashboard: undefined, alarms: { executionFailed, executionTimedOut, monitorNotRunning, notificationFailed }, executionEnded: ended };

  // The foundation's and Monitor's alarms, by their deterministic names, for the status widget.
  const existing = [
    `${names.prefix}-replica-lag`,
    `${names.prefix}-health-monitor-errors`,
    `${names.prefix}-${config.drRegion}-slow-responses`,
    `${names.prefix}-${config.drRegion}-5xx`,
    // Compute creates it only where the service has tasks to run (DR after a failover).
    ...(desiredCount(config, false) > 0 ? [`${names.prefix}-${config.drRegion}-running-below-desired`] : []),
  ].map((name, i) => cloudwatch.Alarm.fromAlarmName(stack, `Existing${i}`, name));

  // Every readinessSchedule: whether a failover and a failback could run now (stacks/readiness).
  const readiness = readinessEvaluation(stack, {
    config,
    names,
    topic,
    tableName: table.tableName,
    tableArn: table.tableArn,
    healthCheckId: config.dns ? usePrimaryHealthCheckId(stack, names, Dns) : undefined,
  });

  const logGroup = `/aws/vendedlogs/states/${names.stateMachine}`;
  const dashboard = new cloudwatch.Dashboard(stack, "Dashboard", {
    dashboardName: Ops.dashboardName(config.stage),
    defaultInterval: Duration.hours(24),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: [
        `# pilot-light ${config.stage}: ${config.primaryRegion} → ${config.drRegion}`,
        `Health check ${health.schedule}, failover after ${health.failureThreshold} failed checks in a row; RPO budget ${config.rpoBudgetSeconds} s; DR runs ${config.drPilotTaskCount} task(s) idle, ${config.drTaskCount} after a failover.`,
        `Readiness from a terminal: \`pnpm dr status --stage ${config.stage}\`. What to do: docs/runbook.md.`,
      ].join("\n\n"),
      width: 24,
      height: 3,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({
      title: "Alarms",
      alarms: [executionFailed, executionTimedOut, notificationFailed, monitorNotRunning, ...existing],
      width: 24,
      height: 3,
    }),
  );
  dashboard.addWidgets(...readiness.widgets);
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: `Primary ${config.application.healthPath}: failed checks and consecutive failures`,
      left: [pilot("CheckFailed", primary, "Sum", "failed checks"), pilot("ConsecutiveFailures", primary, "Maximum", "consecutive failures")],
      leftAnnotations: [line(health.failureThreshold, `failover at ${health.failureThreshold}`)],
      leftYAxis: { min: 0 },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: `Primary ${config.application.healthPath}: probe latency and failed probes`,
      left: [pilot("ProbeLatency", primary, "p50", "latency p50 (ms)"), pilot("ProbeLatency", primary, "Maximum", "latency max (ms)")],
      leftAnnotations: [line(health.probeTimeoutSeconds * 1000, "probe timeout")],
      right: [pilot("ProbeFailures", primary, "Sum", "failed probes")],
      leftYAxis: { min: 0 },
      rightYAxis: { min: 0 },
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Replica lag vs RPO budget (s)",
      left: [
        new cloudwatch.Metric({
          namespace: "AWS/RDS",
          metricName: "ReplicaLag",
          dimensionsMap: { DBInstanceIdentifier: names.replicaDb },
          statistic: "Maximum",
          period: oneMinute,
          label: names.replicaDb,
        }),
      ],
      leftAnnotations: [line(config.rpoBudgetSeconds, `RPO budget ${config.rpoBudgetSeconds} s`)],
      leftYAxis: { min: 0 },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: "DR service tasks",
      left: ["RunningTaskCount", "DesiredTaskCount"].map(
        (metricName) =>
          new cloudwatch.Metric({
            namespace: "ECS/ContainerInsights",
            metricName,
            dimensionsMap: { ClusterName: names.cluster, ServiceName: names.service },
            statistic: "Maximum",
            period: oneMinute,
          }),
      ),
      leftAnnotations: [line(config.drTaskCount, `full size ${config.drTaskCount}`, "#2ca02c")],
      leftYAxis: { min: 0 },
      width: 12,
    }),
  );
  const fiveMinutes = Duration.minutes(5);
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Failover executions",
      left: [
        executions("ExecutionsStarted", fiveMinutes, "started"),
        executions("ExecutionsSucceeded", fiveMinutes, "succeeded"),
        executions("ExecutionsFailed", fiveMinutes, "failed"),
        executions("ExecutionsTimedOut", fiveMinutes, "timed out"),
        executions("ExecutionsAborted", fiveMinutes, "aborted"),
      ],
      leftYAxis: { min: 0 },
      width: 12,
    }),
    new cloudwatch.SingleValueWidget({
      title: "Last recorded RTO / RPO (s), 90 days",
      metrics: [
        pilot("RtoSeconds", { mode: "drill" }, "Maximum", "drill RTO", Duration.days(1)),
        pilot("RtoSeconds", { mode: "failover" }, "Maximum", "failover RTO", Duration.days(1)),
        pilot("RpoSeconds", { mode: "failover" }, "Maximum", "failover RPO estimate", Duration.days(1)),
      ],
      start: "-P90D",
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.LogQueryWidget({
      title: "Last executions and their outcome",
      logGroupNames: [logGroup],
      queryLines: [
        "fields @timestamp, execution_arn, type, details.error as error, details.cause as cause",
        'filter type in ["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]',
        // The final state (execution data is logged): the run's mode comes first, the outcome last.
        "parse details.output '\"mode\":\"*\"' as mode",
        "parse details.output '\"rtoSeconds\":*,' as rtoSeconds",
        "sort @timestamp desc",
        "limit 20",
      ],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 12,
      height: 8,
    }),
    new cloudwatch.LogQueryWidget({
      title: "Milliseconds per phase, by execution",
      logGroupNames: [logGroup],
      queryLines: [
        "fields @timestamp, execution_arn, details.name as state",
        `filter type like /StateEntered|StateExited/ and state in ${JSON.stringify(timedStates)}`,
        // Same shape as AWS's own Insights example (aggregates combined by their aliases).
        "stats min(@timestamp) as entered, max(@timestamp) as exited, exited - entered as milliseconds by execution_arn, state",
        "sort execution_arn desc",
        "limit 50",
      ],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 12,
      height: 8,
    }),
  );

  new CfnOutput(stack, "DashboardUrl", { value: Ops.dashboardUrl(config.drRegion, Ops.dashboardName(config.stage)) });
  return { dashboard, alarms: { executionFailed, executionTimedOut, monitorNotRunning, notificationFailed }, executionEnded: ended };

  /** The function and EventBridge rule that tell people of executions ending FAILED, TIMED_OUT or ABORTED. */
  function executionEnded() {
    const fn = new Function(stack, "ExecutionEnded", {
      handler: "packages/functions/src/execution-ended.handler",
      description: `pilot-light ${config.stage}: tells people of a failover execution that failed, timed out or was aborted`,
      timeout: 60,
      memorySize: 256,
      environment: { DR_REGION: app.region, TOPIC_ARN: topic.topicArn, STAGE: config.stage, TABLE_NAME: table.tableName },
    });
    const executionsOf = stack.formatArn({ service: "states", resource: "execution", resourceName: `${names.stateMachine}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    grantExecutionEnded(fn, { executionsArn: executionsOf, tableArn: table.tableArn, grantPublish: (g) => topic.grantPublish(g) });
    new events.Rule(stack, "ExecutionEndedRule", {
      ruleName: `${names.prefix}-failover-ended`,
      description: `pilot-light ${config.stage}: failover executions that end (the lock is released; FAILED, TIMED_OUT, ABORTED are told)`,
      // Step Functions sends every Standard execution's status changes to the default bus.
      eventPattern: {
        source: ["aws.states"],
        detailType: ["Step Functions Execution Status Change"],
        // SUCCEEDED too: a run whose own release failed must not keep the lock to its expiry.
        detail: { status: ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
    suppress(fn, [
      ...functionSuppressions,
      tracingSuppression,
      publishSuppression,
      {
        id: "AwsSolutions-IAM5",
        reason: "GetExecutionHistory of any execution of this one state machine: execution names are only known when they run.",
        appliesTo: [`Resource::arn:<AWS::Partition>:states:${app.region}:${Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account}:execution:${names.stateMachine}:*`],
      },
      {
        id: "AwsSolutions-IAM5",
        reason: "ssm:CreateOpsItem has no resource-level permissions (Service Authorization Reference: the action supports only \"*\"); it opens the OpsItem that tells a failure SNS could not carry.",
        appliesTo: ["Resource::*"],
      },
    ]);
    suppressLogRetention(stack);
    return fn;
  }
}
