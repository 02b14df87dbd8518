/**
 * A primary the team built before pilot-light (packages/world/src/adopted.ts: other names, the
 * default parameter group, its own tags, bucket rule and simple record), adopted (docs/adopt.md),
 * then the round trip: a regional outage and the failover, re-protect, the planned switchback.
 * Synthesized definitions, real handlers under their synthesized roles, users writing all along,
 * identifiers from the stage's settings only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adoptPrimary, failbackState, lostWrites, transactionsAt, type AdoptedIds } from "../../../world/src";
import { expectInvariants, failoverInput, reprotectInput, switchbackInput, shortLatencies, startFailbackSuite, type FailbackRig, type FailbackSuite } from "./support";

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

/** The adoption as the team runs it: the plan applied, then the plan's commands for the parameter group. */
const adopt = (rig: FailbackRig) => adoptPrimary(rig.world, rig.ids as AdoptedIds, "shop");

describe("an adopted primary", () => {
  it("fails over in a regional outage, is re-protected and switched back with no write lost, under the team's names", async () => {
    const rig = await suite.rig({ ...shortLatencies, replicaLag: [2, 1, 3], adopted: true });
    const { world, ids } = rig;
    await adopt(rig);
    world.clock.advance(60);
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(12 * 60);
    const failover = await rig.failover(failoverInput, "failover-inc-1");
    expect(failover.status, failover.cause).toBe("SUCCEEDED");
    await expectInvariants(rig, failover);
    expect(world.isWritable(ids.replicaDb)).toBe(true);
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toMatch(ids.drAlbDns);
    world.regionsDown.delete(ids.primaryRegion);
    expect(await rig.completeFence()).toMatchObject({ needed: true, complete: true });
    expect(world.parameterGroups.get(ids.primaryParameterGroup)?.parameters.get("read_only")).toBe("1");
    expect(world.isWritable(ids.primaryDb), "the team's database, once its region returns").toBe(false);
    const teamService = world.services.get(world.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService))!;
    expect(teamService.desired).toBe(0);
    expect(teamService.tags.get("team"), "the team's own tags are kept").toBe("storefront");
    await expectInvariants(rig);

    // Re-protect, then the planned switchback: every grant names the team's resources by the stage's settings.
    const reprotect = await rig.failback(reprotectInput, "reprotect-1");
    expect(reprotect.status, reprotect.cause).toBe("SUCCEEDED");
    await expectInvariants(rig, reprotect);
    expect(world.databases.get(ids.primaryDb)).toMatchObject({ sourceIdentifier: ids.replicaArn });
    world.clock.advance(30 * 60);
    const drBefore = world.databases.get(ids.replicaDb)!;
    const switchback = await rig.failback(switchbackInput, "switchback-1");
    expect(switchback.status, switchback.cause).toBe("SUCCEEDED");
    await expectInvariants(rig, switchback);

    // The team's primary serves again under its own name, with no write lost in the planned move.
    const primary = world.databases.get(ids.primaryDb)!;
    expect(world.isWritable(ids.primaryDb)).toBe(true);
    expect(world.databases.get(ids.replicaDb)).toMatchObject({ sourceIdentifier: primary.arn });
    expect(teamService.desired).toBe(ids.primaryTaskCount);
    expect(world.record(ids.hostedZoneId, ids.recordName, "primary")).toMatchObject({ HealthCheckId: ids.primaryHealthCheckId, AliasTarget: { DNSName: expect.stringContaining(ids.primaryAlbDns) } });
    expect(failbackState(world).buckets.get(ids.primaryBucket)?.replication?.Rules.map((r) => r.ID)).toEqual(["invoices-to-archive", "pilot-light-dr"]);
    expect(lostWrites(world, drBefore, primary)).toBe(0);
    expect(transactionsAt(world, drBefore, world.clock.nowMs())).toBeGreaterThan(0);
    expect(await rig.outcome("switchback-1")).toMatchObject({ status: "succeeded", lostWrites: 0, dataLossVerdict: "none" });
  });

  it("without the adoption, a failover cannot move users off the team's simple record: its Preflight refuses it before the promotion, says what to do, and the invariants hold", async () => {
    const rig = await suite.rig({ ...shortLatencies, replicaLag: [2, 1, 3], adopted: true });
    const { world, ids } = rig;
    world.clock.advance(60);
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(12 * 60);
    const failover = await rig.failover(failoverInput, "failover-simple-1");
    expect(failover.status, "a failover that cannot move users must not report success").toBe("FAILED");
    expect(failover.states).toContain("PreflightFailed");
    // Refused before any change: the replica is still a replica, the DR service at its pilot light.
    expect(failover.states).not.toContain("PromoteReplica");
    expect(world.databases.get(ids.replicaDb)?.sourceIdentifier).not.toBeNull();
    const told = world.inbox.at(-1);
    expect(told?.kind).toMatch(/\.(failed|needs-operator)$/);
    expect(`${told?.subject}\n${told?.message}`).toMatch(/Preflight.*RecordNotFailoverPairError|RecordNotFailoverPairError.*Preflight|Preflight.*no PRIMARY failover record/s);
    expect(told?.message).toContain("--apply-adoption");
    // Users still resolve the team's simple record: nothing pretended otherwise.
    expect(world.resolve(ids.hostedZoneId, ids.recordName)).toEqual((ids as AdoptedIds).simpleRecord);
    await expectInvariants(rig, failover);
  });
});
