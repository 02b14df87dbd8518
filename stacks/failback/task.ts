/**
 * One failback Task: the failover's Task rules (stacks/failover/task.ts) with the failback's
 * step names and timeouts: the whole state as payload, the function's response under its own
 * key, a timeout, and Retry on the same transient errors with backoff and full jitter.
 */
import { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { transientErrors } from "../failover/steps";
import type { TaskOptions } from "../failover/task";
import { failbackTaskTimeoutSeconds, type FailbackStepName } from "./steps";

export type FailbackFunctions = Record<FailbackStepName, lambda.IFunction>;

export function invokeStep(scope: Construct, step: FailbackStepName, fn: lambda.IFunction, o: TaskOptions): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, step, {
    lambdaFunction: fn,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: o.resultPath === null ? sfn.JsonPath.DISCARD : o.resultPath,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(failbackTaskTimeoutSeconds(step))),
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
  task.addRetry({ errors: transientErrors, interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, maxDelay: Duration.seconds(20), jitterStrategy: sfn.JitterType.FULL });
  return task;
}
