import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { Failback, Failover, State } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

const sfnMock = mockClient(SFNClient);
afterEach(() => sfnMock.reset());
const sfn = new SFNClient({ region: "eu-central-1" });

let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.stop());

const run = (executionName: string, mode: Failover.Run["mode"] = "failover"): Failover.Run => ({
  mode,
  reason: "r",
  requestedBy: "t",
  incidentId: `inc-${executionName}`,
  options: { switchDns: true, acknowledgeRpoBreach: false },
  executionName,
  executionArn: `arn:aws:states:eu-central-1:123456789012:execution:pilot-light-test-failover:${executionName}`,
  startedAt: "2026-01-01T02:59:00.000Z",
});
const now = new Date("2026-01-01T03:00:00Z");
const lockOf = async (table: string) => (await db.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }))).Item;

describe("failover lock (dynalite)", () => {
  it("takes the lock once and lets the same execution take it again (a retried task)", async () => {
    const table = await db.createStateTable();
    expect((await Failover.acquireLock(db.doc, table, run("a"), now)).acquired).toBe(true);
    expect((await Failover.acquireLock(db.doc, table, run("a"), now)).acquired).toBe(true);
  });

  it("fails a second execution fast with FailoverLockedError naming the holder", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    const second = Failover.acquireLock(db.doc, table, run("b"), now);
    await expect(second).rejects.toBeInstanceOf(Failover.FailoverLockedError);
    await expect(second).rejects.toThrow(/execution a \(incident inc-a\)/);
  });

  it("takes over an expired lock", async () => {
    const table = await db.createStateTable();
    await db.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.failoverLock(), owner: "old", expiresAt: Math.floor(now.getTime() / 1000) - 1 } }));
    expect((await Failover.acquireLock(db.doc, table, run("new"), now)).acquired).toBe(true);
  });

  it("expires exactly when the execution that took it must have ended (its start + the state machine's timeout)", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect((await lockOf(table))?.expiresAt).toBe(Date.parse("2026-01-01T02:59:00.000Z") / 1000 + Failover.executionTimeoutSeconds);
    expect(Failover.executionTimeoutSeconds).toBe(90 * 60);
  });

  it("reads first: a retry after a lost answer finds the lock its own and writes nothing, keeping its promotion marker", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    expect(await Failover.acquireLock(db.doc, table, run("a"), new Date(now.getTime() + 5000))).toMatchObject({ acquired: true, alreadyHeld: true, at: now.toISOString() });
    expect((await lockOf(table))?.promotionRequestedAt).toBe(now.toISOString());
  });

  it("lets a failover take a drill's lock over and stop the drill's execution", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("drill-1", "drill"), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "RUNNING" }).on(StopExecutionCommand).resolves({});
    const taken = await Failover.acquireLock(db.doc, table, run("failover-1"), now, sfn);
    expect(taken).toMatchObject({ acquired: true, preempted: { owner: "drill-1", status: "RUNNING", stoppedAt: now.toISOString() } });
    expect(sfnMock.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({ executionArn: run("drill-1").executionArn, error: "PreemptedByFailover" });
    expect(await lockOf(table)).toMatchObject({ owner: "failover-1", mode: "failover", preempted: { owner: "drill-1" } });
    // The drill's own release (RecordOutcome/RecordFailure) no longer touches the lock.
    expect(await Failover.releaseLock(db.doc, table, "drill-1")).toBe(false);
  });

  it("stops the pre-empted drill on a retry when the first stop failed, and not twice", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("drill-1", "drill"), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "RUNNING" }).on(StopExecutionCommand).rejectsOnce(Object.assign(new Error("throttled"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } })).resolves({});
    await expect(Failover.acquireLock(db.doc, table, run("failover-1"), now, sfn)).rejects.toMatchObject({ name: "AwsTransientError" });
    expect(await Failover.acquireLock(db.doc, table, run("failover-1"), now, sfn)).toMatchObject({ alreadyHeld: true, preempted: { stoppedAt: now.toISOString() } });
    expect(await Failover.acquireLock(db.doc, table, run("failover-1"), now, sfn)).toMatchObject({ alreadyHeld: true });
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(2);
  });

  it("takes over, without stopping it, the lock of a drill whose execution has already ended", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("drill-1", "drill"), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "SUCCEEDED" });
    expect(await Failover.acquireLock(db.doc, table, run("failover-1"), now, sfn)).toMatchObject({ acquired: true, takenOver: { owner: "drill-1", status: "SUCCEEDED" } });
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ["a failover that failed", "failover", "drill", "FAILED"],
    ["a drill that timed out", "drill", "drill", "TIMED_OUT"],
    ["a failover that was aborted", "failover", "failover", "ABORTED"],
  ] as const)("takes over the lock of %s (its releases were lost), asking Step Functions, and records it", async (_what, holder, asker, status) => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("holder", holder), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status });
    const taken = await Failover.acquireLock(db.doc, table, run("asker", asker), now, sfn);
    expect(taken).toMatchObject({ acquired: true, owner: "asker", takenOver: { owner: "holder", executionArn: run("holder").executionArn, status } });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: run("holder").executionArn });
    expect(await lockOf(table)).toMatchObject({ owner: "asker", takenOver: { owner: "holder", status } });
  });

  it("takes over the lock of an execution Step Functions does not know", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("gone"), now);
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error("no such execution"), { name: "ExecutionDoesNotExist", $metadata: { httpStatusCode: 400 } }));
    expect(await Failover.acquireLock(db.doc, table, run("next"), now, sfn)).toMatchObject({ acquired: true, takenOver: { owner: "gone", status: "does not exist" } });
  });

  it("refuses an execution whose name the lock holder already has but which started at another time (a recreated state machine)", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("same"), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    const again = { ...run("same"), startedAt: "2026-01-01T03:05:00.000Z" };
    await expect(Failover.acquireLock(db.doc, table, again, now, sfn)).rejects.toThrow(/same name/);
    expect(await lockOf(table)).toMatchObject({ owner: "same", startedAt: run("same").startedAt });
  });

  it.each([
    ["a drill", "drill", "drill"],
    ["a failover", "failover", "failover"],
    ["a drill (another failover holds it)", "failover", "drill"],
  ] as const)("never pre-empts for %s", async (_what, holder, asker) => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("holder", holder), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    await expect(Failover.acquireLock(db.doc, table, run("asker", asker), now, sfn)).rejects.toBeInstanceOf(Failover.FailoverLockedError);
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it("takes no lock in a dry-run", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect((await Failover.acquireLock(db.doc, table, run("dry", "dry-run"), now)).acquired).toBe(false);
  });

  it("releases only its own lock, and releasing twice is harmless", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect(await Failover.releaseLock(db.doc, table, "b")).toBe(false);
    expect(await Failover.releaseLock(db.doc, table, "a")).toBe(true);
    expect(await Failover.releaseLock(db.doc, table, "a")).toBe(false);
  });
});

describe("promotion fence (dynalite)", () => {
  it("tells compensation a promotion was requested when the marker was written first", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: true, known: true, lastRequestedAt: now.toISOString() });
  });

  it("stops a promotion once compensation has begun", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: false, known: true });
    await expect(Failover.markPromotionRequested(db.doc, table, "a", now)).rejects.toBeInstanceOf(Failover.PromotionRejectedError);
  });

  it("counts the promote calls and remembers the last one", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    const later = new Date(now.getTime() + 130_000);
    await Failover.markPromotionRequested(db.doc, table, "a", later);
    expect(await Failover.readPromotionMarker(db.doc, table, "a")).toEqual({ requested: true, lastRequestedAt: later.toISOString(), requests: 2 });
    expect(await Failover.readPromotionMarker(db.doc, table, "b")).toEqual({ requested: false, lastRequestedAt: null, requests: 0 });
  });

  it("forgets the marker when RDS refused the promotion", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    await Failover.clearPromotionRequested(db.doc, table, "a");
    expect((await Failover.beginCompensation(db.doc, table, "a", now)).promotionRequested).toBe(false);
  });

  it("assumes the worst when the lock is no longer held", async () => {
    const table = await db.createStateTable();
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: true, known: false });
  });
});

describe("the failback takes the same lock with its own options (dynalite)", () => {
  const failback = (executionName: string, startedAt = "2026-01-01T02:59:00.000Z"): Failback.FailbackRun => ({
    mode: "switchback",
    reason: "r",
    requestedBy: "t",
    options: { switchDns: true },
    executionName,
    startedAt,
  });

  it("reads first: a retry after a lost answer finds the lock its own and writes nothing", async () => {
    const table = await db.createStateTable();
    await Failback.acquireFailbackLock(db.doc, table, failback("fb"), now);
    expect(await Failback.acquireFailbackLock(db.doc, table, failback("fb"), new Date(now.getTime() + 5000))).toMatchObject({ acquired: true, alreadyHeld: true, at: now.toISOString() });
    expect(await lockOf(table)).toMatchObject({ owner: "fb", mode: "switchback", acquiredAt: now.toISOString(), expiresAt: now.getTime() / 1000 + Failback.failbackLockTtlSeconds });
  });

  it("refuses an execution whose name the holder already has but which started at another time", async () => {
    const table = await db.createStateTable();
    await Failback.acquireFailbackLock(db.doc, table, failback("same"), now);
    await expect(Failback.acquireFailbackLock(db.doc, table, failback("same", "2026-01-01T03:05:00.000Z"), now)).rejects.toThrow(/same name/);
    expect(await lockOf(table)).toMatchObject({ owner: "same", startedAt: "2026-01-01T02:59:00.000Z" });
  });

  it("pre-empts no drill, and a failover does not pre-empt it", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("drill", "drill"), now);
    await expect(Failback.acquireFailbackLock(db.doc, table, failback("fb"), now)).rejects.toBeInstanceOf(Failover.FailoverLockedError);
    const other = await db.createStateTable();
    await Failback.acquireFailbackLock(db.doc, other, failback("fb"), now);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
    await expect(Failover.acquireLock(db.doc, other, run("f"), now, sfn)).rejects.toThrow(/another switchback holds the failover lock: execution fb/);
    expect(sfnMock.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });
});
