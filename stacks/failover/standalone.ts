/**
 * The failover definition synthesized on its own, in a bare stack with placeholder
 * functions: the same phase builders the Failover stack uses, for tests and tools that need
 * the rendered ASL without the whole app (which needs both regions' stacks).
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { Failover } from "@pilot-light/core";
import { Template } from "aws-cdk-lib/assertions";
import { failoverDefinition } from "./phases";
import { stepNames } from "./steps";
import type { StepFunctions } from "./task";

export function standaloneFailoverTemplate(region = "eu-central-1"): Template {
  const app = new App();
  const stack = new Stack(app, "FailoverStandalone", { env: { region, account: "000000000000" } });
  const fns = {} as StepFunctions;
  for (const step of stepNames) {
    fns[step] = new lambda.Function(stack, step, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => ({});"),
    });
  }
  new sfn.StateMachine(stack, "StateMachine", {
    stateMachineName: "pilot-light-standalone-failover",
    definitionBody: sfn.DefinitionBody.fromChainable(failoverDefinition(new Construct(stack, "Definition"), fns)),
    timeout: Duration.seconds(Failover.executionTimeoutSeconds),
    tracingEnabled: true,
  });
  return Template.fromStack(stack);
}
