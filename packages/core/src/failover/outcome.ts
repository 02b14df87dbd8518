/**
 * The record of one execution: per-phase timestamps, RTO (the last passing health check, or
 * the execution's start when an operator started it, → DR serving healthy traffic), the
 * replica lag at the decision as the RPO estimate, both judged against the stage's targets,
 * and what to change. Computed purely from the execution state, stored under
 * OUTCOME#<execution> (a retried write overwrites the same item with the same facts) and
 * emitted as metrics by the handler.
 */
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { callAws } from "../errors";
import { keys } from "../state";
import type { Failure, FailoverState } from "./state";
import { advise, judgeTargets, type RecoveryFigures, type Targets } from "./targets";

export type OutcomeStatus = "succeeded" | "rolled-back" | "needs-operator" | "stood-down";

export interface Phase {
  name: string;
  startedAt: string;
  endedAt: string;
}

export interface Outcome {
  executionName: string;
  incidentId: string;
  mode: string;
  status: OutcomeStatus;
  reason: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  phases: Phase[];
  /** targets.rto.measuredFrom → DR verified healthy; null when DR never served. */
  rtoSeconds: number | null;
  /** Execution start → end of the run. */
  orchestrationSeconds: number;
  /** Replica lag at the decision (seconds of writes that may be lost); null when unknown. */
  rpoSeconds: number | null;
  promoted: boolean;
  /** What the record shows: pinned by this run (INSYNC, or accepted and still propagating), already pinned, or not pinned. */
  dns: "switched" | "switched-pending" | "already-pinned" | "left-to-health-checks" | "not-configured" | "not-switched";
  fenced: boolean | null;
  /** The DR copy of the DB secret is standalone (writable); null when PromoteSecret did not run or failed. */
  secretStandalone: boolean | null;
  failure: FailoverState["failure"] | null;
  targets: Targets;
  /** What to change, computed from the figures (largest lever first). */
  advice: string[];
}

/** The stage's objectives the step Lambdas are given (RTO_TARGET_SECONDS; the RPO budget is in the preflight report). */
export interface Objectives {
  rtoTargetSeconds: number;
  rpoBudgetSeconds: number;
  drPilotTaskCount?: number;
  /** The health profile the stage's monitors detect with; absent: not known (the faster profile is named). */
  detectionProfile?: RecoveryFigures["detectionProfile"];
}

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;

/**
 * `observed.dnsPinned`: whether Route 53 shows the PRIMARY record pinned to DR when the outcome is
 * written (undefined: not asked or could not be read). The run's own view of DNS can be behind
 * the world's (a SwitchDns whose pin applied and whose Lambda timed out on every attempt): the
 * record as it is wins over "left to health checks" or "not switched".
 */
export function summarizeOutcome(state: FailoverState, status: OutcomeStatus, now: Date, objectives: Objectives, observed: { dnsPinned?: boolean } = {}): Outcome {
  const finishedAt = now.toISOString();
  const phases: Phase[] = [];
  const p = state.preflight;
  if (p) phases.push({ name: "Preflight", startedAt: state.run.startedAt, endedAt: p.checkedAt });
  const promotion = state.recovery?.promotion;
  if (promotion && "writableAt" in promotion && promotion.writableAt) {
    phases.push({ name: "PromoteReplica", startedAt: promotion.requestedAt, endedAt: promotion.writableAt });
  }
  const service = state.recovery?.service;
  if (service?.stableAt) phases.push({ name: "ScaleDrService", startedAt: service.requestedAt, endedAt: service.stableAt });
  const health = state.health;
  if (health) {
    // Verification starts when the Parallel ends: the later of "writable" and "stable".
    const ends = [promotion && "writableAt" in promotion ? promotion.writableAt : null, service?.stableAt ?? null, p?.checkedAt ?? state.run.startedAt];
    const from = ends.filter((t): t is string => typeof t === "string").sort().at(-1) ?? state.run.startedAt;
    phases.push({ name: "VerifyDrHealth", startedAt: from < health.verifiedAt ? from : health.verifiedAt, endedAt: health.verifiedAt });
  }
  const dns = state.dns;
  if (dns && "requestedAt" in dns && dns.insyncAt) phases.push({ name: "SwitchDns", startedAt: dns.requestedAt, endedAt: dns.insyncAt });
  const fence = state.fence;
  if (fence && "at" in fence) phases.push({ name: "FencePrimary", startedAt: fence.at, endedAt: fence.at });
  const promoted = Boolean(promotion && "writable" in promotion && promotion.writable);
  let dnsOutcome: Outcome["dns"] = "not-switched";
  if (!p?.dns.configured) dnsOutcome = "not-configured";
  else if (dns && "leftToHealthChecks" in dns) dnsOutcome = "left-to-health-checks";
  else if (dns && "alreadyPinned" in dns) dnsOutcome = dns.alreadyPinned ? "already-pinned" : dns.insync ? "switched" : "switched-pending";
  if (observed.dnsPinned === true && (dnsOutcome === "left-to-health-checks" || dnsOutcome === "not-switched")) dnsOutcome = "switched-pending";
  const from = state.run.lastHealthyAt ?? state.run.startedAt;
  const rtoSeconds = health ? seconds(from, health.verifiedAt) : null;
  const rpoSeconds = p?.lag.seconds ?? null;
  const figures = {
    rtoTargetSeconds: objectives.rtoTargetSeconds,
    rpoBudgetSeconds: p?.lag.budgetSeconds ?? objectives.rpoBudgetSeconds,
    rtoSeconds,
    measuredFrom: state.run.lastHealthyAt ? ("last-healthy-check" as const) : ("execution-start" as const),
    rpoSeconds,
  };
  const span = (name: string) => phases.find((x) => x.name === name);
  const spanSeconds = (name: string) => {
    const x = span(name);
    return x ? seconds(x.startedAt, x.endedAt) : null;
  };
  const failure = state.failure ? { step: failedStepOf(state.failure), error: state.failure.error, message: describeCause(state.failure.cause) } : null;
  return {
    executionName: state.run.executionName,
    incidentId: state.run.incidentId,
    mode: state.run.mode,
    status,
    reason: state.run.reason,
    requestedBy: state.run.requestedBy,
    startedAt: state.run.startedAt,
    finishedAt,
    phases,
    rtoSeconds,
    orchestrationSeconds: seconds(state.run.startedAt, finishedAt),
    rpoSeconds,
    promoted,
    dns: dnsOutcome,
    fenced: fence && "fenced" in fence ? fence.fenced : null,
    secretStandalone: state.secret && "standalone" in state.secret ? state.secret.standalone : null,
    failure: state.failure ?? null,
    targets: judgeTargets(figures),
    advice: advise({
      ...figures,
      detectionSeconds: state.run.lastHealthyAt ? seconds(state.run.lastHealthyAt, state.run.startedAt) : null,
      promotionSeconds: spanSeconds("PromoteReplica"),
      scaleSeconds: spanSeconds("ScaleDrService"),
      failure,
      drPilotTaskCount: objectives.drPilotTaskCount,
      ...(objectives.detectionProfile ? { detectionProfile: objectives.detectionProfile } : {}),
    }),
  };
}

/** How a run that went into compensation ended: needs an operator, stood down (the primary recovered), or rolled back. */
export function failureStatus(state: { assessment: { needsOperator: boolean }; failure?: Failure | undefined }): OutcomeStatus {
  if (state.assessment.needsOperator) return "needs-operator";
  return state.failure?.error === "PrimaryRecoveredError" ? "stood-down" : "rolled-back";
}

/** The step that failed: the `<Step>: ` prefix a Parallel branch puts on its cause wins. */
export function failedStepOf(failure: Failure): string {
  const inner = /^([A-Z][A-Za-z]+): /.exec(failure.cause);
  return inner?.[1] ?? failure.step;
}

export async function storeOutcome(db: DynamoDBDocumentClient, table: string, outcome: Outcome): Promise<void> {
  await callAws("dynamodb:PutItem", () =>
    db.send(new PutCommand({ TableName: table, Item: { pk: keys.outcome(outcome.executionName), ...outcome } })),
  );
}

/**
 * A Lambda error's cause as Step Functions reports it is JSON ({"errorType","errorMessage",
 * "trace"}), possibly behind a "<Step>: " prefix from a Parallel branch: keep the message.
 */
export function describeCause(cause: string): string {
  const text = cause.replace(/^[A-Z][A-Za-z]+: /, "");
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // Not JSON: a plain cause (a Fail state's, or a local run's).
  }
  return text;
}
