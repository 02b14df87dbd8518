/**
 * Rehearsal figures for `pnpm bench`: the regional outage over many seeds per profile
 * (p50/p95 of detection, orchestration and RTO), the orchestration's overhead beyond the
 * modelled AWS latencies on its critical path, and the same latency draws run through the
 * seed's sequential runbook with SDK waiters (the baseline). The rehearsals run over as many
 * processes as the caller asks (./pool.ts); the figures do not depend on it.
 */
import { baselineOrchestration } from "./baseline";
import { sampleLatencies, type LatencySample } from "./latency";
import { rehearseAll } from "./pool";
import { seededRandom } from "./random";
import type { RehearsalReport } from "./report/schema";
import { scenarioNames, type Profile } from "./scenarios";

export interface Quantiles {
  p50: number;
  p95: number;
}

export interface ProfileBench {
  profile: Profile["name"];
  runs: number;
  failedOver: number;
  /** Why the other runs did not fail over: outcome → count. */
  notFailedOver: Record<string, number>;
  detection: Quantiles;
  orchestration: Quantiles;
  rto: Quantiles;
  /** Orchestration minus the modelled AWS latencies on its critical path. */
  overhead: Quantiles;
  baselineOrchestration: Quantiles;
  /** p50 of ours / p50 of the baseline. */
  ratio: number;
  wallMs: Quantiles;
  /** States entered per failover that failed over (Step Functions bills these as state transitions). */
  transitions: Quantiles;
  /** Runs that ended otherwise than the scenario expects for their draw. */
  unexpected: Unexpected[];
}

export interface Unexpected {
  seed: number;
  expected: string;
  actual: string;
}

/** One scenario over many seeds: how many runs, and those that ended otherwise than it expects. */
export interface ScenarioSweep {
  scenario: string;
  runs: number;
  unexpected: Unexpected[];
}

const unexpectedIn = (reports: RehearsalReport[]): Unexpected[] =>
  reports.filter((r) => !r.expectation.met).map((r) => ({ seed: r.seed, expected: r.expectation.outcome, actual: r.invariantViolations.length > 0 ? `${r.expectation.actual}, invariants broken` : r.expectation.actual }));

export function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { p50: Number.NaN, p95: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/**
 * The AWS latencies our failover cannot avoid: promotion ‖ (task start + health checks) ‖ DNS.
 * The DNS pin is made right after the promote call (docs/failover.md), so Route 53 propagates
 * while RDS promotes: its INSYNC is on the critical path only when it takes longer.
 */
export function modelledCriticalPath(l: LatencySample, withDns: boolean): number {
  return Math.max(l.promotion, l.taskStart + l.firstHealthCheck, withDns ? l.dnsInsync : 0);
}

/** The regional outage over seeds 1..`seeds` per profile, over `processes` processes (./pool.ts). */
export async function benchRehearsal(seeds: number, processes = 1, onRun?: (r: RehearsalReport) => void): Promise<ProfileBench[]> {
  const profiles = ["default", "fast"] as const;
  const jobs = profiles.flatMap((profile) => Array.from({ length: seeds }, (_, i) => ({ scenario: "regional-outage", seed: i + 1, profile })));
  const all = await rehearseAll(jobs, processes, onRun);
  return profiles.map((profile) => {
    const reports = all.filter((r) => r.profile === profile);
    const ok = reports.filter((r) => r.failedOver);
    const baseline = ok.map((r) => baselineOrchestration(r.latencies as LatencySample, seededRandom(r.seed + 1_000_000), true).orchestrationSeconds);
    const ours = ok.map((r) => r.orchestrationSeconds!);
    return {
      profile,
      runs: reports.length,
      failedOver: ok.length,
      notFailedOver: Object.fromEntries(
        [...new Set(reports.filter((r) => !r.failedOver).map((r) => r.outcome))].map((o) => [o, reports.filter((r) => !r.failedOver && r.outcome === o).length]),
      ),
      detection: quantiles(ok.map((r) => r.detectionSeconds!)),
      orchestration: quantiles(ours),
      rto: quantiles(ok.map((r) => r.rtoSeconds!)),
      overhead: quantiles(ok.map((r) => r.orchestrationSeconds! - modelledCriticalPath(r.latencies as LatencySample, true))),
      baselineOrchestration: quantiles(baseline),
      ratio: quantiles(ours).p50 / quantiles(baseline).p50,
      wallMs: quantiles(reports.map((r) => r.wallMilliseconds)),
      transitions: quantiles(ok.map((r) => r.execution?.states.length ?? 0)),
      unexpected: unexpectedIn(reports),
    };
  });
}

/** Every scenario but the regional outage (the profiles' bench runs it), default profile, seeds 1..`seeds`, over `processes` processes. */
export async function benchScenarios(seeds: number, processes = 1): Promise<ScenarioSweep[]> {
  const names = scenarioNames.filter((n) => n !== "regional-outage");
  const jobs = names.flatMap((scenario) => Array.from({ length: seeds }, (_, i) => ({ scenario, seed: i + 1, profile: "default" as const })));
  const all = await rehearseAll(jobs, processes);
  return names.map((scenario) => {
    const reports = all.filter((r) => r.scenario === scenario);
    return { scenario, runs: reports.length, unexpected: unexpectedIn(reports) };
  });
}

export { sampleLatencies };
