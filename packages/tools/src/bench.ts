/**
 * `pnpm bench`: the figures that matter for recovery time, printed. Performance targets live
 * here, not in timed tests: each line says the target and whether this run met it.
 */
import { benchRehearsal, type ProfileBench } from "../../rehearsal/src/bench";
import { benchHealth, printHealthBench } from "./bench-health";

const seeds = Number(process.env.BENCH_SEEDS ?? 50);
const met = (ok: boolean) => (ok ? "met" : "MISSED");
const s = (x: number) => `${Math.round(x)} s`;

printHealthBench(await benchHealth());

console.log(`\nRehearsal: regional-outage over ${seeds} seeds per profile (virtual time; latencies drawn from the design's model)`);
const started = performance.now();
const results: ProfileBench[] = await benchRehearsal(seeds);
for (const r of results) {
  console.log(`  profile ${r.profile}: ${r.failedOver}/${r.runs} runs failed over`);
  for (const [outcome, count] of Object.entries(r.notFailedOver)) console.log(`    not failed over: ${count} x ${outcome}`);
  console.log(`    detection        p50 ${s(r.detection.p50)}  p95 ${s(r.detection.p95)}`);
  console.log(`    orchestration    p50 ${s(r.orchestration.p50)}  p95 ${s(r.orchestration.p95)}`);
  console.log(`    RTO              p50 ${s(r.rto.p50)}  p95 ${s(r.rto.p95)}`);
  console.log(`    baseline (seed's sequential runbook, SDK waiters) orchestration p50 ${s(r.baselineOrchestration.p50)}  p95 ${s(r.baselineOrchestration.p95)}`);
  console.log(`    ours / baseline orchestration (p50): ${r.ratio.toFixed(2)}, target <= 0.75: ${met(r.ratio <= 0.75)}`);
  console.log(`    overhead beyond modelled AWS latencies p50 ${s(r.overhead.p50)}  p95 ${s(r.overhead.p95)}, target p50 <= 20 s: ${met(r.overhead.p50 <= 20)}`);
  console.log(`    wall time per rehearsal p50 ${(r.wallMs.p50 / 1000).toFixed(1)} s  p95 ${(r.wallMs.p95 / 1000).toFixed(1)} s, target <= 10 s: ${met(r.wallMs.p95 <= 10_000)}`);
}
console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s for ${seeds * 2} rehearsals)`);
