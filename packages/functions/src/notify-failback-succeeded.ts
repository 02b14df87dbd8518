/**
 * NotifyFailbackSucceeded: what was done, the switchback's write downtime and data loss, what
 * to do next. A retry may send a duplicate.
 */
import { Failback, Notify } from "@pilot-light/core";
import { settings, sns } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async (state) => {
  const message = Failback.succeededMessage(state, Failback.summarizeFailback(state, "succeeded", new Date()), settings().STAGE);
  return { kind: message.kind, messageId: await Notify.publish(sns(), settings().TOPIC_ARN, message) };
});
