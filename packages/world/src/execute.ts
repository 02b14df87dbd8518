/**
 * Runs a state machine definition (the extracted, synthesized ASL) with aws-local-stepfunctions,
 * each Task bound to a local function (the real handler), on the world's virtual clock:
 * the Task that follows a Wait state first sleeps that many virtual seconds (or until its
 * timestamp), so polling loops see the world progress exactly as it would in the cloud. A
 * retried Task first sleeps its Retry pause in virtual time (IntervalSeconds × BackoffRate^n,
 * capped by MaxDelaySeconds, times `retryJitter` when its JitterStrategy is FULL, 0.5 by default:
 * the mean of full jitter),
 * and every Task can take
 * `taskSeconds` of virtual time. Timeouts are virtual too, as Step Functions and Lambda apply
 * them: a Task whose handler is still running (e.g. waiting on a call to a region that is down)
 * when its `TimeoutSeconds` pass fails with `States.Timeout` at that moment, and one whose
 * Lambda timeout (`lambdaTimeoutSeconds`) passes first fails with `Lambda.Unknown`; either way
 * the invocation is stopped, so nothing it was waiting for ever returns. Returns the result or
 * error and the states entered, in order. Given the world, the execution is one of its Step
 * Functions executions: StopExecution stops it (no later state runs), its history is kept,
 * the definition's TimeoutSeconds ends it TIMED_OUT in virtual time, and its end goes to the
 * world's status-change listeners (the EventBridge rule that runs ExecutionEnded).
 */
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { VirtualClock } from "./clock";
import { iamOf, type WorldIam } from "./iam";
import type { DownRegions, WorldState } from "./model";
import { Scheduler } from "./scheduler";
import { regionalCopy } from "./roles";
import { executionArnOf, HistoryRecorder, type ExecutionStatus, type LocalEvent, type WorldExecution } from "./stepfunctions";

type Json = Parameters<StateMachine["run"]>[0];

export interface AslState {
  Type: string;
  Next?: string;
  Seconds?: number;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

/** Every state of a definition, including those inside Parallel branches. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.Branches ?? []).flatMap((b) => allStates(b)),
  ]);
}

/**
 * The function a Task invokes, as its template names it: the last part of the Lambda ARN in
 * `Parameters.FunctionName` (lambda:invoke) or `Resource` (a direct function ARN).
 */
export function taskFunctionId(state: AslState): string | undefined {
  const parameters = state.Parameters as { FunctionName?: unknown } | undefined;
  const arn = typeof parameters?.FunctionName === "string" ? parameters.FunctionName : typeof state.Resource === "string" && state.Resource.includes(":function:") ? state.Resource : undefined;
  return arn?.split(":function:")[1]?.split(":")[0];
}

/** How a Wait state waits: seconds, seconds at a path, or until the timestamp at a path. */
export type WaitSpec = number | string | { timestampPath: string };

/**
 * Task name → the Wait state whose Next it is: its `Seconds`, its `SecondsPath`, or its
 * `TimestampPath` (read from the Task's input, which is the Wait's: a Wait passes its input on
 * unchanged; a Task also entered from elsewhere finds nothing at the path there and waits 0).
 */
export function waitsBefore(definition: AslDefinition): Map<string, WaitSpec> {
  const map = new Map<string, WaitSpec>();
  for (const [, state] of allStates(definition)) {
    if (state.Type !== "Wait" || !state.Next) continue;
    if (typeof state.Seconds === "number") map.set(state.Next, state.Seconds);
    else if (typeof state.SecondsPath === "string") map.set(state.Next, state.SecondsPath);
    else if (typeof state.TimestampPath === "string") map.set(state.Next, { timestampPath: state.TimestampPath });
  }
  return map;
}

/** The value at a simple reference path (`$.a.b`) of a Task's input. */
function valueAt(input: unknown, path: string): unknown {
  let value: unknown = input;
  for (const key of path.replace(/^\$\.?/, "").split(".").filter(Boolean)) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/**
 * The virtual seconds a Wait spends before its Task: a number of seconds (0 when absent), or
 * until a timestamp, read to the second as Step Functions reads it (milliseconds truncated);
 * a timestamp already past (or absent) waits nothing.
 */
export function waitSeconds(wait: WaitSpec, input: unknown, nowMs: number): number {
  if (typeof wait === "number") return wait;
  if (typeof wait === "string") {
    const value = valueAt(input, wait);
    return typeof value === "number" && value > 0 ? value : 0;
  }
  const value = valueAt(input, wait.timestampPath);
  const untilMs = typeof value === "string" ? Math.floor(Date.parse(value) / 1000) * 1000 : Number.NaN;
  return Number.isFinite(untilMs) && untilMs > nowMs ? (untilMs - nowMs) / 1000 : 0;
}

export type LocalHandler = (input: unknown) => Promise<unknown>;

export interface ExecuteOptions {
  clock: VirtualClock;
  handlers: Record<string, LocalHandler>;
  executionName: string;
  /** Fraction of the computed Retry pause actually waited by a FULL-jitter retrier (full jitter draws from [0, 1)). */
  retryJitter?: () => number;
  /** Virtual seconds a Task invocation takes (cold start, API latency); 0 by default. */
  taskSeconds?: (state: string) => number;
  /** The Lambda function's timeout behind a Task, seconds; none by default. */
  lambdaTimeoutSeconds?: (state: string) => number | undefined;
  /** The world whose Step Functions execution this is (StopExecution, history, status-change events). */
  world?: WorldState;
  /**
   * The IAM that authorises the Tasks' calls, when not the world's (a run that is not one of the
   * world's Step Functions executions still runs each function as its role).
   */
  iam?: WorldIam;
  /** The state machine's ARN (the execution's ARN derives from it); a local one by default. */
  stateMachineArn?: string;
  /**
   * The copy of the state machine deployed in this region (the orchestrator runs in both): each
   * Task runs as its function's copy there, `regionalCopy(functionId, region)` (./roles.ts).
   */
  regionalCopy?: string;
  /**
   * The world's outages, for a run that is not one of the world's executions (default: the
   * world's): while the region of `stateMachineArn` is down the execution makes no progress.
   */
  regionsDown?: DownRegions;
}

/**
 * What Step Functions reports when the function behind a Task times out: Lambda's unhandled
 * error, `Lambda.Unknown` ("Handle Lambda service exceptions", Step Functions developer guide),
 * with Lambda's timeout message as the cause.
 */
export function lambdaTimeoutError(seconds: number, at: Date): Error {
  const message = `${at.toISOString()} Task timed out after ${seconds.toFixed(2)} seconds`;
  return Object.assign(new Error(JSON.stringify({ errorMessage: message })), { name: "Lambda.Unknown" });
}

/** A Task that ran past its TimeoutSeconds (Amazon States Language: States.Timeout). */
export function statesTimeoutError(seconds: number): Error {
  return Object.assign(new Error(`the Task did not finish within its TimeoutSeconds (${seconds} s)`), { name: "States.Timeout" });
}

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  /** FULL: each pause drawn from [0, computed); NONE, the default: the computed pause. */
  JitterStrategy?: string;
}

/** Whether Step Functions retries `error` after `failures` consecutive failures (a matching retrier with attempts left). */
function isRetried(state: AslState, error: string, failures: number): boolean {
  const retrier = ((state.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes("States.ALL"));
  return retrier !== undefined && failures <= (retrier.MaxAttempts ?? 3);
}

/** The pause before retry number `attempt` (0-based) of the retrier matching `error`. */
export function retryPauseSeconds(state: AslState, error: string, attempt: number): number {
  const retrier = ((state.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes("States.ALL"));
  if (!retrier) return 0;
  const pause = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
  return retrier.MaxDelaySeconds === undefined ? pause : Math.min(pause, retrier.MaxDelaySeconds);
}

/** Whether the retrier matching `error` jitters its pauses (JitterStrategy FULL; ASL's default is NONE). */
export function retryJittered(state: AslState, error: string): boolean {
  const retrier = ((state.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes("States.ALL"));
  return retrier?.JitterStrategy === "FULL";
}

export interface ExecutionRecord {
  status: "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";
  output: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order (Parallel branches interleaved). */
  states: string[];
  /** Task retries as "State:Error" entries. */
  retries: string[];
  executionArn: string;
  startedAtMs: number;
  endedAtMs: number;
  wallMs: number;
}

/** Definitions asl-validator has accepted (keyed by the object: nothing outlives its definition). */
const accepted = new WeakSet<AslDefinition>();

export async function executeLocally(definition: AslDefinition, input: unknown, options: ExecuteOptions): Promise<ExecutionRecord> {
  const scheduler = Scheduler.of(options.clock);
  const waits = waitsBefore(definition);
  const tasks = allStates(definition).filter(([, s]) => s.Type === "Task").map(([n]) => n);
  const definitions = new Map(allStates(definition));
  // A Task that invokes the same Lambda as another Task under its own name (state names are
  // unique in a definition) runs that Task's handler, with that Task's Lambda timeout.
  const handlerOf = new Map<string, string>();
  for (const t of tasks) {
    const resource = definitions.get(t)?.Resource;
    const twin = options.handlers[t] ? t : tasks.find((o) => options.handlers[o] && resource !== undefined && definitions.get(o)?.Resource === resource);
    if (twin) handlerOf.set(t, twin);
  }
  const missing = tasks.filter((t) => !handlerOf.has(t));
  if (missing.length > 0) throw new Error(`no local handler for Task state(s): ${missing.join(", ")}`);
  const jitter = options.retryJitter ?? (() => 0.5);
  const executionArn = executionArnOf(options.stateMachineArn ?? "arn:aws:states:local:000000000000:stateMachine:local", options.executionName);
  // Step Functions and Lambda in a region that is down are part of its outage: no Task starts, no
  // Wait ends, no answer arrives; the execution resumes from its last transition when the region
  // answers again, and its TimeoutSeconds counted the outage (docs/aws-behaviour.md).
  const region = executionArn.split(":")[3] ?? "local";
  const outages = options.regionsDown ?? options.world?.regionsDown;
  const timedOut = () => timeoutSeconds !== undefined && options.clock.nowMs() >= startedAtMs + timeoutSeconds * 1000;
  /** Waits until the execution's region answers; false when the execution timed out meanwhile (it is stopped). */
  const resumed = async (): Promise<boolean> => {
    await outages?.whenUp(region);
    if (!timedOut()) return true;
    stop({ status: "TIMED_OUT" });
    return false;
  };
  /** Ends when the execution has ended: no Task may start after it (a stopped execution runs no further state). */
  const ended = new AbortController();
  // Consecutive failures per Task and error, to pace its retries; reset by a success.
  const failures = new Map<string, { error: string; count: number }>();
  // A Task still pending when the execution ends (stopped, timed out) settles then: the
  // library's real-time timer for its TimeoutSeconds is cleared only when the Task settles,
  // and would otherwise keep the process alive for up to that long after the report.
  const endedTask = new Promise<never>((_, reject) => ended.signal.addEventListener("abort", () => reject(new Error("the execution has ended")), { once: true }));
  endedTask.catch(() => undefined);
  const taskResourceLocalHandlers = Object.fromEntries(
    tasks.map((name) => [name, (taskInput: Json) => Promise.race([runTask(name, taskInput), endedTask])]),
  );
  async function runTask(name: string, taskInput: Json): Promise<Json> {
    const failed = failures.get(name);
    const wait = waits.get(name) ?? 0;
    // A retry (its retrier matches and has attempts left) pauses as the retrier says; an entry
    // after a caught failure (a loop back through a Wait) pauses as that Wait says.
    const retrying = failed && isRetried(definitions.get(name) as AslState, failed.error, failed.count);
    const pause = retrying ? retryPauseSeconds(definitions.get(name) as AslState, failed.error, failed.count - 1) * (retryJittered(definitions.get(name) as AslState, failed.error) ? jitter() : 1) : waitSeconds(wait, taskInput, options.clock.nowMs());
    await scheduler.sleep(pause + (options.taskSeconds?.(name) ?? 0), ended.signal);
    // Time may have jumped past the execution's timeout (a test advancing the clock, an outage of
    // its region) without a wait to notice it: no Task starts after the execution has timed out.
    if (!(await resumed())) return endedTask;
    const invocation = new AbortController();
    // An execution that ends (timed out, stopped) ends its running Tasks' invocations with it: their
    // timeouts and hung calls leave the clock, which would otherwise jump on after the run.
    const endInvocation = () => invocation.abort();
    ended.signal.addEventListener("abort", endInvocation, { once: true });
    const fail = async (seconds: number | undefined, error: () => Error): Promise<never> => {
      if (seconds === undefined) return new Promise<never>(() => undefined);
      await scheduler.sleep(seconds, invocation.signal);
      throw error();
    };
    const taskTimeout = (definitions.get(name) as AslState).TimeoutSeconds as number | undefined;
    const lambdaTimeout = options.lambdaTimeoutSeconds?.(handlerOf.get(name) as string);
    // The function runs as its execution role where the world has it (./iam.ts).
    const ownId = taskFunctionId(definitions.get(name) as AslState);
    const functionId = ownId && options.regionalCopy ? regionalCopy(ownId, options.regionalCopy) : ownId;
    const iam = options.iam ?? (options.world ? iamOf(options.world) : undefined);
    const handler = () => (options.handlers[handlerOf.get(name) as string] as LocalHandler)(taskInput);
    const asRole = !iam ? handler : functionId && iam.roles.has(functionId) ? () => iam.runAs(functionId, handler) : () => iam.runUnchecked(name, handler);
    const invokedAtMs = options.clock.nowMs();
    try {
      const answer = await Promise.race([
        scheduler.run(asRole, invocation.signal),
        fail(taskTimeout, () => statesTimeoutError(taskTimeout as number)),
        fail(lambdaTimeout, () => lambdaTimeoutError(lambdaTimeout as number, options.clock.now())),
      ]).then(
        (output) => ({ output: output as Json }),
        (error: unknown) => ({ error }),
      );
      if (outages?.downBetween(region, invokedAtMs, options.clock.nowMs())) await lostAnswer(invokedAtMs, taskTimeout, lambdaTimeout);
      if ("error" in answer) throw answer.error;
      failures.delete(name);
      return answer.output;
    } catch (error) {
      const errorName = (error as Error).name;
      const previous = failures.get(name);
      failures.set(name, { error: errorName, count: previous?.error === errorName ? previous.count + 1 : 1 });
      throw error;
    } finally {
      ended.signal.removeEventListener("abort", endInvocation);
      invocation.abort();
    }
  }
  /**
   * A Task whose region went down while its function ran: whatever the function did (its calls to
   * other regions may have applied), its answer is lost. The Task ends as if still running: at the
   * first of its TimeoutSeconds (`States.Timeout`) and its Lambda timeout (`Lambda.Unknown`), once
   * the region answers again; without either it waits for the execution's own end.
   */
  async function lostAnswer(invokedAtMs: number, taskTimeout: number | undefined, lambdaTimeout: number | undefined): Promise<never> {
    const ends = [
      ...(taskTimeout === undefined ? [] : [{ seconds: taskTimeout, error: () => statesTimeoutError(taskTimeout) }]),
      ...(lambdaTimeout === undefined ? [] : [{ seconds: lambdaTimeout, error: () => lambdaTimeoutError(lambdaTimeout, new Date(invokedAtMs + lambdaTimeout * 1000)) }]),
    ].sort((a, b) => a.seconds - b.seconds);
    const first = ends[0];
    if (!first) return endedTask;
    await scheduler.sleep((invokedAtMs + first.seconds * 1000 - options.clock.nowMs()) / 1000, ended.signal);
    if (!(await resumed())) return endedTask;
    throw first.error();
  }
  const waitTimeOverrides = Object.fromEntries(allStates(definition).filter(([, s]) => s.Type === "Wait").map(([n]) => [n, 0]));
  const retryIntervalOverrides = Object.fromEntries(tasks.map((n) => [n, 0]));
  // asl-validator builds and compiles its JSON schemas afresh on every check (a fifth of a
  // rehearsal's CPU when every execution checked): a definition is checked at its first run only.
  const validationOptions = accepted.has(definition) ? { noValidate: true } : { checkArn: false, checkPaths: true };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions });
  accepted.add(definition);
  const startedAtMs = options.clock.nowMs();
  const wallStart = performance.now();
  const execution = machine.run(input as Json, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: executionArn,
        Name: options.executionName,
        Input: input as Json,
        StartTime: options.clock.now().toISOString(),
      },
    },
  });
  const history = new HistoryRecorder(() => options.clock.now());
  const record = options.world ? registered(options.world, executionArn, options, input, startedAtMs, history) : undefined;
  let stoppedBy: { status: "ABORTED" | "TIMED_OUT"; error?: string; cause?: string } | undefined;
  const stop = (how: NonNullable<typeof stoppedBy>) => {
    if (stoppedBy || ended.signal.aborted) return;
    stoppedBy = how;
    ended.abort();
    execution.abort();
  };
  if (record) record.stop = (error, cause) => stop({ status: "ABORTED", error, cause });
  const timeoutSeconds = typeof definition.TimeoutSeconds === "number" ? definition.TimeoutSeconds : undefined;
  if (timeoutSeconds !== undefined) void scheduler.sleep(timeoutSeconds, ended.signal).then(resumed);
  const states: string[] = [];
  const retries: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      history.record(event as unknown as LocalEvent);
      if (event.type === "StateEntered") states.push(event.state.name);
      if (event.type === "StateRetried") retries.push(`${event.state.name}`);
    }
  })();
  const finish = async (r: Omit<ExecutionRecord, "states" | "retries" | "startedAtMs" | "endedAtMs" | "wallMs" | "executionArn">): Promise<ExecutionRecord> => {
    ended.abort();
    const endedAtMs = options.clock.nowMs();
    history.end(r.status, r.error, r.cause);
    if (record) {
      Object.assign(record, { status: r.status as ExecutionStatus, stopMs: endedAtMs, error: r.error, cause: r.cause });
      delete record.stop;
      // The listeners are Lambdas (ExecutionEnded) doing real I/O against dynalite: work, so
      // virtual time does not jump while they wait on a local socket.
      const world = options.world;
      if (world) await scheduler.run(() => world.executionEnded(record));
    }
    return { ...r, states, retries, executionArn, startedAtMs, endedAtMs, wallMs: performance.now() - wallStart };
  };
  try {
    const output = await execution.result;
    await logging;
    return await finish({ status: "SUCCEEDED", output });
  } catch (error) {
    await logging.catch(() => undefined);
    if (error instanceof ExecutionAbortedError && stoppedBy) return await finish({ status: stoppedBy.status, output: null, error: stoppedBy.error, cause: stoppedBy.cause });
    if (!(error instanceof ExecutionError)) throw error;
    const cause = error.cause as Error;
    return await finish({ status: "FAILED", output: null, error: cause.name, cause: cause.message });
  }
}

/** The world's record of this execution: the one StartExecution created, or a new one. */
function registered(world: WorldState, arn: string, options: ExecuteOptions, input: unknown, startMs: number, history: HistoryRecorder): WorldExecution {
  const existing = world.executions.get(arn);
  const record: WorldExecution = existing ?? {
    arn,
    name: options.executionName,
    stateMachineArn: options.stateMachineArn ?? "",
    input,
    status: "RUNNING",
    startMs,
    stopMs: null,
    history: history.events,
  };
  record.history = history.events;
  record.status = "RUNNING";
  world.executions.set(arn, record);
  return record;
}
