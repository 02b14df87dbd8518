/**
 * One failover Task: the shared Task rules (stacks/workflow/task.ts) with the failover's step
 * names and timeouts. Catches are added by the phase builders, which know where compensation starts.
 */
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { lambdaTask, type TaskOptions } from "../workflow/task";
import { taskTimeoutSeconds, type StepName } from "./steps";

export { recordFailure, type TaskOptions } from "../workflow/task";

export type StepFunctions = Record<StepName, lambda.IFunction>;

export function invoke(scope: Construct, step: StepName, fn: lambda.IFunction, o: TaskOptions, id: string = step): tasks.LambdaInvoke {
  return lambdaTask(scope, id, fn, taskTimeoutSeconds(step), o);
}
