/**
 * RecordOutcome: stores the execution's timings, RTO and RPO estimate under
 * OUTCOME#<execution>, emits them as metrics, and releases the failover lock. Rewriting the
 * same item and releasing an already released lock are both no-ops. DNS is reported as Route 53
 * shows it when the run's own view says it was not pinned (one bounded read; unread, the run's view stands).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Route53Client } from "@aws-sdk/client-route-53";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Dns, Failover } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TABLE_NAME"]));
const objectives = Failover.lazy(() => Failover.readObjectives(process.env));
const db = Failover.lazy(() => DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })));
// Route 53's API lives in us-east-1 and may hang: bounded like SwitchDns's calls.
const r53 = Failover.lazy(() => new Route53Client({ region: "us-east-1", ...Failover.boundedClientConfig }));

/** Whether the record is pinned to DR now; undefined when not asked (the run pinned it, no DNS) or unread. */
async function observedPin(state: Failover.FailoverState): Promise<boolean | undefined> {
  const target = Failover.dnsTarget(process.env).dns;
  if (!target || !state.preflight?.dns.willSwitch || (state.dns && "alreadyPinned" in state.dns)) return undefined;
  try {
    return await Dns.isPinnedToDr(r53(), target);
  } catch (error) {
    logger.warn("could not read the PRIMARY record; the outcome keeps the run's view of DNS", { error });
    return undefined;
  }
}

export const handler = wrap(Failover.FailoverState, async (state) => {
  const dnsPinned = await observedPin(state);
  const outcome = Failover.summarizeOutcome(state, "succeeded", new Date(), objectives(), dnsPinned === undefined ? {} : { dnsPinned });
  await Failover.storeOutcome(db(), settings().TABLE_NAME, outcome);
  const lockReleased = await Failover.releaseLock(db(), settings().TABLE_NAME, state.run.executionName);
  metrics.addDimension("mode", state.run.mode);
  metrics.addMetric("FailoverSucceeded", MetricUnit.Count, 1);
  if (outcome.rtoSeconds !== null) metrics.addMetric("RtoSeconds", MetricUnit.Seconds, outcome.rtoSeconds);
  if (outcome.rpoSeconds !== null) metrics.addMetric("RpoSeconds", MetricUnit.Seconds, outcome.rpoSeconds);
  return { ...outcome, lockReleased };
});
