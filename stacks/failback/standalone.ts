/**
 * The failback definition synthesized on its own, in a bare stack with placeholder functions:
 * the same phase builders the Failback stack uses, for the executions in tests and the rehearsal.
 * Each function gets its step's grants exactly as the Failback stack gives them (./grants.ts), on
 * the resources named by the template's parameters (`standaloneFailbackParameters`), which
 * whoever runs the steps binds to its own resources (the world: packages/world/src/roles.ts).
 */
import { App, CfnParameter, Duration, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { Template } from "aws-cdk-lib/assertions";
import { grantFailbackStep, probeStatements, type FailbackResources } from "./grants";
import { failbackDefinition } from "./phases";
import { failbackStepNames, failbackTimeoutHours } from "./steps";
import type { FailbackFunctions } from "./task";

/** The resources the failback steps' grants name, as template parameters (their logical ids). */
export const standaloneFailbackParameters = [
  "Prefix",
  "PrimaryRegion",
  "DrRegion",
  "TableArn",
  "PrimaryBucket",
  "DrBucket",
  "ReverseRoleArn",
  "SecretName",
  "HostedZoneId",
  "TopicArn",
  "TopicKeyArn",
] as const;

/** The parameters an adopted primary's names add (`standaloneFailbackTemplate(..., { adopted: true })`). */
export const adoptedPrimaryParameters = ["PrimaryDb", "PrimaryParameterGroup", "PrimaryCluster", "PrimaryService"] as const;

export function standaloneFailbackTemplate(region = "eu-central-1", recordName = "app.example.com", options: { adopted?: boolean } = {}): Template {
  const app = new App();
  const stack = new Stack(app, "FailbackStandalone", { env: { region, account: "000000000000" } });
  const p = Object.fromEntries(standaloneFailbackParameters.map((name) => [name, new CfnParameter(stack, name, { type: "String" }).valueAsString])) as Record<(typeof standaloneFailbackParameters)[number], string>;
  const topic = sns.Topic.fromTopicAttributes(stack, "Topic", { topicArn: p.TopicArn, keyArn: p.TopicKeyArn });
  const resources: FailbackResources = {
    stack,
    prefix: p.Prefix,
    regions: { primary: p.PrimaryRegion, dr: p.DrRegion },
    tableArn: p.TableArn,
    buckets: { primary: p.PrimaryBucket, dr: p.DrBucket },
    reverseRoleArn: p.ReverseRoleArn,
    secretName: p.SecretName,
    hostedZoneId: p.HostedZoneId,
    recordName,
  };
  if (options.adopted) {
    const a = Object.fromEntries(adoptedPrimaryParameters.map((name) => [name, new CfnParameter(stack, name, { type: "String" }).valueAsString])) as Record<(typeof adoptedPrimaryParameters)[number], string>;
    resources.adoptedPrimary = { db: a.PrimaryDb, parameterGroup: a.PrimaryParameterGroup, cluster: a.PrimaryCluster, service: a.PrimaryService };
  }
  const fns = {} as FailbackFunctions;
  for (const step of failbackStepNames) {
    const fn = new lambda.Function(stack, step, { runtime: lambda.Runtime.NODEJS_22_X, handler: "index.handler", code: lambda.Code.fromInline("exports.handler = async () => ({});") });
    grantFailbackStep(fn, step, resources, (g) => topic.grantPublish(g));
    fns[step] = fn;
  }
  new sfn.StateMachine(stack, "StateMachine", {
    stateMachineName: "pilot-light-standalone-failback",
    definitionBody: sfn.DefinitionBody.fromChainable(failbackDefinition(new Construct(stack, "Definition"), fns)),
    timeout: Duration.hours(failbackTimeoutHours),
    tracingEnabled: true,
  });
  return Template.fromStack(stack);
}

/**
 * The DB probe (stacks/Probe.ts, in both regions) on its own: a placeholder function with the
 * probe's grant exactly as the Probe stack gives it, on the secret named by the `SecretName`
 * parameter, for the world to authorise the real handler's call against.
 */
export function standaloneProbeTemplate(region: string): Template {
  const app = new App();
  const stack = new Stack(app, "ProbeStandalone", { env: { region, account: "000000000000" } });
  const secretName = new CfnParameter(stack, "SecretName", { type: "String" }).valueAsString;
  const fn = new lambda.Function(stack, "DbProbe", { runtime: lambda.Runtime.NODEJS_22_X, handler: "index.handler", code: lambda.Code.fromInline("exports.handler = async () => ({});") });
  for (const statement of probeStatements(stack, secretName)) fn.addToRolePolicy(statement);
  return Template.fromStack(stack);
}
