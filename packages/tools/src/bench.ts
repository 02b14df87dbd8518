/**
 * `pnpm bench [--seeds N] [--processes N] [--only part] [--json FILE|-]`: the figures that
 * matter for recovery time, printed. Performance targets live here, not in timed tests: each
 * line says the target and whether this run met it, every run is checked against what its
 * scenario exists to show, and the command exits 1 when anything was missed (0 only when all
 * was met). Seeds are 1..N, so the same command prints the same figures (but wall times),
 * however many processes run the rehearsals (one per core by default). Parts, in order:
 * failback round trips, the health monitor's bundle, the regional outage over N seeds per
 * profile, every other scenario over its seeds.
 */
import { Option } from "commander";
import { benchRehearsal, benchScenarios, quantiles, type ProfileBench, type ScenarioSweep } from "../../rehearsal/src/bench";
import { createFailbackRehearsal, type FailbackReport } from "../../rehearsal/src/failback";
import { defaultProcesses } from "../../rehearsal/src/pool";
import { benchHealth, printHealthBench, type HealthBench } from "./bench-health";
import { fromInvocationDir, newCommand, processIo, runCommand, runWhenMain, wholeNumber, writeReport, type Io } from "./cli/program";

const met = (ok: boolean) => (ok ? "met" : "MISSED");
const s = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} s` : "—");
const tenth = (x: number) => Math.round(x * 10) / 10;

/** The orchestration's own time beyond the modelled AWS latencies on its critical path, p50. */
export const overheadTargetSeconds = 10;
/** Ours over the seed's sequential runbook (orchestration p50). */
export const ratioTarget = 0.75;
/** Wall time of one rehearsal, p95. */
export const wallTargetMs = 10_000;
/** Seeds per scenario in the scenario sweep unless `--scenario-seeds` says otherwise. */
export const defaultScenarioSeeds = 10;

export interface BenchDeps {
  health: () => Promise<HealthBench>;
  /** The regional outage over `seeds` seeds per profile, over `processes` processes (1: in this one). */
  rehearsal: (seeds: number, processes?: number) => Promise<ProfileBench[]>;
  /** The round trip (outage → failover → re-protect → switchback) over `seeds` seeds. */
  failback?: (seeds: number) => Promise<FailbackReport[]>;
  /** Every scenario but the regional outage, default profile, over `seeds` seeds each. */
  scenarios?: (seeds: number, processes?: number) => Promise<ScenarioSweep[]>;
}

async function benchFailback(seeds: number): Promise<FailbackReport[]> {
  const rehearsal = await createFailbackRehearsal();
  try {
    const reports: FailbackReport[] = [];
    for (let seed = 1; seed <= seeds; seed++) reports.push(await rehearsal.rehearse("round-trip", seed));
    return reports;
  } finally {
    await rehearsal.close();
  }
}

/** The bench's real parts, each making its own worlds (and its own DynamoDB engine). */
export const realDeps: BenchDeps = {
  health: benchHealth,
  rehearsal: (seeds, processes) => benchRehearsal(seeds, processes),
  failback: benchFailback,
  scenarios: (seeds, processes) => benchScenarios(seeds, processes),
};

/** What `--json` writes: every part's figures and everything missed. */
export interface BenchFigures {
  seeds: number;
  failback?: { runs: number; originalTopology: number; roundTrip: Quantiles; reprotect: Quantiles; switchback: Quantiles; writeDowntime: Quantiles; lostWritesWorst: number };
  health?: HealthBench;
  rehearsal?: ProfileBench[];
  scenarios?: ScenarioSweep[];
  /** Every target missed and every run that ended otherwise than its scenario expects; empty: exit 0. */
  missed: string[];
  seconds: Record<string, number>;
}
type Quantiles = ReturnType<typeof quantiles>;

/** The failback's figures: round-trip time, the switchback's write downtime and lost writes. Returns what it missed. */
export function printFailbackBench(io: Io, reports: FailbackReport[], seconds: number, figures?: BenchFigures): string[] {
  const ok = reports.filter((r) => r.roundTripSeconds !== null);
  const round = quantiles(ok.map((r) => r.roundTripSeconds as number));
  const down = quantiles(ok.map((r) => r.writeDowntimeSeconds ?? 0));
  const switchback = quantiles(ok.map((r) => r.switchbackSeconds ?? 0));
  const reprotect = quantiles(ok.map((r) => r.reprotectSeconds ?? 0));
  const lost = Math.max(0, ...reports.map((r) => r.lostWritesInSwitchback ?? 0));
  if (figures) figures.failback = { runs: reports.length, originalTopology: reports.filter((r) => r.originalTopology).length, roundTrip: round, reprotect, switchback, writeDowntime: down, lostWritesWorst: lost };
  io.out(`  ${ok.length}/${reports.length} round trips ended in the original topology`);
  io.out(`    round trip (outage → original topology) p50 ${s(round.p50)}  p95 ${s(round.p95)}  (the outage itself: 30 min to 4 h, drawn)`);
  io.out(`    re-protect       p50 ${s(reprotect.p50)}  p95 ${s(reprotect.p95)}`);
  io.out(`    switchback       p50 ${s(switchback.p50)}  p95 ${s(switchback.p95)}`);
  io.out(`    write downtime of the switchback p50 ${s(down.p50)}  p95 ${s(down.p95)}`);
  io.out(`    lost writes in the switchback, worst run: ${lost}, target 0: ${met(lost === 0 && ok.length === reports.length)}`);
  io.out(`  (${seconds.toFixed(0)} s for ${reports.length} round trips)`);
  return [
    ...reports.filter((r) => r.roundTripSeconds === null || !r.originalTopology).map((r) => `failback round trip seed ${r.seed}: did not end in the original topology`),
    ...(lost > 0 ? [`failback: ${lost} writes lost in a switchback (target 0)`] : []),
  ];
}

export const examples = ["pnpm bench", "pnpm bench --seeds 10 --only rehearsal", "pnpm bench --only scenarios --scenario-seeds 50", "pnpm bench --json out/bench.json", "BENCH_SEEDS=20 pnpm bench"];

/** The outage rehearsal's figures per profile; returns what it missed. */
export function printRehearsalBench(io: Io, seeds: number, results: ProfileBench[], seconds: number): string[] {
  const missed: string[] = [];
  for (const r of results) {
    io.out(`  profile ${r.profile}: ${r.failedOver}/${r.runs} runs failed over`);
    for (const [outcome, count] of Object.entries(r.notFailedOver)) io.out(`    not failed over: ${count} x ${outcome}`);
    io.out(`    ended as the scenario expects (failed over, or refused when the drawn lag is over the RPO budget): ${r.runs - r.unexpected.length}/${r.runs}${r.unexpected.length > 0 ? `; NOT: ${r.unexpected.map((u) => `seed ${u.seed} (${u.actual}, expected ${u.expected})`).join(", ")}` : ""}`);
    io.out(`    detection        p50 ${s(r.detection.p50)}  p95 ${s(r.detection.p95)}`);
    io.out(`    orchestration    p50 ${s(r.orchestration.p50)}  p95 ${s(r.orchestration.p95)}`);
    io.out(`    RTO              p50 ${s(r.rto.p50)}  p95 ${s(r.rto.p95)}`);
    io.out(`    state transitions per failover p50 ${r.transitions.p50}  p95 ${r.transitions.p95}`);
    io.out(`    baseline (seed's sequential runbook, SDK waiters) orchestration p50 ${s(r.baselineOrchestration.p50)}  p95 ${s(r.baselineOrchestration.p95)}`);
    const ratioMet = r.ratio <= ratioTarget;
    const overheadMet = r.overhead.p50 <= overheadTargetSeconds;
    const wallMet = r.wallMs.p95 <= wallTargetMs;
    io.out(`    ours / baseline orchestration (p50): ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "—"}, target <= ${ratioTarget}: ${met(ratioMet)}`);
    io.out(`    overhead beyond modelled AWS latencies p50 ${s(r.overhead.p50)}  p95 ${s(r.overhead.p95)}, target p50 <= ${overheadTargetSeconds} s: ${met(overheadMet)}`);
    io.out(`    wall time per rehearsal p50 ${(r.wallMs.p50 / 1000).toFixed(1)} s  p95 ${(r.wallMs.p95 / 1000).toFixed(1)} s, target <= ${wallTargetMs / 1000} s: ${met(wallMet)}`);
    for (const u of r.unexpected) missed.push(`regional-outage seed ${u.seed} (${r.profile}): ended ${u.actual}, expected ${u.expected}`);
    if (!ratioMet) missed.push(`${r.profile}: ours / baseline ${r.ratio.toFixed(2)} > ${ratioTarget}`);
    if (!overheadMet) missed.push(`${r.profile}: overhead p50 ${tenth(r.overhead.p50)} s > ${overheadTargetSeconds} s`);
    if (!wallMet) missed.push(`${r.profile}: wall time p95 ${r.wallMs.p95} ms > ${wallTargetMs} ms`);
  }
  io.out(`  (${seconds.toFixed(0)} s for ${seeds * 2} rehearsals)`);
  return missed;
}

/** Each scenario's runs against what it exists to show; returns the seeds that missed. */
export function printScenarioSweep(io: Io, sweeps: ScenarioSweep[], seconds: number): string[] {
  const missed: string[] = [];
  for (const sweep of sweeps) {
    io.out(`  ${sweep.scenario.padEnd(22)} ${sweep.runs - sweep.unexpected.length}/${sweep.runs} as expected${sweep.unexpected.length > 0 ? `; NOT: ${sweep.unexpected.map((u) => `seed ${u.seed} (${u.actual}, expected ${u.expected})`).join(", ")}` : ""}`);
    for (const u of sweep.unexpected) missed.push(`${sweep.scenario} seed ${u.seed}: ended ${u.actual}, expected ${u.expected}`);
  }
  io.out(`  (${seconds.toFixed(0)} s for ${sweeps.reduce((n, x) => n + x.runs, 0)} rehearsals)`);
  return missed;
}

const parts = ["failback", "health", "rehearsal", "scenarios"] as const;

/** Runs the command line; returns the exit code (2 for a usage mistake, 1 when anything was missed). */
export async function run(argv: readonly string[], io: Io = processIo, deps: BenchDeps = realDeps, env: Record<string, string | undefined> = process.env): Promise<number> {
  let code = 0;
  const command = newCommand(
    "pnpm bench",
    "Bundle size, cold start, the rehearsal over many seeds per profile against the seed's sequential runbook, and every scenario against what it exists to show. Exits 1 when a target is missed or a run ends otherwise than its scenario expects.",
    examples,
    io,
  )
    .option("--seeds <n>", "regional-outage rehearsals per profile (default: $BENCH_SEEDS or 50)", wholeNumber(1, 10_000))
    .option("--scenario-seeds <n>", `rehearsals per scenario in the scenario sweep (default ${defaultScenarioSeeds})`, wholeNumber(1, 10_000))
    .option("--processes <n>", `processes the rehearsals run in, side by side (default: the machine's cores, ${defaultProcesses()} here)`, wholeNumber(1, 256))
    .addOption(new Option("--only <part>", "run one part").choices([...parts]))
    .option("--json <file>", 'write the figures as JSON ("-": to stdout, people\'s lines to stderr)')
    .action(async (options: { seeds?: number; scenarioSeeds?: number; processes?: number; only?: (typeof parts)[number]; json?: string }) => {
      const seeds = options.seeds ?? wholeNumber(1, 10_000)(env.BENCH_SEEDS ?? "50");
      const processes = options.processes ?? defaultProcesses();
      const say: Io = options.json === "-" ? { ...io, out: io.err } : io;
      const figures: BenchFigures = { seeds, missed: [], seconds: {} };
      const runs = (part: (typeof parts)[number]) => options.only === undefined || options.only === part;
      const timed = async <T>(part: string, f: () => Promise<T>): Promise<T> => {
        const started = performance.now();
        try {
          return await f();
        } finally {
          figures.seconds[part] = Math.round((performance.now() - started) / 100) / 10;
        }
      };
      if (runs("failback") && deps.failback) {
        // A round trip takes about 4 s of wall time: at most 10 of them.
        const n = Math.min(seeds, 10);
        say.out(`\nFailback: the round trip over ${n} seeds (virtual time; latencies drawn)`);
        const reports = await timed("failback", () => deps.failback!(n));
        figures.missed.push(...printFailbackBench(say, reports, figures.seconds.failback ?? 0, figures));
      }
      if (runs("health")) {
        const health = await timed("health", deps.health);
        figures.health = health;
        figures.missed.push(...printHealthBench(health, say.out));
      }
      if (runs("rehearsal")) {
        say.out(`\nRehearsal: regional-outage over ${seeds} seeds per profile (virtual time; latencies drawn from the design's model)`);
        const results = await timed("rehearsal", () => deps.rehearsal(seeds, processes));
        figures.rehearsal = results;
        figures.missed.push(...printRehearsalBench(say, seeds, results, figures.seconds.rehearsal ?? 0));
      }
      if (runs("scenarios") && deps.scenarios) {
        const n = options.scenarioSeeds ?? defaultScenarioSeeds;
        say.out(`\nScenarios: every other scenario over seeds 1-${n} (default profile), each run against what its scenario exists to show`);
        const sweeps = await timed("scenarios", () => deps.scenarios!(n, processes));
        figures.scenarios = sweeps;
        figures.missed.push(...printScenarioSweep(say, sweeps, figures.seconds.scenarios ?? 0));
      }
      say.out(figures.missed.length === 0 ? "\nEvery target met; every run ended as its scenario expects." : `\nMISSED (${figures.missed.length}):\n${figures.missed.map((m) => `  - ${m}`).join("\n")}`);
      const json = `${JSON.stringify(figures, null, 2)}\n`;
      if (options.json === "-") io.out(json);
      else if (options.json) await writeReport(fromInvocationDir(options.json), json);
      code = figures.missed.length === 0 ? 0 : 1;
    });
  const parsed = await runCommand(command, argv);
  return parsed !== 0 ? parsed : code;
}

runWhenMain(import.meta.url, run);
