/**
 * The failback's copy in the primary region (docs/design.md D2, docs/failback.md): after a
 * failover from the DR region to the primary region, the way back starts in the serving region,
 * the primary. The synthesized failback definition runs as the primary region's copy (its own
 * settings, state table, alert topic and roles, `failbackCopy: "primary"`), real handlers, the
 * emulated world behind every call.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorldState } from "../../../world/src";
import { expectInvariants, reachReprotected, reprotectInput, shortLatencies, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite } from "./support";

let suite: FailbackSuite;
let rig: FailbackRig;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());
beforeEach(async () => {
  rig = await suite.rig({ ...shortLatencies, writesPerSecond: 0, failbackCopy: "primary" });
});

const service = (world: WorldState, region: string) => [...world.services.values()].find((s) => s.region === region)!;

/**
 * Re-protected (DR serves, the primary region's `…-primary` its replica), then the DR region
 * failed and the primary region's copy failed over to its own region, as it does (both-regions
 * tests): `…-primary` promoted and serving at full size with DNS pinned to it and its secret
 * standalone, the DR region back with its old database fenced (read_only) and its service at 0.
 */
function reachPrimaryServingAfterDrFailover(r: FailbackRig): void {
  reachReprotected(r);
  const { world, ids } = r;
  const now = world.clock.nowMs();
  world.databases.get(ids.primaryDb)!.promotionRequestedAtMs = now - 3600_000;
  const primaryService = service(world, ids.primaryRegion);
  world.setDesired(primaryService, ids.primaryTaskCount);
  for (const t of primaryService.tasks) t.runningAtMs = t.healthyAtMs = now;
  world.setDesired(service(world, ids.drRegion), 0);
  const record = world.record(ids.hostedZoneId, ids.recordName, "primary")!;
  delete record.HealthCheckId;
  record.AliasTarget = { DNSName: ids.primaryAlbDns, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: false };
  world.findSecret(ids.primaryRegion, ids.secretName)!.primaryRegion = ids.primaryRegion;
  const old = world.databases.get(ids.replicaDb)!;
  world.parameterGroups.get(old.parameterGroup!)!.parameters.set("read_only", "1");
  world.clock.advance(60);
}

const topicOf = (region: string) => (m: { topicArn: string }) => m.topicArn.includes(`:sns:${region}:`);

describe("the failback run from the primary region's copy", () => {
  it("re-protects after a DR→primary failover: the DR region's database renamed aside, a replica of the primary under its name, DR at its pilot light, people told on the primary region's topic", async () => {
    reachPrimaryServingAfterDrFailover(rig);
    const { world, ids } = rig;
    expect(world.isWritable(ids.primaryDb)).toBe(true);
    const run = await rig.failback(reprotectInput, "reprotect-from-primary");
    expect(run.status, `${run.error}: ${run.cause}`).toBe("SUCCEEDED");
    const replica = world.databases.get(ids.replicaDb)!;
    expect(replica.region).toBe(ids.drRegion);
    expect(replica.sourceIdentifier).toBe(ids.primaryArn);
    expect([...world.databases.keys()].some((id) => id.startsWith(`${ids.replicaDb}-r`))).toBe(true);
    expect(service(world, ids.drRegion).desired).toBe(ids.drPilotTaskCount);
    // The DR bucket's reverse rule is gone; the primary's own rule replicates to DR.
    expect(JSON.stringify(world.calls.filter((c) => c.api === "s3:DeleteBucketReplication" || c.api === "s3:PutBucketReplication").map((c) => c.region))).toContain(ids.drRegion);
    const succeeded = world.inbox.filter((m) => m.kind === "reprotect.succeeded");
    expect(succeeded.length).toBe(1);
    expect(succeeded.every(topicOf(ids.primaryRegion))).toBe(true);
    expect(world.inbox.filter(topicOf(ids.drRegion))).toEqual([]);
    expect(await rig.outcome("reprotect-from-primary")).toMatchObject({ status: "succeeded" });
    await expectInvariants(rig, run);
  });

  it("while the DR region is still down, stops at AssessTopology naming it (the other region's calls are bounded, so it does not hang), changes nothing and tells people", async () => {
    reachPrimaryServingAfterDrFailover(rig);
    const { world, ids } = rig;
    world.regionsDown.add(ids.drRegion);
    const before = world.clock.nowMs();
    const run = await rig.failback(reprotectInput, "reprotect-dr-down");
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("FailbackPreflightError");
    expect(run.cause).toContain(`the dr region ${ids.drRegion} does not answer`);
    // Bounded: seconds, not the Task's timeout per attempt.
    expect((world.clock.nowMs() - before) / 1000).toBeLessThan(60);
    expect(world.mutatingCalls().filter((c) => c.api !== "sns:Publish")).toEqual([]);
    expect(world.inbox.filter(topicOf(ids.primaryRegion)).map((m) => m.kind)).toEqual(["reprotect.not-protected"]);
    // One writable database, the one users reach. (The world's own invariants read a promoted DR
    // database as one the DR service must serve: the one-direction view this state is not in.)
    expect([...world.databases.keys()].filter((id) => world.isWritable(id))).toEqual([ids.primaryDb]);
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toBe(ids.primaryAlbDns);
  });

  it("refuses a switchback with DNS (the PRIMARY record's health check is the DR region's copy's to restore), naming where to start it", async () => {
    reachReprotected(rig);
    const run = await rig.failback({ ...switchbackInput, mode: "dry-run" }, "switchback-dry-run-from-primary");
    expect(run.status).toBe("SUCCEEDED");
    const report = run.output as { wouldProceed: boolean; blockers: string[] };
    expect(report.wouldProceed).toBe(false);
    expect(report.blockers.join("\n")).toContain("start the switchback in the DR region");
    expect(rig.world.mutatingCalls()).toEqual([]);
  });
});
