/**
 * The world's failback behaviours, each as the AWS or MySQL documentation states it
 * (docs/aws-behaviour.md, "Failback"): renaming, cross-Region replica creation, replication
 * positions that a lag metric does not show, lost writes, S3 replication and the probe Lambda.
 */
import { afterEach, describe, expect, it } from "vitest";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetBucketReplicationCommand, PutBucketReplicationCommand, S3Client } from "@aws-sdk/client-s3";
import { binlogCoordinates, binlogRotationSeconds, failbackWorld, installApis, lostWrites, replicaThreads, sqlSession, startTraffic, transactionsAt } from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function setup(options: Parameters<typeof failbackWorld>[0] = {}) {
  const { world, ids } = failbackWorld({ replicaBackup: null, latencies: { promotionSeconds: 60 }, ...options });
  restore = installApis(world);
  return { world, ids, rds: (region: string) => new RDSClient({ region }) };
}

const look = async (rds: RDSClient, id: string) => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];

describe("renaming an instance", () => {
  it("moves its identifier and ARN at once, frees the old name, and keeps it renaming until the new name is effective", async () => {
    const { world, ids, rds } = setup();
    const primary = rds(ids.primaryRegion);
    await primary.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb, NewDBInstanceIdentifier: `${ids.primaryDb}-r1`, ApplyImmediately: true }));
    await expect(look(primary, ids.primaryDb)).rejects.toMatchObject({ name: "DBInstanceNotFoundFault" });
    expect(await look(primary, `${ids.primaryDb}-r1`)).toMatchObject({ DBInstanceStatus: "renaming", DBInstanceArn: ids.primaryArn.replace(/primary$/, "primary-r1") });
    // "All read replicas associated with a DB instance remain associated with that instance after it is renamed."
    expect(world.databases.get(ids.replicaDb)?.sourceIdentifier).toBe(`${ids.primaryArn}-r1`);
    world.clock.advance(600);
    expect(await look(primary, `${ids.primaryDb}-r1`)).toMatchObject({ DBInstanceStatus: "available" });
  });

  it("refuses a name that is in use", async () => {
    const { ids, rds } = setup();
    await expect(rds(ids.drRegion).send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.replicaDb, NewDBInstanceIdentifier: ids.replicaDb }))).rejects.toMatchObject({ name: "DBInstanceAlreadyExistsFault" });
  });
});

describe("a cross-Region read replica", () => {
  const create = (ids: ReturnType<typeof setup>["ids"], extra: Record<string, unknown> = {}) =>
    new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: "copy", SourceDBInstanceIdentifier: ids.replicaArn, KmsKeyId: "arn:aws:kms:eu-west-1:1:key/k", ...extra });

  it("is created from a source with backups, with backups off, and replicates once created", async () => {
    const { world, ids, rds } = setup();
    world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
    const primary = rds(ids.primaryRegion);
    await primary.send(create(ids));
    expect(await look(primary, "copy")).toMatchObject({ DBInstanceStatus: "creating", BackupRetentionPeriod: 0, ReadReplicaSourceDBInstanceIdentifier: ids.replicaArn });
    world.clock.advance(1800);
    expect(await look(primary, "copy")).toMatchObject({ DBInstanceStatus: "available" });
    expect(replicaThreads(world, world.databases.get("copy")!)?.running).toBe(true);
  });

  it("is refused when the source has no backups, or without a KMS key in the other Region", async () => {
    const { world, ids, rds } = setup();
    const primary = rds(ids.primaryRegion);
    await expect(primary.send(create(ids, { KmsKeyId: undefined }))).rejects.toMatchObject({ name: "InvalidParameterCombination" });
    world.databases.get(ids.replicaDb)!.backupRetentionDays = 0;
    await expect(primary.send(create(ids))).rejects.toMatchObject({ name: "InvalidDBInstanceStateFault" });
  });
});

describe("replication positions", () => {
  it("can show Seconds_Behind_Source 0 while the replica has not executed the source's last position", async () => {
    const { world, ids } = setup({ replicaLag: [0], failbackLatencies: { replicationTransferSeconds: 30 } });
    startTraffic(world, { writesPerSecond: 2, dns: { zoneId: ids.hostedZoneId, recordName: ids.recordName } });
    world.clock.advance(120);
    const [status] = await sqlSession(world, ids.replicaDb).query("SHOW REPLICA STATUS");
    const [source] = await sqlSession(world, ids.primaryDb).query("SHOW BINARY LOG STATUS");
    expect(status?.Seconds_Behind_Source).toBe(0);
    expect(status?.Relay_Source_Log_File).toBe(source?.File);
    expect(Number(status?.Exec_Source_Log_Pos)).toBeLessThan(Number(source?.Position));
  });

  it("moves a writable instance's position by RDS's own heartbeat and rotates its binary log every five minutes, with no user write", async () => {
    const { world, ids } = setup({ replicaLag: [0] });
    const primary = world.databases.get(ids.primaryDb)!;
    const at = (offsetSeconds: number) => Math.floor(world.clock.nowMs() / 300_000) * 300_000 + offsetSeconds * 1000;
    world.clock.advance((at(10) - world.clock.nowMs()) / 1000);
    const first = binlogCoordinates(world, primary, world.clock.nowMs());
    world.clock.advance(binlogRotationSeconds);
    const [status] = await sqlSession(world, ids.primaryDb).query("SHOW BINARY LOG STATUS");
    expect(status?.File).not.toBe(first.file);
    expect(status?.Position).toBeGreaterThan(4);
    // Not users' data: no transaction, and the replica executes the heartbeat too.
    expect(transactionsAt(world, primary, world.clock.nowMs())).toBe(0);
    const [replica] = await sqlSession(world, ids.replicaDb).query("SHOW REPLICA STATUS");
    expect({ file: replica?.Relay_Source_Log_File, position: replica?.Exec_Source_Log_Pos }).toEqual({ file: status?.File, position: status?.Position });
  });

  it("counts the writes a failover loses: what the primary committed beyond what the replica had applied", async () => {
    const { world, ids, rds } = setup({ replicaLag: [5] });
    startTraffic(world, { writesPerSecond: 2, dns: { zoneId: ids.hostedZoneId, recordName: ids.recordName } });
    world.clock.advance(100);
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(60);
    await rds(ids.drRegion).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    const lost = lostWrites(world, world.databases.get(ids.primaryDb)!, world.databases.get(ids.replicaDb)!);
    // 5 s of lag and 1 s of transfer at 2 writes a second.
    expect(lost).toBe(12);
    expect(transactionsAt(world, world.databases.get(ids.primaryDb)!, world.clock.nowMs())).toBe(200);
  });
});

describe("S3 replication and the probe", () => {
  it("refuses a rule whose destination bucket's region is down, and stores one whose destination answers", async () => {
    const { world, ids } = setup();
    const s3 = new S3Client({ region: ids.drRegion });
    const put = () =>
      s3.send(new PutBucketReplicationCommand({ Bucket: ids.drBucket, ReplicationConfiguration: { Role: "r", Rules: [{ ID: "x", Status: "Enabled", Destination: { Bucket: `arn:aws:s3:::${ids.primaryBucket}` } }] } }));
    world.regionsDown.add(ids.primaryRegion);
    await expect(put()).rejects.toMatchObject({ name: "InvalidRequest" });
    world.regionsDown.delete(ids.primaryRegion);
    await put();
    expect((await s3.send(new GetBucketReplicationCommand({ Bucket: ids.drBucket }))).ReplicationConfiguration?.Rules?.[0]?.ID).toBe("x");
  });

  it("answers the probe Lambda in each region with that region's database's positions", async () => {
    const { ids } = setup();
    const out = await new LambdaClient({ region: ids.drRegion }).send(new InvokeCommand({ FunctionName: ids.probeFunction, Payload: new TextEncoder().encode(JSON.stringify({ identifier: ids.replicaDb })) }));
    const report = JSON.parse(new TextDecoder().decode(out.Payload)) as { readOnly: boolean; replica: { execPosition: number } };
    expect(out.FunctionError).toBeUndefined();
    expect(report).toMatchObject({ readOnly: true, replica: { execFile: expect.stringMatching(/^mysql-bin-changelog\.\d{6}$/), execPosition: expect.any(Number) } });
  });
});
