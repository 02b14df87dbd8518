/**
 * The failover definition synthesized on its own, in a bare stack with placeholder
 * functions: the same phase builders the Failover stack uses, for tests and tools that need
 * the rendered ASL without the whole app (which needs both regions' stacks). Each function
 * gets its step's grants exactly as the Failover stack gives them (./grants.ts), on the
 * resources named by the template's parameters (`standaloneParameters`), which whoever runs
 * the steps binds to its own resources (the world: packages/world/src/roles.ts). The health
 * monitor and ExecutionEnded are here too, granted as their stacks grant them (./monitor-grants.ts).
 * `{ adopted: true }` renders the steps as an adopting stage's Failover stack grants them (its
 * ScaleDrService starts the mirror family's latest revision: `MirrorFamily`).
 */
import { App, CfnParameter, Duration, Stack } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { Failover } from "@pilot-light/core";
import { Template } from "aws-cdk-lib/assertions";
import { grantCompleteFence, grantStep, type StepResources } from "./grants";
import { grantExecutionEnded, grantExecutionEndedFailback, grantHealthMonitor, type MonitorResources } from "./monitor-grants";
import { failoverDefinition } from "./phases";
import { stepNames } from "./steps";
import type { StepFunctions } from "./task";

/** The resources the steps' grants name, as template parameters (their logical ids). */
export const standaloneParameters = [
  "TableArn",
  "ReplicaArn",
  "PrimaryArn",
  "DrServiceArn",
  "PrimaryServiceArn",
  "PrimaryParameterGroupArn",
  "PrimaryGenerationGroupsArn",
  "ReplicaParameterGroupArn",
  "ReplicaGenerationGroupsArn",
  "ExecutionsArn",
  "DrSecretArn",
  "HostedZoneId",
  "TopicArn",
  "TopicKeyArn",
  "StateMachineArn",
  "HealthCheckId",
  "FailbackExecutionsArn",
] as const;

export function standaloneFailoverTemplate(region = "eu-central-1", recordName = "app.example.com", options: { adopted?: boolean } = {}): Template {
  const app = new App();
  const stack = new Stack(app, "FailoverStandalone", { env: { region, account: "000000000000" } });
  const p = Object.fromEntries(standaloneParameters.map((name) => [name, new CfnParameter(stack, name, { type: "String" }).valueAsString])) as Record<(typeof standaloneParameters)[number], string>;
  const topic = sns.Topic.fromTopicAttributes(stack, "Topic", { topicArn: p.TopicArn, keyArn: p.TopicKeyArn });
  const resources: StepResources = {
    tableArn: p.TableArn,
    replicaArn: p.ReplicaArn,
    drServiceArn: p.DrServiceArn,
    primaryServiceArn: p.PrimaryServiceArn,
    primaryDbArn: p.PrimaryArn,
    primaryParameterGroupArns: [p.PrimaryParameterGroupArn, p.PrimaryGenerationGroupsArn],
    executionsArn: p.ExecutionsArn,
    drSecretArn: p.DrSecretArn,
    hostedZoneId: p.HostedZoneId,
    recordName,
    grantPublish: (g) => topic.grantPublish(g),
    mirrorFamily: options.adopted ? new CfnParameter(stack, "MirrorFamily", { type: "String" }).valueAsString : undefined,
  };
  const fns = {} as StepFunctions;
  for (const step of stepNames) {
    const fn = new lambda.Function(stack, step, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: "index.handler",
      code: lambda.Code.fromInline("exports.handler = async () => ({});"),
    });
    grantStep(fn, step, resources, stack);
    fns[step] = fn;
  }
  // The scheduled fence completion, granted as the Failover stack grants it.
  const completeFence = new lambda.Function(stack, "CompleteFence", { runtime: lambda.Runtime.NODEJS_22_X, handler: "index.handler", code: lambda.Code.fromInline("exports.handler = async () => ({});") });
  grantCompleteFence(completeFence, resources, p.PrimaryArn, stack);
  // The health monitor and ExecutionEnded, granted as the Monitor and Operations stacks grant them.
  const table = dynamodb.Table.fromTableArn(stack, "Table", p.TableArn);
  const monitorResources: MonitorResources = {
    stack,
    stateMachineArn: p.StateMachineArn,
    executionsArn: p.ExecutionsArn,
    healthCheckId: p.HealthCheckId,
    localDbArn: p.ReplicaArn,
    watchedDbArn: p.PrimaryArn,
    localParameterGroupArns: [p.ReplicaParameterGroupArn, p.ReplicaGenerationGroupsArn],
    hostedZoneId: p.HostedZoneId,
    tableArn: p.TableArn,
    grantTable: (g, ...actions) => table.grant(g, ...actions),
    grantPublish: (g) => topic.grantPublish(g),
  };
  const placeholder = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: "index.handler", code: lambda.Code.fromInline("exports.handler = async () => ({});") });
  grantHealthMonitor(placeholder("HealthMonitor"), monitorResources);
  const executionEnded = placeholder("ExecutionEnded");
  grantExecutionEnded(executionEnded, monitorResources);
  grantExecutionEndedFailback(executionEnded, p.FailbackExecutionsArn);
  new sfn.StateMachine(stack, "StateMachine", {
    stateMachineName: "pilot-light-standalone-failover",
    definitionBody: sfn.DefinitionBody.fromChainable(failoverDefinition(new Construct(stack, "Definition"), fns)),
    timeout: Duration.seconds(Failover.executionTimeoutSeconds),
    tracingEnabled: true,
  });
  return Template.fromStack(stack);
}
