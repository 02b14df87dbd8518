/**
 * NotifyFailed (compensation): names the failed step and its error, says what was done
 * (rolled back, or promoted and left for an operator) and what remains.
 */
import { SNSClient } from "@aws-sdk/client-sns";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN"]));
const sns = Failover.lazy(() => new SNSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.AssessedState, async (state) => {
  const message = Failover.Notifications.failed(state, state.assessment);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
