/**
 * `pnpm rehearse [--scenario S] [--profile default|fast] [--seed N] [--adopted] [--json FILE|-] [--html FILE]`
 * Rehearses a regional outage on this machine and prints the timeline, each target met or
 * missed, the critical path, the end state and what to change. `--json -` writes the report to
 * stdout and everything meant for people to stderr, so the JSON can be piped.
 */
import { relative } from "node:path";
import { styleText } from "node:util";
import { Option } from "commander";
import { Failover } from "@pilot-light/core";
import { fromInvocationDir, invocationDir, newCommand, processIo, runCommand, wholeNumber, writeReport, type Io } from "../../tools/src/cli/program";
import { createRehearsal, type RehearsalOptions, type RehearseOptions } from "./engine";
import { failbackMet, formatSeconds, headline, renderFailbackHtml, renderHtml, renderLifecycleHtml } from "./report/html";
import type { RehearsalReport } from "./report/schema";
import { scenarioNames } from "./scenarios";
import { createFailbackRehearsal, failbackScenarioNames, type FailbackReport, type FailbackScenario, type WorldChoice } from "./failback";
import { createLifecycleRehearsal, summarizeLifecycle, type LifecycleReport, type LifecycleSummary } from "./lifecycle";

export interface CliOptions {
  scenario: string;
  profile: "default" | "fast";
  seed: number;
  /** Lifecycle: how many seeds from `seed` on, and how many generations each. */
  seeds: number;
  generations: number;
  /** Every scenario on a primary the team built before pilot-light, adopted first (docs/adopt.md). */
  adopted?: boolean;
  /** A file, or "-" for stdout. */
  json?: string;
  html: string;
}

/** Colours for the console; plain text when not on a terminal (and under NO_COLOR). */
export type Paint = (style: "red" | "green" | "bold" | "dim", text: string) => string;
export const plain: Paint = (_style, text) => text;
export const terminalPaint: Paint = (style, text) => styleText(style, text, { stream: process.stdout });

export interface Runner {
  rehearse(options: RehearseOptions): Promise<RehearsalReport>;
  close(): Promise<void>;
}

export interface FailbackRunner {
  rehearse(scenario: FailbackScenario, seed: number): Promise<FailbackReport>;
  close(): Promise<void>;
}

export interface LifecycleRunner {
  rehearse(options: { seed: number; generations: number; onEvent?: (e: { atSeconds: number; text: string }) => void }): Promise<LifecycleReport>;
  close(): Promise<void>;
}

export interface CliDeps {
  createRehearsal: (options?: RehearsalOptions) => Promise<Runner>;
  createFailbackRehearsal?: (choice?: WorldChoice) => Promise<FailbackRunner>;
  createLifecycleRehearsal?: (choice?: WorldChoice) => Promise<LifecycleRunner>;
  writeFile: (file: string, text: string) => Promise<void>;
  paint: Paint;
}

const realDeps: CliDeps = {
  createRehearsal,
  createFailbackRehearsal,
  createLifecycleRehearsal,
  writeFile: (file, text) => writeReport(fromInvocationDir(file), text),
  paint: terminalPaint,
};

export const examples = [
  "pnpm rehearse",
  "pnpm rehearse --scenario promotion-fails --seed 7",
  "pnpm rehearse --profile fast --json out/fast.json",
  "pnpm -s rehearse --scenario drill --json - | jq .targets",
  "pnpm rehearse --scenario round-trip --seed 3",
  "pnpm rehearse --scenario regional-outage --adopted",
  "pnpm rehearse --scenario round-trip --adopted",
  "pnpm rehearse --scenario lifecycle --seeds 20 --json out/lifecycle.json",
];

/** Runs the command line; returns the exit code (2 for a usage mistake). */
export async function run(argv: readonly string[], io: Io = processIo, deps: CliDeps = realDeps): Promise<number> {
  let code = 0;
  const command = newCommand("pnpm rehearse", "Rehearse an outage locally: the real monitor and state machine against an emulated two-region world.", examples, io)
    .addOption(new Option("--scenario <name>", "what happens to the world").choices([...scenarioNames, ...failbackScenarioNames, "lifecycle"]).default("regional-outage"))
    .addOption(new Option("--profile <profile>", "detection profile: default = rate(5 minutes) x 3, fast = rate(1 minute) x 4").choices(["default", "fast"]).default("default"))
    .option("--seed <n>", "latency draw: the same seed gives the same timeline", wholeNumber(0, 999_999_999), 1)
    .option("--seeds <n>", "lifecycle: rehearse this many seeds from --seed on, with the figures over them", wholeNumber(1, 1000), 1)
    .option("--generations <n>", "lifecycle: outages in a row (the serving region fails each time; every third ends with a switchback)", wholeNumber(1, 30), 3)
    .option("--adopted", "on a primary the team built before pilot-light (other names, the default parameter group, a simple record), adopted first as docs/adopt.md says")
    .option("--json <file>", 'write the report as JSON ("-": to stdout, people\'s output to stderr)')
    .option("--html <file>", "write the HTML report", "out/rehearsal/report.html")
    .action(async (options: CliOptions) => {
      code = await rehearseOnce(options, io, deps);
    });
  const parsed = await runCommand(command, argv);
  return parsed !== 0 ? parsed : code;
}

async function rehearseOnce(options: CliOptions, io: Io, deps: CliDeps): Promise<number> {
  const toStdout = options.json === "-";
  const say = toStdout ? io.err : io.out;
  const choice: WorldChoice = { adopted: options.adopted === true };
  const onAdopted = options.adopted ? ", on an adopted primary" : "";
  if (options.scenario === "lifecycle") {
    const rehearsal = await (deps.createLifecycleRehearsal ?? createLifecycleRehearsal)(choice);
    try {
      const reports: LifecycleReport[] = [];
      for (let seed = options.seed; seed < options.seed + options.seeds; seed++) {
        say(`Rehearsing "lifecycle" (seed ${seed}, ${options.generations} generations${onAdopted}) on a virtual clock…`);
        const report = await rehearsal.rehearse({ seed, generations: options.generations, ...(options.seeds === 1 ? { onEvent: (e) => say(`  [${formatSeconds(e.atSeconds).padStart(12)}] ${e.text}`) } : {}) });
        for (const line of lifecycleSeedLines(report)) say(line);
        reports.push(report);
      }
      const summary = summarizeLifecycle(reports);
      for (const line of lifecycleSummaryLines(summary)) say(line);
      await deps.writeFile(options.html, renderLifecycleHtml(reports, summary));
      say(`HTML report:    ${relative(invocationDir(), fromInvocationDir(options.html))}`);
      const json = `${JSON.stringify({ summary, reports }, null, 2)}\n`;
      if (toStdout) io.out(json);
      else if (options.json) {
        await deps.writeFile(options.json, json);
        say(`JSON report:    ${relative(invocationDir(), fromInvocationDir(options.json))}`);
      }
      return summary.met === reports.length ? 0 : 1;
    } finally {
      await rehearsal.close();
    }
  }
  if ((failbackScenarioNames as readonly string[]).includes(options.scenario)) {
    const rehearsal = await (deps.createFailbackRehearsal ?? createFailbackRehearsal)(choice);
    try {
      say(`Rehearsing "${options.scenario}" (seed ${options.seed}${onAdopted}) on a virtual clock…`);
      const report = await rehearsal.rehearse(options.scenario as FailbackScenario, options.seed);
      for (const line of failbackSummaryLines(report)) say(line);
      await deps.writeFile(options.html, renderFailbackHtml(report));
      say(`HTML report:    ${relative(invocationDir(), fromInvocationDir(options.html))}`);
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (toStdout) io.out(json);
      else if (options.json) {
        await deps.writeFile(options.json, json);
        say(`JSON report:    ${relative(invocationDir(), fromInvocationDir(options.json))}`);
      }
      return failbackMet(report) ? 0 : 1;
    } finally {
      await rehearsal.close();
    }
  }
  const paint = io.isTTY ? deps.paint : plain;
  const rehearsal = await deps.createRehearsal(choice);
  try {
    say(`Rehearsing "${options.scenario}" (seed ${options.seed}, profile ${options.profile}${onAdopted}) on a virtual clock…`);
    const report = await rehearsal.rehearse({
      scenario: options.scenario,
      seed: options.seed,
      profile: options.profile,
      onProgress: (line) => say(`  [${formatSeconds(line.atSeconds).padStart(12)}] ${line.text.startsWith("✗") ? paint("red", line.text) : line.text}`),
    });
    for (const line of summaryLines(report, paint)) say(line);
    await deps.writeFile(options.html, renderHtml(report));
    say(`HTML report:    ${relative(invocationDir(), fromInvocationDir(options.html))}`);
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (toStdout) io.out(json);
    else if (options.json) {
      await deps.writeFile(options.json, json);
      say(`JSON report:    ${relative(invocationDir(), fromInvocationDir(options.json))}`);
    }
    return report.expectation.met && missedTargets(report).length === 0 ? 0 : 1;
  } finally {
    await rehearsal.close();
  }
}

export function failbackSummaryLines(r: FailbackReport): string[] {
  return [
    "",
    `Timeline (${r.scenario}, seed ${r.seed}):`,
    ...r.events.map((e) => `  ${formatSeconds(e.atSeconds).padStart(12)}  ${e.text}`),
    "Phases:",
    ...r.phases.map((p) => `  ${formatSeconds(p.startSeconds).padStart(12)} → ${formatSeconds(p.endSeconds).padStart(12)}  ${p.workflow}: ${p.name}`),
    "",
    `Runs:           ${r.runs.map((x) => `${x.workflow} ${x.status} (${x.endState})`).join(", ")}`,
    `Re-protect:     ${formatSeconds(r.reprotectSeconds)}`,
    `Switchback:     ${formatSeconds(r.switchbackSeconds)}; write downtime ${formatSeconds(r.writeDowntimeSeconds)} (users' refused writes; the run reported ${formatSeconds(r.reportedWriteDowntimeSeconds)})`,
    `Lost writes:    switchback ${r.lostWritesInSwitchback ?? "—"} (must be 0); failover ${r.lostWritesInFailover ?? "—"} (its RPO)`,
    `Round trip:     ${formatSeconds(r.roundTripSeconds)} (outage → the original topology)`,
    `End state:      ${r.originalTopology ? "the original topology (primary serving, DR a pilot light with a replica)" : r.scenario === "reprotect" ? "protected the other way (DR serving, the primary region a pilot light with a replica), as a re-protect leaves it" : "not the original topology"}`,
    `Notifications:  ${r.notifications.length} (${[...new Set(r.notifications.map((n) => n.kind))].join(", ")})`,
    `Wall time:      ${(r.wallMilliseconds / 1000).toFixed(1)} s`,
  ];
}

/** One seed of the lifecycle: a line per generation (what failed, who took over, RTO, RPO, lost writes, end state). */
export function lifecycleSeedLines(r: LifecycleReport): string[] {
  return [
    `Seed ${r.seed}: ${r.met ? "every generation ended protected" : "NOT every generation ended protected"} (${(r.wallMilliseconds / 1000).toFixed(1)} s)`,
    ...r.generations.map((g) => {
      const st = g.strandedOutage ? `; before re-protect ${g.strandedOutage.region} failed too: nothing could take over, ${g.strandedOutage.toldAfterSeconds === null ? "NOBODY told" : `alert topic told after ${formatSeconds(g.strandedOutage.toldAfterSeconds)}${g.strandedOutage.command ? " with the command to run" : " WITHOUT a command"}`}` : "";
      const sb = g.switchback ? `; switchback ${g.switchback.status}, write downtime ${formatSeconds(g.switchback.writeDowntimeSeconds)}, lost writes ${g.switchback.lostWrites ?? "?"}` : "";
      const hits = g.interruptions.map((i) => `; ${i.kind === "partition" ? `partition (${i.detail}): ${i.outcome}` : `${i.kind} (${i.region}${i.duringStep ? ` during ${i.duringStep}` : ", did not strike"}): ${i.outcome}${i.told ? ", told" : ", NOT told"}`}${i.ok ? "" : " — NOT as designed"}`).join("");
      const end = `${g.endState.writableDatabases.join(", ") || "nothing"} writable, DNS → ${g.endState.dnsRegion ?? "nothing"}, users ${g.endState.usersServed ? "served" : "NOT served"}`;
      return `  gen ${g.generation}: ${g.failedRegion} fails → ${g.failedOverTo ? `failed over to ${g.failedOverTo}` : "NOT failed over"}, RTO ${formatSeconds(g.rtoSeconds)}, RPO ${formatSeconds(g.rpoSeconds)}, lost writes ${g.lostWritesInFailover ?? "—"}${hits}${st}; re-protect ${g.reprotected ? "done" : "NOT done"}${sb}; end: ${end}${g.problems.length > 0 ? `; PROBLEMS: ${g.problems.join("; ")}` : ""}`;
    }),
  ];
}

export function lifecycleSummaryLines(s: LifecycleSummary): string[] {
  return [
    "",
    `Lifecycle over ${s.seeds.length} seed(s): ${s.met}/${s.seeds.length} with every generation protected; wall time ${s.wallSecondsTotal} s (p50 ${s.wallSecondsPerSeedP50 ?? "—"} s a seed)`,
    ...s.perGeneration.map(
      (g) =>
        `  gen ${g.generation}: met ${g.met}/${g.runs}, failed over by itself ${g.failedOverAutomatically}/${g.runs}, RTO p50 ${formatSeconds(g.rtoP50Seconds)} p95 ${formatSeconds(g.rtoP95Seconds)}, lost writes in the failover p50 ${g.lostWritesInFailoverP50 ?? "—"} max ${g.lostWritesInFailoverMax ?? "—"}${g.strandedOutages > 0 ? `, stranded outages ${g.strandedOutages} told within ${formatSeconds(g.strandedToldMaxSeconds)} at most` : ""}${g.switchbacks > 0 ? `, switchbacks ${g.switchbacks} losing ${g.lostWritesInSwitchbacks ?? "an unknown number of"} write(s)` : ""}${g.interruptions.map((i) => `, ${i.kind} as designed ${i.ok}/${i.runs} (struck ${i.struck}${i.toldMaxSeconds !== undefined ? `; told within ${formatSeconds(i.toldMaxSeconds)}` : ""}${i.writeDowntimeMaxSeconds !== undefined ? `, write downtime up to ${formatSeconds(i.writeDowntimeMaxSeconds)}, lost writes ${i.lostWrites ?? "unknown"}` : ""})`).join("")}`,
    ),
  ];
}

export function summaryLines(r: RehearsalReport, paint: Paint = plain): string[] {
  const flag = (ok: boolean | null, text: string) => (ok === null ? text : paint(ok ? "green" : "red", text));
  const phaseLine = (p: RehearsalReport["phases"][number]) => {
    const line = `  ${p.critical ? "*" : " "}${formatSeconds(p.startSeconds).padStart(12)} → ${formatSeconds(p.endSeconds).padStart(12)}  ${p.name}`;
    return p.outcome === "ok" ? line : paint("red", `${line}  ${p.outcome.toUpperCase()}: ${p.error ?? ""}`);
  };
  const top = headline(r);
  const lines = [
    "",
    `Timeline (${r.scenario}, seed ${r.seed}, profile ${r.profile}; * = critical path):`,
    ...r.phases.map(phaseLine),
    "",
    `Outcome:        ${paint(top.tone === "ok" ? "green" : top.tone === "missed" ? "bold" : "red", top.text)}${r.execution?.endStateName ? `  (end state ${r.execution.endStateName})` : ""}`,
    `Detection:      ${formatSeconds(r.detectionSeconds)}`,
    `Orchestration:  ${formatSeconds(r.orchestrationSeconds)}`,
    `RTO:            ${formatSeconds(r.rtoSeconds)}  (outage start → DR serving healthy traffic)`,
    `RPO estimate:   ${formatSeconds(r.rpoSeconds)}  (replica lag when the failover was decided)`,
  ];
  if (r.targets) {
    const d = Failover.describeTargets(r.targets, formatSeconds);
    // A run the scenario expects to end without DR serving (a refusal, a person's call) has no RTO to judge.
    const rto = r.targets.rto.actualSeconds === null && r.expectation.met ? `RTO target ${formatSeconds(r.targets.rto.targetSeconds)}: not judged (DR was not to serve: ${r.expectation.outcome})` : d.rto;
    lines.push(`Targets:        ${flag(r.targets.rto.actualSeconds === null && r.expectation.met ? null : r.targets.rto.met, rto)}`, `                ${flag(r.targets.rpo.met, d.rpo)}`);
    const missed = missedTargets(r);
    if (missed.length > 0 && r.expectation.met) lines.push(paint("red", `                ${missed.join(" and ")} MISSED: exit 1 (the scenario ended as expected; the targets are the stage's, docs/rehearsal.md)`));
  }
  lines.push(`Critical path:  ${r.criticalPath.join(" » ") || "—"}`);
  const x = r.expectation;
  lines.push(
    x.met
      ? `Expected:       ${x.outcome}, and so it ended (${x.because})`
      : paint("red", `Expected:       ${x.outcome} (${x.because}); it ended ${x.actual}${r.invariantViolations.length > 0 ? `, invariants broken: ${r.invariantViolations.join("; ")}` : ""}: NOT what the scenario exists to show (exit 1)`),
  );
  const e = r.endState;
  lines.push(
    `End state:      writable database ${e.writableDatabases.join(", ") || "none"}; DR ${e.drDesiredTasks} desired, ${e.drHealthyTargets} healthy; primary ${e.primaryDesiredTasks} desired`,
    `                DNS ${e.primaryRecordTarget ?? "(no records)"}; failover lock ${e.failoverLockHeld ? "HELD" : "free"}`,
    `Notifications:  ${r.notifications.length} (${[...new Set(r.notifications.map((n) => n.kind))].join(", ") || "none"})`,
  );
  if (r.advice.length > 0) lines.push("What to change:", ...r.advice.map((a) => `  - ${a}`));
  lines.push(`Wall time:      ${(r.wallMilliseconds / 1000).toFixed(1)} s`);
  return lines;
}

/** The stage's targets this run missed: an RTO it measured over its target, an RPO over its budget. */
export function missedTargets(r: RehearsalReport): string[] {
  if (!r.targets) return [];
  return [r.targets.rto.actualSeconds !== null && !r.targets.rto.met ? "RTO" : null, r.targets.rpo.met === false ? "RPO" : null].filter((x): x is string => x !== null);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
