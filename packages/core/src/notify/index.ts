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

/**
 * A subject SNS accepts: "ASCII text that begins with a letter, number, or punctuation mark;
 * must not include line breaks or control characters; and must be less than 100 characters"
 * (SNS API reference, Publish; docs/aws-behaviour.md). Line breaks become spaces, the few
 * typographic characters the messages use their ASCII forms, anything else `?`; cut with "...".
 */
export function emailSubject(text: string): string {
  const ascii = text
    .replace(/\p{Cc}+/gu, " ")
    .replace(/…/g, "...")
    .replace(/→/g, "->")
    .replace(/[–—]/g, "-")
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]/g, "?")
    .replace(/ {2,}/g, " ")
    .trim();
  const subject = ascii.length < 100 ? ascii : `${ascii.slice(0, 96).trimEnd()}...`;
  return subject || "pilot-light";
}

export async function publish(sns: SNSClient, topicArn: string, notification: Notification): Promise<string | undefined> {
  const n = Notification.parse(notification);
  const out = await callAws("sns:Publish", () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: emailSubject(n.subject),
        Message: n.body,
        MessageAttributes: { kind: { DataType: "String", StringValue: n.kind } },
      }),
    ),
  );
  return out.MessageId;
}
