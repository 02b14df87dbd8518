/**
 * RecordOutcome: stores the execution's timings, RTO and RPO estimate under
 * OUTCOME#<execution>, emits them as metrics, and releases the failover lock. Rewriting the
 * same item and releasing an already released lock are both no-ops.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Failover } from "@pilot-light/core";
import { handler as wrap, metrics } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TABLE_NAME"]));
const objectives = Failover.lazy(() => Failover.readObjectives(process.env));
const db = Failover.lazy(() => DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })));

export const handler = wrap(Failover.FailoverState, async (state) => {
  const outcome = Failover.summarizeOutcome(state, "succeeded", new Date(), objectives());
  await Failover.storeOutcome(db(), settings().TABLE_NAME, outcome);
  const lockReleased = await Failover.releaseLock(db(), settings().TABLE_NAME, state.run.executionName);
  metrics.addDimension("mode", state.run.mode);
  metrics.addMetric("FailoverSucceeded", MetricUnit.Count, 1);
  if (outcome.rtoSeconds !== null) metrics.addMetric("RtoSeconds", MetricUnit.Seconds, outcome.rtoSeconds);
  if (outcome.rpoSeconds !== null) metrics.addMetric("RpoSeconds", MetricUnit.Seconds, outcome.rpoSeconds);
  return { ...outcome, lockReleased };
});
