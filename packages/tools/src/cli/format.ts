/**
 * What the CLI prints, as pure functions of what the commands returned: one readable block per
 * concern, the verdict first, the evidence after, and a console link for every execution.
 */
import { type Database, Failover, Health, Operations, Stage } from "@pilot-light/core";
import type { Closed, ExecutionLine, Finished, Section, Started, StatusReport } from "./commands";
import type { RegionsView } from "./regions";

const time = (d: Date | string | undefined) => (d === undefined ? "-" : new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z"));

/** Status's first lines when a region did not answer: which, what it answered, and whose copy the rest shows. */
export function formatUnanswered(silent: readonly { side: string; region: string; error: string }[], shown: string): string {
  if (silent.length === 0) return "";
  return `${silent.map((u) => `NOT ANSWERING: the ${u.side === "dr" ? "DR" : "primary"} region ${u.region} did not answer (${u.error})`).join("\n")}\nBelow: what could be reached; the health, database, capacity, lock and executions are the ${shown} copy's.\n\n`;
}

export function formatStatus(r: StatusReport, now: Date): string {
  const lines: string[] = [
    `pilot-light ${r.stage}: primary ${r.primaryRegion}, DR ${r.drRegion}, account ${r.account}`,
    `Targets: RTO ${r.settings.rtoTargetSeconds} s (outage → DR serving), RPO ${r.settings.rpoBudgetSeconds} s (replica lag)`,
    `Settings (stacks/stages.ts): primary ${r.settings.primaryTaskCount} tasks; DR ${r.settings.drTaskCount} tasks at full size, ${r.settings.drPilotTaskCount} as a pilot light; database ${r.settings.dbInstanceClass}`,
    "",
  ];

  lines.push(`Health (checks ${r.schedule}, failover after ${r.failureThreshold} failed in a row)`);
  if (!r.health.ok) lines.push(`  unavailable: ${r.health.error}`);
  else {
    const h = r.health.value;
    const last = h.lastCheck;
    lines.push(
      last
        ? `  ${last.ok ? "HEALTHY" : "FAILING"}: last check ${time(last.at)} (${ago(last.at, now)}), ${Health.summarize(last)}`
        : "  NO CHECK YET: the monitor has never written a result (is it deployed and scheduled?)",
    );
    const period = Stage.scheduleMinutes(r.schedule) ?? 5;
    if (last && now.getTime() - Date.parse(last.at) > 2 * period * 60_000) {
      lines.push(`  STALE: no check for more than ${2 * period} minutes (two schedule periods): is the monitor running? (docs/runbook.md, "Detection")`);
    }
    lines.push(`  consecutive failures: ${h.consecutiveFailures}/${r.failureThreshold}`);
    if (h.incident) {
      const i = h.incident;
      lines.push(`  OPEN INCIDENT ${i.id} since ${time(i.openedAt)}: ${i.action === "failover" ? "failover" : "failover recommended (auto-failover off)"}`);
      lines.push(`    ${i.reason}`);
      if (i.executionArn) lines.push(`    execution: ${Operations.executionConsoleUrl(i.executionArn)}`);
      else if (i.lastStartError) lines.push(`    start failed, retried on the next check: ${i.lastStartError}`);
      for (const h of i.history) lines.push(`    attempt ${h.attempt}: ${h.name} ended ${h.status}${h.error ? ` (${h.error})` : ""} at ${time(h.endedAt)}`);
      if (i.followed) lines.push(`    following ${i.followed}: another failover holds the lock`);
      if (i.nextAttemptAt && !i.execution && !i.resolution) lines.push(`    next: attempt ${i.attempt} at the first failed check from ${time(i.nextAttemptAt)}`);
      if (i.withheldAt && !i.execution && !i.resolution) {
        lines.push(`    WITHHELD: ${i.confirmation?.detail ?? "the second opinion disagreed"} (docs/runbook.md, "A failover the monitor withheld")`);
      }
      if (i.resolution) lines.push(`    the monitor stood down (${i.resolution.kind}): ${i.resolution.detail}`);
      lines.push(`    close it when handled: pnpm dr close-incident --stage ${r.stage} --note "<what was done>"`);
    } else lines.push("  no open incident");
  }

  lines.push("", "Replica (DR database)");
  if (!r.replica.ok) lines.push(`  unavailable: ${r.replica.error}`);
  else {
    const d = r.replica.value;
    const lag = d.lagSeconds === null ? "unknown (no ReplicaLag data in 10 minutes)" : `${d.lagSeconds} s`;
    const verdict = d.lagSeconds === null ? "UNKNOWN" : d.lagSeconds <= d.budgetSeconds ? "within" : "OVER";
    lines.push(`  ${d.identifier}: ${d.status}, ${roleText[d.role]}`);
    if (d.isReplica) lines.push(`  lag ${lag}: ${verdict} the RPO budget of ${d.budgetSeconds} s`);
  }

  lines.push("", "DR capacity (ECS)");
  if (!r.capacity.ok) lines.push(`  unavailable: ${r.capacity.error}`);
  else {
    const c = r.capacity.value;
    const mode = c.desired <= c.pilot ? "pilot light" : c.desired >= c.full ? "full size" : "partly scaled";
    lines.push(`  ${c.service}: ${c.running} running, ${c.pending} pending, desired ${c.desired} (${mode}; pilot ${c.pilot}, full ${c.full})`);
  }

  lines.push("", "DNS");
  if (!r.dns.ok) lines.push(`  unavailable: ${r.dns.error}`);
  else if (r.dns.value === null) lines.push("  this stage has no Route 53 records (users reach the primary ALB directly)");
  else {
    const d = r.dns.value;
    const where = d.servedBy === "dr" ? `the DR region (${r.drRegion})` : d.servedBy === "primary" ? `the primary region (${r.primaryRegion})` : "an unknown target";
    lines.push(`  ${d.record} → ${d.answers.join(", ") || "(no answer)"}: ${where}`);
  }

  if (r.copies) lines.push("", "Orchestrator copies (one per region; the armed one fails over by itself)", ...copyLines(r.copies));

  lines.push("", "Failover lock");
  if (!r.lock.ok) lines.push(`  unavailable: ${r.lock.error}`);
  else if (r.lock.value === null) lines.push("  free");
  else {
    const l = r.lock.value;
    const running = r.executions.ok && r.executions.value.some((e) => e.name === l.owner && e.status === "RUNNING");
    lines.push(`  HELD by ${l.mode} ${l.owner} since ${l.acquiredAt} (expires ${l.expiresAt})`);
    if (!running) lines.push("  its execution is not running: if it timed out or was aborted, see docs/runbook.md, \"An execution timed out or was aborted\"");
  }

  lines.push("", "Last executions");
  if (!r.executions.ok) lines.push(`  unavailable: ${r.executions.error}`);
  else if (r.executions.value.length === 0) lines.push("  none yet: run a drill (pnpm dr drill --stage " + r.stage + ")");
  else for (const e of r.executions.value) lines.push(...executionLines(e));
  lines.push("", `All executions: ${Operations.stateMachineConsoleUrl(r.stateMachineArn)}`);
  lines.push(`Dashboard:      ${Operations.dashboardUrl(r.drRegion, Operations.dashboardName(r.stage))}`);
  return lines.join("\n");
}

const armingText: Record<Health.ArmingKind, string> = {
  armed: "ARMED: fails over by itself if the region it watches fails",
  serving: "serving: users are sent here; the other region's copy watches this one",
  stranded: "STRANDED: users are sent to the region it watches and no replica here can take over (re-protect: pnpm dr reprotect)",
  "handed-over": "handed over: users are sent to the region it watches, whose database answers there (a failover to it is under way or done; then re-protect: pnpm dr reprotect)",
  unknown: "not armed (what AWS shows does not say it may act)",
};

/** Both regions' copies: each one's database, arming and the region it watches. */
/** The replica section's database as Database.roleOf reads it: promoted is not always writable (a switchback seals it). */
const roleText: Record<Database.DatabaseRole, string> = {
  replica: "read replica",
  writable: "PROMOTED (standalone, writable)",
  "not-ready": "PROMOTED (standalone; takes writes once available)",
  "read-only": "PROMOTED, read-only (read_only = 1 in its parameter group: fenced or sealed, takes no writes)",
  "not-known": "PROMOTED (standalone; read_only in its parameter group could not be read)",
  "not-found": "not found",
};

function copyLines(copies: Section<RegionsView>): string[] {
  if (!copies.ok) return [`  unavailable: ${copies.error}`];
  const v = copies.value;
  const lines = (["primary", "dr"] as const).map((side) => {
    const c = v.copies[side];
    const db = c.database === null ? `database unreadable (${c.error ?? "no answer"})` : !c.database.found ? `no database ${c.database.identifier}` : `${c.database.identifier} ${c.database.status}${c.database.writable ? ", writable" : c.database.replicaOf ? `, replica of the ${c.database.replicaOf === "elsewhere" ? "an unexpected source" : `${c.database.replicaOf} region's database`}` : c.database.readOnlyIn ? `, read-only (read_only = 1 in ${c.database.readOnlyIn})` : ""}`;
    return `  ${side} region ${c.region}: ${armingText[c.arming.kind]}; watches ${c.watches}; ${db}`;
  });
  if (v.dns) lines.push(`  DNS (Route 53 PRIMARY record): ${v.dns.servedBy === "unknown" ? `not known (${v.dns.error ?? v.dns.target ?? "no alias target"})` : `sends users to the ${v.dns.servedBy} region (${v.dns.target})`}`);
  return lines;
}

function executionLines(e: ExecutionLine): string[] {
  const took = e.startedAt && e.stoppedAt ? `, ${Math.round((e.stoppedAt.getTime() - e.startedAt.getTime()) / 1000)} s` : "";
  const o = e.outcome;
  let outcome = "";
  if (o?.targets) {
    const d = Failover.describeTargets(o.targets);
    outcome = `; ${o.status}; ${d.rto}; ${d.rpo}`;
  } else if (o) outcome = `; ${o.status}, RTO ${o.rtoSeconds ?? "-"} s, RPO ${o.rpoSeconds ?? "-"} s`;
  return [
    `  ${e.status.padEnd(9)} ${e.name}  ${time(e.startedAt)}${took}${outcome}`,
    ...(o?.failure ? [`            FAILED at ${o.failure.step}: ${o.failure.error}: ${o.failure.message}`] : []),
    ...(o?.advice ?? []).map((a) => `            change: ${a}`),
    `            ${Operations.executionConsoleUrl(e.executionArn)}`,
  ];
}

function ago(at: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function formatStarted(s: Started): string {
  const what: Record<Failover.Mode, string> = {
    drill: "Started a DR drill (non-destructive: no promotion, no DNS change; DR scales back at the end)",
    "dry-run": "Started a dry-run (preflight only; nothing is changed)",
    failover: "Started a FAILOVER to the DR region",
  };
  return [
    `${what[s.mode]}.`,
    `  execution: ${s.name}`,
    `  input:     ${JSON.stringify(s.input)}`,
    `  started:   ${time(s.startedAt)}`,
    `  watch it:  ${s.consoleUrl}`,
  ].join("\n");
}

export function formatFinished(f: Finished, consoleUrl: string): string {
  if (f.status === "RUNNING") return `Still running when the wait ended; follow it in the console:\n  ${consoleUrl}`;
  const lines = [`Execution ended: ${f.status}${f.stoppedAt ? ` at ${time(f.stoppedAt)}` : ""}`];
  const report = Failover.PreflightReport.safeParse(f.output);
  if (report.success) lines.push(...preflightLines(report.data));
  const outcome = (f.output as { outcome?: { rtoSeconds?: number | null; rpoSeconds?: number | null; targets?: Failover.Targets; advice?: string[] } } | undefined)?.outcome;
  if (outcome?.targets) {
    const d = Failover.describeTargets(outcome.targets);
    lines.push(`  ${d.rto}`, `  ${d.rpo}`, ...(outcome.advice ?? []).map((a) => `  change: ${a}`));
  } else if (outcome) lines.push(`  RTO ${outcome.rtoSeconds ?? "-"} s, RPO estimate ${outcome.rpoSeconds ?? "-"} s`);
  if (f.error) lines.push(`  error: ${f.error}${f.cause ? `: ${f.cause}` : ""}`);
  lines.push(`  ${consoleUrl}`);
  return lines.join("\n");
}

export function preflightLines(p: Failover.PreflightReport): string[] {
  const lag = p.lag.seconds === null ? "unknown" : `${p.lag.seconds} s`;
  return [
    `  A failover now ${p.wouldProceed ? "WOULD PROCEED" : "WOULD BE BLOCKED"}.`,
    `  replica lag ${lag} (budget ${p.lag.budgetSeconds} s)${p.lag.withinBudget ? "" : ": over budget, needs --acknowledge-rpo-breach"}`,
    ...p.blockers.map((b) => `  blocker: ${b}`),
    ...(p.plan.length > 0 ? ["  plan:", ...p.plan.map((l) => `    - ${l}`)] : []),
  ];
}

export function formatClosed(c: Closed, stage: string): string {
  return [
    `Closed incident ${c.incident.id} (opened ${time(c.incident.openedAt)}) as ${c.closedBy}: ${c.note}`,
    "The strike count is reset: a new incident needs a fresh run of failed checks.",
    c.incident.action === "failover" && c.incident.executionArn
      ? `After a completed failover, set activeRegion: "dr" for ${stage} in stacks/stages.ts and deploy, or the monitor will keep probing the old primary (docs/runbook.md, "After a failover").`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
}
