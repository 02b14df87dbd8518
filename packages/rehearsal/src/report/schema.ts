/**
 * The rehearsal's report: what `--json FILE` writes and the HTML report renders. Seconds are
 * counted from the outage's start; null where a figure does not apply (no failover, no DNS).
 * A report judges the run: each target met or missed, the phase that failed or timed out
 * with its error, the critical path, the end state, and what to change.
 */
import * as z from "zod";

export const PhaseOutcome = z.enum(["ok", "failed", "timed-out"]);

/** How a rehearsal ended, from what the world and the executions show (engine.ts `outcomeKind`). */
export const OutcomeKindSchema = z.enum(["failed-over", "refused", "needs-operator", "not-started", "drill-completed", "drill-failed", "dry-run-reported", "dry-run-failed"]);

export const Phase = z.object({
  name: z.string().min(1),
  startSeconds: z.number().min(0),
  endSeconds: z.number().min(0),
  outcome: PhaseOutcome.default("ok"),
  /** The error that ended this phase ("PromotionTimeoutError: CheckPromotion: ..."), or null. */
  error: z.string().nullable().default(null),
  /** On the chain of phases that decided the RTO (or, without one, the run's end). */
  critical: z.boolean().default(false),
});

export const TimelineEvent = z.object({
  atSeconds: z.number(),
  text: z.string().min(1),
  /** A short label for the chart's marker line; events without one are listed, not drawn. */
  marker: z.string().min(1).nullable().default(null),
});

export const SentNotification = z.object({
  atSeconds: z.number(),
  kind: z.string(),
  subject: z.string(),
});

/** The stage's objectives and this run against them (Failover.Targets). */
export const Targets = z.object({
  rto: z.object({
    targetSeconds: z.number(),
    actualSeconds: z.number().nullable(),
    measuredFrom: z.enum(["outage-start", "last-healthy-check", "execution-start"]),
    met: z.boolean(),
  }),
  rpo: z.object({
    budgetSeconds: z.number(),
    actualSeconds: z.number().nullable(),
    met: z.boolean().nullable(),
  }),
});

export const RehearsalReport = z.object({
  scenario: z.string(),
  seed: z.number().int(),
  profile: z.enum(["default", "fast"]),
  failedOver: z.boolean(),
  detectionSeconds: z.number().nullable(),
  orchestrationSeconds: z.number().nullable(),
  rtoSeconds: z.number().nullable(),
  rpoSeconds: z.number().nullable(),
  /** Null when the scenario needs no recovery (no failover due, a dry-run). */
  targets: Targets.nullable(),
  phases: z.array(Phase),
  /** Names of the phases with `critical: true`, in time order. */
  criticalPath: z.array(z.string()),
  events: z.array(TimelineEvent),
  notifications: z.array(SentNotification),
  /** What the run ended as: "failed over", "no failover", "compensated", "needs operator", ... */
  outcome: z.string(),
  /** ok: the run did its job; failed: it ended in a failure state (the red banner). */
  verdict: z.enum(["ok", "failed"]),
  /**
   * What the scenario exists to show for this seed's draw, how the run ended, and whether that
   * is it (and the world's invariants hold): `pnpm rehearse` exits 1 when not.
   */
  expectation: z.object({ outcome: OutcomeKindSchema, because: z.string(), actual: OutcomeKindSchema, met: z.boolean() }),
  /** What to change, computed from the figures; the largest lever first. */
  advice: z.array(z.string()),
  execution: z
    .object({
      name: z.string(),
      status: z.string(),
      error: z.string().nullable(),
      /** The state it ended in: Done, DryRunReport, RolledBack, NeedsOperator, ... */
      endStateName: z.string().nullable(),
      states: z.array(z.string()),
    })
    .nullable(),
  /** The world when the rehearsal ended: what an operator would find. */
  endState: z.object({
    writableDatabases: z.array(z.string()),
    drDesiredTasks: z.number().int(),
    drHealthyTargets: z.number().int(),
    primaryDesiredTasks: z.number().int(),
    /** Where the PRIMARY failover record points, or null without DNS. */
    primaryRecordTarget: z.string().nullable(),
    failoverLockHeld: z.boolean(),
  }),
  /** The world's invariants that do not hold at the end (packages/world/src/invariants.ts); [] when all hold. */
  invariantViolations: z.array(z.string()).default([]),
  /** A drill this failover pre-empted: the drill, how its execution ended, and the delay from the monitor's start to the failover holding the lock. */
  preemption: z.object({ drill: z.string(), delaySeconds: z.number(), drillStatus: z.string().nullable() }).nullable().default(null),
  /** The latency draw this seed produced, seconds. */
  latencies: z.record(z.string(), z.number()),
  wallMilliseconds: z.number(),
});
export type RehearsalReport = z.infer<typeof RehearsalReport>;
export type Phase = z.infer<typeof Phase>;
export type TimelineEvent = z.infer<typeof TimelineEvent>;
export type PhaseOutcome = z.infer<typeof PhaseOutcome>;
export type OutcomeKind = z.infer<typeof OutcomeKindSchema>;
