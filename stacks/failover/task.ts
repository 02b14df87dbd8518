/**
 * One Task = one Lambda invocation with the project's rules: the whole state as payload,
 * the function's own response (payloadResponseOnly) under its own key (resultPath keeps the
 * input), a timeout, and Retry on named transient errors with exponential backoff and full
 * jitter. Catches are added by the phase builders, which know where compensation starts.
 */
import { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { taskTimeoutSeconds, transientErrors, type StepName } from "./steps";

export type StepFunctions = Record<StepName, lambda.IFunction>;

export interface TaskOptions {
  resultPath: string | null;
  payload?: sfn.TaskInput;
  /** Extra named retryable errors with their own pacing (e.g. DrUnhealthyError). */
  retry?: { errors: string[]; intervalSeconds: number; maxAttempts: number; backoffRate?: number; maxDelaySeconds?: number };
  comment?: string;
}

export function invoke(scope: Construct, step: StepName, fn: lambda.IFunction, o: TaskOptions, id: string = step): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: o.resultPath === null ? sfn.JsonPath.DISCARD : o.resultPath,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(taskTimeoutSeconds(step))),
    ...(o.payload ? { payload: o.payload } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
  });
  if (o.retry) {
    task.addRetry({
      errors: o.retry.errors,
      interval: Duration.seconds(o.retry.intervalSeconds),
      maxAttempts: o.retry.maxAttempts,
      backoffRate: o.retry.backoffRate ?? 1.5,
      maxDelay: Duration.seconds(o.retry.maxDelaySeconds ?? 60),
      jitterStrategy: sfn.JitterType.FULL,
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
