/**
 * NotifyFailed (compensation): names the failed step and its error, says what was done
 * (rolled back, or promoted and left for an operator), what remains, and the run against the
 * stage's targets.
 */
import { SNSClient } from "@aws-sdk/client-sns";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE"]));
const objectives = Failover.lazy(() => Failover.readObjectives(process.env));
const sns = Failover.lazy(() => new SNSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.AssessedState, async (state) => {
  const outcome = Failover.summarizeOutcome(state, Failover.failureStatus(state), new Date(), objectives());
  const message = Failover.Notifications.failed(state, state.assessment, settings().STAGE, outcome);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
