/**
 * Every scenario rehearsed end to end (real monitor, real synthesized state machine, real
 * handlers, emulated world on a virtual clock): what happened, and the world it left behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRehearsal, type ProgressLine, type Rehearsal } from "../src/engine";
import { RehearsalReport } from "../src/report/schema";

let rehearsal: Rehearsal;
beforeAll(async () => {
  rehearsal = await createRehearsal();
});
afterAll(async () => rehearsal?.close());

/** Every report a test produced: the world's invariants must hold at the end of each. */
const reports: RehearsalReport[] = [];
afterEach(() => {
  const broken = reports.splice(0).filter((r) => r.invariantViolations.length > 0);
  expect(broken.map((r) => `${r.scenario} (seed ${r.seed}, ${r.profile}): ${r.invariantViolations.join("; ")}`)).toEqual([]);
});
const keep = (r: RehearsalReport) => {
  reports.push(r);
  return r;
};

/** A rehearsal as a test reads it: its report and the live lines it printed. */
const rehearse = async (scenario: string, seed: number, profile: "default" | "fast") => {
  const lines: ProgressLine[] = [];
  const report = RehearsalReport.parse(await rehearsal.rehearse({ scenario, seed, profile, onProgress: (l) => lines.push(l) }));
  return { report, lines };
};

/**
 * Each (scenario, seed, profile) is rehearsed once, its report shared by every test that reads
 * it: the same seed gives the same report (tested below with fresh runs), so a second run would
 * only cost time (a whole rehearsal each; nine tests read regional-outage's seed 5).
 */
const rehearsed = new Map<string, ReturnType<typeof rehearse>>();
const once = (scenario: string, seed: number, profile: "default" | "fast") => {
  const key = `${scenario}/${seed}/${profile}`;
  if (!rehearsed.has(key)) rehearsed.set(key, rehearse(scenario, seed, profile));
  return rehearsed.get(key)!;
};

const run = async (scenario: string, seed = 5, profile: "default" | "fast" = "default") => keep(structuredClone((await once(scenario, seed, profile)).report));

const runWithProgress = async (scenario: string, seed = 5) => {
  const { report, lines } = structuredClone(await once(scenario, seed, "default"));
  return { report: keep(report), lines };
};

/** A rehearsal of its own, never shared (the determinism test compares it with the shared one). */
const fresh = async (scenario: string, seed: number) => keep((await rehearse(scenario, seed, "default")).report);

const phase = (r: RehearsalReport, name: string) => r.phases.find((p) => p.name === name);

describe("regional outage", () => {
  it("fails over: one writable database (the promoted replica), DR at full capacity, DNS pinned to DR", async () => {
    const r = await run("regional-outage");
    expect(r.failedOver).toBe(true);
    expect(r.outcome).toBe("failed over to the DR region");
    expect(r.endState).toMatchObject({
      writableDatabases: ["pilot-light-rehearsal-replica"],
      drDesiredTasks: 2,
      drHealthyTargets: 2,
      failoverLockHeld: false,
    });
    expect(r.endState.primaryRecordTarget).toMatch(/pilot-light-rehearsal-dr-/);
  });

  it("fails over with the default profile in the harsh world for several seeds (lag -1 then stale, hanging primary region)", async () => {
    // Two seeds beside seed 5 (the tests above); `pnpm bench` sweeps seeds 1..N of both profiles.
    for (const seed of [1, 2]) {
      const r = await run("regional-outage", seed);
      expect(r.outcome, `seed ${seed}: ${r.execution?.error ?? ""}`).toBe("failed over to the DR region");
      // Preflight ran 10+ minutes into the outage, long after the last valid ReplicaLag datapoint.
      expect(r.detectionSeconds, `seed ${seed}`).toBeGreaterThanOrEqual(600);
      expect(r.rpoSeconds, `seed ${seed}`).toBeGreaterThanOrEqual(0);
      expect(r.endState.writableDatabases, `seed ${seed}`).toEqual(["pilot-light-rehearsal-replica"]);
    }
  });

  it("detects within the default profile's 10-15 minutes plus delivery jitter", async () => {
    const r = await run("regional-outage");
    expect(r.detectionSeconds).toBeGreaterThanOrEqual(600);
    expect(r.detectionSeconds).toBeLessThanOrEqual(900 + 60);
  });

  it("detects within 3-5 minutes with the fast profile", async () => {
    const r = await run("regional-outage", 5, "fast");
    expect(r.detectionSeconds).toBeGreaterThanOrEqual(180);
    expect(r.detectionSeconds).toBeLessThanOrEqual(240 + 60);
  });

  it("reports figures consistent with its phases", async () => {
    const r = await run("regional-outage");
    const detection = phase(r, "Detection")!;
    const verify = phase(r, "Verify DR health")!;
    expect(detection.endSeconds).toBe(r.detectionSeconds);
    expect(r.rtoSeconds).toBe(verify.endSeconds);
    expect(r.rtoSeconds!).toBeGreaterThan(r.detectionSeconds!);
    const last = Math.max(...r.phases.map((p) => p.endSeconds));
    expect(r.detectionSeconds! + r.orchestrationSeconds!).toBeCloseTo(last, 0);
    for (const p of r.phases) expect(p.endSeconds).toBeGreaterThanOrEqual(p.startSeconds);
    // Promotion and scaling run in parallel: scaling starts before the promotion ends.
    expect(phase(r, "Scale DR service → healthy")!.startSeconds).toBeLessThan(phase(r, "Promote replica → writable")!.endSeconds);
    expect(r.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(r.notifications.map((n) => n.kind)).toEqual(expect.arrayContaining(["failover.started", "failover.succeeded"]));
  });

  it("gives the same timeline for the same seed, and another for another seed", async () => {
    const strip = (r: RehearsalReport) => ({ ...r, wallMilliseconds: 0 });
    // A rehearsal of its own against the one the tests above share: same seed, same engine, run apart.
    expect(strip(await fresh("regional-outage", 5))).toEqual(strip(await run("regional-outage", 5)));
    expect((await run("regional-outage", 1)).phases).not.toEqual((await run("regional-outage", 5)).phases);
  });
});

describe.each(["flapping-primary", "in-region-db-failover", "partition"])("%s", (scenario) => {
  it.each(["default", "fast"] as const)("does not fail over (%s profile) and leaves DR as a pilot light", async (profile) => {
    const r = await run(scenario, 5, profile);
    expect(r.failedOver).toBe(false);
    expect(r.execution).toBeNull();
    expect(r.endState).toMatchObject({ writableDatabases: ["pilot-light-rehearsal-primary"], drDesiredTasks: 0, primaryDesiredTasks: 2 });
    expect(r.notifications.map((n) => n.kind)).not.toContain("failover.started");
  });
});

it("keeps the flapping primary's outages short of threshold checks even when the checks fire late (seed 1: three fell in one 10-minute outage)", async () => {
  const r = await run("flapping-primary", 1);
  expect(r.expectation).toMatchObject({ actual: "not-started", met: true });
  expect(r.events.map((e) => e.text)).not.toContain("health check failed (3 in a row)");
});

it("expects promotion-fails to be refused, not to need an operator, when the seed draws replica lag over the RPO budget (seed 31)", async () => {
  const r = await run("promotion-fails", 31);
  expect(r.expectation).toMatchObject({ outcome: "refused", actual: "refused", met: true });
});

/** The most degraded/recovered mails in any rolling hour of a run. */
const healthMailsPerHour = (r: RehearsalReport) => {
  const mails = r.notifications.filter((n) => n.kind.startsWith("health."));
  return Math.max(0, ...mails.map((m) => mails.filter((o) => o.atSeconds > m.atSeconds - 3600 && o.atSeconds <= m.atSeconds).length));
};

describe("a primary that stays mostly down", () => {
  it("is failed over once the hour's availability is below 50 %, though it never fails three checks in a row", async () => {
    const r = await run("mostly-down-primary");
    expect(r.outcome).toBe("failed over to the DR region");
    // The availability window (60 minutes) is the detection time: the strike rule never fires.
    expect(r.detectionSeconds).toBeGreaterThanOrEqual(45 * 60);
    expect(r.detectionSeconds).toBeLessThanOrEqual(65 * 60);
    expect(r.endState.writableDatabases).toEqual(["pilot-light-rehearsal-replica"]);
    expect(r.events.filter((e) => /health check failed \(3 in a row\)/.test(e.text))).toEqual([]);
  });

  it("mails at most 2 health messages an hour while it flaps", async () => {
    const r = await run("mostly-down-primary");
    expect(healthMailsPerHour(r)).toBeLessThanOrEqual(2);
    expect(r.notifications.map((n) => n.kind)).toEqual(expect.arrayContaining(["health.degraded", "failover.started"]));
  });

  it("keeps the flapping primary (down two checks in four) from failing over with the default profile: half its checks pass", async () => {
    const r = await run("flapping-primary");
    expect(r.execution).toBeNull();
    expect(healthMailsPerHour(r)).toBeLessThanOrEqual(2);
  });
});

describe("a partition between the two regions", () => {
  it("withholds the failover, telling people once, because Route 53's checkers still see the primary healthy", async () => {
    const r = await run("partition");
    expect(r.notifications.filter((n) => n.kind === "failover.withheld")).toEqual([
      expect.objectContaining({ subject: "[pilot-light rehearsal] primary unreachable but healthy to Route 53: no failover" }),
    ]);
    expect(r.outcome).toBe("no failover started");
  });
});

describe("outage during the replica's backup", () => {
  it("waits for the backup (Preflight retried on ReplicaNotReadyError), then fails over", async () => {
    const r = await run("outage-during-backup");
    expect(r.outcome).toBe("failed over to the DR region");
    const preflight = phase(r, "Preflight")!;
    expect(preflight.endSeconds - preflight.startSeconds).toBeGreaterThan(0);
    expect(r.notifications.map((n) => n.kind)).not.toContain("failover.failed");
  });
});

describe("outage during a drill", () => {
  it.each([
    [5, "default"],
    [7, "default"],
    [5, "fast"],
  ] as const)("stops the drill, takes its lock and fails over at once (seed %i, %s profile), the delay printed", async (seed, profile) => {
    const r = await run("outage-during-drill", seed, profile);
    expect(r.outcome, r.execution?.error ?? "").toBe("failed over to the DR region");
    expect(r.preemption).toMatchObject({ drill: `drill-rehearsal-${seed}`, drillStatus: "ABORTED" });
    // The failover's own intake (ValidateInput, AcquireLock) is all that stands between the monitor's start and the lock.
    expect(r.preemption!.delaySeconds).toBeLessThan(5);
    expect(r.endState).toMatchObject({ writableDatabases: ["pilot-light-rehearsal-replica"], drDesiredTasks: 2, failoverLockHeld: false });
    expect(r.events.map((e) => e.marker)).toEqual(expect.arrayContaining(["drill started", "drill pre-empted", "drill stopped"]));
    expect(r.notifications.map((n) => n.kind)).toEqual(expect.arrayContaining(["failover.started", "failover.succeeded", "failover.aborted"]));
    console.log(
      `outage-during-drill (seed ${seed}, ${profile}): drill pre-empted ${r.preemption!.delaySeconds} s after the monitor started the failover (detection ${r.detectionSeconds} s); RTO ${r.rtoSeconds} s`,
    );
  });
});

describe("Route 53 control plane impaired", () => {
  it("fails over with DNS left to the health checks: the PRIMARY record is not pinned", async () => {
    const r = await run("route53-impaired");
    expect(r.outcome).toBe("failed over to the DR region");
    expect(r.endState.primaryRecordTarget).toMatch(/pilot-light-rehearsal-pr-/);
  });
});

describe("replica lag over the RPO budget", () => {
  it("refuses to promote, compensates and says why", async () => {
    const r = await run("replica-lag-breach");
    expect(r.failedOver).toBe(false);
    expect(r.execution?.error).toBe("RpoBudgetExceededError");
    expect(r.endState).toMatchObject({ writableDatabases: [], drDesiredTasks: 0, failoverLockHeld: false });
    expect(r.notifications.map((n) => n.kind)).toContain("failover.failed");
  });
});

describe("promotion that never completes", () => {
  it("stops for an operator without undoing the promotion, after the polling cap", async () => {
    const r = await run("promotion-fails");
    expect(r.failedOver).toBe(false);
    expect(r.outcome).toMatch(/needs operator/);
    expect(r.notifications.map((n) => n.kind)).toContain("failover.needs-operator");
    expect(r.orchestrationSeconds).toBeGreaterThanOrEqual(15 * 60);
  });

  it("reports the promotion as timed out with its error, the run as failed in NeedsOperator, and never as a success", async () => {
    const { report: r, lines } = await runWithProgress("promotion-fails");
    const texts = lines.map((l) => l.text);
    // The first attempt: 150 checks 8 s apart, each poll also trying the fence in the dead region (bounded): 20 min and more.
    const timedOut = texts.find((t) => t.startsWith("✗ Promote replica → writable timed out after"));
    expect(timedOut).toMatch(/^✗ Promote replica → writable timed out after \d+ s: PromotionTimeoutError: the database was not writable after 150 checks/);
    expect(Number(/after (\d+) s/.exec(timedOut ?? "")?.[1])).toBeGreaterThanOrEqual(1200);
    expect(texts).toContainEqual(expect.stringMatching(/^✓ Scale DR service → healthy/));
    expect(texts).not.toContainEqual(expect.stringMatching(/^✓ Promote replica/));
    // The monitor owns the incident until users are served: it re-drives, and a re-driven run that
    // finds RDS still modifying the replica rolls nothing back (afterEach checks the invariants).
    expect(r.notifications.map((n) => n.kind)).toContain("failover.redrive");
    expect(r.verdict).toBe("failed");
    expect(r.execution?.endStateName).toBe("NeedsOperator");
    expect(r.targets?.rto).toMatchObject({ actualSeconds: null, met: false });
  });
});

describe("judging a run", () => {
  it("judges a regional outage against the stage's targets from the outage's start", async () => {
    const r = await run("regional-outage");
    expect(r.targets?.rto).toEqual({ targetSeconds: 600, actualSeconds: r.rtoSeconds, measuredFrom: "outage-start", met: r.rtoSeconds! <= 600 });
    expect(r.targets?.rpo).toMatchObject({ budgetSeconds: 60, met: true });
    expect(r.verdict).toBe("ok");
    expect(r.execution?.endStateName).toBe("Done");
  });

  it("marks the critical path up to DR serving: detection, intake, the slower parallel branch, verification", async () => {
    const r = await run("regional-outage");
    const promote = phase(r, "Promote replica → writable")!;
    const scale = phase(r, "Scale DR service → healthy")!;
    const slower = promote.endSeconds >= scale.endSeconds ? promote.name : scale.name;
    expect(r.criticalPath).toEqual(["Detection", "Validate input, lock", "Preflight", "Notify started", slower, "Verify DR health"]);
    expect(r.phases.filter((p) => p.critical).map((p) => p.name)).toEqual(r.criticalPath);
  });

  it("says detection dominates the default profile's RTO", async () => {
    const r = await run("regional-outage");
    expect(r.advice[0]).toMatch(/^detection is \d+ % of RTO .*a faster health profile/);
  });

  it("does not recommend the fast health profile to a run that detected with it", async () => {
    const r = await run("regional-outage", 5, "fast");
    expect(r.advice.length).toBeGreaterThan(0);
    expect(r.advice.join("\n")).not.toMatch(/faster health profile/);
  });

  it("labels the events drawn on the chart", async () => {
    const r = await run("regional-outage");
    expect(r.events.filter((e) => e.marker).map((e) => e.marker)).toEqual(["primary region goes down", "failover started", "DR serving", "DNS pinned", "run ended", "incident resolved"]);
  });

  it("owes no target where no recovery was due", async () => {
    for (const scenario of ["flapping-primary", "dry-run"]) {
      const r = await run(scenario);
      expect(r.targets, scenario).toBeNull();
      expect(r.advice, scenario).toEqual([]);
    }
  });

  it("names the RPO budget when preflight refused for lag", async () => {
    const r = await run("replica-lag-breach");
    // Preflight threw, so the execution holds no lag reading: the RPO is unknown, not "met".
    expect(r.targets?.rpo).toMatchObject({ budgetSeconds: 60, met: null });
    expect(phase(r, "Preflight")).toMatchObject({ outcome: "failed", error: expect.stringMatching(/^RpoBudgetExceededError/) });
    // The first attempt names the lag against the budget; the monitor re-drives (it never
    // accepts the breach itself) until its cap, by when the last lag datapoint is over an hour old.
    expect(r.phases.find((p) => p.name.startsWith("Attempt 1:"))?.error).toMatch(/^RpoBudgetExceededError: preflight blocked the failover: replica lag \d+ s .*above the RPO budget of 60 s/);
    expect(r.advice[0]).toMatch(/^preflight blocked the failover: replica lag .*acknowledgeRpoBreach.*; or find the write burst/);
  });
});

describe("following the system past the first execution", () => {
  it("fails over an outage during the replica's backup when the monitor re-drives the run the backup refused (seed 7)", async () => {
    const r = await run("outage-during-backup", 7);
    expect(r.outcome).toBe("failed over to the DR region");
    expect(r.expectation.met).toBe(true);
    const attempt = r.phases.find((p) => p.name.startsWith("Attempt 1:"));
    expect(attempt).toMatchObject({ outcome: "failed", critical: true, error: expect.stringMatching(/^ReplicaNotReadyError: .*backing-up/) });
    const texts = r.events.map((e) => e.text);
    expect(texts).toContainEqual(expect.stringMatching(/^monitor re-drives: execution \S+-2$/));
    expect(texts.at(-1)).toMatch(/^monitor stands down: failed-over/);
    expect(r.execution?.name).toMatch(/-2$/);
    expect(r.orchestrationSeconds).toBeGreaterThan(attempt!.endSeconds - attempt!.startSeconds);
  });

  it("ends a successful failover with the monitor standing down, the incident's end on the timeline", async () => {
    const r = await run("regional-outage");
    const end = r.events.at(-1)!;
    expect(end).toMatchObject({ marker: "incident resolved", text: expect.stringMatching(/^monitor stands down: failed-over/) });
    expect(end.atSeconds).toBeGreaterThan(r.rtoSeconds!);
    // CompleteFence runs on the same schedule; the old primary's region still hangs, so it says what it could not finish.
    expect(r.events.map((e) => e.text)).toContainEqual(expect.stringMatching(/^CompleteFence: database: could not reach RDS in eu-west-1/));
  });
});

describe("live progress", () => {
  it.each(["regional-outage", "promotion-fails", "replica-lag-breach", "drill"])("prints %s's lines in time order", async (scenario) => {
    const { lines } = await runWithProgress(scenario);
    const times = lines.map((l) => l.atSeconds);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // A monitor's incident ends when the monitor stands down; an operator's run when it ends.
    expect(lines.at(-1)?.text).toMatch(scenario === "drill" ? /^execution \S+ (succeeded|failed)/ : /^monitor stands down: /);
  });

  it("sends one 'failover started' per failover", async () => {
    const r = await run("regional-outage");
    expect(r.notifications.filter((n) => n.kind === "failover.started")).toHaveLength(1);
    for (const n of r.notifications) expect(n.subject).toMatch(/^\[pilot-light rehearsal\] /);
  });
});

describe("drill", () => {
  it("scales DR up against the read replica, verifies it, and scales back without promoting", async () => {
    const r = await run("drill");
    expect(r.execution?.status).toBe("SUCCEEDED");
    expect(r.failedOver).toBe(false);
    expect(r.endState).toMatchObject({ writableDatabases: ["pilot-light-rehearsal-primary"], drDesiredTasks: 0, failoverLockHeld: false });
    expect(r.endState.primaryRecordTarget).toMatch(/pilot-light-rehearsal-pr-/);
    expect(phase(r, "Verify DR health")).toBeDefined();
    expect(phase(r, "Promote replica → writable")).toBeUndefined();
  });
});

describe("dry-run", () => {
  it("runs preflight only and changes nothing", async () => {
    const r = await run("dry-run");
    expect(r.execution?.status).toBe("SUCCEEDED");
    expect(r.phases.map((p) => p.name)).not.toContain("Promote replica → writable");
    expect(r.endState).toMatchObject({ writableDatabases: ["pilot-light-rehearsal-primary"], drDesiredTasks: 0, primaryDesiredTasks: 2 });
    expect(r.notifications).toEqual([]);
  });
});
