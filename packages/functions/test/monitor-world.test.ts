/**
 * The health monitor owning an incident, in the emulated world: the real handler on its
 * schedule, Route 53's health checkers as the second opinion, and the real synthesized state
 * machine running what it starts. Refused or rolled-back runs are re-driven (bounded, with
 * backoff, a new name each), another failover is followed rather than fought, the monitor goes
 * quiet once it is over, and nothing irreversible happens when the second opinion disagrees.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Failover, Stage, State } from "@pilot-light/core";
import { seededRandom } from "../../rehearsal/src/random";
import { healPartition, partition, setAppFault, type WorldState } from "../../world/src";
import { startMonitorWorld, type MonitorWorld, type MonitorWorldSuite, type TickSummary } from "./support/monitor-world";

let suite: MonitorWorldSuite;
beforeAll(async () => {
  suite = await startMonitorWorld();
});
afterAll(async () => suite?.close());

const minutes = (m: number) => m * 60;
const kinds = (w: MonitorWorld) => w.world.inbox.map((m) => m.kind ?? "");
const inboxOf = (w: MonitorWorld, prefix: string) => w.world.inbox.filter((m) => (m.kind ?? "").startsWith(prefix));
const count = (w: MonitorWorld, kind: string) => kinds(w).filter((k) => k === kind).length;
const writable = (w: MonitorWorld) => [...w.world.databases.keys()].filter((id) => w.world.isWritable(id));
const drDesired = (w: MonitorWorld) => w.world.services.get(w.world.serviceKey(w.rig.ids.drRegion, w.rig.ids.cluster, w.rig.ids.service))?.desired;
const primaryRegionDown = (world: WorldState) => world.regionsDown.add("eu-west-1");
const primaryRegionUp = (world: WorldState) => world.regionsDown.delete("eu-west-1");
const promotions = (w: MonitorWorld) => w.world.mutatingCalls().filter((c) => c.api === "rds:PromoteReadReplica").length;

/** After any run: one writable database at most, no user served by a region whose database takes no writes, every failed run told. */
function expectInvariants(w: MonitorWorld) {
  const { world, ids } = w.rig;
  expect(writable(w).length).toBeLessThanOrEqual(1);
  const answer = world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName ?? "";
  const region = answer.includes(ids.drAlbDns) ? ids.drRegion : ids.primaryRegion;
  const service = [...world.services.values()].find((s) => s.region === region)!;
  if (world.healthyTargets(service) > 0) expect(writable(w)).toContain(region === ids.drRegion ? ids.replicaDb : ids.primaryDb);
  const failed = w.executions.filter((e) => e.record?.status === "FAILED").length;
  const told = ["failover.failed", "failover.needs-operator", "failover.redrive", "failover.following", "failover.abandoned"].reduce((n, k) => n + count(w, k), 0);
  expect(told).toBeGreaterThanOrEqual(failed);
}

describe("the monitor owns the incident until it is resolved", () => {
  it("fails over a regional outage Route 53's checkers confirm, says so in 'failover started', then stays quiet about the old primary", async () => {
    const w = await suite.stage();
    const ticks = await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: primaryRegionDown }] });
    await w.settle();
    expect(w.executions.map((e) => [e.name, e.record?.status])).toEqual([["failover-primary-20260101T031000Z", "SUCCEEDED"]]);
    expect(ticks[2]?.secondOpinion).toMatchObject({ verdict: "confirms", detail: expect.stringMatching(/^Route 53 health checkers confirm: 0 of 8 locations/) });
    const started = w.world.inbox.find((m) => m.kind === "failover.started");
    expect(started?.message).toMatch(/started by health-monitor: Route 53 health checkers confirm: 0 of 8 locations see the primary healthy/);
    expect((await w.state()).incident?.resolution).toMatchObject({ kind: "failed-over" });
    expectInvariants(w);

    // Hours of the old region flapping after the failover: not one message about it.
    const before = w.world.inbox.length;
    const flapping = Array.from({ length: 12 }, (_, i) => ({ atSeconds: minutes(i * 10 + 1), apply: i % 2 === 0 ? primaryRegionUp : primaryRegionDown }));
    await w.play({ ticks: 24, changes: flapping });
    expect(w.world.inbox.slice(before).map((m) => m.kind)).toEqual([]);
    expect(w.executions).toHaveLength(1);
  });

  it("re-drives a run whose lock write was throttled, under a new name after its backoff, and fails over", async () => {
    const w = await suite.stage();
    let throttled = 0;
    w.rig.before.AcquireLock = () => {
      // Every retry of the first run's AcquireLock (1 + 4) is throttled; the state machine ends it in LockNotAcquired.
      if (throttled++ < 5) throw Object.assign(new Error("dynamodb:PutItem: Throughput exceeds the current capacity"), { name: "AwsTransientError" });
    };
    await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: primaryRegionDown }] });
    await w.settle();
    const [first, second] = w.executions;
    expect(w.executions.map((e) => [e.name, e.record?.status])).toEqual([
      ["failover-primary-20260101T031000Z", "FAILED"],
      ["failover-primary-20260101T031000Z-2", "SUCCEEDED"],
    ]);
    expect(first?.record?.states.at(-1)).toBe("LockNotAcquired");
    // Backoff: five minutes after the monitor saw the first run end (the tick after it).
    expect(((second?.startedAtMs ?? 0) - (first?.record?.endedAtMs ?? 0)) / 1000).toBeGreaterThanOrEqual(minutes(5));
    expect(count(w, "failover.redrive")).toBe(1);
    const redrive = w.world.inbox.find((m) => m.kind === "failover.redrive");
    expect(redrive?.subject).toBe("[pilot-light test] failover attempt 1 ended before promotion: retry 2/4");
    expect(second?.input.reason).toMatch(/Attempt 2 of 4 \(attempt 1 ended FAILED AwsTransientError\)/);
    expect(promotions(w)).toBe(1);
    expect((await w.state()).incident).toMatchObject({ attempt: 2, resolution: { kind: "failed-over" } });
    expectInvariants(w);
  });

  it("re-drives a run refused for replica lag over the RPO budget once the lag has come down", async () => {
    const w = await suite.stage({ replicaLag: [240, 250, 245] });
    const primaryApp = w.world.services.get(w.world.serviceKey(w.rig.ids.primaryRegion, w.rig.ids.cluster, w.rig.ids.service))!;
    await w.play({
      ticks: 9,
      changes: [
        // The region degrades (its app tier first, replication still running under a write burst), then fails.
        { atSeconds: 0, apply: () => (primaryApp.tasks = []) },
        { atSeconds: minutes(12), apply: (world) => (world.replicaLag.get(w.rig.ids.replicaDb)!.steady = [1.5]) },
        { atSeconds: minutes(16), apply: primaryRegionDown },
      ],
    });
    await w.settle();
    expect(w.executions.map((e) => [e.name, e.record?.status, e.record?.error])).toEqual([
      ["failover-primary-20260101T031000Z", "FAILED", "RpoBudgetExceededError"],
      ["failover-primary-20260101T031000Z-2", "SUCCEEDED", undefined],
    ]);
    expect(kinds(w)).toEqual(expect.arrayContaining(["failover.failed", "failover.redrive", "failover.succeeded"]));
    expect(await w.rig.outcome("failover-primary-20260101T031000Z-2")).toMatchObject({ status: "succeeded", rpoSeconds: 1.5 });
    expectInvariants(w);
  });

  it("leaves an operator's failover alone once it pinned DNS to DR: the monitor is no longer armed, starts nothing, follows nothing", async () => {
    // The operator's run promotes and pins DNS within the second it starts; the monitor's third failed check comes 30 s later.
    const w = await suite.stage({ latencies: { promotionSeconds: 600 } });
    const operator = "failover-test-20260101T030930Z";
    const ticks = await w.play({
      ticks: 6,
      changes: [
        { atSeconds: 0, apply: primaryRegionDown },
        { atSeconds: minutes(9.5), apply: () => w.startExecution(operator, { mode: "failover", reason: "primary down, failing over by hand", requestedBy: "alice" }) },
      ],
    });
    await w.settle();
    expect(w.executions.map((e) => [e.name, e.record?.status, e.record?.states.at(-1)])).toEqual([[operator, "SUCCEEDED", "Done"]]);
    // Still a replica, but users are sent to DR: a failover to this region is under way (Health.decideArming).
    expect(ticks[2]?.arming).toMatchObject({ kind: "serving", detail: expect.stringMatching(/a failover to this region is under way/) });
    expect(ticks.slice(2).map((t) => t.consecutiveFailures)).toEqual([0, 0, 0, 0]);
    expect(kinds(w).filter((k) => k.startsWith("failover.") && k !== "failover.started" && k !== "failover.succeeded")).toEqual([]);
    expect((await w.state()).incident).toBeUndefined();
    expect(promotions(w)).toBe(1);
    expectInvariants(w);
  });

  it("stops after its cap of attempts, each refused and told, the waits between them growing", async () => {
    const w = await suite.stage({ replicaLag: [240, 250, 245] });
    await w.play({ ticks: 16, changes: [{ atSeconds: 0, apply: primaryRegionDown }] });
    await w.settle();
    expect(w.executions.map((e) => e.name)).toEqual(["", "-2", "-3", "-4"].map((s) => `failover-primary-20260101T031000Z${s}`));
    expect(new Set(w.executions.map((e) => e.record?.error))).toEqual(new Set(["RpoBudgetExceededError"]));
    const gaps = w.executions.slice(1).map((e, i) => (e.startedAtMs - w.executions[i]!.startedAtMs) / 60_000);
    expect(gaps).toEqual([10, 15, 25]);
    expect(count(w, "failover.redrive")).toBe(3);
    expect(count(w, "failover.abandoned")).toBe(1);
    expect(count(w, "failover.failed")).toBe(4);
    expect((await w.state()).incident?.resolution).toMatchObject({ kind: "gave-up" });
    expect(promotions(w)).toBe(0);
    expect(drDesired(w)).toBe(w.rig.ids.drPilotTaskCount);
    expect(await w.rig.lockItem()).toBeUndefined();
    expectInvariants(w);
  });
});

describe("a second opinion before anything irreversible", () => {
  /** An hour of healthy checks first, as a monitor that has been running has. */
  const healthyHour = 12;

  it("withholds the failover when the DR region is cut off from a primary Route 53 still sees healthy, and closes the incident once it heals", async () => {
    const w = await suite.stage();
    const { ids } = w.rig;
    const ticks = await w.play({
      ticks: healthyHour + 8,
      changes: [
        { atSeconds: minutes(60), apply: (world) => partition(world, ids.primaryRegion, ids.drRegion) },
        { atSeconds: minutes(80), apply: (world) => healPartition(world, ids.primaryRegion, ids.drRegion) },
      ],
    });
    expect(w.executions).toEqual([]);
    expect(ticks.filter((t) => t.secondOpinion).map((t) => t.secondOpinion?.verdict)).toEqual(["disagrees", "disagrees"]);
    expect(count(w, "failover.withheld")).toBe(1);
    expect(w.world.inbox.find((m) => m.kind === "failover.withheld")?.message).toMatch(/8 of 8 locations.*\n.*cannot be undone/s);
    const closed = ticks.find((t) => t.closedIncident)?.closedIncident;
    expect(closed).toBe("primary-20260101T041000Z");
    expect((await w.state()).incident).toBeUndefined();
    const archived = await w.rig.dynamo.doc.send(new GetCommand({ TableName: w.rig.table, Key: { pk: State.keys.incident(closed ?? "") } }));
    expect(archived.Item).toMatchObject({ closedBy: "health-monitor", confirmation: { verdict: "disagrees" } });
    expect(w.world.mutatingCalls().map((c) => c.api)).toEqual(w.world.inbox.map(() => "sns:Publish"));
    expect(writable(w)).toEqual([ids.primaryDb]);
    expectInvariants(w);
  });

  it("does not fail over a bad deploy whose /health.php breaks the contract while Route 53's status check passes", async () => {
    const w = await suite.stage();
    const ticks = await w.play({ ticks: healthyHour + 6, changes: [{ atSeconds: minutes(60), apply: (world) => setAppFault(world, w.rig.ids.primaryRegion, { kind: "bad-deploy" }) }] });
    expect(w.executions).toEqual([]);
    expect(ticks.at(-1)).toMatchObject({ healthy: false, incidentId: "primary-20260101T041000Z" });
    expect(count(w, "failover.withheld")).toBe(1);
    expect(w.world.inbox.find((m) => m.kind === "failover.withheld")?.message).toContain("body is not the /health.php JSON");
    expect(promotions(w)).toBe(0);
  });

  it("does not fail over a primary whose database is at its connection limit, mostly down for the monitor, and mails at most 2 health messages an hour", async () => {
    const w = await suite.stage();
    await w.play({
      ticks: healthyHour + 36,
      changes: [{ atSeconds: minutes(60), apply: (world) => setAppFault(world, w.rig.ids.primaryRegion, { kind: "db-connection-limit", rejectShare: 2 / 3 }) }],
    });
    expect(w.executions).toEqual([]);
    expect(count(w, "failover.withheld")).toBe(1);
    const health = inboxOf(w, "health.");
    for (const m of health) expect(health.filter((o) => o.atMs > m.atMs - 3_600_000 && o.atMs <= m.atMs).length).toBeLessThanOrEqual(2);
    expect(promotions(w)).toBe(0);
    expect(writable(w)).toEqual([w.rig.ids.primaryDb]);
  });

  it("fails over on its own view when the second opinion cannot be had (Route 53's API hangs), and says so", async () => {
    const w = await suite.stage();
    const ticks = await w.play({
      ticks: 6,
      changes: [{ atSeconds: 0, apply: (world) => (primaryRegionDown(world), world.impair("route53")) }],
    });
    await w.settle();
    expect(ticks[2]?.secondOpinion).toEqual({
      verdict: "unavailable",
      detail: expect.stringMatching(/^second opinion unavailable \(GetHealthCheckStatus hc-primary-0001: TimeoutError: .*\): going on the monitor's own checks$/),
    });
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    expect(w.world.inbox.find((m) => m.kind === "failover.started")?.message).toMatch(/health-monitor: Second opinion unavailable \(GetHealthCheckStatus/);
    expect(await w.rig.outcome("failover-primary-20260101T031000Z")).toMatchObject({ dns: "left-to-health-checks" });
    expect(Failover.FailoverInput.safeParse(w.executions[0]?.input).success).toBe(true);
    expectInvariants(w);
  });
});

describe("an in-region Multi-AZ failover with a one-minute schedule", () => {
  const dns = { hostedZoneName: "example.com", hostedZoneId: "Z1", recordName: "app.example.com" };
  const schemaAccepts = (failureThreshold: number) => {
    try {
      return Stage.resolveStageConfig("fast", { fast: { dns, health: { schedule: "rate(1 minute)", failureThreshold } } }).health.autoFailover;
    } catch {
      return false;
    }
  };
  /** Ticks per episode; each episode: healthy, then the primary's database failing over for 60-120 s at a random second, then healthy. */
  const episodeTicks = 8;
  const episodes = 16;

  /**
   * Plays the episodes on the monitor's real schedule: each tick delivered at a random second of
   * its minute (EventBridge), each Multi-AZ failover of a random length (60-120 s, RDS's range)
   * starting at a random second, so every phase of the outage against the ticks comes up.
   */
  async function playMultiAzFailovers(failureThreshold: number, seed: number, until?: (ticks: TickSummary[]) => boolean) {
    const w = await suite.stage({ env: { FAILURE_THRESHOLD: String(failureThreshold), AVAILABILITY_WINDOW_MINUTES: "60", MIN_AVAILABILITY_PERCENT: "50" } });
    const random = seededRandom(seed);
    const delays = Array.from({ length: episodes * episodeTicks }, () => Math.floor(random.next() * 60));
    const database = (status: string) => (world: WorldState) => {
      world.databases.get(w.rig.ids.primaryDb)!.baseStatus = status;
    };
    const changes = Array.from({ length: episodes }, (_, k) => {
      const startsAt = k * episodeTicks * 60 + 90 + Math.floor(random.next() * 120);
      const lasts = 60 + Math.floor(random.next() * 61);
      return [
        { atSeconds: startsAt, apply: database("rebooting") },
        { atSeconds: startsAt + lasts, apply: database("available") },
      ];
    }).flat();
    const ticks = await w.play({ ticks: episodes * episodeTicks, periodSeconds: 60, delaySeconds: (n) => delays[n] ?? 0, changes, until });
    await w.settle();
    return { w, ticks };
  }

  it("never opens an incident with the fast profile the stage schema accepts (rate(1 minute), 4 strikes)", async () => {
    expect(schemaAccepts(4)).toBe(true);
    const { w, ticks } = await playMultiAzFailovers(4, 20);
    expect(ticks.filter((t) => !t.healthy).length).toBeGreaterThanOrEqual(episodes);
    expect(Math.max(...ticks.map((t) => t.consecutiveFailures))).toBe(3);
    expect(ticks.filter((t) => t.incidentId)).toEqual([]);
    expect(w.executions).toEqual([]);
    expect(promotions(w)).toBe(0);
  });

  it("would fail over the region with the profile the stage schema refuses (rate(1 minute), 3 strikes): Route 53's checkers see the same 503s", async () => {
    expect(schemaAccepts(3)).toBe(false);
    // Played until the monitor starts a failover: what follows is that failover (settled), not the question.
    const { w, ticks } = await playMultiAzFailovers(3, 20, (played) => played.some((t) => t.execution?.started));
    expect(ticks.length).toBeLessThan(episodes * episodeTicks);
    expect(ticks.some((t) => t.incidentId)).toBe(true);
    expect(w.executions.length).toBeGreaterThan(0);
    expect(ticks.find((t) => t.secondOpinion)?.secondOpinion?.verdict).toBe("confirms");
  });
});

describe("a scheduled event dated in the future", () => {
  it("is counted at the time it was received: one tick dated a day ahead does not blind the monitor to a regional outage", async () => {
    const w = await suite.stage();
    const dayMs = 86_400_000;
    const ticks = await w.play({ ticks: 5, changes: [{ atSeconds: 0, apply: primaryRegionDown }], dated: (n, scheduledMs) => (n === 0 ? scheduledMs + dayMs : scheduledMs) });
    await w.settle();
    expect(ticks.slice(0, 3).map((t) => t.consecutiveFailures)).toEqual([1, 2, 3]);
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    expectInvariants(w);
  });
});
