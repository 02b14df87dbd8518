/**
 * One failback Task: the shared Task rules (stacks/workflow/task.ts) with the failback's step
 * names and timeouts.
 */
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { lambdaTask, type TaskOptions } from "../workflow/task";
import { failbackTaskTimeoutSeconds, type FailbackStepName } from "./steps";

export type FailbackFunctions = Record<FailbackStepName, lambda.IFunction>;

export function invokeStep(scope: Construct, step: FailbackStepName, fn: lambda.IFunction, o: TaskOptions): tasks.LambdaInvoke {
  return lambdaTask(scope, step, fn, failbackTaskTimeoutSeconds(step), o);
}
