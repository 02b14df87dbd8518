/**
 * The failback definition synthesized on its own, in a bare stack with placeholder functions:
 * the same phase builders the Failback stack uses, for the executions in tests and the rehearsal.
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { Template } from "aws-cdk-lib/assertions";
import { failbackDefinition } from "./phases";
import { failbackStepNames, failbackTimeoutHours } from "./steps";
import type { FailbackFunctions } from "./task";

export function standaloneFailbackTemplate(region = "eu-central-1"): Template {
  const app = new App();
  const stack = new Stack(app, "FailbackStandalone", { env: { region, account: "000000000000" } });
  const fns = {} as FailbackFunctions;
  for (const step of failbackStepNames) {
    fns[step] = new lambda.Function(stack, step, { runtime: lambda.Runtime.NODEJS_22_X, handler: "index.handler", code: lambda.Code.fromInline("exports.handler = async () => ({});") });
  }
  new sfn.StateMachine(stack, "StateMachine", {
    stateMachineName: "pilot-light-standalone-failback",
    definitionBody: sfn.DefinitionBody.fromChainable(failbackDefinition(new Construct(stack, "Definition"), fns)),
    timeout: Duration.hours(failbackTimeoutHours),
    tracingEnabled: true,
  });
  return Template.fromStack(stack);
}
