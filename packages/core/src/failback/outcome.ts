/**
 * The record and the messages of one failback run, pure functions of its state: what was done,
 * the switchback's measured write downtime (writes stopped → the primary serving writes: DNS
 * INSYNC, or verified when DNS is not switched) and its data loss (the old serving database's
 * binary log position after the promotion against the caught-up one), stored under
 * OUTCOME#<execution> like the failover's.
 */
import type { FailbackMode } from "./input";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { callAws } from "../errors";
import { describeCause, failedStepOf } from "../failover/outcome";
import type { Notification } from "../notify";
import { keys } from "../state";
import type { FailbackAssessment, FailbackState } from "./state";

export interface FailbackOutcome {
  kind: "failback";
  executionName: string;
  mode: string;
  status: "succeeded" | FailbackAssessment["kind"];
  reason: string;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  orchestrationSeconds: number;
  /** Switchback: writes stopped → writes served by the primary; null otherwise. */
  writeDowntimeSeconds: number | null;
  /** Switchback: transactions known lost (0 when the old source did not move after the catch-up); null when not measured. */
  lostWrites: number | null;
  dataLossVerdict: string | null;
  promoted: boolean;
  protection: { standby: string; region: string; retired: string | null; ready: boolean } | null;
  failure: FailbackState["failure"] | null;
}

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10;

/** When users' writes were served again: DNS INSYNC, or the verification when DNS was not switched. */
export function writesResumedAt(state: FailbackState): string | null {
  if (state.dns?.insyncAt) return state.dns.insyncAt;
  if (state.dns && state.dns.skipped === undefined) return null;
  return state.verify?.verifiedAt ?? null;
}

export function summarizeFailback(state: FailbackState, status: FailbackOutcome["status"], now: Date): FailbackOutcome {
  const finishedAt = now.toISOString();
  const stopped = state.writesStopped?.requestedAt ?? null;
  const resumed = writesResumedAt(state);
  const verdict = state.seal?.dataLoss.verdict ?? null;
  return {
    kind: "failback",
    executionName: state.run.executionName,
    mode: state.run.mode,
    status,
    reason: state.run.reason,
    requestedBy: state.run.requestedBy,
    startedAt: state.run.startedAt,
    finishedAt,
    orchestrationSeconds: seconds(state.run.startedAt, finishedAt),
    writeDowntimeSeconds: stopped && resumed ? seconds(stopped, resumed) : null,
    lostWrites: verdict === "none" ? 0 : null,
    dataLossVerdict: verdict,
    promoted: Boolean(state.promotion?.writable),
    protection: state.standbyDb ? { standby: state.standbyDb.identifier, region: state.standbyDb.region, retired: state.standbyDb.retired, ready: state.standbyDb.ready } : null,
    failure: state.failure ?? null,
  };
}

export async function storeFailbackOutcome(db: DynamoDBDocumentClient, table: string, outcome: FailbackOutcome): Promise<void> {
  await callAws("dynamodb:PutItem", () => db.send(new PutCommand({ TableName: table, Item: { pk: keys.outcome(outcome.executionName), ...outcome } })));
}

const subject = (stage: string, s: string) => {
  const text = `[pilot-light ${stage}] ${s}`;
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
};
const what = (mode: string) => (mode === "reprotect" ? "Re-protect" : mode === "switchback" ? "Switchback" : "Switchback dry-run");

export function startedMessage(state: FailbackState, stage: string): Notification {
  const { run, topology } = state;
  return {
    kind: `${run.mode}.started`,
    subject: subject(stage, `${what(run.mode)} started (${run.executionName})`),
    body: [
      `${what(run.mode)} started by ${run.requestedBy}: ${run.reason}`,
      topology?.serving ? `Serving region: ${topology.serving}; standby: ${topology.standby}.` : "",
      "Plan:",
      ...(topology?.plan ?? []).map((l) => `  - ${l}`),
      ...(topology?.notes ?? []).map((l) => `Note: ${l}`),
      run.mode === "switchback" ? "Users' writes are refused from the moment the DR service stops until the primary serves; you will get one message when it ends." : "Nothing the users reach changes; you will get one message when it ends.",
    ]
      .filter(Boolean)
      .join("\n"),
  };
}

export function succeededMessage(state: FailbackState, outcome: FailbackOutcome, stage: string): Notification {
  const { run } = state;
  const p = outcome.protection;
  const protection = p ? `Protection restored: ${p.standby} in ${p.region} is a read replica of the serving database with backups on.${p.retired ? ` The database it replaced is kept as ${p.retired} (delete it by hand once you no longer need it).` : ""}` : "";
  const body =
    run.mode === "reprotect"
      ? [
          `Re-protect ${run.executionName} succeeded.`,
          protection,
          state.replication?.storage.added ? "The serving bucket now replicates to the standby bucket (objects written before this rule need S3 Batch Replication: docs/failback.md)." : "Bucket replication was already in place.",
          `The standby region's service is at its pilot light.`,
          `Next: when you are ready, switch back with pnpm dr switchback --stage ${stage} (run it with --dry-run first).`,
        ]
      : [
          `Switchback ${run.executionName} succeeded: the primary region serves again.`,
          `Write downtime: ${outcome.writeDowntimeSeconds ?? "?"} s (writes stopped → the primary serving writes).`,
          `Data loss: ${outcome.dataLossVerdict === "none" ? "none (when it was sealed, the replica had executed the DR database's binary log up to its last position)" : (outcome.dataLossVerdict ?? "not measured")}.`,
          protection,
          'Next: set activeRegion: "primary" for the stage before the next deploy, then close the incident (pnpm dr close-incident).',
        ];
  return { kind: `${run.mode}.succeeded`, subject: subject(stage, `${what(run.mode)} succeeded (${run.executionName})`), body: body.filter(Boolean).join("\n") };
}

/** What a rollback that did not finish leaves to do with the sealed DR database (read-only, renamed aside), if it was sealed. */
function sealedLeftAside(retired: string | undefined): string {
  if (!retired) return "";
  const name = retired.replace(/-r\d{14}$/, "");
  return `if ${name} does not exist, the DR database is still sealed as ${retired}: once it is available, rename it back (aws rds modify-db-instance --db-instance-identifier ${retired} --new-db-instance-identifier ${name} --apply-immediately), reset read_only in its DB parameter group (aws rds reset-db-parameter-group --parameters ParameterName=read_only,ApplyMethod=immediate) and wait until it is available; then `;
}

/** The command that starts a failback of this mode again. */
const rerun = (mode: FailbackMode, stage: string): string => (mode === "dry-run" ? `pnpm dr switchback --stage ${stage} --dry-run` : `pnpm dr ${mode} --stage ${stage}`);

export function failedMessage(state: FailbackState, assessment: FailbackAssessment, stage: string): Notification {
  const { run } = state;
  const failure = state.failure ?? { step: "unknown", error: "unknown", cause: "" };
  const step = failedStepOf(failure);
  const restore = state.restore;
  const restoreLine =
    restore && "serving" in restore
      ? "unreachable" in restore.standby
        ? `The DR service was set back to ${restore.serving.targetCount} tasks: DR serves as before. The primary region did not answer (${restore.standby.unreachable}): once it returns, the scheduled CompleteFence sets its service to ${restore.standby.targetCount} and says so (if no such message comes, set it by hand).`
        : `The DR service was set back to ${restore.serving.targetCount} tasks and the primary's to ${restore.standby.targetCount}: DR serves as before.`
      : restore && "Error" in restore
        ? `Could NOT set the services back (${restore.Error}): ${sealedLeftAside(state.seal?.retired)}set the DR service to its full count and the primary's to 0 by hand.`
        : "";
  const next: Record<FailbackAssessment["kind"], string> = {
    "rolled-back": `Nothing irreversible happened. Fix the cause named above (docs/failback.md lists each error; a region that did not answer: wait for it), then start again: ${rerun(run.mode, stage)} (every step resumes from what it finds).`,
    "needs-operator": "The primary replica was promoted (that cannot be undone) and a later step failed: finish the switchback by hand (docs/failback.md, \"NeedsOperator\"): the primary service healthy, DNS to the primary load balancer, the DR service at 0.",
    "not-protected": `The serving region is untouched, but protection is not (fully) restored: fix the cause and run pnpm dr reprotect --stage ${stage} again; it resumes from what it finds.`,
  };
  return {
    kind: `${run.mode}.${assessment.kind === "rolled-back" ? "failed" : assessment.kind}`,
    subject: subject(stage, `${what(run.mode)} ${assessment.kind === "needs-operator" ? "needs an operator" : "failed"} at ${step} (${run.executionName})`),
    body: [`${what(run.mode)} ${run.executionName} failed at step ${step}.`, `Error: ${failure.error}: ${describeCause(failure.cause)}`, `Done: ${assessment.detail}. ${restoreLine}`, "The failover lock is released.", next[assessment.kind]]
      .filter(Boolean)
      .join("\n"),
  };
}
