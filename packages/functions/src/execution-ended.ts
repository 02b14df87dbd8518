/**
 * ExecutionEnded (EventBridge rule on the failover state machine's FAILED, TIMED_OUT and
 * ABORTED status changes): reads the execution history and tells people which step failed,
 * unless the run's own NotifyFailed already did. A publish that fails counts a
 * NotificationFailures metric, whose alarm reaches people without SNS (an OpsCenter OpsItem),
 * and is rethrown so EventBridge's retries try again.
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE"]));
const clients = Failover.lazy(() => ({ sfn: new SFNClient({ region: settings().DR_REGION }), sns: new SNSClient({ region: settings().DR_REGION }) }));

export const handler = wrap(Failover.ExecutionStatusEvent, async ({ detail }) => {
  const { sfn, sns } = clients();
  const summary = Failover.summarizeEnded(detail.status, await Failover.readHistory(sfn, detail.executionArn));
  const message = Failover.endedNotification(`pilot-light ${settings().STAGE}`, detail, summary);
  logger.warn("failover execution ended badly", { execution: detail.name, ...summary, notify: Boolean(message) });
  if (!message) return { notified: false, reason: "the run's NotifyFailed already published", summary };
  try {
    return { notified: true, messageId: await Notify.publish(sns, settings().TOPIC_ARN, message), summary };
  } catch (error) {
    metrics.addMetric("NotificationFailures", MetricUnit.Count, 1);
    throw error;
  }
});
