/**
 * `pnpm bench [--seeds N] [--only health|rehearsal]`: the figures that matter for recovery
 * time, printed. Performance targets live here, not in timed tests: each line says the target
 * and whether this run met it. The whole bench takes about four minutes on two cores, so
 * `--help` only prints help.
 */
import { Option } from "commander";
import { benchRehearsal, quantiles, type ProfileBench } from "../../rehearsal/src/bench";
import { createFailbackRehearsal, type FailbackReport } from "../../rehearsal/src/failback";
import { benchHealth, printHealthBench } from "./bench-health";
import { newCommand, processIo, runCommand, wholeNumber, type Io } from "./cli/program";

const met = (ok: boolean) => (ok ? "met" : "MISSED");
const s = (x: number) => `${Math.round(x)} s`;

export interface BenchDeps {
  health: () => Promise<void>;
  rehearsal: (seeds: number) => Promise<ProfileBench[]>;
  /** The round trip (outage → failover → re-protect → switchback) over `seeds` seeds. */
  failback?: (seeds: number) => Promise<FailbackReport[]>;
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
  health: async () => printHealthBench(await benchHealth()),
  rehearsal: (seeds) => benchRehearsal(seeds),
  failback: benchFailback,
};

/** The failback's figures: round-trip time, the switchback's write downtime and lost writes. */
export function printFailbackBench(io: Io, reports: FailbackReport[], seconds: number): void {
  const ok = reports.filter((r) => r.roundTripSeconds !== null);
  const round = quantiles(ok.map((r) => r.roundTripSeconds as number));
  const down = quantiles(ok.map((r) => r.writeDowntimeSeconds ?? 0));
  const switchback = quantiles(ok.map((r) => r.switchbackSeconds ?? 0));
  const reprotect = quantiles(ok.map((r) => r.reprotectSeconds ?? 0));
  const lost = Math.max(0, ...reports.map((r) => r.lostWritesInSwitchback ?? 0));
  io.out(`  ${ok.length}/${reports.length} round trips ended in the original topology`);
  io.out(`    round trip (outage → original topology) p50 ${s(round.p50)}  p95 ${s(round.p95)}  (the outage itself: 30 min to 4 h, drawn)`);
  io.out(`    re-protect       p50 ${s(reprotect.p50)}  p95 ${s(reprotect.p95)}`);
  io.out(`    switchback       p50 ${s(switchback.p50)}  p95 ${s(switchback.p95)}`);
  io.out(`    write downtime of the switchback p50 ${s(down.p50)}  p95 ${s(down.p95)}`);
  io.out(`    lost writes in the switchback, worst run: ${lost}, target 0: ${met(lost === 0 && ok.length === reports.length)}`);
  io.out(`  (${seconds.toFixed(0)} s for ${reports.length} round trips)`);
}

export const examples = ["pnpm bench", "pnpm bench --seeds 10 --only rehearsal", "BENCH_SEEDS=20 pnpm bench"];

export function printRehearsalBench(io: Io, seeds: number, results: ProfileBench[], seconds: number): void {
  for (const r of results) {
    io.out(`  profile ${r.profile}: ${r.failedOver}/${r.runs} runs failed over`);
    for (const [outcome, count] of Object.entries(r.notFailedOver)) io.out(`    not failed over: ${count} x ${outcome}`);
    io.out(`    detection        p50 ${s(r.detection.p50)}  p95 ${s(r.detection.p95)}`);
    io.out(`    orchestration    p50 ${s(r.orchestration.p50)}  p95 ${s(r.orchestration.p95)}`);
    io.out(`    RTO              p50 ${s(r.rto.p50)}  p95 ${s(r.rto.p95)}`);
    io.out(`    baseline (seed's sequential runbook, SDK waiters) orchestration p50 ${s(r.baselineOrchestration.p50)}  p95 ${s(r.baselineOrchestration.p95)}`);
    io.out(`    ours / baseline orchestration (p50): ${r.ratio.toFixed(2)}, target <= 0.75: ${met(r.ratio <= 0.75)}`);
    io.out(`    overhead beyond modelled AWS latencies p50 ${s(r.overhead.p50)}  p95 ${s(r.overhead.p95)}, target p50 <= 20 s: ${met(r.overhead.p50 <= 20)}`);
    io.out(`    wall time per rehearsal p50 ${(r.wallMs.p50 / 1000).toFixed(1)} s  p95 ${(r.wallMs.p95 / 1000).toFixed(1)} s, target <= 10 s: ${met(r.wallMs.p95 <= 10_000)}`);
  }
  io.out(`  (${seconds.toFixed(0)} s for ${seeds * 2} rehearsals)`);
}

/** Runs the command line; returns the exit code (2 for a usage mistake). */
export async function run(argv: readonly string[], io: Io = processIo, deps: BenchDeps = realDeps, env: Record<string, string | undefined> = process.env): Promise<number> {
  const command = newCommand("pnpm bench", "Bundle size, cold start, and the rehearsal over many seeds per profile against the seed's sequential runbook (about 4 minutes).", examples, io)
    .option("--seeds <n>", "rehearsals per profile (default: $BENCH_SEEDS or 50)", wholeNumber(1, 10_000))
    .addOption(new Option("--only <part>", "run one part").choices(["health", "rehearsal", "failback"]))
    .action(async (options: { seeds?: number; only?: "health" | "rehearsal" | "failback" }) => {
      const seeds = options.seeds ?? wholeNumber(1, 10_000)(env.BENCH_SEEDS ?? "50");
      if (options.only === "failback" || (options.only === undefined && deps.failback)) {
        // A round trip takes about 4 s of wall time: at most 10 of them.
        const n = Math.min(seeds, 10);
        io.out(`\nFailback: the round trip over ${n} seeds (virtual time; latencies drawn)`);
        const started = performance.now();
        printFailbackBench(io, (await deps.failback?.(n)) ?? [], (performance.now() - started) / 1000);
        if (options.only === "failback") return;
      }
      if (options.only !== "rehearsal") await deps.health();
      if (options.only === "health") return;
      io.out(`\nRehearsal: regional-outage over ${seeds} seeds per profile (virtual time; latencies drawn from the design's model)`);
      const started = performance.now();
      const results = await deps.rehearsal(seeds);
      printRehearsalBench(io, seeds, results, (performance.now() - started) / 1000);
    });
  return runCommand(command, argv);
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
