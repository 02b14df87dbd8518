/**
 * RecordFailback: OUTCOME#<execution> (what was done; for a switchback its write downtime and
 * data loss), then releases the lock. Rewriting the item and releasing a released lock are no-ops.
 */
import { Failback, Failover } from "@pilot-light/core";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { db, table } from "./lib/failback";
import { handler as wrap, metrics } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async (state) => {
  const outcome = Failback.summarizeFailback(state, "succeeded", new Date());
  await Failback.storeFailbackOutcome(db(), table(), outcome);
  const lockReleased = await Failover.releaseLock(db(), table(), state.run.executionName);
  metrics.addDimension("mode", state.run.mode);
  metrics.addMetric("FailbackSucceeded", MetricUnit.Count, 1);
  if (outcome.writeDowntimeSeconds !== null) metrics.addMetric("WriteDowntimeSeconds", MetricUnit.Seconds, outcome.writeDowntimeSeconds);
  return { ...outcome, lockReleased };
});
