/**
 * The detection decision, as pure functions: (stored state, this tick's check) → next state,
 * notifications and at most one StartExecution. The store applies the result with a
 * version-conditioned write, so of any number of concurrent or retried invocations exactly
 * one wins each transition; the losers re-read and decide again against the winner's state.
 */
import { ValidationError, TerminalError } from "../errors";
import type { ProbeResult } from "./contract";
import type { ClosedIncident, Evidence, FailoverRequest, HealthState, Incident, Outgoing } from "./model";

export interface Policy {
  /** Consecutive failed checks that open an incident. */
  failureThreshold: number;
  /** true: start the failover state machine; false: notify "failover recommended". */
  autoFailover: boolean;
  /** How long one invocation owns a StartExecution call; longer than the Lambda's timeout. */
  startLeaseMs: number;
  /** Shown at the start of every subject, e.g. "pilot-light prod". */
  label: string;
}

export interface Observation {
  /** The scheduled time of the tick (EventBridge `time`); duplicates and retries share it. */
  tick: string;
  evidence: Evidence;
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
    };

export type StartResult = { ok: true; executionArn: string; alreadyExisted: boolean } | { ok: false; error: string };

/** Asked to close an incident that is not the open one. */
export class IncidentNotOpenError extends TerminalError {
  override readonly name = "IncidentNotOpenError";
}

/** At most this many unsent notifications are kept; the oldest go first (SNS down for hours). */
const maxOutbox = 20;

export function decide(state: HealthState, observation: Observation, policy: Policy, now: Date): Decision {
  const tickMs = Date.parse(observation.tick);
  if (Number.isNaN(tickMs)) throw new ValidationError(`tick "${observation.tick}" is not an ISO time`);
  const isNewTick = state.lastTick === undefined || tickMs > Date.parse(state.lastTick);
  const notify: Outgoing[] = [];
  let next: HealthState = { ...state, version: state.version + 1 };

  if (isNewTick) {
    const { evidence } = observation;
    next = { ...next, lastTick: observation.tick, lastCheck: evidence };
    const note = (kind: string, subject: string, body: string) =>
      notify.push({ id: `${observation.tick}#${kind}`, createdAt: now.toISOString(), kind, subject: clip(`[${policy.label}] ${subject}`), body });

    if (evidence.ok) {
      if (state.consecutiveFailures > 0) {
        note("health.recovered", `${state.target} recovered`, recoveredBody(state, evidence));
      }
      next = { ...next, consecutiveFailures: 0, lastSuccess: evidence };
    } else {
      const failures = state.consecutiveFailures + 1;
      next = { ...next, consecutiveFailures: failures, lastFailure: evidence };
      if (failures === 1) {
        note("health.degraded", `${state.target} degraded: health check failed`, degradedBody(state.target, evidence, policy));
      }
      if (!state.incident && failures >= policy.failureThreshold) {
        const incident = openIncident(state.target, observation, failures, policy, now, state.lastSuccess?.at);
        next = { ...next, incident };
        if (incident.action === "recommend") {
          note("failover.recommended", `${state.target} down: failover recommended`, recommendedBody(incident, evidence));
        }
      }
    }
  }

  let start: StartRequest | undefined;
  const incident = next.incident;
  if (incident?.execution && !incident.startedAt && isClaimFree(incident, now)) {
    next = {
      ...next,
      incident: {
        ...incident,
        startAttempts: incident.startAttempts + 1,
        startClaimUntil: new Date(now.getTime() + policy.startLeaseMs).toISOString(),
      },
    };
    start = { incidentId: incident.id, ...incident.execution };
  }

  if (!isNewTick && !start) return { kind: "unchanged", reason: "tick already counted and nothing to repair" };
  next = { ...next, outbox: [...state.outbox, ...notify].slice(-maxOutbox) };
  return { kind: "write", next, counted: isNewTick, notify, start };
}

/**
 * Records what StartExecution answered; undefined when the incident is no longer the open one.
 * A successful start sends nothing: the state machine's NotifyStarted is the one "failover
 * started" message (with the plan and the replica lag), whoever started the execution.
 */
export function recordStart(
  state: HealthState,
  request: StartRequest,
  result: StartResult,
  now: Date,
): { next: HealthState; notify: Outgoing[] } | undefined {
  const incident = state.incident;
  if (!incident || incident.id !== request.incidentId || incident.startedAt) return undefined;
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
 * The operator's close action: archives the open incident and resets the strike count, so a
 * new incident needs a fresh run of `failureThreshold` failed checks.
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
  return { next: { ...state, version: state.version + 1, incident: undefined, consecutiveFailures: 0 }, archived };
}

export function incidentIdFor(target: string, tick: string): string {
  const compact = new Date(tick).toISOString().replace(/\.000Z$/, "Z").replace(/[-:.]/g, "");
  return `${target}-${compact}`;
}

function openIncident(target: string, observation: Observation, failures: number, policy: Policy, now: Date, lastHealthyAt: string | undefined): Incident {
  const id = incidentIdFor(target, observation.tick);
  const reason = clip(
    `${target} /health.php failed ${failures} consecutive checks (threshold ${policy.failureThreshold}); ` +
      `last check at ${observation.evidence.at}: ${summarize(observation.evidence)}`,
    500,
  );
  const base = { id, openedAt: now.toISOString(), reason, startAttempts: 0 };
  if (!policy.autoFailover) return { ...base, action: "recommend" };
  const input: FailoverRequest = { mode: "failover", reason, requestedBy: "health-monitor", incidentId: id, ...(lastHealthyAt ? { lastHealthyAt } : {}) };
  return { ...base, action: "failover", execution: { name: `failover-${id}`, input } };
}

function isClaimFree(incident: Incident, now: Date): boolean {
  return incident.startClaimUntil === undefined || Date.parse(incident.startClaimUntil) <= now.getTime();
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

function degradedBody(target: string, evidence: Evidence, policy: Policy): string {
  return [
    `The ${target} region's health check failed (1 of ${policy.failureThreshold} before ${policy.autoFailover ? "an automatic failover" : "a failover recommendation"}).`,
    ...evidenceLines(evidence),
    "Nothing has been changed. You will get a 'recovered' message if the next check passes.",
  ].join("\n");
}

function recoveredBody(state: HealthState, evidence: Evidence): string {
  return [
    `The ${state.target} region's health check passes again after ${state.consecutiveFailures} failed check(s).`,
    ...evidenceLines(evidence),
    state.incident
      ? `Incident ${state.incident.id} is still open: no further failover starts until an operator closes it (docs/detection.md).`
      : "No failover was started.",
  ].join("\n");
}

function recommendedBody(incident: Incident, evidence: Evidence): string {
  return [
    `Incident ${incident.id}: ${incident.reason}`,
    ...evidenceLines(evidence),
    "Automatic failover is off for this stage (health.autoFailover: false): nothing was started.",
    `To fail over, start the failover state machine with {"mode":"failover","reason":"...","requestedBy":"<you>","incidentId":"${incident.id}"}.`,
    "Close the incident afterwards (docs/detection.md) so the monitor can open a new one.",
  ].join("\n");
}

function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
