/**
 * EvaluateReadiness (scheduled every `readinessSchedule`, DR region): whether a failover and a
 * failback could run now, judged as `pnpm dr readiness` judges it (Readiness.evaluateReadiness),
 * so a broken failover is known before the outage: with each failover and failback step's
 * deployed role simulated against the steps' catalogue (Readiness.stepCatalogue, bundled as
 * JSON). Read-only towards everything it judges; it
 * writes READINESS#last (overwritten: idempotent) for `pnpm dr status` and the failing findings'
 * count as the ReadinessFindings metric, whose alarm tells the alert topic.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import { Readiness, Scope } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const settings = Scope.lazy(() => Readiness.readEvaluationSettings(process.env));
const clients = Scope.lazy(() => {
  const { target } = settings();
  return { readiness: Readiness.readinessClients(target), db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: target.drRegion })) };
});

export const handler = wrap(z.looseObject({}), async () => {
  const s = settings();
  const c = clients();
  const evaluation = await Readiness.evaluateReadiness(c.readiness, s.target, s.account, () => new Date(), { target: s.permissions, catalogue: Readiness.stepCatalogue, partition: s.partition });
  const stored = await Readiness.recordEvaluation(c.db, s.tableName, evaluation);
  metrics.addMetric("ReadinessFindings", MetricUnit.Count, stored.failing.length);
  if (!stored.ready) logger.warn("not ready", { failing: stored.failing });
  return { ready: stored.ready, failing: stored.failing.map((f) => f.check) };
});
