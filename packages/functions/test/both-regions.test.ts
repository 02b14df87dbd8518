/**
 * The orchestrator in both regions (docs/design.md D2): the DR region's monitor and the primary
 * region's copy tick side by side in the emulated world, each as its synthesized role, each
 * deciding at run time whether it is armed (its own database a read replica of the other's, DNS
 * not sending users to it). Whatever the regions do, never two promotions, at most one writable
 * database, no user on a region without one; when the serving DR region fails before any
 * re-protect, the people on the primary region's alert topic are told within one detection period.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Failover } from "@pilot-light/core";
import { healPartition, mirrorIds, partition, reprotectedSides, setAppFault, type PilotLightIds, type WorldState } from "../../world/src";
import { startMonitorWorld, type MonitorWorld, type MonitorWorldSuite } from "./support/monitor-world";

let suite: MonitorWorldSuite;
beforeAll(async () => {
  suite = await startMonitorWorld();
});
afterAll(async () => suite?.close());

const minutes = (m: number) => m * 60;
const promotions = (w: MonitorWorld) => w.world.mutatingCalls().filter((c) => c.api === "rds:PromoteReadReplica");
const writable = (w: MonitorWorld) => [...w.world.databases.keys()].filter((id) => w.world.isWritable(id));
const startsBy = (w: MonitorWorld, region: string) => w.world.calls.filter((c) => c.api === "states:StartExecution" && c.region === region);
const inboxOf = (w: MonitorWorld, region: string) => w.world.inbox.filter((m) => m.topicArn.includes(`:${region}:`));

/** One pass of CompleteFence as the copy whose settings are `ids` runs it (the primary region's: `mirrorIds`). */
function completeFenceAs(ids: PilotLightIds, standby?: Failover.StandbyLeftover) {
  return Failover.completeFence(
    { drRds: new RDSClient({ region: ids.drRegion }), rds: new RDSClient({ region: ids.primaryRegion }), ecs: new ECSClient({ region: ids.primaryRegion }), route53: new Route53Client({ region: "us-east-1" }) },
    {
      region: ids.primaryRegion,
      service: { cluster: ids.cluster, service: ids.service },
      database: ids.primaryDb,
      replicaIdentifier: ids.replicaDb,
      primaryIdentifier: ids.primaryDb,
      dns: { hostedZoneId: ids.hostedZoneId, recordName: ids.recordName, drAlbDns: ids.drAlbDns, drAlbZoneId: ids.albZoneId },
      ...(standby ? { standby } : {}),
    },
    new Date(),
  );
}

/** At most one writable database, and users only on a region whose database takes writes. */
function expectSafe(w: MonitorWorld) {
  const { world, ids } = w.rig;
  expect(promotions(w).length).toBeLessThanOrEqual(1);
  expect(writable(w).length).toBeLessThanOrEqual(1);
  const answer = world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName ?? "";
  const region = answer.includes(ids.drAlbDns) ? ids.drRegion : ids.primaryRegion;
  const service = [...world.services.values()].find((s) => s.region === region)!;
  if (world.healthyTargets(service) > 0) expect(writable(w)).toContain(region === ids.drRegion ? ids.replicaDb : ids.primaryDb);
}

describe("two orchestrators, one promotion at most", () => {
  it("a partition between the regions: each monitor sees the other down; DR is armed but Route 53 sees the primary healthy, the primary serves and is not armed: nothing starts", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    const dr = await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: (world) => partition(world, ids.primaryRegion, ids.drRegion) }] });
    await w.settle();
    expect(dr.slice(0, 3).map((t) => t.healthy)).toEqual([false, false, false]);
    expect(dr.find((t) => t.arming)?.arming?.kind).toBe("armed");
    expect(w.world.inbox.some((m) => m.kind === "failover.withheld")).toBe(true);
    // The primary region's copy saw the DR region fail every check, and read that it serves: its standby's pilot light is not counted.
    expect(w.peer?.ticks.map((t) => t.healthy)).toEqual(Array(8).fill(false));
    expect(new Set(w.peer?.ticks.map((t) => t.arming?.kind))).toEqual(new Set(["serving"]));
    expect(inboxOf(w, ids.primaryRegion)).toEqual([]);
    expect(startsBy(w, ids.primaryRegion)).toEqual([]);
    expect(promotions(w)).toEqual([]);
    expect(w.executions).toEqual([]);
    expectSafe(w);
  });

  it("a primary region that returns mid-failover: its copy finds its database no replica and starts nothing; one promotion, the DR region's", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    const down = (world: WorldState) => world.regionsDown.add(ids.primaryRegion);
    const up = (world: WorldState) => world.regionsDown.delete(ids.primaryRegion);
    // The failover starts at the third failed check (10 min); the region is back 2 minutes later, while it runs.
    await w.play({ ticks: 12, changes: [{ atSeconds: 0, apply: down }, { atSeconds: minutes(12), apply: up }] });
    await w.settle();
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    expect(promotions(w).map((c) => c.region)).toEqual([ids.drRegion]);
    expect(startsBy(w, ids.primaryRegion)).toEqual([]);
    expect(w.peer?.ticks.length).toBeGreaterThan(0);
    expect(w.peer?.ticks.every((t) => t.arming === undefined || t.arming.kind !== "armed")).toBe(true);
    expectSafe(w);
  });

  it("a primary region that returns mid-failover while DR's service stays unhealthy: its copy reads DR's database answering (the failover under way, then stopped for an operator) and never says stranded", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    const down = (world: WorldState) => world.regionsDown.add(ids.primaryRegion);
    // Back 2 minutes into the failover, while DR's app fails its checks (a bad image) for the rest of the run.
    const up = (world: WorldState) => {
      world.regionsDown.delete(ids.primaryRegion);
      setAppFault(world, ids.drRegion, { kind: "bad-deploy" });
    };
    await w.play({ ticks: 16, changes: [{ atSeconds: 0, apply: down }, { atSeconds: minutes(12), apply: up }] });
    await w.settle();
    // DR's app answers a page that is not the health contract: VerifyDrHealth cannot see the
    // promoted database take writes, so no run reports the failover done (each re-drive says so).
    expect(w.executions.length).toBeGreaterThanOrEqual(1);
    expect(w.executions.map((e) => `${e.record?.status} ${e.record?.error}`)).toEqual(w.executions.map(() => "FAILED NeedsOperator"));
    expect(w.world.inbox.filter((m) => m.kind === "failover.needs-operator").map((m) => m.subject)).toEqual(w.executions.map(() => expect.stringContaining("VerifyDrHealth")));
    const peer = w.peer!.ticks;
    expect(peer.filter((t) => !t.healthy).length).toBeGreaterThanOrEqual(3);
    expect(w.world.inbox.filter((m) => m.kind === "failover.stranded")).toEqual([]);
    expect(peer.some((t) => t.arming?.kind === "stranded")).toBe(false);
    expect(peer.find((t) => t.arming)?.arming).toMatchObject({ kind: "handed-over", detail: expect.stringContaining(`${ids.replicaDb} answers there`) });
    expect((await w.peer?.state())?.incident).toBeUndefined();
    expect(startsBy(w, ids.primaryRegion)).toEqual([]);
    expectSafe(w);
  });

  it("after a failover, an outage of the serving DR region: the primary region's copy is not armed (its database is the old primary) and tells its alert topic within one detection period, with the command to run", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    // State B: the DR region failed over and serves; the primary region is back (fenced).
    await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: (world) => world.regionsDown.add(ids.primaryRegion) }, { atSeconds: minutes(20), apply: (world) => world.regionsDown.delete(ids.primaryRegion) }] });
    await w.settle();
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    await w.rig.completeFence();
    // Both databases are writable-by-status now (the old primary fenced by read_only): the primary
    // region's scheduled CompleteFence must see that this was the DR region's failover, and fence nothing.
    const primaryCopy = await completeFenceAs(w.peer!.ids);
    expect(primaryCopy).toMatchObject({ needed: false, detail: expect.stringMatching(/not this region's failover/) });
    expect(writable(w)).toEqual([ids.replicaDb]);
    expect(w.world.services.get(w.world.serviceKey(ids.drRegion, ids.cluster, ids.service))?.desired).toBe(ids.drTaskCount);
    const before = w.world.inbox.length;

    // Then the DR region fails too.
    const ticks = await w.play({ ticks: 6, changes: [{ atSeconds: 1, apply: (world) => world.regionsDown.add(ids.drRegion) }] });
    const firstFailed = w.peer?.ticks.find((t) => t.atMs >= ticks[1]!.atMs && !t.healthy);
    const told = inboxOf(w, ids.primaryRegion).filter((m) => m.kind === "failover.stranded");
    expect(told).toHaveLength(1);
    // Within one detection period: the failureThreshold-th failed check (3 checks, 5 minutes apart).
    expect(((told[0]?.atMs ?? Infinity) - (firstFailed?.atMs ?? 0)) / 1000).toBeLessThanOrEqual(minutes(10) + 60);
    expect(told[0]?.message).toContain("Run now: pnpm dr status --stage test");
    expect(told[0]?.message).toContain("The serving region fails before re-protect");
    expect(w.world.inbox.slice(before).filter((m) => !m.topicArn.includes(`:${ids.primaryRegion}:`))).toEqual([]);
    expect(startsBy(w, ids.primaryRegion)).toEqual([]);
    expect(promotions(w)).toHaveLength(1);
    expect((await w.peer?.state())?.incident).toMatchObject({ action: "recommend", notArmed: "stranded" });
  });
});

describe("the serving region watches its standby", () => {
  it("an outage of the DR region while the primary serves: the primary region's copy tells its alert topic once within one detection period (users not affected, what to run), and once when the replica replicates again; nothing starts", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    const before = w.world.inbox.length;
    const ticks = await w.play({ ticks: 9, changes: [{ atSeconds: 1, apply: (world) => world.regionsDown.add(ids.drRegion) }, { atSeconds: minutes(26), apply: (world) => world.regionsDown.delete(ids.drRegion) }] });
    const firstFailed = w.peer?.ticks.find((t) => t.atMs >= ticks[1]!.atMs && !t.healthy);
    const told = inboxOf(w, ids.primaryRegion).filter((m) => m.kind?.startsWith("protection."));
    expect(told.map((m) => m.kind)).toEqual(["protection.lost", "protection.restored"]);
    // Within one detection period: the failureThreshold-th failed check (3 checks, 5 minutes apart).
    expect(((told[0]?.atMs ?? Infinity) - (firstFailed?.atMs ?? 0)) / 1000).toBeLessThanOrEqual(minutes(10) + 60);
    expect(told[0]?.message).toContain("Users are served by this region and are not affected");
    expect(told[0]?.message).toContain("Follow it with: pnpm dr status --stage test");
    expect(told[0]?.message).toContain("pnpm dr reprotect --stage test");
    expect(told[1]?.atMs).toBeGreaterThanOrEqual(ticks[0]!.atMs + minutes(26) * 1000);
    expect(w.world.inbox.slice(before).filter((m) => m.kind?.startsWith("failover."))).toEqual([]);
    expect(startsBy(w, ids.primaryRegion)).toEqual([]);
    expect(promotions(w)).toEqual([]);
    expectSafe(w);
  });
});

describe("after a re-protect, the primary region's copy is the armed one", () => {
  // State C as the primary region's copy sees it (`reprotectedSides`, ids as mirrorIds gives them): the DR region
  // (eu-central-1) serves from ...-replica, eu-west-1's ...-primary replicates from it. The copy runs with the settings
  // the Failover and Monitor stacks give it in the primary region: its second opinion is the Monitor stack's Route 53
  // health check on the DR region's endpoint (here `ids.primaryHealthCheckId`, the serving side's).
  const prefix = "pilot-light-test";
  const reprotected = () => suite.stage({ ...reprotectedSides(prefix), env: { WATCHED: "dr" } });

  it("an outage of the serving DR region is failed over to the primary region by its own orchestrator, by itself", async () => {
    const w = await reprotected();
    const { ids } = w.rig;
    expect([ids.drRegion, ids.replicaDb, ids.primaryDb, ids.primaryHealthCheckId]).toEqual(["eu-west-1", `${prefix}-primary`, `${prefix}-replica`, "hc-dr-0001"]);
    const ticks = await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: (world) => world.regionsDown.add("eu-central-1") }] });
    await w.settle();
    expect(ticks[2]?.arming?.kind).toBe("armed");
    expect(ticks[2]?.secondOpinion?.verdict).toBe("confirms");
    expect(w.executions.map((e) => [e.name, e.record?.status])).toEqual([["failover-dr-20260101T031000Z", "SUCCEEDED"]]);
    expect(promotions(w).map((c) => [c.region, (c.input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier])).toEqual([["eu-west-1", `${prefix}-primary`]]);
    expect(writable(w)).toEqual([`${prefix}-primary`]);
    expect(w.world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toContain(ids.drAlbDns);
    expectSafe(w);
    await w.rig.assertInvariants();
  });

  it("the DR region returning while this region's copy fails over (CompleteFence's narrow race): the DR copy's CompleteFence, whose table holds no lock, sets the scaled-up service back to its pilot light, and the failover's CheckDrService scales it up again: it ends serving at full size", async () => {
    const w = await reprotected();
    const { ids } = w.rig;
    // State C as the failover and re-protect leave it: the PRIMARY record pinned to the DR region (no health check).
    const record = w.world.record(ids.hostedZoneId, ids.recordName, "primary")!;
    delete record.HealthCheckId;
    record.AliasTarget = { ...record.AliasTarget!, EvaluateTargetHealth: false };
    let completion: Failover.FenceCompletion | undefined;
    w.rig.after.PromoteReplica = async (n) => {
      if (n !== 1) return;
      // DR answers again right after this copy's promote call (its service already scaled up), before the
      // DNS pin, the replica still `available` with its source (RDS's status race). The DR copy's scheduled
      // pass runs then, reading its own table, which holds no lock (this failover's is in this region's).
      w.world.regionsDown.delete("eu-central-1");
      completion = await completeFenceAs(mirrorIds(ids), { pilotCount: 0, isLockHeld: () => Promise.resolve(false) });
    };
    await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: (world) => world.regionsDown.add("eu-central-1") }] });
    await w.settle();
    // The race reached: the pass took this copy's scaled-up service for a rolled-back switchback's leftover.
    expect(completion).toMatchObject({ standbyLeftover: true, service: { changed: true } });
    // CheckDrService raises a lowered count again (Compute.checkService): the race costs one look, 15 s.
    const raised = w.world.calls.filter((c) => c.api === "ecs:UpdateService" && c.region === ids.drRegion).map((c) => (c.input as { desiredCount?: number }).desiredCount);
    expect(raised).toEqual([ids.drTaskCount, 0, ids.drTaskCount]);
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    expect(writable(w)).toEqual([`${prefix}-primary`]);
    expect(w.world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toContain(ids.drAlbDns);
    expect(w.world.services.get(w.world.serviceKey(ids.drRegion, ids.cluster, ids.service))?.desired).toBe(ids.drTaskCount);
    expectSafe(w);
    await w.rig.assertInvariants();
  });

  // Route 53's API fails from this copy's pin on (the record stays pinned to the DR region, as the
  // re-protect left it); the DR region answers again at the run's first FencePrimary (which fences
  // it: its database read-only, its service at 0), or only after the run (nothing fenced there).
  // Then Route 53's API answers, and each copy's scheduled CompleteFence runs once.
  for (const back of ["at its FencePrimary", "after the run"] as const) {
    it(`the DR region back ${back}, after this copy's failover whose DNS pin Route 53's API refused: the DR copy's CompleteFence does not fence the database this copy promoted (it is younger than its own); this copy's completes its own failover and pins DNS here`, async () => {
      const w = await reprotected();
      const { ids } = w.rig;
      // State C as the failover and re-protect leave it: the PRIMARY record pinned to the DR region (no health check).
      const record = w.world.record(ids.hostedZoneId, ids.recordName, "primary")!;
      delete record.HealthCheckId;
      record.AliasTarget = { ...record.AliasTarget!, EvaluateTargetHealth: false };
      w.rig.before.SwitchDns = (n) => void (n === 1 && w.world.impair("route53", { mode: "error" }));
      if (back === "at its FencePrimary") w.rig.before.FencePrimary = (n) => void (n === 1 && w.world.regionsDown.delete("eu-central-1"));
      // The third failed check starts the failover; settle() runs it to its end.
      await w.play({ ticks: 3, changes: [{ atSeconds: 0, apply: (world) => world.regionsDown.add("eu-central-1") }] });
      await w.settle();
      w.world.regionsDown.delete("eu-central-1");
      expect(promotions(w).map((c) => c.region)).toEqual(["eu-west-1"]);
      expect(w.world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).not.toContain(ids.drAlbDns);
      w.world.impairments.length = 0;
      const drCopy = await completeFenceAs(mirrorIds(ids), { pilotCount: 0, isLockHeld: () => Promise.resolve(false) });
      const ownCopy = await w.rig.completeFence();
      expect({ writable: writable(w), drCopy: drCopy.detail }).toMatchObject({ writable: [`${prefix}-primary`] });
      expect(drCopy).toMatchObject({ needed: false, detail: expect.stringMatching(/created after .* the other region's copy failed over to it/) });
      expect(ownCopy).toMatchObject({ needed: true, complete: true, dns: { done: true, changed: true } });
      expect(w.world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toContain(ids.drAlbDns);
      expect(w.world.services.get(w.world.serviceKey("eu-central-1", ids.primaryCluster, ids.primaryService))?.desired).toBe(0);
      // Both again (the next ticks): nothing more to change.
      expect(await completeFenceAs(mirrorIds(ids))).toMatchObject({ needed: false });
      expect(await w.rig.completeFence()).toMatchObject({ complete: true, changed: false });
      expectSafe(w);
      await w.rig.assertInvariants();
    });
  }

  it("a switchback's promotion, DNS still on the DR region until RestoreDns: neither copy's CompleteFence takes it for a failover whose pin failed (the DR database sealed, its service at 0 without the fence tag)", async () => {
    const w = await reprotected();
    const { ids, world } = w.rig;
    const record = world.record(ids.hostedZoneId, ids.recordName, "primary")!;
    delete record.HealthCheckId;
    record.AliasTarget = { ...record.AliasTarget!, EvaluateTargetHealth: false };
    // StopWrites, SealOldServing, PromoteStandby.
    const drService = world.services.get(world.serviceKey("eu-central-1", ids.primaryCluster, ids.primaryService))!;
    world.setDesired(drService, 0);
    world.parameterGroups.get(world.databases.get(ids.primaryDb)!.parameterGroup!)!.parameters.set("read_only", "1");
    await new RDSClient({ region: ids.drRegion }).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    await w.play({ ticks: 3, changes: [] });
    expect(writable(w)).toEqual([`${prefix}-primary`]);
    expect(await completeFenceAs(mirrorIds(ids))).toMatchObject({ needed: false });
    expect(await w.rig.completeFence()).toMatchObject({ needed: false, detail: expect.stringMatching(/not this region's failover/) });
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).not.toContain(ids.drAlbDns);
    expect(world.mutatingCalls().filter((c) => c.api !== "rds:PromoteReadReplica" && c.api !== "sns:Publish")).toEqual([]);
  });

  it("the DR region fails during a switchback after this region's promotion, DNS still on it: the copy tells its alert topic within one detection period, with the command that points users here", async () => {
    const w = await reprotected();
    const { ids, world } = w.rig;
    // The switchback as far as its promotion: the serving database sealed (read_only in its own group), this region's promoted.
    const served = world.databases.get(ids.primaryDb)!;
    world.parameterGroups.get(served.parameterGroup!)!.parameters.set("read_only", "1");
    await new RDSClient({ region: ids.drRegion }).send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    await w.play({ ticks: 3, changes: [] });
    expect(writable(w)).toEqual([`${prefix}-primary`]);
    expect(w.world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).not.toContain(ids.drAlbDns);
    const before = w.world.inbox.length;

    const ticks = await w.play({ ticks: 4, changes: [{ atSeconds: 1, apply: (x) => x.regionsDown.add(ids.primaryRegion) }] });
    const firstFailed = ticks.find((t) => t.atMs >= ticks[1]!.atMs && !t.healthy);
    const told = w.world.inbox.slice(before).filter((m) => m.kind === "failover.stranded");
    expect(told).toHaveLength(1);
    expect(((told[0]?.atMs ?? Infinity) - (firstFailed?.atMs ?? 0)) / 1000).toBeLessThanOrEqual(minutes(10) + 60);
    expect(told[0]?.topicArn).toContain(`:${ids.drRegion}:`);
    // The monitor reads this region's database unfenced (read_only not 1 in its group, under its own role):
    // this state's one command, for this stage and this region.
    expect((told[0]?.message ?? "").split("\n").filter((l) => l.startsWith("Run now:"))).toEqual([`Run now: pnpm dr point-users --stage test --to ${ids.drRegion}`]);
    expect(told[0]?.message).toMatch(/a switchback promoted it before the dr region failed, and it holds every write/);
    expect(told[0]?.message).not.toMatch(/^This region's database is the one users left at the last failover/m);
    expect(startsBy(w, ids.drRegion)).toEqual([]);
    expect(promotions(w)).toHaveLength(1);
  });

  it("a partition between the regions: the copy is armed and sees DR fail every check, but Route 53's checkers see DR serving: it withholds the failover and nothing is promoted", async () => {
    const w = await reprotected();
    const { ids } = w.rig;
    const ticks = await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: (world) => partition(world, "eu-west-1", "eu-central-1") }] });
    await w.settle();
    expect(promotions(w)).toEqual([]);
    expect(writable(w)).toEqual([`${prefix}-replica`]);
    expect(w.executions).toEqual([]);
    expect(ticks.map((t) => t.healthy)).toEqual(Array(8).fill(false));
    expect(ticks[2]?.arming?.kind).toBe("armed");
    expect(ticks[2]?.secondOpinion?.verdict).toBe("disagrees");
    expect(inboxOf(w, ids.drRegion).some((m) => m.kind === "failover.withheld")).toBe(true);
    expectSafe(w);
  });
});

describe("healing", () => {
  it("once a partition heals, neither monitor holds anything open that starts later", async () => {
    const w = await suite.stage({ primaryRegionMonitor: true });
    const { ids } = w.rig;
    await w.play({
      ticks: 10,
      changes: [
        { atSeconds: 0, apply: (world) => partition(world, ids.primaryRegion, ids.drRegion) },
        { atSeconds: minutes(20), apply: (world) => healPartition(world, ids.primaryRegion, ids.drRegion) },
      ],
    });
    await w.settle();
    expect(promotions(w)).toEqual([]);
    expect((await w.peer?.state())?.incident).toBeUndefined();
    expectSafe(w);
  });
});
