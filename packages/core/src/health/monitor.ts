/**
 * One tick of the health monitor, and the operator's close action, wired from the pure
 * decisions, the probe, the second opinion and the adapters it is given. Exactly one execution
 * per attempt: an attempt's name and input are fixed in the conditional write that claims its
 * start (SFN treats a repeat as the same execution), and a failed or interrupted start is
 * repaired by the next tick or Lambda retry. The monitor follows the incident's execution
 * (DescribeExecution) until it is resolved, and re-drives one that ended before any promotion.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { SNSClient } from "@aws-sdk/client-sns";
import { callAws } from "../errors";
import { publish } from "../notify";
import { acknowledge, decideClose, decide, followExecution, mayBeSuperseded, needsSecondOpinion, orphanedNotifications, recordStart } from "./decide";
import type { Decision, ExecutionView, Observation, Policy, StartRequest, StartResult } from "./decide";
import type { Evidence, HealthState, Outgoing } from "./model";
import { check, type CheckOptions, type CheckResult } from "./probe";
import { unavailable, type SecondOpinion } from "./second-opinion";
import type { Arming } from "./arming";
import { StateContentionError, archiveIncident, loadState, readFailoverLock, saveState, transact, type HealthStore } from "./store";

export interface MonitorDeps {
  store: HealthStore;
  sfn: SFNClient;
  stateMachineArn: string;
  sns: SNSClient;
  topicArn: string;
  /** The independent vantage; absent on a stage without a Route 53 health check. */
  secondOpinion?: () => Promise<SecondOpinion>;
  /**
   * Whether this region may fail over now (Health.readArming): read at a failing check with no
   * incident open, or with one whose failover succeeded (over once re-protected: `mayBeSuperseded`). Absent: the policy alone decides (a monitor deployed before arming existed).
   */
  arming?: () => Promise<Arming>;
  /** Told of every notification SNS refused (the handler counts NotificationFailures: an alarm without SNS). */
  onPublishFailed?: (notification: Outgoing, error: unknown) => void;
  now?: () => Date;
}

export interface MonitorSettings {
  /** The counted target, "primary". */
  target: string;
  url: string;
  /** Also probed and reported, never counted. */
  drUrl?: string;
  probe: CheckOptions;
  policy: Policy;
}

export interface TickReport {
  tick: string;
  primary: CheckResult;
  dr?: CheckResult;
  /** counted | duplicate (an already-counted tick) */
  counted: boolean;
  consecutiveFailures: number;
  incidentId?: string;
  /** started: this invocation started (or confirmed) the execution. */
  execution?: { name: string; started: boolean; executionArn?: string };
  /** Asked when this tick could start an attempt. */
  secondOpinion?: SecondOpinion;
  /** Read when this tick's failed check could open an incident, or this region serves and watches its standby. */
  arming?: Arming;
  /** What DescribeExecution said of the execution the incident follows. */
  followed?: { executionArn: string; status: string; error?: string };
  /** The monitor closed its own incident: healthy again, nothing had been changed. */
  closedIncident?: string;
  published: string[];
}

const noHealthCheck = () => Promise.resolve(unavailable("this stage has no Route 53 health check: it has no DNS records"));

export async function runTick(deps: MonitorDeps, settings: MonitorSettings, tick?: string): Promise<TickReport> {
  const now = deps.now ?? (() => new Date());
  // A serving region watching its standby reads it at every tick, passing checks too
  // (watchStandby), beside the probe: a hung standby region then costs the tick its probe's
  // timeout, not that and the bounded read after it.
  const known = deps.arming ? await loadState(deps.store, settings.target) : undefined;
  const watching = known?.standby !== undefined && mayReadArming(known);
  const [primary, dr, watched] = await Promise.all([
    check(settings.url, settings.probe),
    settings.drUrl ? check(settings.drUrl, settings.probe) : Promise.resolve(undefined),
    watching && deps.arming ? deps.arming() : Promise.resolve(undefined),
  ]);
  const tickTime = tick ?? primary.at;
  const evidence: Evidence = { at: primary.at, url: primary.url, ok: primary.ok, probes: primary.probes };
  const observation: Observation = { tick: tickTime, evidence, ...(watched ? { arming: watched } : {}) };

  // Asked before deciding, and only when this check could start an attempt (never on a passing
  // check): the opinion goes into the attempt's fixed input.
  if (!evidence.ok) {
    const stored = known ?? (await loadState(deps.store, settings.target));
    // Armed or not is what AWS shows now: the incident's action is fixed when it opens. A
    // failed-over incident is read for too: re-protected since, it is over (mayBeSuperseded).
    if (deps.arming && !observation.arming && mayReadArming(stored)) observation.arming = await deps.arming();
    if (needsSecondOpinion(stored, observation, settings.policy, now())) observation.secondOpinion = await (deps.secondOpinion ?? noHealthCheck)();
  }
  const decided = await transact<Decision>(deps.store, settings.target, (state) => {
    const d = decide(state, observation, settings.policy, now());
    return d.kind === "write" ? { next: d.next, result: d } : { result: d };
  });
  const decision = decided.result;
  let state = decided.state;
  const own: Outgoing[] = decision.kind === "write" ? [...decision.notify] : [];
  const report: TickReport = {
    tick: tickTime,
    primary,
    dr,
    counted: decision.kind === "write" && decision.counted,
    consecutiveFailures: state.consecutiveFailures,
    incidentId: state.incident?.id,
    secondOpinion: observation.secondOpinion,
    ...(observation.arming ? { arming: observation.arming } : {}),
    published: [],
  };
  if (decision.kind === "write" && decision.archive) {
    await archiveIncident(deps.store, decision.archive);
    report.closedIncident = decision.archive.id;
  }

  let failure: unknown;
  if (decision.kind === "write" && decision.start) {
    const request = decision.start;
    let result: StartResult;
    try {
      result = await startFailover(deps.sfn, deps.stateMachineArn, request);
    } catch (error) {
      failure = error;
      result = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const recorded = await transact<Outgoing[]>(deps.store, settings.target, (s) => {
      const r = recordStart(s, request, result, now());
      return r ? { next: r.next, result: r.notify } : { result: [] };
    });
    state = recorded.state;
    own.push(...recorded.result);
    report.execution = { name: request.name, started: result.ok, executionArn: result.ok ? result.executionArn : undefined };
  } else {
    try {
      const followed = await follow(deps, settings, state, now);
      if (followed) {
        state = followed.state;
        own.push(...followed.notify);
        report.followed = followed.view;
      }
    } catch (error) {
      failure = error;
    }
  }

  // Only the invocation that counted this tick picks up notifications a dead invocation left behind.
  const orphans = report.counted ? orphanedNotifications(state, now(), settings.policy.startLeaseMs) : [];
  const toSend = [...own, ...orphans.filter((o) => !own.some((n) => n.id === o.id))];
  try {
    report.published = await flush(deps, settings.target, toSend);
  } catch (error) {
    // A failed start (or follow) matters more than a failed publish (which stays queued for the next tick).
    throw failure ?? error;
  }
  if (failure) throw failure;
  return report;
}

/** No incident open, or one whose failover succeeded (over once AWS shows it superseded). */
function mayReadArming(state: HealthState): boolean {
  return !state.incident || mayBeSuperseded(state.incident);
}

/** DescribeExecution of the incident's execution; on an ending, the follow-up decision is written. */
async function follow(deps: MonitorDeps, settings: MonitorSettings, state: HealthState, now: () => Date) {
  const incident = state.incident;
  if (!incident || incident.action !== "failover" || incident.resolution || !incident.startedAt || !incident.executionArn) return undefined;
  const view = await describeExecution(deps.sfn, incident.executionArn);
  const lock = view.error === "FailoverLockedError" ? await readFailoverLock(deps.store) : undefined;
  const written = await transact<Outgoing[]>(deps.store, settings.target, (s) => {
    const r = followExecution(s, view, lock, settings.policy, now());
    return r ? { next: r.next, result: r.notify } : { result: [] };
  });
  return { state: written.state, notify: written.result, view: { executionArn: view.executionArn, status: view.status, ...(view.error ? { error: view.error } : {}) } };
}

/** An execution that does not exist (a lock left by one that never ran) ended having done nothing. */
export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<ExecutionView> {
  try {
    const out = await callAws("states:DescribeExecution", () => sfn.send(new DescribeExecutionCommand({ executionArn })));
    return { executionArn, status: out.status ?? "UNKNOWN", ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return { executionArn, status: "FAILED", error: "ExecutionDoesNotExist", cause: error.message };
    throw error;
  }
}

export async function startFailover(sfn: SFNClient, stateMachineArn: string, request: StartRequest): Promise<StartResult> {
  try {
    const out = await callAws("states:StartExecution", () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: request.name, input: JSON.stringify(request.input) })),
    );
    return { ok: true, executionArn: out.executionArn ?? executionArnFor(stateMachineArn, request.name), alreadyExisted: false };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) {
      return { ok: true, executionArn: executionArnFor(stateMachineArn, request.name), alreadyExisted: true };
    }
    throw error;
  }
}

export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

/** Publishes, then removes from the outbox what was sent. A failed publish stays queued for the next tick. */
async function flush(deps: MonitorDeps, target: string, notes: readonly Outgoing[]): Promise<string[]> {
  const sent: string[] = [];
  let failure: unknown;
  for (const n of notes) {
    try {
      await publish(deps.sns, deps.topicArn, { subject: n.subject, body: n.body, kind: n.kind });
      sent.push(n.id);
    } catch (error) {
      deps.onPublishFailed?.(n, error);
      failure ??= error;
    }
  }
  if (sent.length > 0) {
    await transact(deps.store, target, (s) => {
      const next = acknowledge(s, sent);
      return next ? { next, result: undefined } : { result: undefined };
    });
  }
  if (failure) throw failure;
  return sent;
}

export interface CloseRequest {
  target: string;
  incidentId: string;
  closedBy: string;
  note?: string;
}

/** The operator action that ends an incident: archive it as INCIDENT#<id>, then clear it and the count. */
export async function closeIncident(store: HealthStore, request: CloseRequest, now: () => Date = () => new Date()): Promise<HealthState> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const state = await loadState(store, request.target);
    const { next, archived } = decideClose(state, request, now());
    await archiveIncident(store, archived);
    if (await saveState(store, next)) return next;
  }
  throw new StateContentionError(`closing ${request.incidentId}: lost 10 conditional writes in a row`);
}
