/**
 * NotifySucceeded (last state): the plain-words summary of a finished failover or drill:
 * timings, RTO and RPO against the stage's targets, DNS and fencing results, and what the
 * operator does next.
 */
import { SNSClient } from "@aws-sdk/client-sns";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE"]));
const objectives = Failover.lazy(() => Failover.readObjectives(process.env));
const sns = Failover.lazy(() => new SNSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async (state) => {
  const computed = Failover.summarizeOutcome(state, "succeeded", new Date(), objectives());
  // DNS as RecordOutcome found it in Route 53 (the run's own view can be behind).
  const outcome = state.outcome ? { ...computed, dns: state.outcome.dns } : computed;
  const message = Failover.Notifications.succeeded(state, outcome, settings().STAGE);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
