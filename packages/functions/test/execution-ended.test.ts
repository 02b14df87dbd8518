/**
 * ExecutionEnded, the handler behind the EventBridge rule on the failover state machine's
 * endings: releases the lock the ended run still holds (dynalite, conditional on the owner),
 * reads the whole history (paged), publishes once, and on a failed publish counts
 * NotificationFailures (the alarm without SNS) and fails so EventBridge retries.
 */
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateOpsItemCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { State } from "@pilot-light/core";
import { lambdaContext, startDynalite, type LocalDynamo } from "@pilot-light/world";
import { handler } from "../src/execution-ended";
import { metrics } from "../src/lib/handler";

const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const ssm = mockClient(SSMClient);
const arn = "arn:aws:states:eu-central-1:123456789012:execution:pilot-light-test-failover:drill-test-1";

let dynamo: LocalDynamo;
let table: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  table = await dynamo.createStateTable();
  Object.assign(process.env, {
    DR_REGION: "eu-central-1",
    TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:pilot-light-test-alerts",
    STAGE: "test",
    TABLE_NAME: table,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
});
afterAll(async () => dynamo.stop());
afterEach(() => {
  sfn.reset();
  sns.reset();
  ssm.reset();
  vi.restoreAllMocks();
});

const event = (status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED") => ({
  version: "0",
  "detail-type": "Step Functions Execution Status Change",
  source: "aws.states",
  detail: { executionArn: arn, stateMachineArn: arn.replace(":execution:", ":stateMachine:").replace(/:drill-test-1$/, ""), name: "drill-test-1", status, startDate: 1, stopDate: 2, error: null, cause: null },
});
const entered = (id: number, name: string): HistoryEvent => ({ id, previousEventId: id - 1, type: "TaskStateEntered", timestamp: new Date(0), stateEnteredEventDetails: { name } });
const ok = (id: number): HistoryEvent => ({ id, previousEventId: id - 1, type: "TaskSucceeded", timestamp: new Date(0) });
const holdLock = (owner: string) => dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.failoverLock(), owner, mode: "drill", expiresAt: 4_000_000_000 } }));
const lockOwner = async () => (await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }))).Item?.owner;

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
    ssm.on(CreateOpsItemCommand).resolves({ OpsItemId: "oi-1" });
    const counted = vi.spyOn(metrics, "addMetric");
    await expect(handler(event("ABORTED"), lambdaContext("ExecutionEnded"))).rejects.toThrow(/KMS key disabled/);
    expect(counted).toHaveBeenCalledWith("NotificationFailures", "Count", 1);
  });

  it("tells a failure SNS cannot carry through an OpsCenter OpsItem naming the step, one per execution", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, "Preflight"), { id: 2, previousEventId: 1, type: "TaskFailed", timestamp: new Date(0), taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", error: "AccessDenied", cause: "denied" } }] });
    sns.on(PublishCommand).rejects(Object.assign(new Error("not authorized to perform sns:Publish"), { name: "AuthorizationErrorException", $metadata: { httpStatusCode: 403 } }));
    ssm.on(CreateOpsItemCommand).resolves({ OpsItemId: "oi-2" });
    await expect(handler(event("FAILED"), lambdaContext("ExecutionEnded"))).rejects.toThrow(/sns:Publish/);
    const input = ssm.commandCalls(CreateOpsItemCommand)[0]!.args[0].input;
    expect(input.Title).toContain("Preflight");
    expect(input.Source).toBe("pilot-light");
    expect(input.OperationalData?.["/aws/dedup"]).toEqual({ Type: "SearchableString", Value: JSON.stringify({ dedupString: arn }) });
  });

  it.each(["TIMED_OUT", "ABORTED", "FAILED"] as const)("releases the lock a run that ended %s still holds, and says so", async (status) => {
    await holdLock("drill-test-1");
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, "CheckDrService")] });
    sns.on(PublishCommand).resolves({ MessageId: "m-2" });
    const out = await handler(event(status), lambdaContext("ExecutionEnded"));
    expect(out).toMatchObject({ summary: { lockReleased: true } });
    expect(await lockOwner()).toBeUndefined();
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain("lock it still held is released");
  });

  it("leaves a lock another execution took over (a failover that pre-empted this drill)", async () => {
    await holdLock("failover-primary-1");
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [entered(1, "CheckDrService")] });
    sns.on(PublishCommand).resolves({ MessageId: "m-3" });
    expect(await handler(event("ABORTED"), lambdaContext("ExecutionEnded"))).toMatchObject({ summary: { lockReleased: false } });
    expect(await lockOwner()).toBe("failover-primary-1");
  });

  it("releases a succeeded run's lock (its own release may have failed) and tells nobody", async () => {
    await holdLock("drill-test-1");
    expect(await handler(event("SUCCEEDED"), lambdaContext("ExecutionEnded"))).toMatchObject({ notified: false, lockReleased: true });
    expect(await lockOwner()).toBeUndefined();
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("rejects an event that is not the end of an execution", async () => {
    await expect(handler({ ...event("FAILED"), detail: { ...event("FAILED").detail, status: "RUNNING" } }, lambdaContext("ExecutionEnded"))).rejects.toThrow(/status/);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });
});
