/**
 * cdk-nag (AwsSolutions) suppressions, each with its specific reason. Suppressions live next
 * to the resources they concern; this module holds the shared helper and the ones for
 * resources that SST and CDK create on their own.
 */
import type { IConstruct } from "constructs";
import { Stack } from "aws-cdk-lib";
import type { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { NagSuppressions } from "cdk-nag";
// cdk-nag's own flattening, so the names below are exactly those AwsSolutions-IAM5 reports.
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";

export interface Suppression {
  id: string;
  reason: string;
  appliesTo?: string[];
}

export function suppress(construct: IConstruct, suppressions: Suppression[]): void {
  NagSuppressions.addResourceSuppressions(construct, suppressions, true);
}

const providerLambda: Suppression[] = [
  {
    id: "AwsSolutions-IAM4",
    reason: "Provider Lambda created by SST/CDK; the AWS managed basic execution role only lets it write its own logs.",
    appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
  { id: "AwsSolutions-L1", reason: "Provider Lambda created by SST/CDK with the runtime its library ships; not configurable here." },
];

/**
 * The wildcard resources of these statements as AwsSolutions-IAM5 names them
 * (`Resource::arn:<AWS::Partition>:rds:eu-west-1:<AWS::AccountId>:db:pl-prod-*`), so a
 * suppression lists exactly what a function was granted instead of matching any resource.
 */
export function wildcardResources(stack: Stack, statements: PolicyStatement[]): string[] {
  const found = new Set<string>();
  for (const statement of statements) {
    const resolved = stack.resolve(statement.toStatementJson()) as { Resource?: unknown };
    for (const resource of [resolved.Resource ?? []].flat()) {
      const flat = flattenCfnReference(resource);
      if (flat.includes("*")) found.add(`Resource::${flat}`);
    }
  }
  return [...found].sort();
}

/** SST adds a CustomResourceHandler to every stack (stack metadata); CDK adds provider Lambdas. */
export function suppressFrameworkResources(stack: Stack): void {
  for (const child of stack.node.findAll()) {
    const id = child.node.id;
    if (id === "CustomResourceHandler" || /^AWS679f53fac002430cb0da5b7982bd2287$/.test(id)) {
      suppress(child, providerLambda);
    }
  }
}

/** Every project Lambda (an SST Function on the app's defaults). */
export const functionSuppressions: Suppression[] = [
  { id: "AwsSolutions-L1", reason: "nodejs22.x is the project's Lambda runtime (docs/design.md, fixed choices); bundles are built and tested for Node 22." },
  {
    id: "AwsSolutions-IAM4",
    reason: "The AWS managed basic execution role only lets the function write its own CloudWatch logs.",
    appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
];

/** Tracing is active on every function, and X-Ray's write actions take no resource. */
export const tracingSuppression: Suppression = {
  id: "AwsSolutions-IAM5",
  reason: "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (tracing is active on every function).",
  appliesTo: ["Resource::*"],
};

/** A function that publishes to the KMS-encrypted alerts topic (CDK's grantPublish). */
export const publishSuppression: Suppression = {
  id: "AwsSolutions-IAM5",
  reason: "Publishing to the KMS-encrypted alerts topic needs kms:GenerateDataKey* on that one key (CDK's grantPublish).",
  appliesTo: ["Action::kms:GenerateDataKey*"],
};

/** CDK's log-retention provider, one per stack with functions (the app-wide logRetention default). */
export function suppressLogRetention(stack: Stack): void {
  for (const child of stack.node.children) if (child.node.id.startsWith("LogRetention")) suppress(child, logRetentionSuppressions);
}

/** CDK's log-retention provider (functions with `logRetention` set). */
export const logRetentionSuppressions: Suppression[] = [
  {
    id: "AwsSolutions-IAM4",
    reason: "CDK's log-retention provider; the AWS managed basic execution role only lets it write its own logs.",
    appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
  {
    id: "AwsSolutions-IAM5",
    reason: "CDK's log-retention provider sets retention on log groups Lambda creates at first run; their ARNs are not known at synth.",
    appliesTo: ["Resource::*"],
  },
];
