/**
 * One tick of the health monitor, and the operator's close action, wired from the pure
 * decision, the probe and the adapters it is given. Exactly one failover per incident: the
 * incident opens in one conditional write, the StartExecution call is claimed in the same
 * write, the execution name and input are fixed at opening (SFN treats a repeat as the same
 * execution), and a failed or interrupted start is repaired by the next tick or Lambda retry.
 */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { SNSClient } from "@aws-sdk/client-sns";
import { callAws } from "../errors";
import { publish } from "../notify";
import { acknowledge, decideClose, decide, orphanedNotifications, recordStart } from "./decide";
import type { Decision, Policy, StartRequest, StartResult } from "./decide";
import type { Evidence, HealthState, Outgoing } from "./model";
import { check, type CheckOptions, type CheckResult } from "./probe";
import { StateContentionError, archiveIncident, loadState, saveState, transact, type HealthStore } from "./store";

export interface MonitorDeps {
  store: HealthStore;
  sfn: SFNClient;
  stateMachineArn: string;
  sns: SNSClient;
  topicArn: string;
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
  published: string[];
}

export async function runTick(deps: MonitorDeps, settings: MonitorSettings, tick?: string): Promise<TickReport> {
  const now = deps.now ?? (() => new Date());
  const [primary, dr] = await Promise.all([
    check(settings.url, settings.probe),
    settings.drUrl ? check(settings.drUrl, settings.probe) : Promise.resolve(undefined),
  ]);
  const tickTime = tick ?? primary.at;
  const evidence: Evidence = { at: primary.at, url: primary.url, ok: primary.ok, probes: primary.probes };

  const decided = await transact<Decision>(deps.store, settings.target, (state) => {
    const d = decide(state, { tick: tickTime, evidence }, settings.policy, now());
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
    published: [],
  };

  let startError: unknown;
  if (decision.kind === "write" && decision.start) {
    const request = decision.start;
    let result: StartResult;
    try {
      result = await startFailover(deps.sfn, deps.stateMachineArn, request);
    } catch (error) {
      startError = error;
      result = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    const recorded = await transact<Outgoing[]>(deps.store, settings.target, (s) => {
      const r = recordStart(s, request, result, now());
      return r ? { next: r.next, result: r.notify } : { result: [] };
    });
    state = recorded.state;
    own.push(...recorded.result);
    report.execution = { name: request.name, started: result.ok, executionArn: result.ok ? result.executionArn : undefined };
  }

  // Only the invocation that counted this tick picks up notifications a dead invocation left behind.
  const orphans = report.counted ? orphanedNotifications(state, now(), settings.policy.startLeaseMs) : [];
  const toSend = [...own, ...orphans.filter((o) => !own.some((n) => n.id === o.id))];
  try {
    report.published = await flush(deps, settings.target, toSend);
  } catch (error) {
    // A failed start matters more than a failed publish (which stays queued for the next tick).
    throw startError ?? error;
  }
  if (startError) throw startError;
  return report;
}

/** StartExecution with the incident's fixed name and input; an existing execution counts as started. */
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
