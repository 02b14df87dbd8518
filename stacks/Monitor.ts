/**
 * Detection (both regions, D2/D3): an EventBridge rule on the stage's schedule runs the health
 * monitor, which probes the other region's /health.php (the DR region's copy: the primary ALB's),
 * reads whether this region is armed (its database a replica of the watched one's, DNS not here), asks Route 53's health checkers (a
 * health check on the watched region's endpoint, on stages with DNS) before starting the failover state
 * machine (by its deterministic name, so no stack dependency), and follows its executions.
 * Least privilege: GetItem/PutItem on the state table, Publish on the alerts topic,
 * StartExecution on the one state machine, DescribeExecution on its executions,
 * GetHealthCheckStatus on the one health check. The close-incident function is the operator's
 * documented way to end an incident.
 */
import { Function, StackContext, use } from "sst/constructs";
import { ArnFormat, CfnOutput, Duration, Token } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { Stage } from "@pilot-light/core";
import { Alerts } from "./Alerts";
import { Compute } from "./Compute";
import { regionSides, usePrimaryAddress, usePrimaryHealthCheckId, useStage } from "./context";
import { Dns } from "./Dns";
import { regionHealthCheck } from "./health-check";
import { grantHealthMonitor, stateTableActions } from "./failover/monitor-grants";
import { functionSuppressions, publishSuppression, suppress, suppressLogRetention, tracingSuppression } from "./nag";
import { State } from "./State";

export { stateTableActions };

export function Monitor({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const { table } = use(State);
  const { topic } = use(Alerts);
  const compute = use(Compute);
  const { healthUrl } = compute;
  const health = config.health;
  // Each region's copy watches the other region, and is armed at run time (Health.readArming):
  // this region's database is what it would promote, the watched region's what it would replace.
  const sides = regionSides(config, names, isPrimary);
  if (isPrimary && !config.dns) throw new Error("Monitor: the primary region's copy needs DNS (where users are sent decides whether it may act)");
  const watchedUrl = config.dns ? Stage.healthUrl(config, `https://${Stage.regionalHost(config.dns, sides.watched.region)}`) : usePrimaryAddress(stack, names, config).healthUrl;
  const localDbArn = stack.formatArn({ service: "rds", resource: "db", resourceName: sides.local.db, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const watchedDbArn = stack.formatArn({ service: "rds", region: sides.watched.region, resource: "db", resourceName: sides.watched.db, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  // This region's database's own group and the ones re-protect creates for it (`<group>-g<time>`).
  const localParameterGroupArns = [sides.local.parameterGroup, `${sides.local.parameterGroup}-g*`].map((name) =>
    stack.formatArn({ service: "rds", resource: "pg", resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );

  const stateMachineArn = stack.formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: names.stateMachine,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  // Its executions, the monitor's own and any it follows (they share the state machine's name).
  const executionsArn = stack.formatArn({
    service: "states",
    resource: "execution",
    resourceName: `${names.stateMachine}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  // The second opinion (stages with DNS): Route 53's health check on the watched region's endpoint.
  // The DR region's copy: the Dns stack's on the primary (its PRIMARY record uses it). The primary
  // region's copy: its own on the DR region, used by no record (Route 53's answers do not change);
  // here, not in Dns, so this region's deploy needs nothing from the DR region's.
  const healthCheckId = !config.dns
    ? undefined
    : isPrimary
      ? regionHealthCheck(stack, "WatchedHealth", { ...config, dns: config.dns }, sides.watched.region).healthCheckId
      : usePrimaryHealthCheckId(stack, names, Dns);
  // A burst costs one probe timeout plus the spacing; the second opinion and the read of the watched
  // region's database at most 4 s each (their clients' bounds); the rest is a few DynamoDB/SNS/SFN calls.
  const timeoutSeconds = health.probeTimeoutSeconds + 25;
  // Whether it may start a failover is decided at run time (arming), never by activeRegion.
  const autoFailover = health.autoFailover;

  const monitor = new Function(stack, "HealthMonitor", {
    handler: "packages/functions/src/health-monitor.handler",
    description: `pilot-light ${config.stage}: probes the ${sides.watched.role} region's ${config.application.healthPath} and, when armed, starts the failover at the threshold`,
    timeout: timeoutSeconds,
    memorySize: 256,
    // An async retry of a tick counts nothing twice; it only repairs an interrupted StartExecution.
    retryAttempts: 2,
    environment: {
      STATE_TABLE: table.tableName,
      TOPIC_ARN: topic.topicArn,
      STATE_MACHINE_ARN: stateMachineArn,
      // A stage with a domain probes the watched region's own name over HTTPS (Compute's certificate covers it).
      PRIMARY_HEALTH_URL: watchedUrl,
      ...(health.probeDr && !isPrimary ? { DR_HEALTH_URL: healthUrl } : {}),
      WATCHED: sides.watched.role,
      LOCAL_DB_ID: sides.local.db,
      WATCHED_DB_ID: sides.watched.db,
      WATCHED_DB_ARN: watchedDbArn,
      ...(config.dns ? { LOCAL_ALB_DNS: compute.alb.loadBalancerDnsName, HOSTED_ZONE_ID: config.dns.hostedZoneId, RECORD_NAME: config.dns.recordName } : {}),
      FAILURE_THRESHOLD: String(health.failureThreshold),
      PROBE_TIMEOUT_MS: String(health.probeTimeoutSeconds * 1000),
      PROBES_PER_CHECK: String(health.probesPerCheck),
      PROBE_SPACING_MS: "100",
      AUTO_FAILOVER: String(autoFailover),
      START_LEASE_MS: String(2 * timeoutSeconds * 1000),
      STAGE_LABEL: `pilot-light ${config.stage}`,
      AVAILABILITY_WINDOW_MINUTES: String(health.availabilityWindowMinutes),
      MIN_AVAILABILITY_PERCENT: String(health.minAvailabilityPercent),
      NOTICES_PER_HOUR: String(health.notificationsPerHour),
      FAILOVER_ATTEMPTS: String(health.failoverAttempts),
      ...(healthCheckId ? { HEALTH_CHECK_ID: healthCheckId } : {}),
      POWERTOOLS_METRICS_NAMESPACE: "PilotLight",
    },
  });
  grantHealthMonitor(monitor, { stack, stateMachineArn, executionsArn, healthCheckId, localDbArn, watchedDbArn, localParameterGroupArns, hostedZoneId: config.dns?.hostedZoneId, tableArn: table.tableArn, grantTable: (g, ...a) => table.grant(g, ...a), grantPublish: (g) => topic.grantPublish(g) });

  new events.Rule(stack, "HealthSchedule", {
    // Named so operators can pause detection for maintenance: aws events disable-rule --name ...
    ruleName: `${names.prefix}-health-check`,
    description: `pilot-light ${config.stage}: health check of the ${sides.watched.role} region (${health.schedule})`,
    schedule: events.Schedule.expression(health.schedule),
    targets: [new targets.LambdaFunction(monitor, { retryAttempts: 2, maxEventAge: Duration.minutes(Math.max(1, Stage.scheduleMinutes(health.schedule) ?? 1)) })],
  });

  const close = new Function(stack, "CloseIncident", {
    handler: "packages/functions/src/close-incident.handler",
    description: `pilot-light ${config.stage}: operator action that closes the open health incident`,
    timeout: 10,
    memorySize: 256,
    environment: { STATE_TABLE: table.tableName },
  });
  table.grant(close, ...stateTableActions);

  // A monitor that fails is a blind one: say so rather than wait for an outage to find out.
  new cloudwatch.Alarm(stack, "MonitorErrors", {
    alarmName: `${names.prefix}-health-monitor-errors`,
    alarmDescription: `The health monitor failed 2 runs in a row: detection may be blind. Read its logs (${names.prefix} HealthMonitor).`,
    metric: monitor.metricErrors({ period: Duration.minutes(Math.min(360, Math.max(1, Stage.scheduleMinutes(health.schedule) ?? 5))) }),
    threshold: 1,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }).addAlarmAction(new actions.SnsAction(topic));

  for (const fn of [monitor, close]) suppress(fn, [...functionSuppressions, tracingSuppression]);
  suppress(monitor, [
    publishSuppression,
    {
      id: "AwsSolutions-IAM5",
      reason: "DescribeExecution of the executions of this one state machine: the monitor names each attempt when it starts it, and follows executions others started.",
      appliesTo: [`Resource::arn:<AWS::Partition>:states:${app.region}:${Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account}:execution:${names.stateMachine}:*`],
    },
    {
      id: "AwsSolutions-IAM5",
      reason: "DescribeDBParameters on this region's database's groups: the one re-protect gives each replica it creates (<group>-g<time>) is named only when created; read_only there tells which stranded state the monitor sees.",
      appliesTo: [`Resource::arn:<AWS::Partition>:rds:${app.region}:${Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account}:pg:${sides.local.parameterGroup}-g*`],
    },
  ]);
  suppressLogRetention(stack);
  new CfnOutput(stack, "HealthMonitorFunction", { value: monitor.functionName });
  new CfnOutput(stack, "CloseIncidentFunction", { value: close.functionName });
  return { monitor, close, stateMachineArn };
}
