/**
 * NotifyFailbackStarted: one message when a re-protect or switchback starts, with its plan.
 * A retry may send a duplicate; a failure never holds the run up (the state machine goes on).
 */
import { Failback, Notify } from "@pilot-light/core";
import { settings, sns } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async (state) => {
  const message = Failback.startedMessage(state, settings().STAGE);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
