/**
 * Step Functions executions in the emulated world: what StartExecution, StopExecution,
 * DescribeExecution and GetExecutionHistory answer, and the history an execution run by
 * `executeLocally` leaves (built from aws-local-stepfunctions' event log in the shape the
 * Step Functions API gives: TaskStateEntered, TaskFailed, TaskSucceeded, ...). An execution
 * that ends is handed to the world's status-change listeners, as EventBridge's "Step Functions
 * Execution Status Change" rule hands it to ExecutionEnded.
 * A stopped execution runs no further state; a Lambda invocation already running finishes on
 * its own (Lambda has no call that cancels an invocation), its result discarded.
 * Sources: docs/aws-behaviour.md, "Step Functions executions".
 */
import type { HistoryEvent, HistoryEventType } from "@aws-sdk/client-sfn";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface WorldExecution {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: unknown;
  status: ExecutionStatus;
  startMs: number;
  stopMs: number | null;
  error?: string;
  cause?: string;
  /** GetExecutionHistory's events, oldest first. */
  history: HistoryEvent[];
  /** While `executeLocally` runs it: stops it (StopExecution). */
  stop?: (error?: string, cause?: string) => void;
}

/** `arn:aws:states:<region>:<account>:execution:<state machine>:<name>` for a state machine ARN. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

/** The parts of aws-local-stepfunctions' event log the history needs. */
export interface LocalEvent {
  type: string;
  state?: { name: string; type: string };
  Error?: string;
  Cause?: string;
}

/**
 * Turns aws-local-stepfunctions' events into Step Functions history events. Each event of a
 * state points back (previousEventId) at that state's StateEntered event, so the Task an event
 * belongs to is found as in the real history, Parallel branches interleaved or not.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  readonly #entered = new Map<string, number>();
  /** Whether the state's last attempt failed (a retry starts a new attempt). */
  readonly #failed = new Map<string, boolean>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  #push(event: Omit<HistoryEvent, "id" | "timestamp">): number {
    const id = this.events.length + 1;
    this.events.push({ id, timestamp: this.#now(), ...event });
    return id;
  }

  record(event: LocalEvent): void {
    const state = event.state;
    const previous = (name: string) => this.#entered.get(name) ?? this.events.length;
    switch (event.type) {
      case "ExecutionStarted":
        this.#push({ type: "ExecutionStarted", previousEventId: 0 });
        return;
      case "StateEntered":
        if (!state) return;
        this.#entered.set(state.name, this.#push({ type: `${state.type}StateEntered` as HistoryEventType, previousEventId: this.events.length, stateEnteredEventDetails: { name: state.name } }));
        this.#failed.set(state.name, false);
        return;
      case "StateFailed":
        if (!state) return;
        this.#failed.set(state.name, true);
        if (state.type === "Task") {
          this.#push({ type: "TaskFailed", previousEventId: previous(state.name), taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", error: event.Error, cause: event.Cause } });
        }
        return;
      case "StateRetried":
        if (state) this.#failed.set(state.name, false);
        return;
      case "StateExited":
        if (!state) return;
        if (state.type === "Task" && !this.#failed.get(state.name)) this.#push({ type: "TaskSucceeded", previousEventId: previous(state.name), taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke" } });
        this.#push({ type: `${state.type}StateExited` as HistoryEventType, previousEventId: previous(state.name), stateExitedEventDetails: { name: state.name } });
        return;
      default:
        return;
    }
  }

  end(status: ExecutionStatus, error?: string, cause?: string): void {
    const previousEventId = this.events.length;
    if (status === "SUCCEEDED") this.#push({ type: "ExecutionSucceeded", previousEventId });
    if (status === "FAILED") this.#push({ type: "ExecutionFailed", previousEventId, executionFailedEventDetails: { error, cause } });
    if (status === "TIMED_OUT") this.#push({ type: "ExecutionTimedOut", previousEventId, executionTimedOutEventDetails: { error: "States.Timeout" } });
    if (status === "ABORTED") this.#push({ type: "ExecutionAborted", previousEventId, executionAbortedEventDetails: { error, cause } });
  }
}

/**
 * The steps an ended execution's notification must name: every Task whose last attempt failed,
 * or, when none did (a polling loop's cap, an abort), the last Task it entered.
 */
export function failedSteps(history: readonly HistoryEvent[]): string[] {
  const nameOf = (id: number | undefined) => history.find((e) => e.id === id)?.stateEnteredEventDetails?.name;
  const last = new Map<string, boolean>();
  for (const e of history) {
    if (e.type === "TaskFailed") last.set(nameOf(e.previousEventId) ?? "?", false);
    if (e.type === "TaskSucceeded") last.set(nameOf(e.previousEventId) ?? "?", true);
  }
  const failed = [...last].filter(([, ok]) => !ok).map(([name]) => name);
  if (failed.length > 0) return failed;
  const lastTask = history.filter((e) => e.type === "TaskStateEntered").at(-1)?.stateEnteredEventDetails?.name;
  const lastState = history.filter((e) => e.type?.endsWith("StateEntered")).at(-1)?.stateEnteredEventDetails?.name;
  return [...new Set([lastTask, lastState].filter((s): s is string => typeof s === "string"))];
}
