/**
 * `pnpm dr readiness`: reads what a failover and a failback need from the live account, with
 * the operator's credentials, in both regions (Readiness.observeReadiness), and judges it
 * (Readiness.judgeReadiness). Read-only: no call here changes anything.
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { Readiness, Stage } from "@pilot-light/core";
import { cliClientBounds, message, type Context } from "./aws";
import { explainAwsError } from "./errors";

export type ReadinessClients = Readiness.ReadinessClients;

/**
 * Readiness's clients (Readiness.readinessClients, each attempt bounded), CloudFormation in the
 * DR region bounded as the CLI's others are (./aws.ts): a control plane that does not answer is
 * a finding, not a command that waits for ever.
 */
export function readinessClients(config: Stage.StageConfig): ReadinessClients {
  return { ...Readiness.readinessClients(config), cfn: new CloudFormationClient({ region: config.drRegion, ...cliClientBounds }) };
}

export interface ReadinessReport extends Readiness.Readiness {
  stage: string;
  checkedAt: string;
}

/**
 * Reads the account (the account id from STS: the topics' ARNs name it) and judges it, with the
 * failover and failback steps' permissions simulated against their deployed roles
 * (Readiness.observePermissions, with the catalogue the scheduled evaluation carries too).
 */
export async function checkReadiness(
  config: Stage.StageConfig,
  clients: ReadinessClients,
  sts: STSClient,
  now: () => Date,
  catalogue: Readiness.StepCatalogue = Readiness.stepCatalogue,
): Promise<ReadinessReport> {
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw explainAwsError("STS GetCallerIdentity", config.drRegion, error);
  }
  if (!account) throw new Error("STS GetCallerIdentity returned no account");
  return Readiness.evaluateReadiness(clients, Readiness.targetOf(config), account, now, { target: Readiness.permissionTargetOf(config), catalogue, partition: Stage.partitionOf(config.drRegion) });
}

export function formatReadiness(r: ReadinessReport): string {
  const lines = [`Readiness of stage ${r.stage} at ${r.checkedAt}: ${r.ready ? "READY" : "NOT READY"}`];
  for (const f of r.findings) {
    lines.push(`  ${f.ok ? "ok  " : "FAIL"} ${f.check.padEnd(21)} ${f.detail}`);
    if (f.action) lines.push(`       ${"".padEnd(21)} → ${f.action}`);
  }
  return lines.join("\n");
}

/** `pnpm dr status`'s view of the scheduled evaluation: its last result (READINESS#last), or why it could not be read. */
export type LastEvaluation = { ok: true; value: Readiness.StoredEvaluation | null } | { ok: false; error: string };

export async function lastEvaluation(ctx: Context): Promise<LastEvaluation> {
  try {
    return { ok: true, value: await Readiness.loadEvaluation(ctx.clients.db, ctx.names.stateTable) };
  } catch (error) {
    return { ok: false, error: message(error) };
  }
}

export function formatLastEvaluation(e: LastEvaluation, config: Pick<Stage.StageConfig, "stage" | "readinessSchedule">, now: Date): string {
  const lines = [`Readiness (evaluated ${config.readinessSchedule}; now: pnpm dr readiness --stage ${config.stage})`];
  if (!e.ok) lines.push(`  unavailable: ${e.error}`);
  else if (!e.value) lines.push("  NOT EVALUATED YET: the scheduled evaluation has never written a result (is the Operations stack deployed?)");
  else {
    const v = e.value;
    const minutes = Math.round((now.getTime() - Date.parse(v.checkedAt)) / 60_000);
    lines.push(`  ${v.ready ? "READY" : "NOT READY"}: last evaluation ${v.checkedAt.replace(/\.\d{3}Z$/, "Z")} (${minutes} min ago), ${v.failing.length} of ${v.checks} checks failing`);
    const period = Stage.scheduleMinutes(config.readinessSchedule) ?? 30;
    if (minutes > 2 * period) lines.push(`  STALE: no evaluation for more than ${2 * period} minutes: is its schedule running? (docs/runbook.md, "Readiness")`);
    for (const f of v.failing) {
      lines.push(`  FAIL ${f.check}: ${f.detail}`);
      if (f.action) lines.push(`       → ${f.action}`);
    }
  }
  return lines.join("\n");
}
