/**
 * The operator commands' effects, over the clients in a Context: read the stage's readiness,
 * start a drill / dry-run / failover with a validated input and a deterministic name, wait
 * for an execution, close the open health incident. Formatting is in ./format.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { Compute, Database, Failover, Health, Operations, State } from "@pilot-light/core";
import type { Invocation } from "./args";
import { message, type Clients, type Context } from "./aws";
import { MissingStackError, RefusedError, UsageError } from "./errors";
import { readRegions, type RegionsView } from "./regions";

/** A part of the status that could not be read says why instead of failing the whole report. */
export type Section<T> = { ok: true; value: T } | { ok: false; error: string };

async function section<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: message(error) };
  }
}

export interface ExecutionLine {
  name: string;
  status: string;
  startedAt: Date | undefined;
  stoppedAt: Date | undefined;
  executionArn: string;
  /** From the recorded outcome (OUTCOME#<name>), when there is one; targets when it recorded them. */
  outcome?: {
    status: string;
    rtoSeconds: number | null;
    rpoSeconds: number | null;
    targets?: Failover.Targets;
    advice?: string[];
    /** The step that failed and its error, for a run that did not succeed. */
    failure?: { step: string; error: string; message: string };
  };
}

export interface StatusReport {
  stage: string;
  primaryRegion: string;
  drRegion: string;
  account: string;
  stateMachineArn: string;
  failureThreshold: number;
  schedule: string;
  /** The stage's settings an operator needs by hand (stacks/stages.ts): counts, sizes, objectives. */
  settings: {
    primaryTaskCount: number;
    drTaskCount: number;
    drPilotTaskCount: number;
    dbInstanceClass: string;
    rtoTargetSeconds: number;
    rpoBudgetSeconds: number;
  };
  health: Section<Health.HealthState>;
  /** `role`: whether it takes writes (Database.roleOf; promoted and read_only = 1: fenced or sealed). */
  replica: Section<{ identifier: string; status: string; isReplica: boolean; role: Database.DatabaseRole; lagSeconds: number | null; budgetSeconds: number }>;
  capacity: Section<{ service: string; desired: number; running: number; pending: number; pilot: number; full: number }>;
  dns: Section<{ record: string; answers: string[]; servedBy: "primary" | "dr" | "unknown" } | null>;
  executions: Section<ExecutionLine[]>;
  /** LOCK#failover: held by a running (or dead) execution; null when free. */
  lock: Section<{ owner: string; mode: string; acquiredAt: string; expiresAt: string } | null>;
  /**
   * Stages with DNS: both regions' orchestrator copies as AWS shows them (which database is
   * writable, which replicates from which, where DNS sends users), so which copy is armed and
   * which region it watches; null on stages without DNS (the DR region's copy only).
   */
  copies: Section<RegionsView> | null;
}

/** The health target the copy in the context's region counts: the region it watches (the DR region's copy watches the primary). */
const watchedTarget = (ctx: Context) => (ctx.region === ctx.config.primaryRegion ? "dr" : "primary");

function healthStore(ctx: Context): Health.HealthStore {
  return { db: ctx.clients.db, table: ctx.names.stateTable };
}

/** Which region an answer points at: ALB names carry their region (…eu-west-1.elb.amazonaws.com). */
export function servedBy(answers: readonly string[], primaryRegion: string, drRegion: string): "primary" | "dr" | "unknown" {
  const first = answers[0]?.toLowerCase() ?? "";
  if (first.includes(`.${drRegion}.`)) return "dr";
  if (first.includes(`.${primaryRegion}.`)) return "primary";
  return "unknown";
}

export async function gatherStatus(ctx: Context, executionCount = 5, clientsOf: (region: string) => Clients = () => ctx.clients): Promise<StatusReport> {
  const { config, names, clients } = ctx;
  // The database and service of the copy's own region (the primary region's copy when the DR region does not answer).
  const local = ctx.region === config.primaryRegion ? { db: names.primaryDb, cluster: names.primaryCluster, service: names.primaryService } : { db: names.replicaDb, cluster: names.cluster, service: names.service };
  const [health, replica, capacity, dns, executions, lock, copies] = await Promise.all([
    section(() => Health.loadState(healthStore(ctx), watchedTarget(ctx))),
    section(async () => {
      const [state, lag] = await Promise.all([
        Database.describeInstance(clients.rds, local.db),
        Database.readReplicaLag(clients.cloudwatch, local.db, ctx.now()),
      ]);
      // Promoted: whether it takes writes is Database.decideServing's reading (a switchback's seal leaves it read-only); not read is said.
      const readOnly = state.sourceIdentifier === null ? await Database.readOnlyByGroup(clients.rds, local.db).then((r) => r.readOnly, () => undefined) : undefined;
      const role = Database.roleOf({ found: true, state, readOnly });
      return { identifier: state.identifier, status: state.status, isReplica: state.sourceIdentifier !== null, role, lagSeconds: lag, budgetSeconds: config.rpoBudgetSeconds };
    }),
    section(async () => {
      const s = await Compute.describeService(clients.ecs, { cluster: local.cluster, service: local.service });
      return { service: s.service, desired: s.desired, running: s.running, pending: s.pending, pilot: config.drPilotTaskCount, full: config.drTaskCount };
    }),
    section(async () => {
      if (!config.dns) return null;
      const record = config.dns.recordName;
      try {
        const answers = await clients.dns.resolveCname(record);
        return { record, answers, servedBy: servedBy(answers, config.primaryRegion, config.drRegion) };
      } catch (error) {
        // A record pinned as an alias (A) has no CNAME; its addresses do not name a region.
        if ((error as { code?: string }).code !== "ENODATA") throw error;
        return { record, answers: await clients.dns.resolve4(record), servedBy: "unknown" as const };
      }
    }),
    section(() => recentExecutions(ctx, executionCount)),
    section(() => readLock(ctx)),
    config.dns ? section(() => readRegions(config, names, ctx.account, clientsOf)) : null,
  ]);
  return {
    stage: config.stage,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    account: ctx.account,
    stateMachineArn: ctx.stateMachineArn,
    failureThreshold: config.health.failureThreshold,
    schedule: config.health.schedule,
    settings: {
      primaryTaskCount: config.primaryTaskCount,
      drTaskCount: config.drTaskCount,
      drPilotTaskCount: config.drPilotTaskCount,
      dbInstanceClass: config.sizes.dbInstanceClass,
      rtoTargetSeconds: config.rtoTargetSeconds,
      rpoBudgetSeconds: config.rpoBudgetSeconds,
    },
    health,
    replica,
    capacity,
    dns,
    executions,
    lock,
    copies,
  };
}

async function readLock(ctx: Context): Promise<{ owner: string; mode: string; acquiredAt: string; expiresAt: string } | null> {
  const out = await ctx.clients.db.send(
    new GetCommand({ TableName: ctx.names.stateTable, Key: { [State.partitionKey]: State.keys.failoverLock() }, ConsistentRead: true }),
  );
  const item = out.Item as { owner?: string; mode?: string; acquiredAt?: string; expiresAt?: number } | undefined;
  if (!item) return null;
  const expiresAt = typeof item.expiresAt === "number" ? new Date(item.expiresAt * 1000).toISOString() : "?";
  return { owner: item.owner ?? "?", mode: item.mode ?? "?", acquiredAt: item.acquiredAt ?? "?", expiresAt };
}

async function recentExecutions(ctx: Context, count: number): Promise<ExecutionLine[]> {
  const out = await ctx.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: ctx.stateMachineArn, maxResults: count }));
  return Promise.all(
    (out.executions ?? []).map(async (e) => {
      const name = e.name ?? "";
      const recorded = await ctx.clients.db.send(new GetCommand({ TableName: ctx.names.stateTable, Key: { [State.partitionKey]: State.keys.outcome(name) } }));
      const item = recorded.Item as
        | { status?: string; rtoSeconds?: number | null; rpoSeconds?: number | null; targets?: Failover.Targets; advice?: string[]; failure?: Failover.Failure | null }
        | undefined;
      return {
        name,
        status: e.status ?? "UNKNOWN",
        startedAt: e.startDate,
        stoppedAt: e.stopDate,
        executionArn: e.executionArn ?? "",
        ...(item?.status
          ? {
              outcome: {
                status: item.status,
                rtoSeconds: item.rtoSeconds ?? null,
                rpoSeconds: item.rpoSeconds ?? null,
                ...(item.targets ? { targets: item.targets } : {}),
                ...(item.advice ? { advice: item.advice } : {}),
                ...(item.failure
                  ? { failure: { step: Failover.failedStepOf(item.failure), error: item.failure.error, message: Failover.describeCause(item.failure.cause) } }
                  : {}),
              },
            }
          : {}),
      };
    }),
  );
}

export interface Started {
  mode: Failover.Mode;
  name: string;
  executionArn: string;
  input: Failover.FailoverInput;
  startedAt: Date;
  consoleUrl: string;
}

/** The state machine input for an operator run, validated against the state machine's own schema. */
export function buildInput(
  invocation: Pick<Invocation, "command" | "reason" | "requestedBy" | "switchDns" | "acknowledgeRpoBreach">,
  caller: string,
  incidentId?: string,
): Failover.FailoverInput {
  const mode = Failover.Mode.parse(invocation.command);
  const defaults: Record<Failover.Mode, string> = {
    drill: "DR drill started from the operator CLI",
    "dry-run": "dry-run started from the operator CLI",
    failover: "",
  };
  const candidate: Failover.FailoverInput = {
    mode,
    reason: invocation.reason ?? defaults[mode],
    requestedBy: (invocation.requestedBy ?? caller).slice(0, 200),
    ...(incidentId ? { incidentId } : {}),
    options: { switchDns: invocation.switchDns, acknowledgeRpoBreach: invocation.acknowledgeRpoBreach },
  };
  const parsed = Failover.FailoverInput.safeParse(candidate);
  if (!parsed.success) {
    throw new UsageError(`the execution input would be rejected: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return candidate;
}

/** Refuses to start while another execution runs: the state machine's lock would stop it anyway. */
async function requireNoneRunning(ctx: Context): Promise<void> {
  const out = await ctx.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: ctx.stateMachineArn, statusFilter: "RUNNING", maxResults: 5 }));
  const running = out.executions ?? [];
  if (running.length > 0) {
    const lines = running.map((e) => `  ${e.name}: ${Operations.executionConsoleUrl(e.executionArn ?? "")}`);
    throw new RefusedError(
      [`another execution is running, and only one may run at a time (the failover lock):`, ...lines, "Wait for it to end (pnpm dr status), then start again."].join("\n"),
    );
  }
}

/** Starts a drill, dry-run or failover; a failover for an open incident reuses its id and name. */
export async function startRun(ctx: Context, invocation: Invocation): Promise<Started> {
  const mode = Failover.Mode.parse(invocation.command);
  let incidentId = invocation.incidentId;
  /** Set when the run may take the monitor's name for the incident (no execution for it yet). */
  let namedIncident: string | undefined;
  if (mode === "failover") {
    const state = await Health.loadState(healthStore(ctx), watchedTarget(ctx));
    const incident = state.incident;
    if (incident?.executionArn && (incidentId === undefined || incidentId === incident.id)) {
      const existing = await ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn: incident.executionArn }));
      if (existing.status === "RUNNING" || existing.status === "SUCCEEDED") {
        throw new RefusedError(
          `the health monitor already started the failover for incident ${incident.id} (${existing.status}):\n  ${Operations.executionConsoleUrl(incident.executionArn)}`,
        );
      }
    }
    incidentId ??= incident?.id;
    // A second run for the same incident (after a rollback or NeedsOperator) needs a new name.
    if (incident && incidentId === incident.id && !incident.executionArn) namedIncident = incident.id;
  }
  await requireNoneRunning(ctx);
  const now = ctx.now();
  const name = Operations.executionName(mode, ctx.config.stage, now, namedIncident);
  const input = buildInput(invocation, ctx.caller, incidentId);
  try {
    const out = await ctx.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: ctx.stateMachineArn, name, input: JSON.stringify(input) }));
    const executionArn = out.executionArn ?? Operations.executionArn(ctx.stateMachineArn, name);
    return { mode, name, executionArn, input, startedAt: out.startDate ?? now, consoleUrl: Operations.executionConsoleUrl(executionArn) };
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) {
      throw new MissingStackError(`state machine ${ctx.names.stateMachine} does not exist in ${ctx.region}: deploy that region (pnpm deploy:all --stage ${ctx.config.stage})`, { cause: error });
    }
    if (error instanceof ExecutionAlreadyExists) {
      const arn = Operations.executionArn(ctx.stateMachineArn, name);
      throw new RefusedError(`an execution named ${name} already exists with another input; look at it first:\n  ${Operations.executionConsoleUrl(arn)}`, { cause: error });
    }
    throw error;
  }
}

export interface Finished {
  status: string;
  stoppedAt?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** One line per transition an operator cares about, from an execution history event; undefined to skip. */
export function describeHistoryEvent(event: HistoryEvent, entered: Map<string, number>): string | undefined {
  const at = time(event.timestamp);
  switch (event.type) {
    case "ExecutionStarted":
      return `${at}  execution started`;
    case "ExecutionSucceeded":
      return `${at}  execution succeeded`;
    case "ExecutionFailed":
      return `${at}  execution FAILED: ${event.executionFailedEventDetails?.error ?? "?"}: ${event.executionFailedEventDetails?.cause ?? ""}`;
    case "ExecutionTimedOut":
      return `${at}  execution TIMED OUT (docs/runbook.md, "An execution timed out or was aborted")`;
    case "ExecutionAborted":
      return `${at}  execution ABORTED`;
    case "TaskFailed":
    case "LambdaFunctionFailed":
      return `${at}    ✗ ${event.taskFailedEventDetails?.error ?? event.lambdaFunctionFailedEventDetails?.error ?? "error"}`;
    case "TaskTimedOut":
    case "LambdaFunctionTimedOut":
      return `${at}    ✗ timed out`;
    default: {
      const name = event.stateEnteredEventDetails?.name;
      if (!name || !event.type?.endsWith("StateEntered")) return undefined;
      // A polling loop enters the same states every few seconds: show the first entry and every tenth.
      const n = (entered.get(name) ?? 0) + 1;
      entered.set(name, n);
      if (n === 1) return `${at}  → ${name}`;
      return n % 10 === 0 ? `${at}  → ${name} (${n}th time)` : undefined;
    }
  }
}

const time = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

/** History events after `afterId`, oldest first (newest pages are read until `afterId` is reached). */
async function newHistoryEvents(ctx: Context, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100, nextToken }));
    const fresh = (page.events ?? []).filter((e) => (e.id ?? 0) > afterId);
    events.push(...fresh);
    nextToken = fresh.length === (page.events ?? []).length ? page.nextToken : undefined;
  } while (nextToken);
  return events.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

/**
 * Polls until the execution ends or `timeoutMs` passes (then status RUNNING). With `onTransition`,
 * each poll also reads the new execution history events and reports each state entered.
 */
export async function waitForExecution(
  ctx: Context,
  executionArn: string,
  options: { intervalMs: number; timeoutMs: number; sleep?: (ms: number) => Promise<void>; onTransition?: (line: string) => void },
): Promise<Finished> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = ctx.now().getTime() + options.timeoutMs;
  let lastId = 0;
  const entered = new Map<string, number>();
  for (;;) {
    const out = await ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    // Read after DescribeExecution, so an ended execution's last events are printed too.
    if (options.onTransition) {
      for (const event of await newHistoryEvents(ctx, executionArn, lastId)) {
        lastId = Math.max(lastId, event.id ?? 0);
        const line = describeHistoryEvent(event, entered);
        if (line) options.onTransition(line);
      }
    }
    const status = out.status ?? "UNKNOWN";
    if (status !== "RUNNING") {
      return { status, stoppedAt: out.stopDate, output: parseOutput(out.output), error: out.error, cause: out.cause };
    }
    if (ctx.now().getTime() >= deadline) return { status };
    await sleep(options.intervalMs);
  }
}

function parseOutput(output: string | undefined): unknown {
  if (output === undefined) return undefined;
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return output;
  }
}

export interface Closed {
  incident: Health.Incident;
  closedBy: string;
  note: string;
}

/** Closes the open incident (or the named one) through the same core function as the close-incident Lambda. */
export async function closeOpenIncident(ctx: Context, invocation: Invocation): Promise<Closed> {
  const store = healthStore(ctx);
  const target = watchedTarget(ctx);
  const state = await Health.loadState(store, target);
  const incident = state.incident;
  if (!incident) throw new RefusedError(`no incident is open on ${target} for stage ${ctx.config.stage}: nothing to close`);
  const incidentId = invocation.incidentId ?? incident.id;
  const request = Health.CloseIncidentInput.safeParse({ incidentId, closedBy: invocation.requestedBy ?? ctx.caller, note: invocation.note });
  if (!request.success) throw new UsageError(request.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  if (incident.id === incidentId && incident.executionArn) {
    const execution = await ctx.clients.sfn.send(new DescribeExecutionCommand({ executionArn: incident.executionArn }));
    if (execution.status === "RUNNING") {
      throw new RefusedError(
        `the failover for incident ${incident.id} is still running; close the incident after it ends:\n  ${Operations.executionConsoleUrl(incident.executionArn)}`,
      );
    }
  }
  try {
    await Health.closeIncident(store, { target, ...request.data }, ctx.now);
  } catch (error) {
    if (error instanceof Health.IncidentNotOpenError) throw new RefusedError(error.message, { cause: error });
    throw error;
  }
  return { incident, closedBy: request.data.closedBy, note: request.data.note ?? "" };
}
