/** `pnpm rehearse`'s command line: help, usage errors (exit 2), and `--json -` on stdout. No rehearsal runs here. */
import { describe, expect, it } from "vitest";
import { run, summaryLines, type CliDeps } from "../src/cli";
import { formatSeconds, headline } from "../src/report/html";
import { RehearsalReport } from "../src/report/schema";
import type { FailbackReport } from "../src/failback";
import type { LifecycleGeneration, LifecycleReport } from "../src/lifecycle";
import type { Io } from "../../tools/src/cli/program";

const report = RehearsalReport.parse({
  scenario: "regional-outage",
  seed: 3,
  profile: "default",
  failedOver: true,
  detectionSeconds: 700,
  orchestrationSeconds: 400,
  rtoSeconds: 1050,
  rpoSeconds: 2,
  targets: { rto: { targetSeconds: 600, actualSeconds: 1050, measuredFrom: "outage-start", met: false }, rpo: { budgetSeconds: 60, actualSeconds: 2, met: true } },
  phases: [
    { name: "Detection", startSeconds: 0, endSeconds: 700, critical: true },
    { name: "Promote replica → writable", startSeconds: 700, endSeconds: 1050, critical: true },
    { name: "Switch DNS → INSYNC", startSeconds: 1050, endSeconds: 1090, outcome: "failed", error: "AwsTransientError: route53 down" },
  ],
  criticalPath: ["Detection", "Promote replica → writable"],
  events: [],
  notifications: [],
  outcome: "failed over to the DR region",
  verdict: "ok",
  expectation: { outcome: "failed-over", because: "the primary region is down", actual: "failed-over", met: true },
  advice: ["detection is 67 % of RTO (12 min): a faster health profile"],
  execution: { name: "x", status: "SUCCEEDED", error: null, endStateName: "Done", states: ["Done"] },
  endState: { writableDatabases: ["r"], drDesiredTasks: 2, drHealthyTargets: 2, primaryDesiredTasks: 0, primaryRecordTarget: "dr-alb", failoverLockHeld: false },
  latencies: {},
  wallMilliseconds: 10,
});

/** The same run with every target met (most command-line tests are about something else). */
const metReport = { ...report, rtoSeconds: 550, targets: { rto: { targetSeconds: 600, actualSeconds: 550, measuredFrom: "outage-start" as const, met: true }, rpo: { budgetSeconds: 60, actualSeconds: 2, met: true } } };

function harness(rehearsed: typeof report = metReport) {
  const out: string[] = [];
  const err: string[] = [];
  const files = new Map<string, string>();
  let rehearsals = 0;
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
  const deps: CliDeps = {
    createRehearsal: async () => ({
      rehearse: async (options) => {
        rehearsals++;
        options.onProgress?.({ atSeconds: 0, text: "primary region goes down" });
        return { ...rehearsed, seed: options.seed };
      },
      close: async () => undefined,
    }),
    writeFile: async (file, text) => void files.set(file, text),
    paint: (_style, text) => `<${text}>`,
  };
  return { out, err, files, io, deps, rehearsals: () => rehearsals };
}

describe("pnpm rehearse command line", () => {
  it("rehearses on an adopted primary with --adopted, and says so", async () => {
    const h = harness();
    const asked: unknown[] = [];
    const plainRehearsal = h.deps.createRehearsal;
    h.deps.createRehearsal = async (options) => {
      asked.push(options);
      return plainRehearsal(options);
    };
    expect(await run(["--adopted"], h.io, h.deps)).toBe(0);
    expect(await run([], h.io, h.deps)).toBe(0);
    expect(asked).toEqual([{ adopted: true }, { adopted: false }]);
    expect(h.out.join("\n")).toContain('Rehearsing "regional-outage" (seed 1, profile default, on an adopted primary)');
  });

  it("passes --adopted to the failback and lifecycle rehearsals too (the adopted world for every scenario), and says so", async () => {
    const h = harness();
    const asked: unknown[] = [];
    const failback = { scenario: "round-trip", seed: 1, events: [], phases: [], runs: [], roundTripSeconds: 1, reprotectSeconds: 1, switchbackSeconds: 1, writeDowntimeSeconds: 0, reportedWriteDowntimeSeconds: 0, lostWritesInSwitchback: 0, lostWritesInFailover: 0, originalTopology: true, adopted: true, writableDatabases: ["shop-mysql-prod"], notifications: [], wallMilliseconds: 1 } satisfies FailbackReport;
    const lifecycle: LifecycleReport = { scenario: "lifecycle", seed: 1, generations: [], events: [], met: true, wallMilliseconds: 1 };
    h.deps.createFailbackRehearsal = async (choice) => (asked.push(choice), { rehearse: async () => failback, close: async () => undefined });
    h.deps.createLifecycleRehearsal = async (choice) => (asked.push(choice), { rehearse: async () => lifecycle, close: async () => undefined });
    expect(await run(["--scenario", "round-trip", "--adopted"], h.io, h.deps)).toBe(0);
    expect(await run(["--scenario", "lifecycle", "--adopted"], h.io, h.deps)).toBe(0);
    expect(await run(["--scenario", "reprotect"], h.io, h.deps)).toBe(0);
    expect(asked).toEqual([{ adopted: true }, { adopted: true }, { adopted: false }]);
    expect(h.out.join("\n")).toContain('Rehearsing "round-trip" (seed 1, on an adopted primary)');
    expect(h.out.join("\n")).toContain('Rehearsing "lifecycle" (seed 1, 3 generations, on an adopted primary)');
  });

  it.each([["--help"], ["-h"]])("%s prints usage, every option and examples, and rehearses nothing", async (flag) => {
    const h = harness();
    expect(await run([flag], h.io, h.deps)).toBe(0);
    const text = h.out.join("\n");
    expect(text).toMatch(/^Usage: pnpm rehearse \[options\]/);
    for (const option of ["--scenario", "--profile", "--seed", "--json", "--html", "promotion-fails"]) expect(text).toContain(option);
    expect(text).toContain("Examples:\n  $ pnpm rehearse");
    expect(h.rehearsals()).toBe(0);
  });

  it.each([
    [["--scenario", "meteor"], /argument 'meteor' is invalid. Allowed choices are regional-outage/],
    [["--seed", "x"], /--seed <n>' argument 'x' is invalid. must be a whole number/],
    [["--frobnicate"], /unknown option '--frobnicate'/],
    [["extra"], /too many arguments/],
  ])("exits 2 for %j and says what is wrong", async (argv, message) => {
    const h = harness();
    expect(await run(argv, h.io, h.deps)).toBe(2);
    expect(h.err.join("\n")).toMatch(message);
    expect(h.err.join("\n")).toContain("--help");
    expect(h.rehearsals()).toBe(0);
  });

  it("writes only the JSON report to stdout with --json -, people's lines to stderr", async () => {
    const h = harness();
    expect(await run(["--json", "-", "--seed", "9"], h.io, h.deps)).toBe(0);
    expect(h.out).toHaveLength(1);
    const parsed = RehearsalReport.parse(JSON.parse(h.out[0]!));
    expect(parsed.seed).toBe(9);
    expect(h.err.join("\n")).toContain("primary region goes down");
    expect(h.files.has("-")).toBe(false);
    expect([...h.files.keys()]).toEqual(["out/rehearsal/report.html"]);
  });

  it("writes --json FILE to that file and keeps stdout for people", async () => {
    const h = harness();
    expect(await run(["--json", "out/r.json"], h.io, h.deps)).toBe(0);
    expect(RehearsalReport.parse(JSON.parse(h.files.get("out/r.json")!)).scenario).toBe("regional-outage");
    expect(h.out.join("\n")).toContain("JSON report:");
  });
});

describe("pnpm rehearse's exit code: the scenario's expectation", () => {
  it("exits 1 when the run ended otherwise than the scenario exists to show, and says so", async () => {
    const h = harness();
    const missed = { ...report, failedOver: false, outcome: "no failover: ReplicaNotReadyError (compensated)", expectation: { ...report.expectation, actual: "refused" as const, met: false } };
    h.deps.createRehearsal = async () => ({ rehearse: async () => missed, close: async () => undefined });
    expect(await run(["--scenario", "outage-during-backup", "--seed", "7"], h.io, h.deps)).toBe(1);
    expect(h.out.join("\n")).toMatch(/Expected: {7}failed-over \(the primary region is down\); it ended refused: NOT what the scenario exists to show/);
  });

  it("exits 1 when it ended as expected but missed a target it printed MISSED, and says why", async () => {
    const h = harness(report);
    expect(await run([], h.io, h.deps)).toBe(1);
    const out = h.out.join("\n");
    expect(out).toContain("Expected:       failed-over, and so it ended");
    expect(out).toContain("RTO 17 min 30 s (from the outage), target 10 min 00 s: MISSED");
    expect(out).toContain("RTO MISSED: exit 1");
  });

  it("exits 0 when every target is met", async () => {
    const h = harness();
    expect(await run([], h.io, h.deps)).toBe(0);
    expect(h.out.join("\n")).not.toContain("MISSED");
  });

  it("does not judge the RTO of a run the scenario expects to end without DR serving (a refusal), and exits 0", async () => {
    const refused = {
      ...report,
      targets: { rto: { targetSeconds: 600, actualSeconds: null, measuredFrom: "outage-start" as const, met: false }, rpo: { budgetSeconds: 60, actualSeconds: null, met: null } },
      expectation: { outcome: "refused" as const, because: "lag over the budget", actual: "refused" as const, met: true },
    };
    const h = harness(refused);
    expect(await run([], h.io, h.deps)).toBe(0);
    const out = h.out.join("\n");
    expect(out).toContain("RTO target 10 min 00 s: not judged (DR was not to serve: refused)");
    expect(out).not.toContain("MISSED");
  });
});

describe("the failback scenarios", () => {
  const roundTrip: FailbackReport = {
    scenario: "round-trip",
    seed: 2,
    events: [{ atSeconds: 0, text: "primary region goes down" }],
    phases: [{ workflow: "switchback", name: "Stop writes, catch up (positions)", startSeconds: 9000, endSeconds: 9300 }],
    runs: [
      { workflow: "failover", status: "SUCCEEDED", endState: "Done", startSeconds: 700, endSeconds: 1100 },
      { workflow: "reprotect", status: "SUCCEEDED", endState: "Done", startSeconds: 5000, endSeconds: 6800 },
      { workflow: "switchback", status: "SUCCEEDED", endState: "Done", startSeconds: 8000, endSeconds: 10000 },
    ],
    roundTripSeconds: 10000,
    reprotectSeconds: 1800,
    switchbackSeconds: 2000,
    writeDowntimeSeconds: 285,
    reportedWriteDowntimeSeconds: 290,
    lostWritesInSwitchback: 0,
    lostWritesInFailover: 12,
    originalTopology: true,
    adopted: false,
    writableDatabases: ["pilot-light-rehearsal-primary"],
    notifications: [],
    wallMilliseconds: 4000,
  };
  const withFailback = (report: FailbackReport) => {
    const h = harness();
    h.deps.createFailbackRehearsal = async () => ({ rehearse: async () => report, close: async () => undefined });
    return h;
  };

  it("writes an HTML report for a round trip, with its verdict and the switchback's figures", async () => {
    const h = withFailback(roundTrip);
    expect(await run(["--scenario", "round-trip", "--seed", "2", "--html", "out/rt.html"], h.io, h.deps)).toBe(0);
    const html = h.files.get("out/rt.html") ?? "";
    expect(html).toContain("Failback rehearsal: round-trip");
    expect(html).toContain('class="verdict ok">back in the original topology');
    expect(html).toMatch(/Lost writes \(switchback, must be 0\)<\/div><div class="value">0</);
    expect(h.out.join("\n")).toContain("HTML report:");
  });

  it("exits 1 for a round trip that did not end in the original topology, and says so in red", async () => {
    const h = withFailback({ ...roundTrip, originalTopology: false, roundTripSeconds: null });
    expect(await run(["--scenario", "round-trip"], h.io, h.deps)).toBe(1);
    expect(h.files.get("out/rehearsal/report.html")).toContain('class="verdict failed">not what the scenario exists to show');
  });

  it("describes a re-protect's end state as what a re-protect leaves, not as a failure", async () => {
    const h = withFailback({ ...roundTrip, scenario: "reprotect", runs: [roundTrip.runs[1]!], originalTopology: false, roundTripSeconds: null });
    expect(await run(["--scenario", "reprotect"], h.io, h.deps)).toBe(0);
    expect(h.out.join("\n")).toContain("End state:      protected the other way");
    expect(h.out.join("\n")).not.toContain("NOT");
  });
});

describe("the lifecycle scenario", () => {
  const generation = (n: number, rto: number, problems: string[] = []): LifecycleGeneration => ({
    generation: n,
    failedRegion: n % 2 === 1 ? "eu-west-1" : "eu-central-1",
    failedOverTo: n % 2 === 1 ? "eu-central-1" : "eu-west-1",
    rtoSeconds: rto,
    detectionSeconds: 700,
    rpoSeconds: 3,
    lostWritesInFailover: 15,
    reprotected: true,
    strandedOutage: n === 1 ? { region: "eu-central-1", toldAfterSeconds: 880, command: true, failoversStarted: 0 } : null,
    switchback: n === 3 ? { status: "SUCCEEDED", seconds: 2700, writeDowntimeSeconds: 400, lostWrites: 0, originalTopology: true } : null,
    interruptions: [],
    workflows: [],
    notifications: [],
    endState: { writableDatabases: ["pilot-light-rehearsal-primary"], dnsRegion: "eu-west-1", usersServed: true, databases: [] },
    met: problems.length === 0,
    problems,
  });
  const lifecycle = (seed: number, rtos: number[], problems: string[] = []): LifecycleReport => ({
    scenario: "lifecycle",
    seed,
    generations: rtos.map((rto, i) => generation(i + 1, rto, i === 1 ? problems : [])),
    events: [],
    met: problems.length === 0,
    wallMilliseconds: 20_000,
  });
  const withLifecycle = (reports: LifecycleReport[]) => {
    const h = harness();
    const seeds: number[] = [];
    h.deps.createLifecycleRehearsal = async () => ({
      rehearse: async ({ seed }) => {
        seeds.push(seed);
        return reports[seeds.length - 1]!;
      },
      close: async () => undefined,
    });
    return { ...h, seeds };
  };

  it("--seeds N rehearses seeds from --seed on and prints the figures per generation over them; exit 0 when every generation of every seed met", async () => {
    const h = withLifecycle([lifecycle(5, [1400, 1500, 1300]), lifecycle(6, [1600, 1700, 1200])]);
    expect(await run(["--scenario", "lifecycle", "--seed", "5", "--seeds", "2", "--json", "out/l.json"], h.io, h.deps)).toBe(0);
    expect(h.seeds).toEqual([5, 6]);
    const text = h.out.join("\n");
    expect(text).toContain("Lifecycle over 2 seed(s): 2/2 with every generation protected");
    expect(text).toMatch(/gen 3: met 2\/2, failed over by itself 2\/2, RTO p50 .* p95 .*, switchbacks 2 losing 0 write\(s\)/);
    const json = JSON.parse(h.files.get("out/l.json") ?? "{}") as { summary: { perGeneration: { rtoP50Seconds: number }[] }; reports: unknown[] };
    expect(json.reports).toHaveLength(2);
    expect(json.summary.perGeneration.map((g) => g.rtoP50Seconds)).toEqual([1400, 1500, 1200]);
    expect(h.files.get("out/rehearsal/report.html")).toContain("Lifecycle rehearsal");
  });

  it("exits 1 when a generation did not end protected, and names its problem", async () => {
    const h = withLifecycle([lifecycle(1, [1400, 1500, 1300], ["2 writable databases at the end: a, b"])]);
    expect(await run(["--scenario", "lifecycle"], h.io, h.deps)).toBe(1);
    expect(h.out.join("\n")).toContain("PROBLEMS: 2 writable databases at the end: a, b");
  });
});

describe("the headline", () => {
  it("does not call a run with a missed target plainly good: it names the missed target, not in green", () => {
    expect(headline(report)).toEqual({ text: "failed over to the DR region; RTO target missed", tone: "missed" });
    const met = { ...report, targets: { ...report.targets!, rto: { ...report.targets!.rto, met: true } } };
    expect(headline(met)).toEqual({ text: "failed over to the DR region", tone: "ok" });
    expect(summaryLines(report, (style, text) => `<${style}:${text}>`).join("\n")).toContain("<bold:failed over to the DR region; RTO target missed>");
  });

  it("is red when the run is not what the scenario exists to show", () => {
    const missed = { ...report, expectation: { ...report.expectation, actual: "refused" as const, met: false } };
    expect(headline(missed).tone).toBe("failed");
    expect(headline(missed).text).toContain("not what the scenario exists to show (expected failed-over)");
  });
});

describe("the console summary", () => {
  const lines = summaryLines(report, (style, text) => `<${style}:${text}>`).join("\n");

  it("judges each target and colours the verdicts", () => {
    expect(lines).toContain("<red:RTO 17 min 30 s (from the outage), target 10 min 00 s: MISSED>");
    expect(lines).toContain("<green:RPO estimate 2.0 s, budget 1 min 00 s: met>");
  });

  it("shows a failed phase in red with its error, the critical path, the end state and what to change", () => {
    expect(lines).toMatch(/<red: {2}.*Switch DNS → INSYNC {2}FAILED: AwsTransientError: route53 down>/);
    expect(lines).toContain("Critical path:  Detection » Promote replica → writable");
    expect(lines).toContain("  *       0.0 s →  11 min 40 s  Detection");
    expect(lines).toContain("End state:      writable database r; DR 2 desired, 2 healthy; primary 0 desired");
    expect(lines).toContain("What to change:\n  - detection is 67 % of RTO");
    expect(lines).toContain("(end state Done)");
  });
});

describe("durations as people read them", () => {
  it("rounds once, then splits into minutes and seconds (never 7 min 60 s)", () => {
    expect(formatSeconds(479.6)).toBe("8 min 00 s");
    expect(formatSeconds(59.6)).toBe("1 min 00 s");
    expect(formatSeconds(596.4)).toBe("9 min 56 s");
    expect(formatSeconds(38.4)).toBe("38 s");
    expect(formatSeconds(5.64)).toBe("5.6 s");
    expect(formatSeconds(null)).toBe("—");
  });
});
