/**
 * Scheduled health monitor (DR region, every `health.schedule`): one tick of detection.
 * Probes the primary's /health.php (and the DR one when configured, reported only), counts
 * the check in DynamoDB, opens an incident at the threshold or on low availability, asks
 * Route 53's health checkers before starting (or recommending) the failover, and follows the
 * execution to its end, re-driving one that ended before any promotion.
 * Idempotent per tick: a retried or duplicated event counts once and starts each attempt at most once.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Health, Scope } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

/**
 * Route 53's API lives in us-east-1 and hangs when its control plane is impaired: each attempt
 * is bounded (connect 1 s, whole request 2 s; `requestTimeout` only warns without
 * `throwOnRequestTimeout`), two attempts, so an unanswered second opinion costs at most 4 s of
 * the tick and falls back to the monitor's own view.
 */
export const route53ClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
} as const;

const readEnv = () => Health.readEnv(Health.MonitorEnv, process.env);
// A missing or malformed variable fails the cold start, naming it.
readEnv();

/** Settings and clients, read and made once per sandbox (per world in a rehearsal: `Scope.lazy`). */
const configured = Scope.lazy(() => {
  const env = readEnv();
  const region = env.AWS_REGION;
  const healthCheckId = env.HEALTH_CHECK_ID;
  const route53 = healthCheckId ? new Route53Client({ region, ...route53ClientConfig }) : undefined;
  const deps: Health.MonitorDeps = {
    store: {
      db: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), { marshallOptions: { removeUndefinedValues: true } }),
      table: env.STATE_TABLE,
    },
    sfn: new SFNClient({ region }),
    stateMachineArn: env.STATE_MACHINE_ARN,
    sns: new SNSClient({ region }),
    topicArn: env.TOPIC_ARN,
    ...(route53 && healthCheckId ? { secondOpinion: () => Health.askRoute53(route53, healthCheckId, () => new Date()) } : {}),
    // The Operations stack's notification-failed alarm watches this; its action is an OpsItem, not SNS.
    onPublishFailed: (notification, error) => {
      metrics.addMetric("NotificationFailures", MetricUnit.Count, 1);
      logger.error("notification not published; it stays queued for the next tick", { kind: notification.kind, id: notification.id, error });
    },
  };
  return { settings: Health.monitorSettings(env), deps };
});

export const handler = wrap(Health.MonitorTick, async (event) => {
  const { deps, settings } = configured();
  const report = await Health.runTick(deps, settings, event.time);
  recordMetrics("primary", report.primary, report.consecutiveFailures);
  if (report.dr) recordMetrics("dr", report.dr);
  const summary = {
    tick: report.tick,
    healthy: report.primary.ok,
    drHealthy: report.dr?.ok,
    counted: report.counted,
    consecutiveFailures: report.consecutiveFailures,
    incidentId: report.incidentId,
    execution: report.execution,
    secondOpinion: report.secondOpinion,
    followed: report.followed,
    closedIncident: report.closedIncident,
    published: report.published,
  };
  (report.primary.ok ? logger.info : logger.warn).call(logger, "health tick", { ...summary, probes: report.primary.probes, drProbes: report.dr?.probes });
  return summary;
});

function recordMetrics(target: string, check: Health.CheckResult, consecutiveFailures?: number): void {
  const single = () => {
    const m = metrics.singleMetric();
    m.addDimension("Target", target);
    return m;
  };
  for (const p of check.probes) single().addMetric("ProbeLatency", MetricUnit.Milliseconds, p.latencyMs);
  single().addMetric("ProbeFailures", MetricUnit.Count, check.probes.filter((p) => !p.ok).length);
  single().addMetric("CheckFailed", MetricUnit.Count, check.ok ? 0 : 1);
  if (consecutiveFailures !== undefined) single().addMetric("ConsecutiveFailures", MetricUnit.Count, consecutiveFailures);
}
