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
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Health, Scope } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

/**
 * Route 53's API lives in us-east-1 and hangs when its control plane is impaired, and so does the
 * watched region's RDS when that region fails: each attempt is bounded (connect 1 s, whole
 * request 2 s; `requestTimeout` only warns without `throwOnRequestTimeout`), two attempts, so an
 * unanswered call costs at most 4 s of the tick and is read as "no answer".
 */
export const boundedClientConfig = {
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
  const route53 = healthCheckId || env.HOSTED_ZONE_ID ? new Route53Client({ region, ...boundedClientConfig }) : undefined;
  const arming = armingDeps(env, region, route53);
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
    ...(arming ? { arming: () => Health.readArming(arming) } : {}),
    // The Operations stack's notification-failed alarm watches this; its action is an OpsItem, not SNS.
    onPublishFailed: (notification, error) => {
      metrics.addMetric("NotificationFailures", MetricUnit.Count, 1);
      logger.error("notification not published; it stays queued for the next tick", { kind: notification.kind, id: notification.id, error });
    },
  };
  return { settings: Health.monitorSettings(env), deps };
});

/** Run-time arming (this region's database and, with DNS, where the PRIMARY record sends users), when configured. */
function armingDeps(env: Health.MonitorEnv, region: string, route53: Route53Client | undefined): Health.ArmingDeps | undefined {
  if (!env.LOCAL_DB_ID || !env.WATCHED_DB_ID || !env.WATCHED_DB_ARN) return undefined;
  const dns =
    route53 && env.HOSTED_ZONE_ID && env.RECORD_NAME && env.LOCAL_ALB_DNS
      ? { route53, hostedZoneId: env.HOSTED_ZONE_ID, recordName: env.RECORD_NAME, localAlbDns: env.LOCAL_ALB_DNS }
      : undefined;
  // The watched database's ARN names its region (arn:aws:rds:<region>:...).
  const watchedRegion = env.WATCHED_DB_ARN.split(":")[3] ?? "";
  return {
    rds: new RDSClient({ region }),
    watchedRds: new RDSClient({ region: watchedRegion, ...boundedClientConfig }),
    localId: env.LOCAL_DB_ID,
    watched: { identifier: env.WATCHED_DB_ID, arn: env.WATCHED_DB_ARN },
    region,
    ...(dns ? { dns } : {}),
  };
}

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
    arming: report.arming,
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
