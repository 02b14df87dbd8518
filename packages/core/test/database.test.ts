import { afterEach, describe, expect, it, vi } from "vitest";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { Database, Errors, Failover } from "@pilot-light/core";

// aws-sdk-client-mock is typed against another @smithy/types major; the stub itself is version-independent.
type Stub = {
  on(command: unknown): { resolves(v: unknown): Stub; rejects(e: unknown): Stub };
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

const rds = new RDSClient({ region: "eu-central-1" });
const now = new Date("2026-01-01T03:00:00Z");
const instance = (status: string, source?: string) => ({ DBInstances: [{ DBInstanceIdentifier: "r", DBInstanceStatus: status, ReadReplicaSourceDBInstanceIdentifier: source }] });
const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

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
    const status = await Database.promoteReplica(rds, "r", now);
    expect(status).toMatchObject({ writable: true, alreadyPromoted: true });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("promotes an available replica after marking the request", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).resolves({});
    const beforeCall = vi.fn(async () => undefined);
    const status = await Database.promoteReplica(rds, "r", now, { beforeCall, afterRefusal: async () => undefined });
    expect(status).toMatchObject({ writable: false, status: "modifying" });
    expect(beforeCall).toHaveBeenCalledOnce();
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });

  it("does not promote twice when a promotion is already under way", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("modifying", "arn:src"));
    await Database.promoteReplica(rds, "r", now);
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("turns an RDS refusal into PromotionRejectedError and clears the marker", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).rejects(sdkError("InvalidDBInstanceStateFault", 400));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, { beforeCall: async () => undefined, afterRefusal })).rejects.toBeInstanceOf(Failover.PromotionRejectedError);
    expect(afterRefusal).toHaveBeenCalledOnce();
  });

  it("keeps the marker when the promote call fails transiently (RDS may have started)", async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves(instance("available", "arn:src")).on(PromoteReadReplicaCommand).rejects(sdkError("ThrottlingException", 400));
    const afterRefusal = vi.fn(async () => undefined);
    await expect(Database.promoteReplica(rds, "r", now, { beforeCall: async () => undefined, afterRefusal })).rejects.toBeInstanceOf(Errors.AwsTransientError);
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

  it("takes the highest valid ReplicaLag and ignores -1 (replication broken)", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1, 3, 1.5] }] });
    expect(await Database.readReplicaLag(new CloudWatchClient({ region: "eu-central-1" }), "r", now)).toBe(3);
  });

  it("returns null (unknown) when there is no valid ReplicaLag datapoint", async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1] }] });
    expect(await Database.readReplicaLag(new CloudWatchClient({ region: "eu-central-1" }), "r", now)).toBeNull();
  });
});
