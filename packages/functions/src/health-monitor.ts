/**
 * Scheduled health monitor (DR region, every `health.schedule`): one tick of detection.
 * Probes the primary's /health.php (and the DR one when configured, reported only), counts
 * the check in DynamoDB, and starts or recommends the failover at the threshold.
 * Idempotent per tick: a retried or duplicated event counts once and starts at most one failover.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Health } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const env = Health.readEnv(Health.MonitorEnv, process.env);
const region = env.AWS_REGION;
const settings = Health.monitorSettings(env);
const deps: Health.MonitorDeps = {
  store: {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), { marshallOptions: { removeUndefinedValues: true } }),
    table: env.STATE_TABLE,
  },
  sfn: new SFNClient({ region }),
  stateMachineArn: env.STATE_MACHINE_ARN,
  sns: new SNSClient({ region }),
  topicArn: env.TOPIC_ARN,
};

export const handler = wrap(Health.MonitorTick, async (event) => {
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
