/**
 * RecordFailure (compensation): stores the failed execution's outcome (rolled back, stood down
 * or needs operator, with the failed step and error) and releases the failover lock so the operator
 * can start again. Both writes are idempotent.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Failover } from "@pilot-light/core";
import { handler as wrap, metrics } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TABLE_NAME"]));
const objectives = Failover.lazy(() => Failover.readObjectives(process.env));
const db = Failover.lazy(() => DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })));

export const handler = wrap(Failover.AssessedState, async (state) => {
  const outcome = Failover.summarizeOutcome(state, Failover.failureStatus(state), new Date(), objectives());
  await Failover.storeOutcome(db(), settings().TABLE_NAME, outcome);
  const lockReleased = await Failover.releaseLock(db(), settings().TABLE_NAME, state.run.executionName);
  metrics.addDimension("mode", state.run.mode);
  const metric = { "needs-operator": "FailoverNeedsOperator", "stood-down": "FailoverStoodDown", "rolled-back": "FailoverRolledBack", succeeded: "FailoverSucceeded" }[outcome.status];
  metrics.addMetric(metric, MetricUnit.Count, 1);
  return { status: outcome.status, lockReleased };
});
