/**
 * ExecutionEnded, the handler behind the EventBridge rule on the failover state machine's bad
 * endings: reads the whole history (paged), publishes once, and on a failed publish counts
 * NotificationFailures (the alarm without SNS) and fails so EventBridge retries.
 */
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { lambdaContext } from "@pilot-light/world";
import { handler } from "../src/execution-ended";
import { metrics } from "../src/lib/handler";

const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const arn = "arn:aws:states:eu-central-1:123456789012:execution:pilot-light-test-failover:drill-test-1";

beforeAll(() => {
  Object.assign(process.env, { DR_REGION: "eu-central-1", TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:pilot-light-test-alerts", STAGE: "test" });
});
afterEach(() => {
  sfn.reset();
  sns.reset();
  vi.restoreAllMocks();
});

const event = (status: "FAILED" | "TIMED_OUT" | "ABORTED") => ({
  version: "0",
  "detail-type": "Step Functions Execution Status Change",
  source: "aws.states",
  detail: { executionArn: arn, stateMachineArn: arn.replace(":execution:", ":stateMachine:").replace(/:drill-test-1$/, ""), name: "drill-test-1", status, startDate: 1, stopDate: 2, error: null, cause: null },
});
const entered = (id: number, name: string): HistoryEvent => ({ id, previousEventId: id - 1, type: "TaskStateEntered", timestamp: new Date(0), stateEnteredEventDetails: { name } });
const ok = (id: number): HistoryEvent => ({ id, previousEventId: id - 1, type: "TaskSucceeded", timestamp: new Date(0) });

describe("ExecutionEnded", () => {
  it("reads every page of the history and tells people where a timed-out run was", async () => {
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn, nextToken: undefined }).resolves({ events: [entered(1, "ValidateInput"), ok(2)], nextToken: "page-2" });
    sfn.on(GetExecutionHistoryCommand, { executionArn: arn, nextToken: "page-2" }).resolves({ events: [entered(3, "CheckDrService")] });
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const out = await handler(event("TIMED_OUT"), lambdaContext("ExecutionEnded"));
    expect(out).toMatchObject({ notified: true, messageId: "m-1" });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toBe("[pilot-light test] Failover drill-test-1 timed out");
    expect(input.Message).toContain("timed out while in CheckDrService");
    expect(input.MessageAttributes?.kind?.StringValue).toBe("failover.timed_out");
  });

  it("stays quiet when the run's own NotifyFailed published", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, "NotifyFailed"), ok(2)] });
    const out = await handler(event("FAILED"), lambdaContext("ExecutionEnded"));
    expect(out).toMatchObject({ notified: false });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("counts a failed publish for the alarm that does not use SNS, and fails so EventBridge retries", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, "AcquireLock")] });
    sns.on(PublishCommand).rejects(Object.assign(new Error("KMS key disabled"), { name: "KMSDisabledException", $metadata: { httpStatusCode: 400 } }));
    const counted = vi.spyOn(metrics, "addMetric");
    await expect(handler(event("ABORTED"), lambdaContext("ExecutionEnded"))).rejects.toThrow(/KMS key disabled/);
    expect(counted).toHaveBeenCalledWith("NotificationFailures", "Count", 1);
  });

  it("rejects an event that is not a bad ending of an execution", async () => {
    await expect(handler({ ...event("FAILED"), detail: { ...event("FAILED").detail, status: "SUCCEEDED" } }, lambdaContext("ExecutionEnded"))).rejects.toThrow(/status/);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });
});
