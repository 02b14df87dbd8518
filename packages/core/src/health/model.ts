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

/** What the independent vantage (Route 53's health checkers) said before an execution was started. */
export const Confirmation = z.object({
  verdict: z.enum(["confirms", "disagrees", "unavailable"]),
  detail: z.string(),
  at: z.string(),
});
export type Confirmation = z.infer<typeof Confirmation>;

/** How an execution the monitor started (or followed) ended. */
export const AttemptRecord = z.object({
  attempt: z.int().check(z.minimum(1)),
  name: z.string(),
  status: z.string(),
  error: z.optional(z.string()),
  endedAt: z.string(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/**
 * Where the monitor's ownership of an incident ended: the failover succeeded, it needs an
 * operator (promotion started, a timeout, input the state machine rejects), an operator
 * aborted the execution, or every attempt was refused. From then on the monitor is quiet.
 */
export const Resolution = z.object({
  kind: z.enum(["failed-over", "needs-operator", "aborted", "gave-up"]),
  at: z.string(),
  detail: z.string(),
});
export type Resolution = z.infer<typeof Resolution>;

export const Incident = z.object({
  id: z.string(),
  openedAt: z.string(),
  /** failover: the monitor starts the state machine; recommend: it only tells people. */
  action: z.enum(["failover", "recommend"]),
  /**
   * Why a stage that fails over by itself only told people: this region was not armed when the
   * incident opened (Health.decideArming). Such an incident closes itself once the watched region passes again.
   */
  notArmed: z.optional(z.enum(["stranded", "unknown"])),
  reason: z.string(),
  /** The last passing check before it opened: every attempt's RTO is measured from it. */
  lastHealthyAt: z.optional(z.string()),
  /** Which rule opened it: failureThreshold checks in a row, or availability over the window. */
  trigger: z._default(z.enum(["consecutive", "availability"]), "consecutive"),
  /**
   * The current attempt's execution, fixed in the write that claims its first start, so every
   * (re)try of that attempt sends the identical name and input: SFN dedupes those.
   */
  execution: z.optional(z.object({ name: z.string(), input: FailoverRequest })),
  /** Which attempt `execution` is (1 = the first; re-drives count up to the stage's cap). */
  attempt: z._default(z.int().check(z.minimum(1)), 1),
  startedAt: z.optional(z.string()),
  executionArn: z.optional(z.string()),
  startAttempts: z._default(count, 0),
  /** While in the future, one invocation owns the StartExecution call; others leave it alone. */
  startClaimUntil: z.optional(z.string()),
  lastStartError: z.optional(z.string()),
  /** Another failover held the lock: the monitor follows that execution instead of its own. */
  followed: z.optional(z.string()),
  /** After a refused or rolled-back attempt: the next one starts at a failing check from then. */
  nextAttemptAt: z.optional(z.string()),
  /** The last second opinion asked for this incident. */
  confirmation: z.optional(Confirmation),
  /** The second opinion disagreed and "failover withheld" was sent (once per incident). */
  withheldAt: z.optional(z.string()),
  history: z._default(z.array(AttemptRecord), []),
  resolution: z.optional(Resolution),
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

/**
 * The serving region's watch of its standby: consecutive ticks it did not protect, and whether
 * `protection.lost` was sent (once per loss, until `protection.restored`).
 */
export const StandbyWatch = z.object({
  failures: count,
  /** The first tick of the current run of failures. */
  since: z.optional(z.string()),
  /** The last tick the standby protected (a replica of this region's database, replicating). */
  protectedAt: z.optional(z.string()),
  /** The watched region's RDS answered since the watch began (after a failover: its region is back). */
  answeredAt: z.optional(z.string()),
  /** When `protection.lost` was sent, and why; cleared by `protection.restored`. */
  lostAt: z.optional(z.string()),
  lostDetail: z.optional(z.string()),
});
export type StandbyWatch = z.infer<typeof StandbyWatch>;

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
  /** Counted checks inside the availability window (older ones are dropped). */
  recent: z._default(z.array(z.object({ tick: z.string(), ok: z.boolean() })), []),
  /** The first tick counted since the item was created or an incident was closed. */
  windowSince: z.optional(z.string()),
  /** When the degraded/recovered messages of the last hour were queued (the rate limit). */
  noticesAt: z._default(z.array(z.string()), []),
  /** State changes not mailed because of the rate limit, since the first of them. */
  unmailed: z.optional(z.object({ count, since: z.string() })),
  /** While this region serves: its standby in the watched region, as the last ticks read it (Health.decideStandby). */
  standby: z.optional(StandbyWatch),
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
  return { target, version: 0, consecutiveFailures: 0, outbox: [], recent: [], noticesAt: [] };
}
