/**
 * Behaviour of the synthesized failback state machine against the emulated world: what makes a
 * switchback lose nothing (positions, not a metric; no writer left), what it does when it
 * cannot (return to serving where it was), the dry-run, and re-protect's guards and idempotency.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Failover } from "../../../core/src";
import { Scheduler, binlogRotationSeconds, failbackState, lostWrites } from "../../../world/src";
import { expectInvariants, failoverInput, reachReprotected, reprotectInput, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite, shortLatencies } from "./support";

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

const fast = shortLatencies;
const svc = (rig: FailbackRig, region: string) => [...rig.world.services.values()].find((s) => s.region === region)!;
const mutating = (rig: FailbackRig) => rig.world.mutatingCalls().filter((c) => c.api !== "sns:Publish");

describe("switchback", () => {
  it("waits for the replica to execute the DR database's last binlog position, although Seconds_Behind_Source already reads 0", async () => {
    const rig = await suite.rig({ ...fast, replicaLag: [0], failbackLatencies: { ...fast.failbackLatencies, replicationTransferSeconds: 90 } });
    reachReprotected(rig, [0]);
    rig.world.clock.advance(300);
    const run = await rig.failback(switchbackInput, "switchback-slow-link");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    const stoppedAt = rig.world.callsTo("ecs:UpdateService").find((c) => c.region === rig.ids.drRegion)!.atMs;
    const promotedAt = rig.world.callsTo("rds:PromoteReadReplica")[0]!.atMs;
    expect((promotedAt - stoppedAt) / 1000).toBeGreaterThanOrEqual(90);
    const old = [...rig.world.databases.values()].find((d) => d.identifier.startsWith(`${rig.ids.replicaDb}-r`))!;
    expect(lostWrites(rig.world, old, rig.world.databases.get(rig.ids.primaryDb)!)).toBe(0);
  });

  it("stalls with the DR region, where it runs, when that region fails after the promotion, and ends FailbackDone once it answers: users on the primary, 0 writes lost", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    rig.world.clock.advance(300);
    rig.before.VerifyNewPrimary = (n) => {
      if (n !== 1) return;
      rig.world.regionsDown.add(rig.ids.drRegion);
      void Scheduler.of(rig.world.clock).sleep(20 * 60).then(() => rig.world.regionsDown.delete(rig.ids.drRegion));
    };
    const run = await rig.failback(switchbackInput, "switchback-dr-down");
    expect(run.states.at(-1), run.cause).toBe("FailbackDone");
    // Nothing ran while the region was down: VerifyNewPrimary's lost answer is asked again on its return.
    expect(run.endedAtMs - run.startedAtMs).toBeGreaterThan(20 * 60_000);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(true);
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toContain(rig.ids.primaryRegion);
    const old = [...rig.world.databases.values()].find((d) => d.identifier.startsWith(`${rig.ids.replicaDb}-r`))!;
    expect(lostWrites(rig.world, old, rig.world.databases.get(rig.ids.primaryDb)!)).toBe(0);
    await expectInvariants(rig, run);
  });

  it("does not promote while something still writes to the DR database: it rolls back and DR serves as before", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    failbackState(rig.world).traffic?.strayWriters.add(rig.ids.replicaDb);
    const run = await rig.failback(switchbackInput, "switchback-stray");
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("CatchUpTimeoutError");
    expect(run.states.at(-1)).toBe("RolledBack");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(rig.world.databases.get(rig.ids.primaryDb)?.sourceIdentifier).toBe(rig.ids.replicaArn);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    expect(svc(rig, rig.ids.primaryRegion).desired).toBe(0);
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "switchback.failed" });
    expect(rig.world.inbox.at(-1)?.subject).toContain("at CheckCatchUp");
    expect(await rig.lockItem()).toBeUndefined();
    await expectInvariants(rig, run);
  });

  it("refuses to start when the primary region holds no replica of the DR database, changing nothing", async () => {
    const rig = await suite.rig(fast);
    rig.world.regionsDown.add(rig.ids.primaryRegion);
    rig.world.clock.advance(12 * 60);
    expect((await rig.failover(failoverInput)).status).toBe("SUCCEEDED");
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    const before = mutating(rig).length;
    const run = await rig.failback(switchbackInput, "switchback-too-early");
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("FailbackPreflightError");
    expect(run.cause).toContain("run re-protect first");
    // RestoreServing sets the counts DR serving has anyway: no call changes anything.
    expect(mutating(rig).slice(before).filter((c) => c.api !== "ecs:UpdateService")).toEqual([]);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
  });

  it("a dry-run reports the plan and the positions and changes nothing: no lock, no message, no mutating call", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    const run = await rig.failback({ ...switchbackInput, mode: "dry-run" }, "switchback-dry-run");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    const report = run.output as { wouldProceed: boolean; plan: string[]; positions: { replica: { execPosition: number } } };
    expect(report.wouldProceed).toBe(true);
    expect(report.plan.join(" ")).toMatch(/promote the primary replica/);
    expect(report.positions.replica.execPosition).toBeGreaterThan(4);
    expect(rig.world.mutatingCalls()).toEqual([]);
    expect(await rig.lockItem()).toBeUndefined();
  });
});

describe("re-protect", () => {
  async function failedOver(rig: FailbackRig, { primaryBack = true } = {}) {
    rig.world.regionsDown.add(rig.ids.primaryRegion);
    rig.world.clock.advance(12 * 60);
    expect((await rig.failover(failoverInput)).status).toBe("SUCCEEDED");
    if (primaryBack) rig.world.regionsDown.delete(rig.ids.primaryRegion);
  }

  it("refuses while the primary region does not answer, touching nothing", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig, { primaryBack: false });
    const before = mutating(rig).length;
    const run = await rig.failback(reprotectInput, "reprotect-down");
    expect(run.status).toBe("FAILED");
    expect(run.states.at(-1)).toBe("ProtectionNotRestored");
    expect(run.cause).toContain("does not answer");
    expect(mutating(rig).slice(before)).toEqual([]);
    expect(rig.world.inbox.at(-1)?.subject).toContain("at AssessTopology");
    await expectInvariants(rig, run);
  });

  it("survives lost responses of the rename and of the replica's creation: one instance renamed aside, one replica", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig);
    rig.world.inject({ api: "rds:ModifyDBInstance", error: "InternalFailure", times: 1, applied: true });
    rig.world.inject({ api: "rds:CreateDBInstanceReadReplica", error: "ECONNRESET", times: 1, applied: true });
    const run = await rig.failback(reprotectInput, "reprotect-lost");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    expect([...rig.world.databases.keys()].filter((id) => id.startsWith(`${rig.ids.primaryDb}-r`))).toHaveLength(1);
    expect(rig.world.callsTo("rds:CreateDBInstanceReadReplica").filter((c) => !c.failed || c.applied)).toHaveLength(1);
    expect(rig.world.databases.get(rig.ids.primaryDb)?.sourceIdentifier).toBe(rig.ids.replicaArn);
  });

  it("waits out an outage of the standby-to-be region that starts while it builds the replica, and protects again once the region answers", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig);
    rig.before.ReconcileStandbyDatabase = (n) => {
      if (n !== 2) return;
      rig.world.regionsDown.add(rig.ids.primaryRegion);
      void Scheduler.of(rig.world.clock).sleep(25 * 60).then(() => rig.world.regionsDown.delete(rig.ids.primaryRegion));
    };
    const run = await rig.failback(reprotectInput, "reprotect-standby-outage");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    expect(rig.world.databases.get(rig.ids.primaryDb)?.sourceIdentifier).toBe(rig.ids.replicaArn);
    expect(rig.world.inbox.at(-1)?.kind).toBe("reprotect.succeeded");
    await expectInvariants(rig, run);
  });

  it("gives up on a standby-to-be region still down after about an hour: ProtectionNotRestored, and the message names the one command to run", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig);
    rig.before.ReconcileStandbyDatabase = (n) => {
      if (n === 2) rig.world.regionsDown.add(rig.ids.primaryRegion);
    };
    const run = await rig.failback(reprotectInput, "reprotect-standby-gone");
    expect(run.states.at(-1), run.cause).toBe("ProtectionNotRestored");
    expect(run.endedAtMs - run.startedAtMs).toBeGreaterThan(55 * 60_000);
    const message = rig.world.inbox.at(-1)!;
    expect(message.kind).toBe("reprotect.not-protected");
    expect(message.message).toContain("run pnpm dr reprotect --stage test again");
  });

  it("run again once protected, changes nothing", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig);
    expect((await rig.failback(reprotectInput, "reprotect-a")).status).toBe("SUCCEEDED");
    const before = mutating(rig).length;
    const again = await rig.failback(reprotectInput, "reprotect-b");
    expect(again.status, again.cause).toBe("SUCCEEDED");
    expect(mutating(rig).slice(before)).toEqual([]);
  });

  it("never deletes the old primary: it is renamed aside with its data", async () => {
    const rig = await suite.rig(fast);
    await failedOver(rig);
    const old = rig.world.databases.get(rig.ids.primaryDb)!;
    expect((await rig.failback(reprotectInput, "reprotect-keep")).status).toBe("SUCCEEDED");
    expect([...rig.world.databases.values()]).toContain(old);
    expect(old.identifier).toMatch(new RegExp(`^${rig.ids.primaryDb}-r\\d{14}$`));
    expect(rig.world.callsTo("rds:DeleteDBInstance")).toEqual([]);
  });
});

describe("a switchback whose promotion marker was written but never followed by a promote call", () => {
  it("rolls back once RDS shows no promotion after the acceptance window (not NeedsOperator): DR serves again, writable", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: rig.ids.drRegion, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }));
    // The marker's write applied; its answer was lost: the step fails before any promote call.
    rig.before.PromoteStandby = async (n) => {
      if (n !== 1) return;
      await Failover.markPromotionRequested(doc, rig.table, "switchback-marker-lost", new Date());
      throw Object.assign(new Error("the DynamoDB answer never came"), { name: "TimeoutError" });
    };
    const run = await rig.failback(switchbackInput, "switchback-marker-lost");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(run.states).toContain("WaitForStandbyPromotionEvidence");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    // It was sealed (read-only, renamed aside): renamed back and its read_only reset, writable once RDS has renamed it.
    rig.world.clock.advance(fast.failbackLatencies.renameSeconds + 60);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    expect(svc(rig, rig.ids.primaryRegion).desired).toBe(0);
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "switchback.failed" });
    await expectInvariants(rig, run);
    doc.destroy();
  });
});

describe("a switchback whose promote call never reached RDS (marked, then lost on the way)", () => {
  it("asks RDS again once it shows no sign of the call, as the failover does, and completes with no write lost", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    // Both of the SDK's attempts die before RDS sees them: the marker is written, nothing promotes.
    rig.world.inject({ api: "rds:PromoteReadReplica", error: "ECONNRESET", applied: false, times: 2 });
    const run = await rig.failback(switchbackInput, "switchback-promote-lost");
    expect(run.status, `${run.states.at(-1)} ${run.cause}`).toBe("SUCCEEDED");
    const calls = rig.world.callsTo("rds:PromoteReadReplica");
    expect(calls.filter((c) => c.failed)).toHaveLength(2);
    expect(calls.filter((c) => !c.failed)).toHaveLength(1);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(true);
    const old = [...rig.world.databases.values()].find((d) => d.identifier.startsWith(`${rig.ids.replicaDb}-r`))!;
    expect(lostWrites(rig.world, old, rig.world.databases.get(rig.ids.primaryDb)!)).toBe(0);
    await expectInvariants(rig, run);
  });
});

describe("a switchback interrupted by an outage of the primary region before any promotion", () => {
  it("rolls back without the primary region (no marker, no promotion): DR serves again at full size, users on it", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    rig.before.StopWrites = (n) => {
      if (n === 1) rig.world.regionsDown.add(rig.ids.primaryRegion);
    };
    const run = await rig.failback(switchbackInput, "switchback-primary-outage");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    expect(rig.world.inbox.at(-1)?.message).toContain("did not answer");
    await expectInvariants(rig, run);
  });
});

describe("a switchback whose target region goes down at PromoteStandby, just after the seal renamed the DR database aside", () => {
  it("waits for RDS to finish both renames: it ends with the DR database writable under its name, DR serving, and says what is left in the primary region", async () => {
    // Renames as slow as a real one: the seal's rename still runs when the rollback starts.
    const rig = await suite.rig({ ...fast, failbackLatencies: { ...fast.failbackLatencies, renameSeconds: 900 } });
    reachReprotected(rig);
    rig.before.PromoteStandby = (n) => {
      if (n === 1) rig.world.regionsDown.add(rig.ids.primaryRegion);
    };
    const run = await rig.failback(switchbackInput, "switchback-outage-at-promote");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(rig.world.callsTo("rds:PromoteReadReplica").filter((c) => !c.failed)).toHaveLength(0);
    // As the rollback ends, not some minutes later.
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    const message = rig.world.inbox.at(-1)!;
    expect(message.kind).toBe("switchback.failed");
    expect(message.message).toContain("DR serves as before");
    expect(message.message).toContain("the scheduled CompleteFence sets its service to 0");
    await expectInvariants(rig, run);
  });

  it("once the primary region returns, the scheduled CompleteFence sets the primary's service left up by the rollback back to 0 and tells the alert topic", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    rig.before.StopWrites = (n) => {
      if (n === 1) rig.world.regionsDown.add(rig.ids.primaryRegion);
    };
    const run = await rig.failback(switchbackInput, "switchback-leftover");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(svc(rig, rig.ids.primaryRegion).desired).toBeGreaterThan(0);
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    await rig.completeFence();
    expect(svc(rig, rig.ids.primaryRegion).desired).toBe(0);
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "fence.standby-reset" });
    // The next pass finds nothing to do and says nothing.
    const told = rig.world.inbox.length;
    await rig.completeFence();
    expect(rig.world.inbox).toHaveLength(told);
  });

  it("leaves the primary's service up while a switchback holds the lock (its prepare step scaled it up)", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    rig.before.CheckStandbyService = async (n) => {
      if (n === 1) await rig.completeFence();
    };
    const run = await rig.failback(switchbackInput, "switchback-prepared");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    expect(rig.world.inbox.map((m) => m.kind)).not.toContain("fence.standby-reset");
  });
});

describe("RDS's own writes between the catch-up and the seal", () => {
  it("do not roll the switchback back: a binary log rotation and the rdsadmin heartbeat move the position, no user write is lost", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    // Five minutes pass between the catch-up and the seal: RDS rotates the DR database's binary log and writes its heartbeat.
    rig.before.SealOldServing = (n) => {
      if (n === 1) rig.world.clock.advance(binlogRotationSeconds);
    };
    const run = await rig.failback(switchbackInput, "switchback-heartbeat");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    const old = [...rig.world.databases.values()].find((d) => d.identifier.startsWith(`${rig.ids.replicaDb}-r`))!;
    expect(lostWrites(rig.world, old, rig.world.databases.get(rig.ids.primaryDb)!)).toBe(0);
    expect(await rig.outcome("switchback-heartbeat")).toMatchObject({ dataLossVerdict: "none", lostWrites: 0 });
    await expectInvariants(rig, run);
  });

  it("still roll it back when something keeps writing to the DR database after the catch-up: the replica never holds it all, nothing is promoted", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    rig.before.SealOldServing = (n) => {
      if (n !== 1) return;
      failbackState(rig.world).traffic?.strayWriters.add(rig.ids.replicaDb);
      rig.world.clock.advance(10);
    };
    const run = await rig.failback(switchbackInput, "switchback-late-writer");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(run.error).toBe("ReplicaBehindAtSealError");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    await expectInvariants(rig, run);
  });
});

describe("a switchback whose DR database cannot be made read-only at the seal", () => {
  it("promotes nothing and rolls back: the DR database is never kept aside writable", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    // Someone attached another group to the DR database since: it applies only at the next reboot.
    rig.before.SealOldServing = (n) => {
      if (n !== 1) return;
      const group = `${rig.ids.replicaDb}-by-hand`;
      rig.world.parameterGroups.set(group, { name: group, region: rig.ids.drRegion, arn: `arn:aws:rds:${rig.ids.drRegion}:123456789012:pg:${group}`, parameters: new Map() });
      rig.world.databases.get(rig.ids.replicaDb)!.pendingParameterGroup = group;
    };
    const run = await rig.failback(switchbackInput, "switchback-unsealable");
    expect(run.states.at(-1), run.cause).toBe("RolledBack");
    expect(run.error).toBe("SealNotReadOnlyError");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.callsTo("rds:ModifyDBInstance").filter((c) => c.region === rig.ids.drRegion)).toHaveLength(0);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.inbox.at(-1)?.subject).toContain("at SealOldServing");
    await expectInvariants(rig, run);
  });
});
