/**
 * NotifyFailbackFailed (compensation): names the failed step and its error, what was done
 * (rolled back, left for an operator, or protection not restored) and what to do next.
 */
import { Failback, Notify } from "@pilot-light/core";
import { settings, sns } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.AssessedFailbackState, async (state) => {
  const message = Failback.failedMessage(state, state.assessment, settings().STAGE);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
