/**
 * What the Failover and Failback stacks wire the same way, written once: one small Lambda per
 * step (its handler file named after the step, its timeout 5 s under its Task's so the Lambda
 * reports first), and the Standard state machine around the definition, with full logging (ALL,
 * with execution data, kept a year) and X-Ray, and the cdk-nag reason for CDK's LambdaInvoke grants.
 */
import { Function, type FunctionProps } from "sst/constructs";
import { type CfnElement, type Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { IConstruct } from "constructs";
import { suppress } from "../nag";
import { handlerFile } from "./task";

/** One step's Lambda: `packages/functions/src/<step-file>.handler`, 256 MB. */
export function stepFunction(stack: Stack, step: string, o: { description: string; taskTimeoutSeconds: number; environment: Record<string, string>; nodejs?: FunctionProps["nodejs"] }): Function {
  return new Function(stack, step, {
    handler: `packages/functions/src/${handlerFile(step)}.handler`,
    description: o.description,
    timeout: o.taskTimeoutSeconds - 5,
    memorySize: 256,
    environment: o.environment,
    ...(o.nodejs ? { nodejs: o.nodejs } : {}),
  });
}

/** The Standard state machine named `name` running `definition`, its log group, and the suppression for its step functions' grants. */
export function workflowMachine(
  stack: Stack,
  o: { ids: { machine: string; logs: string }; name: string; comment: string; definition: sfn.IChainable; timeout: Duration; isDevelopment: boolean; functions: IConstruct[] },
): sfn.StateMachine {
  const logGroup = new logs.LogGroup(stack, o.ids.logs, {
    logGroupName: `/aws/vendedlogs/states/${o.name}`,
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: o.isDevelopment ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  const machine = new sfn.StateMachine(stack, o.ids.machine, {
    stateMachineName: o.name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: o.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(o.definition),
    timeout: o.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  suppress(machine, [
    {
      id: "AwsSolutions-IAM5",
      reason: "CDK's LambdaInvoke grants each step function and its versions (<arn>:*); X-Ray and CloudWatch Logs delivery actions have no resource-level permissions.",
      appliesTo: ["Resource::*", ...o.functions.map((fn) => `Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`)],
    },
  ]);
  return machine;
}
