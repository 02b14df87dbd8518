/**
 * Notifications to people: one SNS message per state change, written in plain words
 * (what happened, the evidence, what the system did, what the operator should do next).
 * Publishing is idempotent enough for e-mail: a retried publish may send a duplicate, never lose one.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import * as z from "../zod";
import { callAws } from "../errors";

export const Notification = z.object({
  /** SNS e-mail subjects are limited to 100 characters. */
  subject: z.string().check(z.minLength(1), z.maxLength(100)),
  /** Plain text, one fact per line. */
  body: z.string().check(z.minLength(1)),
  /** Machine-readable kind, e.g. "health.degraded", "failover.succeeded". */
  kind: z.string().check(z.minLength(1)),
});
export type Notification = z.infer<typeof Notification>;

export async function publish(sns: SNSClient, topicArn: string, notification: Notification): Promise<string | undefined> {
  const n = Notification.parse(notification);
  const out = await callAws("sns:Publish", () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: n.subject,
        Message: n.body,
        MessageAttributes: { kind: { DataType: "String", StringValue: n.kind } },
      }),
    ),
  );
  return out.MessageId;
}
