/**
 * Rehearsal figures for `pnpm bench`: the regional outage over many seeds per profile
 * (p50/p95 of detection, orchestration and RTO), the orchestration's overhead beyond the
 * modelled AWS latencies on its critical path, and the same latency draws run through the
 * seed's sequential runbook with SDK waiters (the baseline).
 */
import { baselineOrchestration } from "./baseline";
import { createRehearsal } from "./engine";
import { sampleLatencies, type LatencySample } from "./latency";
import { seededRandom } from "./random";
import type { RehearsalReport } from "./report/schema";
import type { Profile } from "./scenarios";

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
}

export function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { p50: Number.NaN, p95: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/** The AWS latencies our failover cannot avoid: promotion ‖ (task start + health checks), then DNS. */
export function modelledCriticalPath(l: LatencySample, withDns: boolean): number {
  return Math.max(l.promotion, l.taskStart + l.firstHealthCheck) + (withDns ? l.dnsInsync : 0);
}

export async function benchRehearsal(seeds: number, onRun?: (r: RehearsalReport) => void): Promise<ProfileBench[]> {
  const rehearsal = await createRehearsal();
  try {
    const results: ProfileBench[] = [];
    for (const profile of ["default", "fast"] as const) {
      const reports: RehearsalReport[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await rehearsal.rehearse({ scenario: "regional-outage", seed, profile });
        reports.push(r);
        onRun?.(r);
      }
      const ok = reports.filter((r) => r.failedOver);
      const baseline = ok.map((r) => baselineOrchestration(r.latencies as LatencySample, seededRandom(r.seed + 1_000_000), true).orchestrationSeconds);
      const ours = ok.map((r) => r.orchestrationSeconds!);
      results.push({
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
      });
    }
    return results;
  } finally {
    await rehearsal.close();
  }
}

export { sampleLatencies };
