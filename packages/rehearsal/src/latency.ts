/**
 * The latency model of DESIGN.md, each figure with its source, and sampling from it.
 * A latency is drawn from a triangular distribution over [best, bad] peaking at typical:
 * simple, bounded, and skewed the way cloud control-plane latencies are (long right tail).
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
} as const satisfies Record<string, LatencyFigure>;

export type LatencyName = keyof typeof latencyModel;

/** Inverse-CDF sample of the triangular distribution (best, typical, bad). */
export function sampleTriangular(figure: LatencyFigure, random: Random): number {
  const { best: a, typical: c, bad: b } = figure;
  if (b === a) return a;
  const u = random.next();
  const f = (c - a) / (b - a);
  return u < f ? a + Math.sqrt(u * (b - a) * (c - a)) : b - Math.sqrt((1 - u) * (b - a) * (b - c));
}

export type LatencySample = Record<LatencyName, number>;

/** One draw of every latency, in a fixed order so a seed always gives the same sample. */
export function sampleLatencies(random: Random): LatencySample {
  const names = Object.keys(latencyModel) as LatencyName[];
  return Object.fromEntries(names.map((n) => [n, round1(sampleTriangular(latencyModel[n], random))])) as LatencySample;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
