/**
 * The rehearsal's report: what `--json FILE` writes and the HTML report renders. Seconds are
 * counted from the outage's start; null where a figure does not apply (no failover, no DNS).
 */
import * as z from "zod";

export const Phase = z.object({
  name: z.string().min(1),
  startSeconds: z.number().min(0),
  endSeconds: z.number().min(0),
  /** "ok", or what went wrong in this phase. */
  outcome: z.string().default("ok"),
});

export const TimelineEvent = z.object({ atSeconds: z.number(), text: z.string().min(1) });

export const SentNotification = z.object({
  atSeconds: z.number(),
  kind: z.string(),
  subject: z.string(),
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
  phases: z.array(Phase),
  events: z.array(TimelineEvent),
  notifications: z.array(SentNotification),
  /** What the run ended as: "failed over", "no failover", "compensated", "needs operator", ... */
  outcome: z.string(),
  execution: z
    .object({ name: z.string(), status: z.string(), error: z.string().nullable(), states: z.array(z.string()) })
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
  /** The latency draw this seed produced, seconds. */
  latencies: z.record(z.string(), z.number()),
  wallMilliseconds: z.number(),
});
export type RehearsalReport = z.infer<typeof RehearsalReport>;
export type Phase = z.infer<typeof Phase>;
