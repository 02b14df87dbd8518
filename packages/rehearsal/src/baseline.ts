/**
 * The baseline the bench compares against: the seed's sequential runbook (promote, then scale,
 * then DNS), each step waited on with the AWS SDK v3 waiter at its default backoff — the
 * straightforward way to write it. Same latency draw as the rehearsal, so the ratio compares
 * orchestration, not luck. Generous to the baseline: its RDS waiter is assumed not to be
 * fooled by the replica still reporting `available` right after the promote call.
 */
import type { LatencySample } from "./latency";
import type { Random } from "./random";

/** Default waiter settings of @aws-sdk/client-* 3.x (minDelay, maxDelay, seconds). */
export const sdkWaiters = {
  rdsInstanceAvailable: { minDelay: 30, maxDelay: 1800 },
  ecsServicesStable: { minDelay: 15, maxDelay: 120 },
  route53Insync: { minDelay: 30, maxDelay: 120 },
} as const;

/**
 * Seconds until a waiter observes a condition that becomes true `readyAfter` seconds after it
 * starts: a first check at once, then @smithy/util-waiter's exponential backoff with jitter
 * (delay uniform in [min, min·2^(n-1)], and maxDelay once past the attempt ceiling).
 */
export function waiterObserves(readyAfter: number, waiter: { minDelay: number; maxDelay: number }, random: Random): number {
  let t = 0;
  const ceiling = Math.log(waiter.maxDelay / waiter.minDelay) / Math.log(2) + 1;
  for (let attempt = 1; t < readyAfter; attempt++) {
    const delay =
      attempt > ceiling ? waiter.maxDelay : waiter.minDelay + random.next() * (waiter.minDelay * 2 ** (attempt - 1) - waiter.minDelay);
    t += delay;
  }
  return t;
}

export interface BaselineRun {
  orchestrationSeconds: number;
  steps: { name: string; seconds: number }[];
}

export function baselineOrchestration(latency: LatencySample, random: Random, withDns: boolean): BaselineRun {
  const steps = [
    { name: "promote + waitUntilDBInstanceAvailable", seconds: waiterObserves(latency.promotion, sdkWaiters.rdsInstanceAvailable, random) },
    {
      name: "scale + waitUntilServicesStable",
      seconds: waiterObserves(latency.taskStart + latency.firstHealthCheck, sdkWaiters.ecsServicesStable, random),
    },
    ...(withDns ? [{ name: "change DNS + waitUntilResourceRecordSetsChanged", seconds: waiterObserves(latency.dnsInsync, sdkWaiters.route53Insync, random) }] : []),
  ];
  const invocations = steps.length * latency.lambdaColdStart;
  return { orchestrationSeconds: steps.reduce((sum, s) => sum + s.seconds, 0) + invocations, steps };
}
