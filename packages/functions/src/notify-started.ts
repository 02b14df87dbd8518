/**
 * NotifyStarted: tells people a failover or drill has passed preflight and is under way,
 * with the plan and the replica lag at the decision. A retried publish may duplicate an
 * e-mail, never lose one.
 */
import { SNSClient } from "@aws-sdk/client-sns";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE"]));
const sns = Failover.lazy(() => new SNSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async (state) => {
  const message = Failover.Notifications.started(state, settings().STAGE);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
