/**
 * RetryServing (scale branch, failover runs only): a scale step failed; plans the next attempt
 * (a growing pause, until 30 minutes after the first failure) and tells people, naming the step.
 * A publish that fails is recorded in the result (`told: false`) and never stops the retry:
 * the failure itself is named again by NotifyFailed or ExecutionEnded if the run gives up.
 */
import { SNSClient } from "@aws-sdk/client-sns";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE"]));
const sns = Failover.lazy(() => new SNSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.ServingRetryRequest, async ({ run, servingFailure, serving }) => {
  const now = new Date();
  const plan = Failover.planServingRetry(serving, servingFailure, now);
  try {
    await Notify.publish(sns(), settings().TOPIC_ARN, Failover.servingRetryNotice(run, servingFailure, plan, settings().STAGE, now));
    return { ...plan, told: true };
  } catch (error) {
    return { ...plan, told: false, toldError: `${(error as Error).name}: ${(error as Error).message}` };
  }
});
