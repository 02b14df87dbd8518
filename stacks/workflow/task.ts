/**
 * The pieces both state machines (the failover's, stacks/failover, and the failback's,
 * stacks/failback) are built from, written once:
 * - one Task = one Lambda invocation with the project's rules: the whole state as payload, the
 *   function's own response (payloadResponseOnly) under its own key (resultPath keeps the input),
 *   a timeout, and Retry on named transient errors with exponential backoff and full jitter;
 * - the retry policies the steps share (a replica RDS will not promote yet, a Lambda that timed
 *   out after its write applied);
 * - the chains: a step whose failure is recorded and skipped (bookkeeping, telling people), a
 *   failure recorded for compensation, the lock taken or the run stopped, a Choice + Wait polling
 *   loop with its cap, compensation's look-again-until-settled assessment.
 * Catches are added by the phase builders, which know where compensation starts.
 */
import { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { Failover } from "@pilot-light/core";

/** Errors worth retrying on every Task: our transient AWS error and Lambda's own service errors. */
export const transientErrors = [
  "AwsTransientError",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];

/** A named retry with its own pacing (backoff 1.5 and at most 60 s apart unless said). */
export interface RetryPolicy {
  errors: string[];
  intervalSeconds: number;
  maxAttempts: number;
  backoffRate?: number;
  maxDelaySeconds?: number;
  /** false: every wait is the full interval, so interval × attempts is the least it waits in all (a deadline that must cover a known duration). */
  jitter?: boolean;
}

export interface TaskOptions {
  resultPath: string | null;
  payload?: sfn.TaskInput;
  /** Extra named retryable errors with their own pacing (e.g. DrUnhealthyError), in order. */
  retry?: RetryPolicy | readonly RetryPolicy[];
  comment?: string;
}

/** Retry on a replica that is not ready yet (backing-up, ...): minutes, not seconds. */
export const notReady: RetryPolicy = { errors: ["ReplicaNotReadyError"], ...Failover.notReadyRetry };

/**
 * A step that reads before it writes is asked again when its Lambda timed out (perhaps after its
 * write applied): the retry finds the effect and reports it instead of a failure.
 */
export const askAgainAfterTimeout: RetryPolicy = { errors: ["Lambda.Unknown", "States.Timeout"], intervalSeconds: 2, maxAttempts: 2, backoffRate: 2, maxDelaySeconds: 10 };

/** "PromoteReplica" → "promote-replica": a step's handler file in packages/functions/src. */
export function handlerFile(step: string): string {
  return step.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "-") + c.toLowerCase());
}

export const isMode = (mode: string) => sfn.Condition.stringEquals("$.run.mode", mode);

/** One step's Task (state `id`, the step's Lambda `fn`, its timeout) with the rules above. */
export function lambdaTask(scope: Construct, id: string, fn: lambda.IFunction, timeoutSeconds: number, o: TaskOptions): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: o.resultPath === null ? sfn.JsonPath.DISCARD : o.resultPath,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(timeoutSeconds)),
    ...(o.payload ? { payload: o.payload } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
  });
  for (const retry of o.retry === undefined ? [] : "errors" in o.retry ? [o.retry] : o.retry) {
    task.addRetry({
      errors: retry.errors,
      interval: Duration.seconds(retry.intervalSeconds),
      maxAttempts: retry.maxAttempts,
      backoffRate: retry.backoffRate ?? 1.5,
      maxDelay: Duration.seconds(retry.maxDelaySeconds ?? 60),
      jitterStrategy: retry.jitter === false ? sfn.JitterType.NONE : sfn.JitterType.FULL,
    });
  }
  task.addRetry({
    errors: transientErrors,
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
    maxDelay: Duration.seconds(20),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/**
 * The Pass state a Catch leads to: records which step failed and why under `$.failure`,
 * so compensation and the failure notification can name it.
 */
export function recordFailure(scope: Construct, step: string): sfn.Pass {
  return new sfn.Pass(scope, `${step}Failed`, {
    comment: `${step} failed: remember the step and its error for compensation`,
    parameters: { step, "error.$": "$.failure.Error", "cause.$": "$.failure.Cause" },
    resultPath: "$.failure",
  });
}

/** A Task whose failure goes to compensation, recorded under its name. */
export function guarded<T extends sfn.TaskStateBase | sfn.Parallel>(scope: Construct, task: T, step: string, compensate: sfn.IChainable): T {
  task.addCatch(recordFailure(scope, step).next(compensate), { resultPath: "$.failure" });
  return task;
}

/**
 * A step that must never hold up what comes next (telling people, recording, bookkeeping): its
 * error is kept under `errorPath` and `next` runs either way.
 */
export function thenEvenIfFailed(task: sfn.TaskStateBase, next: sfn.IChainable, errorPath: string): sfn.TaskStateBase {
  task.addCatch(next, { resultPath: errorPath });
  task.next(next);
  return task;
}

/**
 * How a run ends once its outcome is known: record it, then tell people, then `end`; neither
 * failing stops the other (each error is kept under its own key).
 */
export function recordThenNotify(record: sfn.TaskStateBase, notify: sfn.TaskStateBase, end: sfn.IChainable, errorPaths: { record: string; notify: string }): sfn.IChainable {
  thenEvenIfFailed(notify, end, errorPaths.notify);
  return thenEvenIfFailed(record, notify, errorPaths.record);
}

/**
 * The lock (LOCK#failover, shared by failovers, drills and failbacks) or the run stops there: held
 * by another run (FailoverLockedError) or not takeable at all, each its own Fail state.
 */
export function lockOrStop(scope: Construct, lock: sfn.TaskStateBase, ends: { held: { id: string; comment?: string }; notAcquired: { id: string; comment?: string } }): sfn.TaskStateBase {
  const fail = (o: { id: string; comment?: string }) => new sfn.Fail(scope, o.id, { ...(o.comment ? { comment: o.comment } : {}), errorPath: "$.failure.Error", causePath: "$.failure.Cause" });
  lock.addCatch(fail(ends.held), { errors: ["FailoverLockedError"], resultPath: "$.failure" });
  lock.addCatch(fail(ends.notAcquired), { resultPath: "$.failure" });
  return lock;
}

/** A polling loop's cap: the longest wait is interval × attempts. */
export interface PollCap {
  intervalSeconds: number;
  maxAttempts: number;
}

/**
 * A Task polled in a Choice + Wait loop until `done` holds (then `next`), or until its attempts
 * reach the cap (then `timedOut`). Returns the Choice (where the first call leads) and the Wait
 * (to start by waiting).
 */
export function pollLoop(scope: Construct, o: { ids: { wait: string; choice: string }; check: sfn.TaskStateBase; done: sfn.Condition; attemptsPath: string; cap: PollCap; next: sfn.IChainable; timedOut: sfn.IChainable }): { choice: sfn.Choice; wait: sfn.Wait } {
  const wait = new sfn.Wait(scope, o.ids.wait, { time: sfn.WaitTime.duration(Duration.seconds(o.cap.intervalSeconds)) });
  wait.next(o.check);
  const choice = new sfn.Choice(scope, o.ids.choice).when(o.done, o.next).when(sfn.Condition.numberGreaterThanEquals(o.attemptsPath, o.cap.maxAttempts), o.timedOut).otherwise(wait);
  o.check.next(choice);
  return { choice, wait };
}

/**
 * Compensation's assessment: a promote call whose answer was lost may show its effect only
 * within RDS's acceptance window, so the assessment is asked again, `cap` apart, until it says it
 * is settled; at the cap, or when it cannot be read at all, `assumeStarted` (the worst: a promotion
 * may have started). Returns the assessment Task (compensation's entry).
 */
export function assessUntilSettled(
  scope: Construct,
  o: { assess: sfn.TaskStateBase; ids: { wait: string; choice: string }; waitComment: string; settled: sfn.Condition; cap: PollCap; decide: sfn.IChainable; assumeStarted: sfn.IChainable },
): sfn.TaskStateBase {
  o.assess.addCatch(o.assumeStarted, { resultPath: "$.assessmentError" });
  const wait = new sfn.Wait(scope, o.ids.wait, { comment: o.waitComment, time: sfn.WaitTime.duration(Duration.seconds(o.cap.intervalSeconds)) }).next(o.assess);
  o.assess.next(
    new sfn.Choice(scope, o.ids.choice)
      .when(o.settled, o.decide)
      .when(sfn.Condition.numberGreaterThanEquals("$.assessment.attempts", o.cap.maxAttempts), o.assumeStarted)
      .otherwise(wait),
  );
  return o.assess;
}

/** Compensation's entry: a dry-run touched nothing, so it just fails (`dryRunFail`); anything else is assessed. */
export function compensateOrStop(scope: Construct, id: string, dryRunFail: sfn.Fail, assess: sfn.IChainable): sfn.IChainable {
  return new sfn.Choice(scope, id).when(isMode("dry-run"), dryRunFail).otherwise(assess);
}
