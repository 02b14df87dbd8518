/**
 * The round trip in the emulated world: a regional outage, the failover, re-protect once the
 * primary region answers, and the planned switchback, ending in the original topology with zero
 * lost writes in the switchback and the invariants holding after every workflow. Synthesized
 * definitions, real handlers, users writing all along.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failbackState, lostWrites, refusedWriteSeconds, transactionsAt } from "../../../world/src";
import { expectInvariants, failoverInput, reprotectInput, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite, shortLatencies } from "./support";

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

const fast = { ...shortLatencies, replicaLag: [2, 1, 3] };

const svc = (rig: FailbackRig, region: string) => [...rig.world.services.values()].find((s) => s.region === region)!;

async function failedOver(rig: FailbackRig) {
  rig.world.clock.advance(60);
  rig.world.regionsDown.add(rig.ids.primaryRegion);
  rig.world.clock.advance(12 * 60);
  const failover = await rig.failover(failoverInput, "failover-inc-1");
  expect(failover.status, failover.cause).toBe("SUCCEEDED");
  await expectInvariants(rig, failover);
  rig.world.regionsDown.delete(rig.ids.primaryRegion);
  // The scheduled CompleteFence fences the returning old primary: read-only, tagged, at 0.
  expect(await rig.completeFence()).toMatchObject({ needed: true, complete: true });
  expect(svc(rig, rig.ids.primaryRegion).tags.has("pilot-light:fenced")).toBe(true);
}

describe("the round trip: outage → failover → re-protect → switchback", () => {
  it("ends in the original topology with no write lost in the switchback", async () => {
    const rig = await suite.rig(fast);
    const { world, ids } = rig;
    const originalPrimaryArn = ids.primaryArn;
    await failedOver(rig);

    const reprotect = await rig.failback(reprotectInput, "reprotect-1");
    expect(reprotect.status, reprotect.cause).toBe("SUCCEEDED");
    await expectInvariants(rig, reprotect);
    const retiredPrimary = [...world.databases.keys()].find((id) => id.startsWith(`${ids.primaryDb}-r`));
    expect(retiredPrimary, "the old primary is kept under another name").toBeDefined();
    expect(world.databases.get(ids.primaryDb)).toMatchObject({ sourceIdentifier: ids.replicaArn, backupRetentionDays: 7 });
    expect(svc(rig, ids.primaryRegion).desired).toBe(0);
    expect(failbackState(world).buckets.get(ids.drBucket)?.replication?.Rules?.map((r) => r.Destination?.Bucket)).toEqual([`arn:aws:s3:::${ids.primaryBucket}`]);
    expect(world.inbox.map((m) => m.kind).slice(-2)).toEqual(["reprotect.started", "reprotect.succeeded"]);

    world.clock.advance(30 * 60);
    const drBefore = world.databases.get(ids.replicaDb)!;
    const switchback = await rig.failback(switchbackInput, "switchback-1");
    expect(switchback.status, switchback.cause).toBe("SUCCEEDED");
    await expectInvariants(rig, switchback);

    // The original topology, by name: primary writable and serving, DR a replica of it at its pilot light.
    const primary = world.databases.get(ids.primaryDb)!;
    expect(world.isWritable(ids.primaryDb)).toBe(true);
    expect(primary.arn).toBe(originalPrimaryArn);
    expect(world.databases.get(ids.replicaDb)).toMatchObject({ sourceIdentifier: originalPrimaryArn, backupRetentionDays: 7 });
    expect(world.dbView(world.databases.get(ids.replicaDb)!).status).toBe("available");
    expect(svc(rig, ids.primaryRegion).desired).toBe(ids.primaryTaskCount);
    expect(svc(rig, ids.drRegion).desired).toBe(ids.drPilotTaskCount);
    // The switchback lifted the failover's fence tag: a deploy sets the serving primary to its
    // count again instead of keeping it at 0 (Custom::DesiredCount reads the tag).
    expect(svc(rig, ids.primaryRegion).tags.has("pilot-light:fenced")).toBe(false);
    // And the fence completion leaves the original topology alone.
    expect(await rig.completeFence()).toMatchObject({ needed: false });
    expect(world.record(ids.hostedZoneId, ids.recordName, "primary")).toMatchObject({ HealthCheckId: ids.primaryHealthCheckId, AliasTarget: { DNSName: ids.primaryAlbDns, EvaluateTargetHealth: true } });
    expect(failbackState(world).buckets.get(ids.drBucket)?.replication).toBeNull();
    expect(world.findSecret(ids.drRegion, ids.secretName)?.primaryRegion).toBe(ids.primaryRegion);
    expect(await rig.lockItem()).toBeUndefined();

    // Zero lost writes: everything the DR database committed reached the new primary.
    expect(lostWrites(world, drBefore, primary)).toBe(0);
    expect(transactionsAt(world, drBefore, world.clock.nowMs())).toBeGreaterThan(0);
    const outcome = await rig.outcome("switchback-1");
    expect(outcome).toMatchObject({ status: "succeeded", lostWrites: 0, dataLossVerdict: "none", promoted: true });
    const downtime = outcome?.writeDowntimeSeconds as number;
    // The product's figure (StopWrites → DNS INSYNC) bounds what users saw: the world's data plane
    // answers the new record at once, INSYNC comes later (Route 53's propagation, one poll apart).
    const refused = refusedWriteSeconds(world, switchback.startedAtMs);
    expect(refused).toBeGreaterThan(0);
    expect(downtime).toBeGreaterThanOrEqual(refused - 1);
    expect(downtime - refused).toBeLessThanOrEqual(fast.latencies.dnsInsyncSeconds + 10);
    console.log(
      `round trip: re-protect ${((reprotect.endedAtMs - reprotect.startedAtMs) / 1000).toFixed(0)} s, switchback ${((switchback.endedAtMs - switchback.startedAtMs) / 1000).toFixed(0)} s, write downtime ${downtime} s, lost writes 0`,
    );
  });
});

describe("the next outage after a round trip", () => {
  it("fences the real old primary: read_only in the group the serving primary uses now, not in the renamed-aside copy's", async () => {
    const rig = await suite.rig(fast);
    const { world, ids } = rig;
    await failedOver(rig);
    expect((await rig.failback(reprotectInput, "reprotect-1")).status).toBe("SUCCEEDED");
    world.clock.advance(30 * 60);
    const switchback = await rig.failback(switchbackInput, "switchback-1");
    expect(switchback.status, switchback.cause).toBe("SUCCEEDED");
    // Each database the workflows created has a group of its own, per region and generation.
    const primary = world.databases.get(ids.primaryDb)!;
    const replica = world.databases.get(ids.replicaDb)!;
    expect(primary.parameterGroup).toMatch(new RegExp(`^${ids.primaryDb}-g\\d{14}$`));
    expect(replica.parameterGroup).toMatch(new RegExp(`^${ids.replicaDb}-g\\d{14}$`));

    // The second outage of the primary region, failed over; the region comes back.
    world.clock.advance(2 * 3600);
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(12 * 60);
    const second = await rig.failover(failoverInput, "failover-inc-2");
    expect(second.status, second.cause).toBe("SUCCEEDED");
    world.regionsDown.delete(ids.primaryRegion);
    expect(await rig.completeFence()).toMatchObject({ needed: true, complete: true, database: { done: true, changed: true } });
    expect(world.parameterGroups.get(primary.parameterGroup!)?.parameters.get("read_only")).toBe("1");
    expect(world.isWritable(ids.primaryDb), "the old primary of the second failover").toBe(false);
    expect(world.isWritable(ids.replicaDb)).toBe(true);
    await expectInvariants(rig, second);
  });
});

