/**
 * The lifecycle rehearsal, one seed of three generations, through the real workflows end to end:
 * the primary region fails and the DR region's copy fails over by itself, re-protect; the DR
 * region (now serving) fails and the primary region's copy, armed at run time, fails over back,
 * re-protect the other way; the primary fails again, re-protect, and a planned switchback; before
 * the first two re-protects the region that took over fails too (nothing can take over: people
 * are told). Every generation begins with a partition between the regions (both monitors
 * ticking); in the first the standby-to-be region fails while re-protect runs, in the second the
 * failed region returns mid-failover, in the third the primary fails during the switchback before
 * its promotion (each re-run by the operator once the region is back), and the DR region, where
 * the switchback runs, fails during the operator's rerun after the primary's promotion. After
 * every workflow the world's invariants hold; every generation ends with exactly one writable
 * database and users on it. (The 20-seed figures: `pnpm rehearse --scenario lifecycle --seeds 20`.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLifecycleRehearsal, summarizeLifecycle, type LifecycleRehearsal, type LifecycleReport } from "../src/lifecycle";
import { renderLifecycleHtml } from "../src/report/html";

let rehearsal: LifecycleRehearsal;
let report: LifecycleReport;
beforeAll(async () => {
  rehearsal = await createLifecycleRehearsal();
  report = await rehearsal.rehearse({ seed: 1, generations: 3 });
}, 300_000);
afterAll(async () => rehearsal?.close());

const primary = "eu-west-1";
/** One detection period: 3 checks 5 minutes apart, the last delivered up to a minute late. */
const detectionPeriodSeconds = 3 * 300 + 60;
const dr = "eu-central-1";

describe("lifecycle rehearsal: outage after outage, both directions", () => {
  it("each outage is failed over by the other region's copy by itself, in both directions, and re-protected", () => {
    expect(report.generations.map((g) => [g.failedRegion, g.failedOverTo, g.reprotected])).toEqual([
      [primary, dr, true],
      [dr, primary, true],
      [primary, dr, true],
    ]);
    // Each failover was started by the monitor of the region it promoted to, and ran there.
    for (const g of report.generations) {
      const failovers = g.workflows.filter((w) => w.workflow === "failover");
      expect(failovers.at(-1)).toMatchObject({ status: "SUCCEEDED", region: g.failedOverTo });
      expect(failovers.at(-1)?.execution).toMatch(g.failedRegion === primary ? /^failover-primary-/ : /^failover-dr-/);
      expect(g.rtoSeconds).toBeGreaterThan(g.detectionSeconds ?? Number.POSITIVE_INFINITY);
      expect(g.lostWritesInFailover).toBeGreaterThanOrEqual(0);
    }
  });

  it("the world's invariants hold after every workflow; every generation ends with exactly one writable database and users on it", () => {
    for (const g of report.generations) {
      expect(g.problems).toEqual([]);
      for (const w of g.workflows) expect({ [w.execution]: w.invariantViolations }).toEqual({ [w.execution]: [] });
      expect(g.endState.writableDatabases).toHaveLength(1);
      expect(g.endState.usersServed).toBe(true);
    }
    // Who serves at each end: DR after the first re-protect, the primary after the second, the primary after the switchback.
    expect(report.generations.map((g) => g.endState.dnsRegion)).toEqual([dr, primary, primary]);
    expect(report.met).toBe(true);
  });

  it("before re-protect, the region that took over fails too (both directions): nothing can take over, no failover starts, the alert topic is told within one detection period with the command to run", () => {
    const stranded = report.generations.map((g) => g.strandedOutage);
    expect(stranded[0]).toMatchObject({ region: dr, command: true, failoversStarted: 0 });
    // After the primary region's copy failed over back, the DR monitor still held its first-generation incident.
    expect(stranded[1]).toMatchObject({ region: primary, command: true, failoversStarted: 0 });
    for (const s of stranded.slice(0, 2)) expect(s?.toldAfterSeconds).toBeLessThanOrEqual(3 * 300 + 60);
    expect(stranded[2]).toBeNull();
  });

  it("the planned switchback loses no write and ends in the original topology", () => {
    const sb = report.generations[2]?.switchback;
    expect(sb).toMatchObject({ status: "SUCCEEDED", lostWrites: 0, originalTopology: true });
    expect(sb?.writeDowntimeSeconds).toBeGreaterThan(0);
    expect(report.generations.slice(0, 2).map((g) => g.switchback)).toEqual([null, null]);
  });

  it("through a partition between the regions with both monitors ticking (before every outage, both directions), nothing is promoted and never more than one database is writable", () => {
    const partitions = report.generations.map((g) => g.interruptions.find((i) => i.kind === "partition"));
    expect(partitions.map((p) => [p?.failoversStarted, p?.maxWritableDatabases, p?.ok])).toEqual([
      [0, 1, true],
      [0, 1, true],
      [0, 1, true],
    ]);
  });

  it("the standby-to-be region failing while re-protect builds its replica: re-protect waits the region out (up to about an hour) and protects again, telling the alert topic", () => {
    const hit = report.generations[0]?.interruptions.find((i) => i.kind === "standby-down-during-reprotect");
    expect(hit).toMatchObject({ region: primary, duringStep: "ReconcileStandbyDatabase", ok: true });
    const reprotects = report.generations[0]?.workflows.filter((w) => w.workflow === "reprotect") ?? [];
    // The outage (10 to 30 min) is shorter than the wait: no rerun needed.
    expect(reprotects.map((w) => w.status)).toEqual(["SUCCEEDED"]);
    expect(hit?.told).toBe(true);
    // The serving DR region's monitor tells the standby's loss within one detection period, not the re-protect's end an hour later.
    expect(hit?.toldAfterSeconds).toBeLessThanOrEqual(detectionPeriodSeconds);
    expect(hit?.detail).toMatch(/told \(protection\.lost\) after \d+ s$/);
  });

  it("the failed region returning while the failover runs: the failover still ends with one writable database, users on it, the alert topic told", () => {
    const hit = report.generations[1]?.interruptions.find((i) => i.kind === "return-mid-failover");
    expect(hit).toMatchObject({ region: dr, told: true, ok: true });
    expect(hit?.duringStep).not.toBeNull();
  });

  it("the region being switched to failing during the switchback before its promotion: rolled back to serving from DR with no promotion, told, then switched back by the operator's rerun with 0 lost writes", () => {
    const hit = report.generations[2]?.interruptions.find((i) => i.kind === "target-down-during-switchback");
    expect(hit).toMatchObject({ region: primary, told: true, ok: true });
    expect(["PrepareStandbyService", "StopWrites", "SealOldServing", "PromoteStandby"]).toContain(hit?.duringStep);
    expect(hit?.outcome).toMatch(/^switchback FAILED in RolledBack .*users served from the DR region/);
    expect(hit?.detail).toMatch(/^no promotion; told \(\S+\) after \d+ s;/);
    expect(hit?.toldAfterSeconds).toBeLessThanOrEqual(detectionPeriodSeconds);
    expect(report.generations[2]?.workflows.filter((w) => w.workflow === "switchback").map((w) => w.status)).toEqual(["FAILED", "SUCCEEDED"]);
    // Once the primary region was back, the scheduled CompleteFence set its service, left up by the rollback, back to 0.
    expect(hit?.detail).toMatch(/the primary region's service wanted 0 task\(s\)$/);
    expect(report.generations[2]?.notifications.map((n) => n.kind)).toContain("fence.standby-reset");
  });

  it("the DR region, where the switchback runs, failing after the primary's promotion: the switchback waits the region out and completes, users served by the writable primary, never two writable databases, told, 0 lost writes", () => {
    const hit = report.generations[2]?.interruptions.find((i) => i.kind === "serving-down-after-promotion");
    expect(hit).toMatchObject({ region: dr, told: true, ok: true, maxWritableDatabases: 1, lostWrites: 0 });
    expect(["CheckStandbyPromotion", "VerifyNewPrimary", "RestoreDns", "CheckDnsRestore", "ReconcileStandbyDatabase"]).toContain(hit?.duringStep);
    expect(hit?.outcome).toMatch(/^switchback SUCCEEDED in FailbackDone; then pilot-light-rehearsal-primary writable, users served \(DNS → eu-west-1\)/);
    // Told within one detection period (the stranded message before DNS moved back, protection.lost after), not by the switchback's end.
    expect(hit?.toldAfterSeconds).toBeLessThanOrEqual(detectionPeriodSeconds);
    expect(hit?.detail).toMatch(/told \((failover\.stranded|protection\.lost)\)/);
  });

  it("reports per generation in JSON and HTML, with the figures over the seeds", () => {
    const summary = summarizeLifecycle([report]);
    expect(summary.perGeneration.map((g) => [g.generation, g.met, g.failedOverAutomatically, g.rtoP50Seconds])).toEqual(report.generations.map((g) => [g.generation, 1, 1, g.rtoSeconds]));
    expect(summary.perGeneration[2]).toMatchObject({ switchbacks: 1, lostWritesInSwitchbacks: 0 });
    expect(summary.perGeneration[0]).toMatchObject({ strandedOutages: 1, strandedToldMaxSeconds: report.generations[0]?.strandedOutage?.toldAfterSeconds });
    expect(summary.perGeneration.map((g) => g.interruptions.map((i) => [i.kind, i.ok, i.runs]))).toEqual([
      [["partition", 1, 1], ["standby-down-during-reprotect", 1, 1]],
      [["partition", 1, 1], ["return-mid-failover", 1, 1]],
      [["partition", 1, 1], ["serving-down-after-promotion", 1, 1], ["target-down-during-switchback", 1, 1]],
    ]);
    const html = renderLifecycleHtml([report], summary);
    expect(html.match(/<tr class="">/g)?.length).toBeGreaterThanOrEqual(3 + 3);
    expect(html).not.toContain('class="bad"');
    expect(html).toContain("every generation of every seed ended with one writable database and users on it");
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
