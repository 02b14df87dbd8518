/**
 * `pnpm dr reprotect` and `pnpm dr switchback [--dry-run]`: start the failback state machine
 * with an input its own schema accepts, under a deterministic name, refusing while any failover
 * or failback execution runs (they share one lock); and the texts the operator reads.
 */
import { ExecutionAlreadyExists, ListExecutionsCommand, StartExecutionCommand, StateMachineDoesNotExist } from "@aws-sdk/client-sfn";
import { Failback, Operations } from "@pilot-light/core";
import type { Invocation } from "./args";
import type { Context } from "./aws";
import type { Finished } from "./commands";
import { MissingStackError, RefusedError, UsageError } from "./errors";

export interface FailbackStarted {
  mode: Failback.FailbackMode;
  name: string;
  executionArn: string;
  input: Failback.FailbackInput;
  startedAt: Date;
  consoleUrl: string;
}

export const failbackMachineName = (prefix: string) => `${prefix}-failback`;

export function failbackMachineArn(ctx: Context): string {
  return Operations.stateMachineArn({ region: ctx.region, account: ctx.account, name: failbackMachineName(ctx.names.prefix) });
}

export function failbackMode(invocation: Pick<Invocation, "command" | "dryRun">): Failback.FailbackMode {
  if (invocation.command === "reprotect") return "reprotect";
  return invocation.dryRun ? "dry-run" : "switchback";
}

export function buildFailbackInput(invocation: Pick<Invocation, "command" | "dryRun" | "reason" | "requestedBy" | "switchDns">, caller: string): Failback.FailbackInput {
  const mode = failbackMode(invocation);
  const defaults: Record<Failback.FailbackMode, string> = {
    reprotect: "re-protect started from the operator CLI",
    switchback: "planned switchback started from the operator CLI",
    "dry-run": "switchback dry-run started from the operator CLI",
  };
  const candidate = { mode, reason: invocation.reason ?? defaults[mode], requestedBy: (invocation.requestedBy ?? caller).slice(0, 200), options: { switchDns: invocation.switchDns } };
  const parsed = Failback.FailbackInput.safeParse(candidate);
  if (!parsed.success) throw new UsageError(`the execution input would be rejected: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return candidate;
}

export async function startFailback(ctx: Context, invocation: Invocation): Promise<FailbackStarted> {
  const machine = failbackMachineArn(ctx);
  for (const arn of [ctx.stateMachineArn, machine]) {
    const out = await ctx.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: "RUNNING", maxResults: 5 }));
    const running = out.executions ?? [];
    if (running.length > 0) {
      throw new RefusedError(
        [`another execution is running, and only one may run at a time (the failover lock):`, ...running.map((e) => `  ${e.name}: ${Operations.executionConsoleUrl(e.executionArn ?? "")}`), "Wait for it to end (pnpm dr status), then start again."].join("\n"),
      );
    }
  }
  const input = buildFailbackInput(invocation, ctx.caller);
  const now = ctx.now();
  const name = `${input.mode}-${ctx.config.stage}-${Operations.compactTime(now)}`;
  try {
    const out = await ctx.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name, input: JSON.stringify(input) }));
    const executionArn = out.executionArn ?? Operations.executionArn(machine, name);
    return { mode: input.mode, name, executionArn, input, startedAt: out.startDate ?? now, consoleUrl: Operations.executionConsoleUrl(executionArn) };
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) {
      throw new MissingStackError(`state machine ${failbackMachineName(ctx.names.prefix)} does not exist in ${ctx.region}: deploy that region (pnpm deploy:all --stage ${ctx.config.stage})`, { cause: error });
    }
    if (error instanceof ExecutionAlreadyExists) throw new RefusedError(`an execution named ${name} already exists; look at it first:\n  ${Operations.executionConsoleUrl(Operations.executionArn(machine, name))}`, { cause: error });
    throw error;
  }
}

export function switchbackQuestion(stage: string, primaryRegion: string, drRegion: string): string {
  return [
    `This starts a SWITCHBACK of stage "${stage}" from ${drRegion} to ${primaryRegion}:`,
    `users' writes are refused from when the ${drRegion} service stops until ${primaryRegion} serves (minutes); the replica in ${primaryRegion} is promoted (cannot be undone).`,
    `Type the stage name (${stage}) to go ahead: `,
  ].join("\n");
}

export function formatFailbackStarted(s: FailbackStarted): string {
  const what: Record<Failback.FailbackMode, string> = {
    reprotect: "Started a RE-PROTECT (the serving region is not touched)",
    switchback: "Started a SWITCHBACK to the primary region",
    "dry-run": "Started a switchback dry-run (readiness and plan; nothing is changed)",
  };
  return [`${what[s.mode]}.`, `  execution: ${s.name}`, `  input:     ${JSON.stringify(s.input)}`, `  started:   ${s.startedAt.toISOString()}`, `  watch it:  ${s.consoleUrl}`].join("\n");
}

export function formatFailbackFinished(f: Finished, consoleUrl: string): string {
  if (f.status === "RUNNING") return `Still running when the wait ended; follow it in the console:\n  ${consoleUrl}`;
  const lines = [`Execution ended: ${f.status}`];
  const out = (f.output ?? {}) as { wouldProceed?: boolean; blockers?: string[]; notes?: string[]; plan?: string[]; outcome?: Failback.FailbackOutcome };
  if (typeof out.wouldProceed === "boolean") {
    lines.push(`  A switchback now ${out.wouldProceed ? "WOULD PROCEED" : "WOULD BE BLOCKED"}.`, ...(out.blockers ?? []).map((b) => `  blocker: ${b}`), ...(out.notes ?? []).map((n) => `  note: ${n}`));
    if (out.plan?.length) lines.push("  plan:", ...out.plan.map((l) => `    - ${l}`));
  }
  const o = out.outcome;
  if (o?.mode === "switchback") lines.push(`  write downtime ${o.writeDowntimeSeconds ?? "?"} s, data loss: ${o.dataLossVerdict ?? "not measured"}`);
  if (o?.protection) lines.push(`  protection: ${o.protection.standby} in ${o.protection.region} ${o.protection.ready ? "replicates from the serving database" : "NOT ready"}${o.protection.retired ? `; kept aside: ${o.protection.retired}` : ""}`);
  if (f.error) lines.push(`  error: ${f.error}${f.cause ? `: ${f.cause}` : ""}`);
  lines.push(`  ${consoleUrl}`);
  return lines.join("\n");
}
