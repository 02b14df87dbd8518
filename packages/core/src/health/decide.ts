/**
 * The detection decision, as pure functions: (stored state, this tick's check, the second
 * opinion) → next state, notifications and at most one StartExecution; (stored state, what
 * DescribeExecution says) → follow, re-drive or stand down. The store applies each result with
 * a version-conditioned write, so of any number of concurrent or retried invocations exactly
 * one wins each transition; the losers re-read and decide again against the winner's state.
 * Every attempt's execution name and input are fixed in the write that claims its first start.
 */
import { ValidationError, TerminalError } from "../errors";
import { healthPathOf, type ProbeResult } from "./contract";
import type { AttemptRecord, ClosedIncident, Evidence, FailoverRequest, HealthState, Incident, Outgoing, Resolution, StandbyWatch } from "./model";
import type { SecondOpinion } from "./second-opinion";
import type { Arming, Standby } from "./arming";

export interface Policy {
  /** Consecutive failed checks that open an incident. */
  failureThreshold: number;
  /** true: start the failover state machine; false: notify "failover recommended". */
  autoFailover: boolean;
  /** How long one invocation owns a StartExecution call; longer than the Lambda's timeout. */
  startLeaseMs: number;
  /** Shown at the start of every subject, e.g. "pilot-light prod". */
  label: string;
  /** A primary mostly down over the window opens an incident too; minPercent 0 turns it off. */
  availability?: { windowMinutes: number; minPercent: number };
  /** degraded/recovered messages per rolling hour. */
  noticesPerHour?: number;
  /** Executions per incident: the first and its re-drives. */
  maxAttempts?: number;
  /** Pause before the first re-drive; it doubles for each later one, up to 30 minutes. */
  redriveBackoffMs?: number;
}

type FullPolicy = Required<Policy>;

export const policyDefaults = {
  availability: { windowMinutes: 60, minPercent: 50 },
  noticesPerHour: 2,
  maxAttempts: 4,
  redriveBackoffMs: 5 * 60_000,
} as const;

const maxBackoffMs = 30 * 60_000;

function complete(policy: Policy): FullPolicy {
  return { ...policyDefaults, ...Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) } as FullPolicy;
}

export interface Observation {
  /** The scheduled time of the tick (EventBridge `time`); duplicates and retries share it. */
  tick: string;
  evidence: Evidence;
  /** Asked only when this tick may start an attempt (see `needsSecondOpinion`). */
  secondOpinion?: SecondOpinion;
  /** Read at a failing check with no incident open; absent: armed as the policy says (a monitor with no arming reader). */
  arming?: Arming;
}

export interface StartRequest {
  incidentId: string;
  name: string;
  input: FailoverRequest;
}

export type Decision =
  | { kind: "unchanged"; reason: string }
  | {
      kind: "write";
      next: HealthState;
      /** Whether this tick's check was counted (false: a duplicate that only repairs a start). */
      counted: boolean;
      /** Notifications this decision created; they are also in `next.outbox`. */
      notify: Outgoing[];
      start?: StartRequest;
      /** The monitor closed its own incident (the primary is healthy again and nothing was changed). */
      archive?: ClosedIncident;
      /** The decision read the second opinion (a new attempt was due). */
      usedSecondOpinion: boolean;
    };

export type StartResult = { ok: true; executionArn: string; alreadyExisted: boolean } | { ok: false; error: string };

/** Asked to close an incident that is not the open one. */
export class IncidentNotOpenError extends TerminalError {
  override readonly name = "IncidentNotOpenError";
}

/** At most this many unsent notifications are kept; the oldest go first (SNS down for hours). */
const maxOutbox = 20;

/**
 * How far ahead of the receive time a tick's date may be. EventBridge dates a scheduled event at
 * its schedule time, which is never later than its delivery; more than this is a skewed clock or a
 * hand-written event.
 */
export const futureTickToleranceMs = 60_000;

/**
 * A tick dated in the future is counted at the time it was received: taken at its word, its date
 * would make every later, correctly dated tick look already counted (a blind monitor). A last
 * tick already stored in the future (before this rule) is ignored the same way.
 */
function receivedTick(tick: string, now: Date): string {
  const ms = Date.parse(tick);
  if (Number.isNaN(ms)) throw new ValidationError(`tick "${tick}" is not an ISO time`);
  return ms > now.getTime() + futureTickToleranceMs ? now.toISOString() : tick;
}

/**
 * An incident whose failover promoted this region's database is over once DNS sends users to the
 * watched region again: re-protects made this region's database a read replica of the watched
 * one's ("armed"), or the other region's copy failed over back and this region's database is the
 * fenced old one ("stranded"). The world it was opened in is gone. The monitor reads the arming
 * for it at a failing check, as for no incident.
 */
export function mayBeSuperseded(incident: Incident | undefined): boolean {
  return incident?.resolution?.kind === "failed-over";
}

export function decide(state: HealthState, given: Observation, givenPolicy: Policy, now: Date): Decision {
  // The next outage must count afresh: the old incident is archived by the monitor, and this
  // check is decided as the first of a new count (a person closing it would reset the same).
  const arming = given.arming;
  const reprotected = arming?.kind === "serving" && arming.standby?.kind === "protected";
  if (state.incident && mayBeSuperseded(state.incident) && arming && (arming.kind === "armed" || arming.kind === "stranded" || reprotected)) {
    const archived: ClosedIncident = {
      ...state.incident,
      closedAt: now.toISOString(),
      closedBy: "health-monitor",
      note: reprotected
        ? `re-protected since its failover: ${arming.standby?.detail ?? arming.detail}`
        : `users are sent to the watched region again since its failover: ${arming.detail}`,
      failuresAtClose: state.consecutiveFailures,
    };
    const d = decide({ ...state, incident: undefined, consecutiveFailures: 0, recent: [], windowSince: undefined }, given, givenPolicy, now);
    return d.kind === "write" ? { ...d, archive: d.archive ?? archived } : d;
  }
  const policy = complete(givenPolicy);
  const observation: Observation = { ...given, tick: receivedTick(given.tick, now) };
  const tickMs = Date.parse(observation.tick);
  const lastTickMs = state.lastTick === undefined ? undefined : Date.parse(state.lastTick);
  const isNewTick = lastTickMs === undefined || lastTickMs > now.getTime() + futureTickToleranceMs || tickMs > lastTickMs;
  const notify: Outgoing[] = [];
  const note = (kind: string, subject: string, body: string) =>
    notify.push({ id: `${observation.tick}#${kind}`, createdAt: now.toISOString(), kind, subject: clip(`[${policy.label}] ${subject}`), body });
  let next: HealthState = { ...state, version: state.version + 1 };
  let archive: ClosedIncident | undefined;
  // Messages about the primary's health share one budget per rolling hour, so a flapping primary cannot flood the inbox.
  const limiter = rateLimit(state, policy, now);
  const healthNote = (kind: string, subject: string, body: string) => {
    const sent = limiter.take(observation.tick);
    if (sent) note(kind, subject, [body, ...sent.lines, availabilityLine(next.recent, policy)].join("\n"));
  };

  if (isNewTick) {
    const { evidence } = observation;
    const windowMs = policy.availability.windowMinutes * 60_000;
    // This region serves: the watched region holds its standby, a pilot light whose app is not
    // expected to answer. Not a failure, and nothing to tell (its replica has its own lag alarm).
    const standby = observation.arming?.kind === "serving" && !evidence.ok;
    const recent = [...state.recent, { tick: observation.tick, ok: evidence.ok || standby }].filter((c) => Date.parse(c.tick) > tickMs - windowMs);
    next = { ...next, lastTick: observation.tick, lastCheck: evidence, recent, windowSince: state.windowSince ?? observation.tick };
    const watched = watchStandby(state, observation, policy, now);
    next = { ...next, standby: watched.watch };
    if (watched.message) note(watched.message.kind, watched.message.subject, watched.message.body);
    // Once the monitor stood down (failed over, operator needed), the old primary's flapping is noise.
    const quiet = Boolean(state.incident?.resolution);

    if (standby) {
      next = { ...next, consecutiveFailures: 0 };
    } else if (evidence.ok) {
      if (state.consecutiveFailures > 0 && !quiet) healthNote("health.recovered", `${state.target} recovered`, recoveredBody(state, evidence));
      next = { ...next, consecutiveFailures: 0, lastSuccess: evidence };
    } else {
      const failures = state.consecutiveFailures + 1;
      next = { ...next, consecutiveFailures: failures, lastFailure: evidence };
      if (failures === 1 && !quiet) healthNote("health.degraded", `${state.target} degraded: health check failed`, degradedBody(state.target, evidence, policy, observation.arming));
      // A failover to the watched region under way or done (its RDS answers): nothing for this copy
      // to start or recommend; that run and the watched region's alarms tell of its service.
      const handedOver = observation.arming?.kind === "handed-over";
      if (!state.incident && !handedOver) {
        const trigger = failures >= policy.failureThreshold ? "consecutive" : isMostlyDown(next, tickMs, policy) ? "availability" : undefined;
        if (trigger) {
          const incident = openIncident(state.target, observation, trigger, failures, next.recent, policy, now, state.lastSuccess?.at);
          next = { ...next, incident };
          const arming = observation.arming;
          if (incident.notArmed === "stranded" && arming) note("failover.stranded", `${state.target} down and no region can take over: act now`, strandedBody(state.target, incident, evidence, arming, policy));
          else if (incident.action === "recommend") note("failover.recommended", `${state.target} down: failover recommended`, recommendedBody(incident, evidence, arming));
        }
      }
    }
    const incident = next.incident;
    if (evidence.ok && incident && isInert(incident) && availability(recent) >= policy.availability.minPercent) {
      archive = {
        ...incident,
        closedAt: now.toISOString(),
        closedBy: "health-monitor",
        note: "the primary passes again and availability is back above the floor; no failover ran, nothing was changed",
        failuresAtClose: state.consecutiveFailures,
      };
      next = { ...next, incident: undefined };
    }
  }

  let start: StartRequest | undefined;
  let usedSecondOpinion = false;
  const incident = next.incident;
  if (incident?.action === "failover" && !incident.resolution && !incident.followed) {
    if (incident.execution && !incident.startedAt) {
      if (isClaimFree(incident, now)) {
        next = { ...next, incident: claim(incident, policy, now) };
        start = { incidentId: incident.id, ...incident.execution };
      }
    } else if (!incident.execution && policy.autoFailover && isNewTick && !observation.evidence.ok && isDue(incident, now)) {
      const opinion = observation.secondOpinion;
      if (opinion) {
        usedSecondOpinion = true;
        const confirmation = { verdict: opinion.verdict, detail: opinion.detail, at: now.toISOString() };
        if (opinion.verdict === "disagrees") {
          // Once per incident, and never held back by the limit on health changes.
          if (!incident.withheldAt) note("failover.withheld", `${state.target} unreachable but healthy to Route 53: no failover`, withheldBody(incident, opinion, observation.evidence));
          next = { ...next, incident: { ...incident, confirmation, withheldAt: incident.withheldAt ?? now.toISOString() } };
        } else {
          const execution = attemptExecution(incident, opinion, policy);
          const fixed: Incident = { ...incident, confirmation, execution, nextAttemptAt: undefined, startAttempts: 0 };
          next = { ...next, incident: claim(fixed, policy, now) };
          start = { incidentId: incident.id, ...execution };
        }
      }
    }
  }

  if (!isNewTick && !start) return { kind: "unchanged", reason: "tick already counted and nothing to repair" };
  next = { ...next, outbox: [...state.outbox, ...notify].slice(-maxOutbox), noticesAt: limiter.noticesAt(), unmailed: limiter.unmailed() };
  return { kind: "write", next, counted: isNewTick, notify, start, archive, usedSecondOpinion };
}

/**
 * While this region serves, its monitor watches the standby the watched region holds (the
 * arming's `standby`, read at every tick once the watch began): `failureThreshold` ticks in a row
 * without protection (the region's RDS does not answer, the replica is gone, a replica of another
 * or not replicating) send one `protection.lost`, as the failover's own detection would; the first tick
 * that sees it protect again sends one `protection.restored`. A database there that is no replica
 * at all is a move's (a failover left it fenced, a switchback promoted it): that run tells, it is not
 * counted. After this region's failover (its
 * incident still open, re-protect not done) the standby is known to be missing and the failover
 * told so: only a new outage of the watched region, after its RDS answered again, is counted.
 * A tick whose arming was not read leaves the watch as it was; any other kind than `serving` ends it.
 */
export function watchStandby(
  state: HealthState,
  observation: Observation,
  policy: Pick<FullPolicy, "failureThreshold" | "label">,
  now: Date,
): { watch: StandbyWatch | undefined; message?: { kind: string; subject: string; body: string } } {
  const arming = observation.arming;
  if (!arming) return { watch: state.standby };
  const standby = arming.kind === "serving" ? arming.standby : undefined;
  if (!standby) return { watch: undefined };
  const tick = observation.tick;
  const w: StandbyWatch = state.standby ?? { failures: 0 };
  const answeredAt = standby.kind === "no-answer" ? w.answeredAt : tick;
  if (standby.kind === "protected") {
    const watch: StandbyWatch = { failures: 0, protectedAt: tick, answeredAt };
    if (!w.lostAt) return { watch };
    return { watch, message: { kind: "protection.restored", subject: `${state.target} region protects again`, body: restoredBody(state.target, w, standby.detail) } };
  }
  const failedOver = state.incident?.resolution?.kind === "failed-over";
  const counted = standby.kind !== "building" && standby.kind !== "standalone" && (!failedOver || (standby.kind === "no-answer" && w.answeredAt !== undefined));
  if (!counted) return { watch: { ...w, failures: 0, since: undefined, answeredAt } };
  const failures = w.failures + 1;
  const since = w.since ?? tick;
  if (failures < policy.failureThreshold || w.lostAt) return { watch: { ...w, failures, since, answeredAt } };
  const watch: StandbyWatch = { ...w, failures, since, answeredAt, lostAt: now.toISOString(), lostDetail: standby.detail };
  return {
    watch,
    message: { kind: "protection.lost", subject: `${state.target} region: protection lost, users not affected`, body: lostBody(state.target, standby, failures, since, policy) },
  };
}

/**
 * Whether this check would start an attempt, so the second opinion must be asked before
 * deciding: the same decision, taken with a placeholder opinion on a state read just before.
 */
export function needsSecondOpinion(state: HealthState, observation: Observation, policy: Policy, now: Date): boolean {
  const probe: SecondOpinion = { verdict: "unavailable", detail: "(not asked)" };
  const d = decide(state, { ...observation, secondOpinion: probe }, policy, now);
  return d.kind === "write" && d.usedSecondOpinion;
}

/**
 * Records what StartExecution answered; undefined when the attempt is no longer the current one.
 * A successful start sends nothing: the state machine's NotifyStarted is the one "failover
 * started" message (with the plan, the replica lag and the second opinion in its reason).
 */
export function recordStart(
  state: HealthState,
  request: StartRequest,
  result: StartResult,
  now: Date,
): { next: HealthState; notify: Outgoing[] } | undefined {
  const incident = state.incident;
  if (!incident || incident.id !== request.incidentId || incident.execution?.name !== request.name || incident.startedAt) return undefined;
  const base = { ...state, version: state.version + 1 };
  if (!result.ok) {
    // Release the claim so the next tick (or the Lambda retry) repairs at once.
    const failed: Incident = { ...incident, startClaimUntil: undefined, lastStartError: result.error };
    return { next: { ...base, incident: failed }, notify: [] };
  }
  const started: Incident = {
    ...incident,
    startedAt: now.toISOString(),
    executionArn: result.executionArn,
    startClaimUntil: undefined,
    lastStartError: undefined,
  };
  return { next: { ...base, incident: started }, notify: [] };
}

/** What DescribeExecution said about the execution the incident follows. */
export interface ExecutionView {
  executionArn: string;
  /** RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED (| PENDING_REDRIVE) */
  status: string;
  error?: string;
  cause?: string;
}

/** The failover lock item (LOCK#failover), read when an attempt was refused for it. */
export interface LockView {
  owner: string;
  mode: string;
  /** Epoch seconds. */
  expiresAt?: number;
}

/** Errors after which starting again cannot help: a person must look. */
const operatorErrors = new Set(["ValidationError", "InputRejected"]);

/**
 * The monitor owns the incident until it is resolved: until users are served. A run that ended
 * before any promotion (refused: the lock, the RPO budget, a replica not ready past its cap, a
 * throttled lock; or rolled back) is started again, bounded and with backoff, under a new
 * deterministic name; so is a run that promoted and then stopped short of serving, once
 * (NeedsOperator: the next run finds the database promoted, skips the promotion and scales,
 * verifies and pins again; a cause that outlasts a slow start or a throttled API). A second
 * NeedsOperator in the incident (its history says so) shows a re-drive does not fix its cause:
 * the monitor stands down with one message naming the commands to run. A run that succeeded,
 * timed out or was aborted ends the monitor's part. Another failover holding
 * the lock is followed instead of fought. Undefined when nothing changes (still running, or
 * the view is not about the current attempt).
 */
export function followExecution(state: HealthState, view: ExecutionView, lock: LockView | undefined, given: Policy, now: Date): { next: HealthState; notify: Outgoing[] } | undefined {
  const policy = complete(given);
  const incident = state.incident;
  if (!incident || incident.action !== "failover" || incident.resolution || !incident.startedAt || incident.executionArn !== view.executionArn) return undefined;
  if (!["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].includes(view.status)) return undefined;
  const at = now.toISOString();
  const name = incident.followed ?? incident.execution?.name ?? view.executionArn.split(":").at(-1) ?? "?";
  const record: AttemptRecord = { attempt: incident.attempt, name, status: view.status, ...(view.error ? { error: view.error } : {}), endedAt: at };
  const notify: Outgoing[] = [];
  const note = (kind: string, subject: string, body: string) =>
    notify.push({ id: `${incident.id}#${incident.attempt}#${kind}`, createdAt: at, kind, subject: clip(`[${policy.label}] ${subject}`), body });
  const resolve = (kind: Resolution["kind"], detail: string): Incident => ({ ...incident, history: [...incident.history, record], resolution: { kind, at, detail } });

  let next: Incident;
  const ours = new Set([...incident.history.map((h) => h.name), incident.execution?.name]);
  const otherFailover = lock && lock.mode === "failover" && !ours.has(lock.owner) && (lock.expiresAt === undefined || lock.expiresAt * 1000 > now.getTime());
  const promoted = view.error === "NeedsOperator";
  const promotedBefore = incident.history.find((h) => h.error === "NeedsOperator");
  const stage = stageOf(policy.label);
  // A message that stops the monitor names what to run, with the stage.
  const whatToRun = (afterPromotion: boolean) => [
    `Run now: pnpm dr status --stage ${stage} (which database takes writes, where users are sent, the DR service).`,
    afterPromotion
      ? `Fix the cause each run's failure message names (its step and error; docs/runbook.md, "NeedsOperator"), then finish with: pnpm dr failover --stage ${stage} --reason "finish after NeedsOperator" --yes`
      : `Fix or accept the cause the attempts name (a replica lag over the RPO budget: --acknowledge-rpo-breach), then: pnpm dr failover --stage ${stage} --reason "<why>"`,
    `Close the incident once users are served: pnpm dr close-incident --stage ${stage} --note "<what was done>"`,
  ];
  if (view.status === "SUCCEEDED") {
    next = resolve("failed-over", `execution ${name} succeeded`);
  } else if (view.status === "ABORTED") {
    next = resolve("aborted", `execution ${name} was stopped (ABORTED): the monitor does not start it again`);
  } else if (view.status === "TIMED_OUT" || operatorErrors.has(view.error ?? "")) {
    next = resolve("needs-operator", `execution ${name} ended ${view.status}${view.error ? ` (${view.error})` : ""}: a person must look (docs/runbook.md)`);
  } else if (view.error === "FailoverLockedError" && otherFailover && lock) {
    const followedArn = view.executionArn.replace(/:[^:]+$/, `:${lock.owner}`);
    next = { ...incident, followed: lock.owner, executionArn: followedArn, history: [...incident.history, record] };
    note(
      "failover.following",
      `failover ${lock.owner} already runs: the monitor follows it`,
      [
        `Incident ${incident.id}: the monitor's execution ${name} was refused because failover ${lock.owner} holds the failover lock.`,
        "That execution is the failover for this outage now: the monitor follows it to its end instead of starting its own.",
        "If it ends before a promotion (refused or rolled back), the monitor starts its next attempt; if it succeeds or needs an operator, the monitor stands down.",
      ].join("\n"),
    );
  } else if (promoted && promotedBefore) {
    next = resolve("needs-operator", `execution ${name} ended NeedsOperator again after a re-drive (as attempt ${promotedBefore.attempt} did): a person must look (docs/runbook.md)`);
    note(
      "failover.abandoned",
      `failover promoted but still not serving after a re-drive: operator needed`,
      [
        `Incident ${incident.id}: execution ${name} ended ${view.status} with NeedsOperator, as attempt ${promotedBefore.attempt} (${promotedBefore.name}) did${view.cause ? `: ${clip(oneLine(view.cause), 300)}` : "."}`,
        "Starting the failover again finished nothing the last run could not: its cause outlasts a re-drive, so the monitor starts no more and sends nothing more about this incident.",
        ...[...incident.history, record].map((h) => `  attempt ${h.attempt}: ${h.name} ${h.status}${h.error ? ` (${h.error})` : ""} at ${h.endedAt}`),
        ...whatToRun(true),
      ].join("\n"),
    );
  } else if (incident.attempt < policy.maxAttempts) {
    const pauseMs = Math.min(maxBackoffMs, policy.redriveBackoffMs * 2 ** (incident.attempt - 1));
    const nextAttemptAt = new Date(now.getTime() + pauseMs).toISOString();
    next = {
      ...incident,
      history: [...incident.history, record],
      attempt: incident.attempt + 1,
      // executionArn stays: the last attempt's, so `pnpm dr failover` sees it ended and names its own run.
      execution: undefined,
      startedAt: undefined,
      startAttempts: 0,
      startClaimUntil: undefined,
      lastStartError: undefined,
      followed: undefined,
      nextAttemptAt,
    };
    note(
      "failover.redrive",
      promoted
        ? `failover attempt ${incident.attempt} promoted but does not serve yet: retry ${incident.attempt + 1}/${policy.maxAttempts}`
        : `failover attempt ${incident.attempt} ended before promotion: retry ${incident.attempt + 1}/${policy.maxAttempts}`,
      [
        promoted
          ? `Incident ${incident.id}: execution ${name} ended ${view.status} with NeedsOperator after a promotion started${view.cause ? `: ${clip(oneLine(view.cause), 300)}` : "."}`
          : `Incident ${incident.id}: execution ${name} ended ${view.status} with ${view.error ?? "no error name"} before any promotion${view.cause ? `: ${clip(oneLine(view.cause), 300)}` : "."}`,
        promoted
          ? `Users are not served yet, so the monitor still owns the incident: it starts attempt ${incident.attempt + 1} of ${policy.maxAttempts} at the first failed check from ${nextAttemptAt} (in ${Math.round(pauseMs / 60_000)} min); that run finds the database promoted, skips the promotion and finishes serving. This is the one re-drive after a promotion: if that run ends NeedsOperator too, the monitor stops and tells you once what to run.`
          : `Nothing irreversible happened. The monitor starts attempt ${incident.attempt + 1} of ${policy.maxAttempts} at the first failed check from ${nextAttemptAt} (in ${Math.round(pauseMs / 60_000)} min), after asking the second opinion again.`,
        "It does not start one if the primary passes its checks by then. To stop it: close the incident (docs/detection.md).",
      ].join("\n"),
    );
  } else {
    next = resolve("gave-up", `${policy.maxAttempts} attempts ended without serving users; the last: ${name} ${view.status} ${view.error ?? ""}`.trim());
    note(
      "failover.abandoned",
      `failover not done after ${policy.maxAttempts} attempts: operator needed`,
      [
        `Incident ${incident.id}: no automatic attempt ended with users served:`,
        ...next.history.map((h) => `  attempt ${h.attempt}: ${h.name} ${h.status}${h.error ? ` (${h.error})` : ""} at ${h.endedAt}`),
        "The monitor starts no more. Decide by hand: the runbook's failover section (docs/runbook.md).",
        ...whatToRun(next.history.some((h) => h.error === "NeedsOperator")),
      ].join("\n"),
    );
  }
  return { next: { ...state, version: state.version + 1, incident: next, outbox: [...state.outbox, ...notify].slice(-maxOutbox) }, notify };
}

/** Removes published notifications; undefined when none of them is still queued. */
export function acknowledge(state: HealthState, ids: readonly string[]): HealthState | undefined {
  const outbox = state.outbox.filter((n) => !ids.includes(n.id));
  if (outbox.length === state.outbox.length) return undefined;
  return { ...state, version: state.version + 1, outbox };
}

/** Notifications left behind by an invocation that died before publishing them. */
export function orphanedNotifications(state: HealthState, now: Date, leaseMs: number): Outgoing[] {
  return state.outbox.filter((n) => Date.parse(n.createdAt) + leaseMs <= now.getTime());
}

/**
 * The operator's close action: archives the open incident and resets the strike count and the
 * availability window, so a new incident needs a fresh run of `failureThreshold` failed checks
 * or a fresh window.
 */
export function decideClose(
  state: HealthState,
  request: { incidentId: string; closedBy: string; note?: string },
  now: Date,
): { next: HealthState; archived: ClosedIncident } {
  const incident = state.incident;
  if (!incident || incident.id !== request.incidentId) {
    throw new IncidentNotOpenError(
      `incident ${request.incidentId} is not open on ${state.target} (open: ${incident?.id ?? "none"})`,
    );
  }
  const archived: ClosedIncident = {
    ...incident,
    closedAt: now.toISOString(),
    closedBy: request.closedBy,
    note: request.note,
    failuresAtClose: state.consecutiveFailures,
  };
  return {
    next: { ...state, version: state.version + 1, incident: undefined, consecutiveFailures: 0, recent: [], windowSince: undefined },
    archived,
  };
}

export function incidentIdFor(target: string, tick: string): string {
  const compact = new Date(tick).toISOString().replace(/\.000Z$/, "Z").replace(/[-:.]/g, "");
  return `${target}-${compact}`;
}

/** Attempt 1 keeps the name the monitor always used; later attempts add their number. */
export function attemptName(incidentId: string, attempt: number): string {
  return attempt === 1 ? `failover-${incidentId}` : `failover-${incidentId}-${attempt}`;
}

/** Percentage of passing checks; 100 when there are none. */
export function availability(checks: readonly { ok: boolean }[]): number {
  return checks.length === 0 ? 100 : (100 * checks.filter((c) => c.ok).length) / checks.length;
}

/** Below the floor over a window the monitor has watched for its whole length, on enough checks. */
function isMostlyDown(state: HealthState, tickMs: number, policy: FullPolicy): boolean {
  const { windowMinutes, minPercent } = policy.availability;
  if (minPercent <= 0 || !state.windowSince) return false;
  // A minute of slack: the first tick of a window of ticks N minutes apart sits exactly N minutes back.
  const covered = tickMs - Date.parse(state.windowSince) >= (windowMinutes - 1) * 60_000;
  return covered && state.recent.length >= policy.failureThreshold && availability(state.recent) < minPercent;
}

function openIncident(
  target: string,
  observation: Observation,
  trigger: Incident["trigger"],
  failures: number,
  recent: HealthState["recent"],
  policy: FullPolicy,
  now: Date,
  lastHealthyAt: string | undefined,
): Incident {
  const id = incidentIdFor(target, observation.tick);
  // The stage's health path, as the check probed it (application.healthPath).
  const path = healthPathOf(observation.evidence.url);
  const why =
    trigger === "consecutive"
      ? `${target} ${path} failed ${failures} consecutive checks (threshold ${policy.failureThreshold})`
      : `${target} ${path} passed ${Math.round(availability(recent))} % of ${recent.length} checks in the last ${policy.availability.windowMinutes} min (floor ${policy.availability.minPercent} %)`;
  const reason = clip(`${why}; last check at ${observation.evidence.at}: ${summarize(observation.evidence)}`, 300);
  const base = { id, openedAt: now.toISOString(), reason, trigger, attempt: 1, startAttempts: 0, history: [], ...(lastHealthyAt ? { lastHealthyAt } : {}) };
  const arming = observation.arming;
  if (arming?.kind === "stranded" || arming?.kind === "unknown") return { ...base, action: "recommend", notArmed: arming.kind };
  return { ...base, action: policy.autoFailover ? "failover" : "recommend" };
}

/** The attempt's name and input, fixed now: the second opinion and the attempt number are in its reason. */
function attemptExecution(incident: Incident, opinion: SecondOpinion, policy: FullPolicy): { name: string; input: FailoverRequest } {
  const last = incident.history.at(-1);
  const ended = last ? `attempt ${last.attempt} ended ${[last.status, last.error].filter(Boolean).join(" ")}` : "";
  const attemptText = incident.attempt === 1 ? "" : `Attempt ${incident.attempt} of ${policy.maxAttempts}${ended ? ` (${ended})` : ""}. `;
  const reason = clip(`${capitalize(opinion.detail)}. ${attemptText}${incident.reason}`, 500);
  const input: FailoverRequest = {
    mode: "failover",
    reason,
    requestedBy: "health-monitor",
    incidentId: incident.id,
    ...(incident.lastHealthyAt ? { lastHealthyAt: incident.lastHealthyAt } : {}),
  };
  return { name: attemptName(incident.id, incident.attempt), input };
}

function claim(incident: Incident, policy: FullPolicy, now: Date): Incident {
  return { ...incident, startAttempts: incident.startAttempts + 1, startClaimUntil: new Date(now.getTime() + policy.startLeaseMs).toISOString() };
}

function isClaimFree(incident: Incident, now: Date): boolean {
  return incident.startClaimUntil === undefined || Date.parse(incident.startClaimUntil) <= now.getTime();
}

function isDue(incident: Incident, now: Date): boolean {
  return incident.nextAttemptAt === undefined || Date.parse(incident.nextAttemptAt) <= now.getTime();
}

/** No execution runs or is being started for it, and none is followed: closing it undoes nothing. */
function isInert(incident: Incident): boolean {
  if (incident.notArmed) return true;
  return incident.action === "failover" && !incident.resolution && !incident.execution && !incident.followed;
}

/** At most `noticesPerHour` health messages per rolling hour; the next one says how many were not mailed. */
function rateLimit(state: HealthState, policy: FullPolicy, now: Date) {
  const noticesAt = state.noticesAt.filter((t) => Date.parse(t) > now.getTime() - 3_600_000);
  let unmailed = state.unmailed;
  return {
    take(tick: string): { lines: string[] } | undefined {
      if (noticesAt.length >= policy.noticesPerHour) {
        unmailed = { count: (unmailed?.count ?? 0) + 1, since: unmailed?.since ?? tick };
        return undefined;
      }
      noticesAt.push(now.toISOString());
      const lines = unmailed
        ? [`${unmailed.count} earlier change(s) of the primary's health since ${unmailed.since} were not mailed (at most ${policy.noticesPerHour} such messages per hour).`]
        : [];
      unmailed = undefined;
      return { lines };
    },
    noticesAt: () => noticesAt,
    unmailed: () => unmailed,
  };
}

function availabilityLine(recent: HealthState["recent"], policy: FullPolicy): string {
  const failed = recent.filter((c) => !c.ok).length;
  return `Availability over the last ${policy.availability.windowMinutes} min: ${Math.round(availability(recent))} % (${failed} of ${recent.length} checks failed; an incident opens below ${policy.availability.minPercent} %).`;
}

/** "2/3 probes failed: timeout (5001 ms); HTTP 503 (12 ms)" */
export function summarize(evidence: Evidence): string {
  const failed = evidence.probes.filter((p) => !p.ok);
  const head = `${failed.length}/${evidence.probes.length} probes failed`;
  return failed.length === 0 ? head : `${head}: ${failed.map((p) => `${p.error ?? p.failure} (${p.latencyMs} ms)`).join("; ")}`;
}

export function describeProbe(p: ProbeResult, i: number): string {
  const what = p.ok ? `ok, HTTP ${p.status}` : `FAILED (${p.failure}), ${p.error ?? ""}`;
  return `  probe ${i + 1}: ${what}, ${p.latencyMs} ms${p.region ? `, region ${p.region}` : ""}`;
}

function evidenceLines(evidence: Evidence): string[] {
  return [`Checked ${evidence.url} at ${evidence.at}:`, ...evidence.probes.map(describeProbe)];
}

/**
 * The first failed check: a heads-up, not yet a telling (one check may be a blip). It says what
 * the next checks lead to, as the arming read at this check shows it. Where no region can take
 * over by itself (stranded) it promises no failover: the message with the command to run comes
 * with the incident, at the threshold (one detection period), which is what people are told by.
 */
function degradedBody(target: string, evidence: Evidence, policy: FullPolicy, arming: Arming | undefined): string {
  const checks = `1 of ${policy.failureThreshold}`;
  if (arming?.kind === "stranded") {
    return [
      `The ${target} region's health check failed (${checks} before the message that no region can take over). Users are sent to the ${target} region, and no failover starts by itself: ${arming.detail}.`,
      ...evidenceLines(evidence),
      `If the next checks fail too, the message at check ${policy.failureThreshold} says what to run. Nothing has been changed. You will get a 'recovered' message if the next check passes.`,
    ].join("\n");
  }
  const then = arming?.kind === "unknown" ? `a failover recommendation: this region is not armed, ${arming.detail}` : policy.autoFailover ? "an automatic failover" : "a failover recommendation";
  return [`The ${target} region's health check failed (${checks} before ${then}).`, ...evidenceLines(evidence), "Nothing has been changed. You will get a 'recovered' message if the next check passes."].join("\n");
}

function recoveredBody(state: HealthState, evidence: Evidence): string {
  return [
    `The ${state.target} region's health check passes again after ${state.consecutiveFailures} failed check(s).`,
    ...evidenceLines(evidence),
    state.incident
      ? isInert(state.incident)
        ? `Incident ${state.incident.id} had started no failover; the monitor closes it once availability is back above its floor.`
        : `Incident ${state.incident.id} is still open: no further failover starts until an operator closes it (docs/detection.md).`
      : "No failover was started.",
  ].join("\n");
}

function recommendedBody(incident: Incident, evidence: Evidence, arming: Arming | undefined): string {
  return [
    `Incident ${incident.id}: ${incident.reason}`,
    ...evidenceLines(evidence),
    incident.notArmed
      ? `This region's orchestrator is not armed (${arming?.detail ?? incident.notArmed}): nothing was started. It fails over only from a read replica of the watched region's database.`
      : "Automatic failover is off for this stage (health.autoFailover: false): nothing was started.",
    `To fail over, start the failover state machine with {"mode":"failover","reason":"...","requestedBy":"<you>","incidentId":"${incident.id}"}.`,
    "Close the incident afterwards (docs/detection.md) so the monitor can open a new one.",
  ].join("\n");
}

/**
 * The serving region is down and the region this monitor runs in holds no replica of its
 * database: nothing starts by itself. This region's database is not a replica in two states
 * that RDS's DescribeDBInstances does not tell apart: the fenced old primary after a failover,
 * before re-protect (it misses every write made since), or the database a switchback promoted
 * before the region it runs in failed, DNS not yet moved back (it holds every write: the serving
 * database was sealed before the promotion). The monitor reads the fence's mark (read_only in the
 * database's parameter group, `Arming.here`): not fenced, the message is the second state's with
 * the one command to run; fenced or not read, it names both, the look that tells them apart (this
 * region's /health.php says "readOnly"), and what to run in each.
 */
function strandedBody(target: string, incident: Incident, evidence: Evidence, arming: Arming, policy: FullPolicy): string {
  const stage = stageOf(policy.label);
  if (arming.here && !arming.here.readOnly) return promotedStrandedBody(target, incident, evidence, arming, arming.here.region, stage);
  return [
    `Incident ${incident.id}: ${incident.reason}`,
    ...evidenceLines(evidence),
    `Users are sent to the ${target} region, which does not answer, and no region can take over by itself: ${arming.detail}. Nothing was started.`,
    `Run now: pnpm dr status --stage ${stage}`,
    `Then look at this region's own health path (curl -s http://<this region's load balancer DNS name>${healthPathOf(evidence.url)}; its DNS name: aws elbv2 describe-load-balancers in this region):`,
    `- "readOnly":false: a switchback promoted this region's database before the ${target} region failed. It holds every write (the ${target} database was sealed before the promotion): point users here: pnpm dr point-users --stage ${stage} --to ${arming.here?.region ?? "<this region>"} (docs/runbook.md, "The DR region fails during a switchback, after the promotion").`,
    `- no answer or "readOnly":true: this region's database is the old primary a failover left, fenced; it misses every write made since that failover. docs/runbook.md, "The serving region fails before re-protect": wait for the region (no data lost) or serve from it (the writes since the failover stay in the failed region until it returns).`,
  ].join("\n");
}

/** The standby is lost while this region serves: users are not affected, this region has no way out; what to run, by what RDS shows. */
function lostBody(target: string, standby: Standby, failures: number, since: string, policy: Pick<FullPolicy, "failureThreshold" | "label">): string {
  const stage = stageOf(policy.label);
  const down = standby.kind === "no-answer";
  return [
    `The ${target} region holds the standby of this region's database and has not protected it for ${failures} checks in a row (since ${since}; threshold ${policy.failureThreshold}): ${standby.detail}.`,
    "Users are served by this region and are not affected. Nothing was changed and nothing was started.",
    "But until protection returns, an outage of this region cannot be failed over: no region can take over.",
    down
      ? `Now: nothing to run while the ${target} region is down (nothing from here brings it back). Follow it with: pnpm dr status --stage ${stage}`
      : `Run now: pnpm dr reprotect --stage ${stage} (a new replica of this region's database in the ${target} region; pnpm dr status --stage ${stage} shows the standby first).`,
    down
      ? `Once it answers again, protection returns by itself if its replica survived. If it is gone or does not replicate from this region's database then (pnpm dr status shows it): pnpm dr reprotect --stage ${stage}`
      : "",
    `You will get one 'protection restored' message when the ${target} region's database replicates from this region's again. docs/runbook.md, "Protection lost: the standby region fails while this region serves".`,
  ]
    .filter(Boolean)
    .join("\n");
}

function restoredBody(target: string, w: StandbyWatch, detail: string): string {
  return [
    `The ${target} region protects this region again: ${detail}.`,
    `Protection was lost from ${w.lostAt ?? "?"} (${w.lostDetail ?? "no detail"}); an outage of this region can be failed over again. Nothing to run.`,
  ].join("\n");
}

/**
 * Stranded, and this region's database is not fenced (read_only not 1 in its group): the database
 * a switchback promoted before the region it ran in failed. It holds every write; the one thing
 * left is where users are sent, which `pnpm dr point-users` changes (checking all this again).
 */
function promotedStrandedBody(target: string, incident: Incident, evidence: Evidence, arming: Arming, region: string, stage: string): string {
  return [
    `Incident ${incident.id}: ${incident.reason}`,
    ...evidenceLines(evidence),
    `Users are sent to the ${target} region, which does not answer, and no region can take over by itself: ${arming.detail}. Nothing was started.`,
    `This region's database takes writes (read_only is not 1 in its parameter group): a switchback promoted it before the ${target} region failed, and it holds every write (the ${target} database was sealed before the promotion). Point users here:`,
    `Run now: pnpm dr point-users --stage ${stage} --to ${region}`,
    `It checks again that this database takes writes and the ${target} one does not, asks you to type the stage while the ${target} region does not answer, and moves the PRIMARY record (docs/runbook.md, "The DR region fails during a switchback, after the promotion").`,
  ].join("\n");
}

/** "pilot-light prod" → "prod" (the label the Monitor stack sets). */
function stageOf(label: string): string {
  return label.replace(/^pilot-light\s+/, "") || "<stage>";
}

function withheldBody(incident: Incident, opinion: SecondOpinion, evidence: Evidence): string {
  return [
    `Incident ${incident.id}: ${incident.reason}`,
    ...evidenceLines(evidence),
    `But the second opinion disagrees: ${opinion.detail}.`,
    "A failover promotes the replica and cannot be undone, so none was started. A primary that is down for the monitor but up for the rest of the",
    "internet is a problem between the DR region and the primary (a network partition), or in what only the monitor checks (the health path's body).",
    "The monitor asks again at every failed check and fails over once the health checkers agree. To fail over anyway: docs/runbook.md.",
  ].join("\n");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
