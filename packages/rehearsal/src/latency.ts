/**
 * The latency model of docs/design.md, each figure with its source, and sampling from it.
 * Each figure is a three-point estimate (best, typical, bad), drawn from the Beta-PERT
 * distribution over [best, bad] with its mode at typical: bounded, skewed the way cloud
 * control-plane latencies are, and less heavy in the tail than a triangular distribution
 * (which would put the median promotion at 6.8 minutes instead of PERT's 5.7).
 */
import type { Random } from "./random";

export interface LatencyFigure {
  best: number;
  typical: number;
  bad: number;
  source: string;
}

export const latencyModel = {
  triggerJitter: { best: 0, typical: 30, bad: 60, source: "EventBridge Scheduler: 60-second precision" },
  promotion: {
    best: 90,
    typical: 300,
    bad: 900,
    source: 'AWS RDS guide, "Promoting a read replica": "several minutes or longer"; a published MySQL measurement: 1.5-2 min',
  },
  promotionRace: { best: 0, typical: 10, bad: 60, source: "status race noted in aws-samples' DR orchestrator" },
  taskStart: { best: 45, typical: 60, bad: 120, source: "aws/containers-roadmap#696; Fargate pull benchmarks (250-400 MB image)" },
  firstHealthCheck: { best: 5, typical: 10, bad: 30, source: "ECS guide, load balancer health checks (5 s interval)" },
  dnsInsync: { best: 10, typical: 45, bad: 60, source: 'Route 53 FAQ: "within 60 seconds under normal conditions"' },
  dnsTtl: { best: 0, typical: 30, bad: 60, source: "record TTL 60" },
  healthCheckFailover: { best: 30, typical: 40, bad: 100, source: "Route 53 guide, determining endpoint health (10 s x 3)" },
  replicaLag: { best: 0.05, typical: 1, bad: 120, source: 'AWS: "replica lag is higher" cross-region; third-party reports' },
  multiAzFailover: { best: 60, typical: 90, bad: 120, source: "AWS RDS Multi-AZ failover guide" },
  lambdaColdStart: { best: 0.2, typical: 0.3, bad: 0.8, source: "aws/aws-sdk-js-v3#5516" },
  replicaBackup: {
    best: 120,
    typical: 300,
    bad: 1800,
    source: 'planning values (no published measurement found); RDS API reference, PromoteReadReplica: "Backup duration is a function of the amount of changes to the database since the previous backup"',
  },
} as const satisfies Record<string, LatencyFigure>;

export type LatencyName = keyof typeof latencyModel;

/** One draw of the Beta-PERT distribution (λ = 4) of a three-point estimate. */
export function samplePert(figure: LatencyFigure, random: Random): number {
  const { best: a, typical: m, bad: b } = figure;
  if (b === a) return a;
  const alpha = 1 + (4 * (m - a)) / (b - a);
  const beta = 1 + (4 * (b - m)) / (b - a);
  const x = sampleGamma(alpha, random);
  const y = sampleGamma(beta, random);
  return a + (x / (x + y)) * (b - a);
}

/** Marsaglia and Tsang's gamma sampler (shape ≥ 1, which PERT's shapes always are). */
function sampleGamma(shape: number, random: Random): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = sampleNormal(random);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = random.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Box-Muller; 1 - u keeps the logarithm finite. */
function sampleNormal(random: Random): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type LatencySample = Record<LatencyName, number>;

/** One draw of every latency, in a fixed order so a seed always gives the same sample. */
export function sampleLatencies(random: Random): LatencySample {
  const names = Object.keys(latencyModel) as LatencyName[];
  return Object.fromEntries(names.map((n) => [n, round1(samplePert(latencyModel[n], random))])) as LatencySample;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
