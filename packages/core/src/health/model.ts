/**
 * The monitor's persistent shapes: one item per probed target (`HEALTH#primary`) holding the
 * strike count, the last evidence, the open incident and the notification outbox, and the
 * failover request handed to the state machine. Defined once with zod, reused by the store,
 * the decision and the tests.
 */
import * as z from "../zod";
import { ProbeResult } from "./contract";

const count = z.int().check(z.minimum(0));

/** What one check saw, kept as evidence. */
export const Evidence = z.object({
  at: z.string(),
  url: z.string(),
  ok: z.boolean(),
  probes: z.array(ProbeResult),
});
export type Evidence = z.infer<typeof Evidence>;

/** The state machine input for a monitor-started failover (a subset of Failover.FailoverInput). */
export const FailoverRequest = z.object({
  mode: z.literal("failover"),
  /** The state machine accepts at most 500 characters. */
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
  requestedBy: z.literal("health-monitor"),
  incidentId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,60}$/)),
  /** The last passing check before the failures: the outage began after it (RTO is measured from it). */
  lastHealthyAt: z.optional(z.string()),
});
export type FailoverRequest = z.infer<typeof FailoverRequest>;

export const Incident = z.object({
  id: z.string(),
  openedAt: z.string(),
  /** failover: the monitor starts the state machine; recommend: it only tells people. */
  action: z.enum(["failover", "recommend"]),
  reason: z.string(),
  /** Stored once at opening so every (re)try sends the identical name and input: SFN dedupes those. */
  execution: z.optional(z.object({ name: z.string(), input: FailoverRequest })),
  startedAt: z.optional(z.string()),
  executionArn: z.optional(z.string()),
  startAttempts: z._default(count, 0),
  /** While in the future, one invocation owns the StartExecution call; others leave it alone. */
  startClaimUntil: z.optional(z.string()),
  lastStartError: z.optional(z.string()),
});
export type Incident = z.infer<typeof Incident>;

/** A notification waiting to be published (same fields as Notify.Notification, plus identity). */
export const Outgoing = z.object({
  id: z.string(),
  createdAt: z.string(),
  kind: z.string(),
  subject: z.string().check(z.minLength(1), z.maxLength(100)),
  body: z.string().check(z.minLength(1)),
});
export type Outgoing = z.infer<typeof Outgoing>;

export const HealthState = z.object({
  target: z.string(),
  /** Optimistic-concurrency version; 0 means no item yet. */
  version: count,
  consecutiveFailures: count,
  /** The latest scheduled tick whose check was counted; older or equal ticks are duplicates. */
  lastTick: z.optional(z.string()),
  lastCheck: z.optional(Evidence),
  lastSuccess: z.optional(Evidence),
  lastFailure: z.optional(Evidence),
  incident: z.optional(Incident),
  outbox: z._default(z.array(Outgoing), []),
});
export type HealthState = z.infer<typeof HealthState>;

/** The archived record of a closed incident (`INCIDENT#<id>`). */
export const ClosedIncident = z.extend(Incident, {
  closedAt: z.string(),
  closedBy: z.string(),
  note: z.optional(z.string()),
  /** The strike count when it was closed. */
  failuresAtClose: count,
});
export type ClosedIncident = z.infer<typeof ClosedIncident>;

export function emptyState(target: string): HealthState {
  return { target, version: 0, consecutiveFailures: 0, outbox: [] };
}
