/**
 * ExecutionEnded (EventBridge rule on the failover state machine's status changes to an end:
 * SUCCEEDED, FAILED, TIMED_OUT, ABORTED): releases the failover lock if the ended execution
 * still holds it (conditional on the owner: a lock a failover took over from a stopped drill is
 * left alone; a run whose own release failed is covered). For the bad ends it reads the
 * execution history and tells people which step failed, unless the run's own NotifyFailed
 * already did. A publish that fails opens an OpsCenter OpsItem with the same message (it names
 * the failed step; one per execution), counts a NotificationFailures metric (whose alarm opens a
 * generic OpsItem too), and is rethrown so EventBridge's retries try again (releasing twice is a
 * no-op).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "TOPIC_ARN", "STAGE", "TABLE_NAME"]));
const clients = Failover.lazy(() => ({
  sfn: new SFNClient({ region: settings().DR_REGION }),
  sns: new SNSClient({ region: settings().DR_REGION }),
  ssm: new SSMClient({ region: settings().DR_REGION }),
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })),
}));

export const handler = wrap(Failover.ExecutionStatusEvent, async ({ detail }) => {
  const { sfn, sns, db } = clients();
  const lockReleased = await Failover.releaseLock(db, settings().TABLE_NAME, detail.name);
  const status = detail.status;
  if (status === "SUCCEEDED") return { notified: false, reason: "the run succeeded and told people itself", lockReleased };
  const summary = { ...Failover.summarizeEnded(status, await Failover.readHistory(sfn, detail.executionArn)), lockReleased };
  const message = Failover.endedNotification(`pilot-light ${settings().STAGE}`, { ...detail, status }, summary);
  logger.warn("failover execution ended badly", { execution: detail.name, ...summary, notify: Boolean(message) });
  if (!message) return { notified: false, reason: "the run's NotifyFailed already published", summary };
  try {
    return { notified: true, messageId: await Notify.publish(sns, settings().TOPIC_ARN, message), summary };
  } catch (error) {
    metrics.addMetric("NotificationFailures", MetricUnit.Count, 1);
    try {
      const opsItemId = await Failover.openOpsItem(clients().ssm, message, detail.executionArn);
      logger.error("could not publish; the failure is told by an OpsItem", { execution: detail.name, opsItemId, error });
    } catch (opsError) {
      logger.error("could not publish nor open an OpsItem; the NotificationFailures alarm remains", { execution: detail.name, error, opsError });
    }
    throw error;
  }
});
