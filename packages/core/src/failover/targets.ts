/**
 * The stage's recovery objectives (rtoTargetSeconds, rpoBudgetSeconds) and how one run
 * measured against them, plus a short "what to change" list computed from the figures.
 * Pure: shared by the state machine's outcome record, its notifications, `pnpm dr` and the
 * rehearsal's reports, so every report judges a run the same way.
 */
import { pollTimeoutErrors } from "../workflow/errors";

export interface Targets {
  rto: {
    targetSeconds: number;
    /** Up to DR serving healthy traffic; null when DR never served. */
    actualSeconds: number | null;
    /** Where the clock started: the outage itself (rehearsal), the last passing health check, or the execution. */
    measuredFrom: "outage-start" | "last-healthy-check" | "execution-start";
    met: boolean;
  };
  rpo: {
    budgetSeconds: number;
    /** Replica lag at the decision; null when unknown. */
    actualSeconds: number | null;
    /** null: lag unknown, so the data loss cannot be judged. */
    met: boolean | null;
  };
}

/** What a run's figures are made of, in seconds; null where a part did not happen. */
export interface RecoveryFigures {
  rtoTargetSeconds: number;
  rpoBudgetSeconds: number;
  rtoSeconds: number | null;
  measuredFrom: Targets["rto"]["measuredFrom"];
  rpoSeconds: number | null;
  /** Outage (or last passing check) → execution start; null when an operator started it. */
  detectionSeconds: number | null;
  promotionSeconds: number | null;
  scaleSeconds: number | null;
  /** The step that failed the run, its error and the error's message, when it failed. */
  failure?: { step: string; error: string; message?: string } | null;
  /** The stage's DR pilot count: 0 means DR must start every task during a failover. */
  drPilotTaskCount?: number;
  /**
   * The health profile the run detected with (health.schedule in minutes, failureThreshold);
   * undefined where the caller does not know it (the detection lever is then named).
   */
  detectionProfile?: { scheduleMinutes: number; failureThreshold: number };
}

/** docs/detection.md's faster profile: EventBridge's shortest schedule, with the fewest strikes that ride out a Multi-AZ failover. */
export const fastDetection = { scheduleMinutes: 1, failureThreshold: 4 } as const;

/** The default profile (health.schedule rate(5 minutes), 3 strikes): what a run whose profile is not known is compared with. */
const defaultDetection = { scheduleMinutes: 5, failureThreshold: 3 } as const;

/** docs/detection.md's arithmetic: the failover starts between (T − 1) × I and T × I after the outage. */
const detectionMinutes = (p: { scheduleMinutes: number; failureThreshold: number }) => `${(p.failureThreshold - 1) * p.scheduleMinutes}-${p.failureThreshold * p.scheduleMinutes}`;

/** Whether a faster health profile would detect sooner: not when the run already checked every minute with at most fastDetection's strikes. */
export function canDetectFaster(profile: RecoveryFigures["detectionProfile"]): boolean {
  return profile === undefined || profile.scheduleMinutes > fastDetection.scheduleMinutes || profile.failureThreshold > fastDetection.failureThreshold;
}

export function judgeTargets(f: Pick<RecoveryFigures, "rtoTargetSeconds" | "rpoBudgetSeconds" | "rtoSeconds" | "measuredFrom" | "rpoSeconds">): Targets {
  return {
    rto: {
      targetSeconds: f.rtoTargetSeconds,
      actualSeconds: f.rtoSeconds,
      measuredFrom: f.measuredFrom,
      met: f.rtoSeconds !== null && f.rtoSeconds <= f.rtoTargetSeconds,
    },
    rpo: {
      budgetSeconds: f.rpoBudgetSeconds,
      actualSeconds: f.rpoSeconds,
      met: f.rpoSeconds === null ? null : f.rpoSeconds <= f.rpoBudgetSeconds,
    },
  };
}

/** Whether an error is a polling loop giving up at its cap (the step ran out of time, it did not fail). */
export function isTimeout(error: string): boolean {
  return (Object.values(pollTimeoutErrors) as string[]).includes(error) || error === "States.Timeout";
}

const percent = (part: number, whole: number) => `${Math.round((100 * part) / whole)} %`;
const minutes = (s: number) => (s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/**
 * At most four lines, the largest lever first. Shares are of the RTO when there is one,
 * else of the target. Only levers this project has, and that would change something, are
 * named: a run that already detected with the fast profile is not told to use it.
 */
export function advise(f: RecoveryFigures): string[] {
  const lines: string[] = [];
  const whole = f.rtoSeconds ?? f.rtoTargetSeconds;
  if (f.failure) {
    if (f.failure.error === "RpoBudgetExceededError") {
      const why = f.failure.message ?? `replica lag ${f.rpoSeconds ?? "unknown"} s was over the RPO budget of ${f.rpoBudgetSeconds} s; start again with options.acknowledgeRpoBreach=true to accept the data loss`;
      lines.push(`${/^preflight/i.test(why) ? why : `preflight refused: ${why}`}; or find the write burst or long DDL that made the replica lag`);
    } else if (isTimeout(f.failure.error)) {
      lines.push(
        `${f.failure.step} gave up at its polling cap (${f.failure.error}): finish by hand (docs/runbook.md, "NeedsOperator"); if AWS is routinely this slow, raise the cap in stacks/failover/steps.ts (polling)`,
      );
    } else {
      lines.push(`${f.failure.step} failed with ${f.failure.error}: fix that first (docs/failover.md lists each error); the other figures describe an unfinished run`);
    }
  }
  const rpoOver = f.rpoSeconds !== null && f.rpoSeconds > f.rpoBudgetSeconds;
  if (rpoOver && f.failure?.error !== "RpoBudgetExceededError") {
    lines.push(`RPO missed: ${f.rpoSeconds} s of writes at risk against a budget of ${f.rpoBudgetSeconds} s; watch the replica-lag alarm and look for write bursts or long DDL on the primary`);
  }
  const parts: [string, number, string][] = [];
  if (f.detectionSeconds !== null && f.detectionSeconds > 0 && canDetectFaster(f.detectionProfile)) {
    parts.push([
      "detection",
      f.detectionSeconds,
      `a faster health profile (health.schedule rate(1 minute) with 4 strikes, docs/detection.md) starts the failover after 3-5 minutes instead of ${detectionMinutes(f.detectionProfile ?? defaultDetection)}`,
    ]);
  }
  if (f.promotionSeconds !== null && f.promotionSeconds >= (f.scaleSeconds ?? 0)) {
    parts.push([
      "promotion",
      f.promotionSeconds,
      "that is RDS's own time for a cross-region replica (90 s to 15 min in the latency model): the orchestration cannot shorten it, and a target below detection + promotion needs another database design (docs/design.md)",
    ]);
  }
  if (f.scaleSeconds !== null && f.scaleSeconds > (f.promotionSeconds ?? 0)) {
    parts.push([
      "scaling DR",
      f.scaleSeconds,
      (f.drPilotTaskCount ?? 0) === 0
        ? "keep a task running in DR (drPilotTaskCount: 1 in stacks/stages.ts: a warm standby, at the price of one running task) so the failover does not wait for Fargate to start one"
        : "Fargate task start and the first target health checks dominate: a smaller image starts sooner",
    ]);
  }
  parts.sort((a, b) => b[1] - a[1]);
  for (const [name, seconds, lever] of parts) {
    if (seconds / whole < 0.2) continue;
    lines.push(`${name} is ${percent(seconds, whole)} of ${f.rtoSeconds === null ? "the RTO target" : "RTO"} (${minutes(seconds)}): ${lever}`);
  }
  if (lines.length === 0 && f.rtoSeconds !== null && f.rtoSeconds <= f.rtoTargetSeconds) {
    lines.push(`nothing to change: RTO met with ${minutes(f.rtoTargetSeconds - f.rtoSeconds)} to spare`);
  }
  return lines.slice(0, 4);
}

/** "RTO 17 min 28 s against a target of 10 min: MISSED" in the words every report uses. */
export function describeTargets(t: Targets, format: (s: number) => string = (s) => `${Math.round(s)} s`): { rto: string; rpo: string } {
  const from: Record<Targets["rto"]["measuredFrom"], string> = {
    "outage-start": "from the outage",
    "last-healthy-check": "from the last passing health check",
    "execution-start": "from the execution's start; detection not included",
  };
  const rto =
    t.rto.actualSeconds === null
      ? `RTO target ${format(t.rto.targetSeconds)}: MISSED (DR never served)`
      : `RTO ${format(t.rto.actualSeconds)} (${from[t.rto.measuredFrom]}), target ${format(t.rto.targetSeconds)}: ${t.rto.met ? "met" : "MISSED"}`;
  const rpo =
    t.rpo.actualSeconds === null
      ? `RPO unknown (no replica lag at the decision), budget ${format(t.rpo.budgetSeconds)}`
      : `RPO estimate ${format(t.rpo.actualSeconds)}, budget ${format(t.rpo.budgetSeconds)}: ${t.rpo.met ? "met" : "MISSED"}`;
  return { rto, rpo };
}
