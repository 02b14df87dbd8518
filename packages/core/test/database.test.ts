import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, DescribeEventsCommand, ModifyDBParameterGroupCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { Database, Errors, Failover } from "@pilot-light/core";

// aws-sdk-client-mock is typed against another @smithy/types major; the stub itself is version-independent.
type Stub = {
  on(command: unknown): { resolves(v: unknown): Stub; resolvesOnce(v: unknown): Stub & { resolves(v: unknown): Stub }; rejects(e: unknown): Stub };
  commandCalls(command: unknown): unknown[];
  reset(): void;
};
const stub = (client: unknown) => mockClient(client as never) as unknown as Stub;
const rdsMock = stub(RDSClient);
const cwMock = stub(CloudWatchClient);
afterEach(() => {
  rdsMock.reset();
  cwMock.reset();
});
// RDS records no event unless a test says so.
beforeEach(() => {
  rdsMock.on(DescribeEventsCommand).resolves({ Events: [] });
});

const rds = new RDSClient({ region: "eu-central-1" });
const now = new Date("2026-01-01T03:00:00Z");
const instance = (status: string, source?: string) => ({ DBInstances: [{ DBInstanceIdentifier: "r", DBInstanceStatus: status, ReadReplicaSourceDBInstanceIdentifier: source }] });
const retention = { backupRetentionDays: 7, acceptanceSeconds: 120, maxRequests: 3 };
const marked = (secondsAgo: number, requests = 1) => async () => ({ requested: true, lastRequestedAt: new Date(now.getTime() - secondsAgo * 1000).toISOString(), requests });
const guard = (over: Partial<Database.PromotionGuard> = {}): Database.PromotionGuard => ({
  marker: async () => ({ requested: false, lastRequestedAt: null, requests: 0 }),
  beforeCall: async () => undefined,
  afterRefusal: async () => undefined,
  ...over,
});
const sdkError = (name: string, status: number, attempts = 1) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status, attempts } });

describe("database adapters", () => {
  it.each([
    ["available", null, true],
    ["available", "arn:src", false],
    ["modifying", null, false],
    ["backing-up", "arn:src", false],
  ])("isWritable(%s, source %s) is %s", (status, source, writable) => {
    expect(Database.isWritable({ identifier: "r", status, sourceIdentifier: source, backupRetentionDays: 1 })).toBe(writable);
  });

  it("does not call PromoteReadReplica for an already-promoted instance", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available"));
    const status = await Database.promoteReplica(rds, "r", now, retention);
    expect(status).toMatchObject({ writable: true, alreadyPromoted: true });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("promotes an available replica after marking the request", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).resolves({});
    const beforeCall = vi.fn(async () => undefined);
    const status = await Database.promoteReplica(rds, "r", now, retention, guard({ beforeCall }));
    expect(status).toMatchObject({ writable: false, status: "modifying" });
    expect(beforeCall).toHaveBeenCalledOnce();
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });

  it("passes the stage's backup retention explicitly (PromoteReadReplica defaults to 1 day)", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).resolves({});
    await Database.promoteReplica(rds, "r", now, retention, guard());
    expect((rdsMock.commandCalls(PromoteReadReplicaCommand)[0] as { args: [{ input: unknown }] }).args[0].input).toEqual({ DBInstanceIdentifier: "r", BackupRetentionPeriod: 7 });
  });

  it("does not promote twice when this execution's promotion is already under way", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("modifying", "arn:src"));
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ marker: marked(30) }))).toMatchObject({ writable: false, status: "modifying" });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("does not take a modification nobody here requested for a promotion: not ready yet, retryable", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("modifying", "arn:src"));
    await expect(Database.promoteReplica(rds, "r", now, retention, guard())).rejects.toBeInstanceOf(Failover.ReplicaNotReadyError);
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("waits (ReplicaNotReadyError) while the replica is backing-up, without calling RDS", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("backing-up", "arn:src"));
    const error = await Database.promoteReplica(rds, "r", now, retention, guard()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Failover.ReplicaNotReadyError);
    expect(error).toBeInstanceOf(Errors.RetryableError);
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("treats a refusal as not ready when a backup began between the look and the call, and clears the marker", async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(instance("available", "arn:src"))
      .resolves(instance("backing-up", "arn:src"))
      .on(PromoteReadReplicaCommand)
      .rejects(sdkError("InvalidDBInstanceStateFault", 400));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).rejects.toBeInstanceOf(Failover.ReplicaNotReadyError);
    expect(afterRefusal).toHaveBeenCalledOnce();
  });

  it("keeps polling, marker kept, when RDS refuses because the replica is already modifying (an earlier attempt's promotion)", async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(instance("available", "arn:src"))
      .resolves(instance("modifying", "arn:src"))
      .on(PromoteReadReplicaCommand)
      .rejects(sdkError("InvalidDBInstanceStateFault", 400));
    const afterRefusal = vi.fn(async () => undefined);
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).toMatchObject({ writable: false, status: "modifying" });
    expect(afterRefusal).not.toHaveBeenCalled();
  });

  it("keeps the marker and polls when the refusal met an earlier attempt of the same call (the SDK retried after a lost answer)", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).rejects(sdkError("InvalidDBInstanceStateFault", 400, 2));
    const afterRefusal = vi.fn(async () => undefined);
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).toMatchObject({ writable: false, acceptance: "pending", requests: 1 });
    expect(afterRefusal).not.toHaveBeenCalled();
  });

  it("does not call again while an earlier call of this execution is within its acceptance window", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src"));
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ marker: marked(60) }))).toMatchObject({ acceptance: "pending", requestedAt: new Date(now.getTime() - 60_000).toISOString() });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("asks again once RDS showed no sign of the last call for the window", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).resolves({});
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ marker: marked(130) }))).toMatchObject({ requests: 2 });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });

  it("gives up (marker cleared, PromotionRejectedError) after the last allowed call showed no sign either", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src"));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, retention, guard({ marker: marked(130, 3), afterRefusal }))).rejects.toBeInstanceOf(Failover.PromotionRejectedError);
    expect(afterRefusal).toHaveBeenCalledOnce();
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it.each([
    ["modifying", "arn:src", 10, "accepted"],
    ["available", null, 10, "accepted"],
    ["available", "arn:src", 10, "pending"],
    ["available", "arn:src", 119, "pending"],
    ["available", "arn:src", 121, "not-accepted"],
    ["backing-up", "arn:src", 121, "not-accepted"],
  ] as const)("judges a call %s (source %s) %i s later: %s", (status, source, seconds, acceptance) => {
    const state = { identifier: "r", status, sourceIdentifier: source, backupRetentionDays: 7 };
    expect(Database.judgeAcceptance(state, new Date(now.getTime() - seconds * 1000).toISOString(), now, 120)).toBe(acceptance);
  });

  const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
  const replicating = { identifier: "r", status: "available", sourceIdentifier: "arn:src", backupRetentionDays: 7 };
  it.each([
    ["an event of the promotion since the call", { events: [{ at: secondsAgo(150), message: "Replication streaming has been terminated." }] }, "accepted"],
    ["a reboot event since the call", { events: [{ at: secondsAgo(100), message: "DB instance shutdown." }] }, "accepted"],
    ["an event that names a promotion", { events: [{ at: secondsAgo(100), message: "Promoting read replica" }] }, "accepted"],
    ["a pending backup-retention change", { pendingBackupRetentionDays: 7 }, "accepted"],
    ["read replication stopped", { replication: { status: "stopped", normal: false, message: null } }, "accepted"],
    ["the outage's replication error only", { events: [{ at: secondsAgo(150), message: "Replication has stopped." }], replication: { status: "error", normal: false, message: "x" } }, "not-accepted"],
    ["an event of a promotion long before the call", { events: [{ at: secondsAgo(600), message: "Replication streaming has been terminated." }] }, "not-accepted"],
  ] as const)("judges a call RDS still shows available with its source 160 s later from RDS's other evidence: %s", (_what, evidence, acceptance) => {
    expect(Database.judgeAcceptance({ ...replicating, ...evidence }, secondsAgo(160), now, 120)).toBe(acceptance);
  });

  it("reads RDS's events since the call (DescribeEvents, the replica's db-instance events) while the status shows nothing", async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(instance("available", "arn:src"))
      .on(DescribeEventsCommand)
      .resolves({ Events: [{ Date: new Date(now.getTime() - 140_000), Message: "Replication streaming has been terminated." }] });
    const previous = { identifier: "r", status: "modifying", writable: false, alreadyPromoted: false, requestedAt: secondsAgo(150), writableAt: null, attempts: 9 };
    expect(await Database.checkPromotion(rds, previous, now, 120)).toMatchObject({ acceptance: "accepted", requestAgain: false });
    expect(rdsMock.commandCalls(DescribeEventsCommand)).toHaveLength(1);
    expect((rdsMock.commandCalls(DescribeEventsCommand)[0] as { args: [{ input: unknown }] }).args[0].input).toMatchObject({ SourceType: "db-instance", SourceIdentifier: "r", StartTime: new Date(now.getTime() - 180_000), EndTime: now });
  });

  it("keeps a call RDS showed it accepted as accepted while the status still lags: no re-request, no second look at the events", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src"));
    const previous = { identifier: "r", status: "available", writable: false, alreadyPromoted: false, requestedAt: secondsAgo(300), writableAt: null, attempts: 30, acceptance: "accepted" as const };
    expect(await Database.checkPromotion(rds, previous, now, 120)).toMatchObject({ acceptance: "accepted", requestAgain: false });
    expect(rdsMock.commandCalls(DescribeEventsCommand)).toHaveLength(0);
  });

  it("follows a promotion someone else started when RDS refuses the call while still showing the replica available: its events show it", async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves(instance("available", "arn:src"))
      .on(PromoteReadReplicaCommand)
      .rejects(sdkError("InvalidDBInstanceStateFault", 400))
      .on(DescribeEventsCommand)
      .resolves({ Events: [{ Date: new Date(now.getTime() - 20_000), Message: "Replication streaming has been terminated." }] });
    const afterRefusal = vi.fn(async () => undefined);
    expect(await Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).toMatchObject({ acceptance: "accepted", writable: false });
    expect(afterRefusal).not.toHaveBeenCalled();
  });

  it("turns a definite RDS refusal (one attempt, no earlier call) into PromotionRejectedError and clears the marker", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).rejects(sdkError("InvalidDBInstanceStateFault", 400));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).rejects.toBeInstanceOf(Failover.PromotionRejectedError);
    expect(afterRefusal).toHaveBeenCalledOnce();
  });

  it("keeps the marker when the promote call fails transiently (RDS may have started)", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).rejects(sdkError("ThrottlingException", 400));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, retention, guard({ afterRefusal }))).rejects.toBeInstanceOf(Errors.AwsTransientError);
    expect(afterRefusal).not.toHaveBeenCalled();
  });

  it("reports a missing instance as a failed precondition", async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(sdkError("DBInstanceNotFoundFault", 404));
    await expect(Database.describeInstance(rds, "r")).rejects.toBeInstanceOf(Failover.PreflightFailedError);
  });

  it("counts polls and stamps the moment the database became writable", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available"));
    const previous = { identifier: "r", status: "modifying", writable: false, alreadyPromoted: false, requestedAt: "t", writableAt: null, attempts: 3 };
    expect(await Database.checkPromotion(rds, previous, now)).toMatchObject({ writable: true, attempts: 4, writableAt: now.toISOString() });
  });

  it("sends the loop back to PromoteReplica when the replica showed no sign of the call for the window", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src"));
    const previous = { identifier: "r", status: "modifying", writable: false, alreadyPromoted: false, requestedAt: new Date(now.getTime() - 150_000).toISOString(), writableAt: null, attempts: 9 };
    expect(await Database.checkPromotion(rds, previous, now, 120)).toMatchObject({ acceptance: "not-accepted", requestAgain: true });
  });

  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
  const cw = new CloudWatchClient({ region: "eu-central-1" });

  it("takes the LAST valid ReplicaLag datapoint, skipping -1 (replication not running), with its time", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1, -1, 1.5, 30], Timestamps: [minutesAgo(11), minutesAgo(12), minutesAgo(13), minutesAgo(14)] }] });
    expect(await Database.readLastReplicaLag(cw, "r", now, 3600)).toEqual({ seconds: 1.5, observedAt: minutesAgo(13).toISOString() });
  });

  it("orders datapoints by timestamp, whatever order CloudWatch returns them in", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [30, 2], Timestamps: [minutesAgo(20), minutesAgo(19)] }] });
    expect((await Database.readLastReplicaLag(cw, "r", now, 3600)).seconds).toBe(2);
  });

  it("asks CloudWatch for the whole lookback, newest first", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [], Timestamps: [] }] });
    await Database.readLastReplicaLag(cw, "r", now, 3600);
    const input = (cwMock.commandCalls(GetMetricDataCommand)[0] as { args: [{ input: { StartTime: Date; EndTime: Date; ScanBy: string } }] }).args[0].input;
    expect([input.StartTime, input.EndTime, input.ScanBy]).toEqual([minutesAgo(60), now, "TimestampDescending"]);
  });

  it("returns nulls (unknown) when there is no valid ReplicaLag datapoint", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1], Timestamps: [minutesAgo(1)] }] });
    expect(await Database.readLastReplicaLag(cw, "r", now)).toEqual({ seconds: null, observedAt: null });
  });

  it("shows the highest valid lag of the last 10 minutes for the status command", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1, 3, 1.5] }] });
    expect(await Database.readReplicaLag(cw, "r", now)).toBe(3);
  });

  it("reads the read replication status from StatusInfos", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ ...instance("available", "arn:src").DBInstances[0], StatusInfos: [{ StatusType: "read replication", Normal: false, Status: "error", Message: "cannot reach source" }] }],
    });
    expect((await Database.describeInstance(rds, "r")).replication).toEqual({ status: "error", normal: false, message: "cannot reach source" });
  });

  it.each([
    ["available", "arn:src", false],
    ["modifying", "arn:src", false],
    ["backing-up", "arn:src", false],
    ["modifying", null, true],
    ["available", null, true],
  ])("counts a replica %s with source %s as promotion evidence: %s (status alone is not evidence)", (status, source, started) => {
    expect(Database.hasPromotionStarted({ identifier: "r", status, sourceIdentifier: source, backupRetentionDays: 7 })).toBe(started);
  });
});

describe("the fence's read_only, in the group the fenced instance uses now", () => {
  const using = (group: string) => ({ DBInstances: [{ DBInstanceIdentifier: "p", DBParameterGroups: [{ DBParameterGroupName: group, ParameterApplyStatus: "in-sync" }] }] });

  it("sets read_only in the group DescribeDBInstances names, not in a name fixed at deploy time", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(using("pilot-light-prod-primary-g20260101030000")).on(DescribeDBParametersCommand).resolves({ Parameters: [] }).on(ModifyDBParameterGroupCommand).resolves({});
    expect(await Database.fenceInstanceReadOnly(rds, "p")).toMatchObject({ done: true, changed: true });
    expect((rdsMock.commandCalls(ModifyDBParameterGroupCommand)[0] as { args: [{ input: unknown }] }).args[0].input).toEqual({
      DBParameterGroupName: "pilot-light-prod-primary-g20260101030000",
      Parameters: [{ ParameterName: "read_only", ParameterValue: "1", ApplyMethod: "immediate" }],
    });
  });

  it("does not claim a fence in a group that waits for a reboot: the instance still runs on its previous one", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: "p", DBParameterGroups: [{ DBParameterGroupName: "shop-mysql84", ParameterApplyStatus: "pending-reboot" }] }] });
    expect(await Database.fenceInstanceReadOnly(rds, "p")).toMatchObject({ done: false, changed: false, detail: expect.stringContaining("pending-reboot") });
    expect(rdsMock.commandCalls(ModifyDBParameterGroupCommand)).toHaveLength(0);
  });

  it("refuses a default group (RDS does not let anyone modify one): not done, nothing called", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(using("default.mysql8.4"));
    expect(await Database.fenceInstanceReadOnly(rds, "p")).toMatchObject({ done: false, changed: false, detail: expect.stringContaining("default.mysql8.4") });
    expect(rdsMock.commandCalls(DescribeDBParametersCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(ModifyDBParameterGroupCommand)).toHaveLength(0);
  });
});

