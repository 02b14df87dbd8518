/**
 * Each failback step's IAM: specific actions on the stage's own resources in both regions, and
 * publishing to the alerts topic for the notifying steps. The Failback stack grants them to its
 * step functions; the standalone template (./standalone.ts) grants the same to its placeholder
 * functions, and the world (packages/world) authorises every call the step handlers make
 * against them. Kept free of SST so tests and the rehearsal load it without the app.
 */
import { ArnFormat, Aws, type Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { FailbackStepName } from "./steps";

/** The DB probe's deterministic name in each region (stacks/Probe.ts gives it). */
export const probeFunctionName = (prefix: string) => `${prefix}-db-probe`;

/** The DB probe's one call: its own region's copy of the database secret (Secrets Manager appends six random characters to the name in the ARN). */
export function probeStatements(stack: Stack, secretName: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: ["secretsmanager:GetSecretValue"],
      resources: [stack.formatArn({ service: "secretsmanager", resource: "secret", resourceName: `${secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }),
  ];
}

export const notifying: readonly FailbackStepName[] = ["NotifyFailbackStarted", "NotifyFailbackSucceeded", "NotifyFailbackFailed"];

export interface FailbackResources {
  stack: Stack;
  prefix: string;
  regions: { primary: string; dr: string };
  tableArn: string;
  buckets: { primary: string; dr: string };
  reverseRoleArn: string;
  secretName: string;
  hostedZoneId: string | undefined;
  recordName: string | undefined;
  /**
   * An adopted primary's own names (docs/adopt.md): its database (renamed aside as `<db>-r…`, its
   * successors' groups `<db>-g…`), the group the stage names for the fence, its cluster and
   * service. Without it the primary's are pilot-light's, named by prefix.
   */
  adoptedPrimary?: { db: string; parameterGroup: string; cluster: string; service: string } | undefined;
}

/** The IAM statements of one failback step: specific actions on the stage's own resources in both regions. */
export function failbackStatements(step: FailbackStepName, r: FailbackResources): iam.PolicyStatement[] {
  const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) => new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
  const inBoth = (make: (region: string) => string) => [make(r.regions.primary), make(r.regions.dr)];
  const arn = (region: string, service: string, resource: string, resourceName: string, format = ArnFormat.COLON_RESOURCE_NAME) => r.stack.formatArn({ service, region, resource, resourceName, arnFormat: format });
  const adopted = r.adoptedPrimary;
  const inPrimary = (resource: string, ...names: string[]) => names.map((name) => arn(r.regions.primary, "rds", resource, name));
  const dbs = [...inBoth((region) => arn(region, "rds", "db", `${r.prefix}-*`)), ...(adopted ? inPrimary("db", adopted.db, `${adopted.db}-*`) : [])];
  const describeDbs = allow(["rds:DescribeDBInstances"], inBoth((region) => arn(region, "rds", "db", "*")));
  // The stage's DB parameter groups (the Data stack's and each replica's own `<name>-g<time>`): a
  // database kept aside is made read-only in the group it uses.
  const generationGroups = [...inBoth((region) => arn(region, "rds", "pg", `${r.prefix}-*-g*`)), ...(adopted ? inPrimary("pg", `${adopted.db}-g*`) : [])];
  const fenceGroups = (actions: string[]) =>
    allow(actions, [...inBoth((region) => arn(region, "rds", "pg", `${r.prefix}-*`)), ...(adopted ? inPrimary("pg", adopted.parameterGroup, `${adopted.db}-g*`) : [])]);
  const services = adopted
    ? [arn(r.regions.primary, "ecs", "service", `${adopted.cluster}/${adopted.service}`, ArnFormat.SLASH_RESOURCE_NAME), arn(r.regions.dr, "ecs", "service", `${r.prefix}/${r.prefix}-web`, ArnFormat.SLASH_RESOURCE_NAME)]
    : inBoth((region) => arn(region, "ecs", "service", `${r.prefix}/${r.prefix}-web`, ArnFormat.SLASH_RESOURCE_NAME));
  const probes = allow(["lambda:InvokeFunction"], inBoth((region) => arn(region, "lambda", "function", probeFunctionName(r.prefix))));
  const rows = (keys: string[]) => ({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": keys } });
  const lock = allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.tableArn], rows(["LOCK#failover"]));
  const zoneArn = r.hostedZoneId ? r.stack.formatArn({ service: "route53", region: "", account: "", resource: "hostedzone", resourceName: r.hostedZoneId }) : undefined;
  switch (step) {
    case "ValidateFailbackInput":
    case "VerifyNewPrimary":
    case "NotifyFailbackStarted":
    case "NotifyFailbackSucceeded":
    case "NotifyFailbackFailed":
      return [];
    case "AcquireFailbackLock":
      return [allow(["dynamodb:PutItem", "dynamodb:GetItem"], [r.tableArn], rows(["LOCK#failover"]))];
    case "AssessTopology":
      return [describeDbs, allow(["ecs:DescribeServices"], services), probes, ...(zoneArn ? [allow(["route53:ListResourceRecordSets"], [zoneArn])] : [])];
    case "CheckCatchUp":
      return [describeDbs, allow(["ecs:DescribeServices"], services), probes];
    case "PrepareStandbyService":
      // ...and lifts the failover's fence tag off the primary service before it serves again.
      return [allow(["ecs:DescribeServices", "ecs:UpdateService", "ecs:UntagResource"], services)];
    case "StopWrites":
    case "SetStandbyPilotLight":
      return [allow(["ecs:DescribeServices", "ecs:UpdateService"], services)];
    case "CheckStandbyService":
      return [allow(["ecs:DescribeServices"], services), allow(["elasticloadbalancing:DescribeTargetHealth"], ["*"])];
    case "SealOldServing":
      return [describeDbs, probes, allow(["rds:ModifyDBInstance"], dbs), fenceGroups(["rds:DescribeDBParameters", "rds:ModifyDBParameterGroup"])];
    case "PromoteStandby":
      // DescribeEvents: RDS's events since a promote call ("*" only in the Service Authorization Reference).
      return [describeDbs, allow(["rds:PromoteReadReplica"], dbs), allow(["rds:DescribeEvents"], ["*"]), lock];
    case "CheckStandbyPromotion":
      return [describeDbs, allow(["rds:DescribeEvents"], ["*"])];
    case "RestoreDns":
      if (!zoneArn || !r.recordName) return [];
      return [
        allow(["route53:ListResourceRecordSets"], [zoneArn]),
        allow(["route53:ChangeResourceRecordSets"], [zoneArn], { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": [r.recordName.toLowerCase().replace(/\.$/, "")] } }),
      ];
    case "CheckDnsRestore":
      return r.hostedZoneId ? [allow(["route53:GetChange"], [r.stack.formatArn({ service: "route53", region: "", account: "", resource: "change", resourceName: "*" })])] : [];
    case "ReconcileStandbyDatabase":
      return [
        describeDbs,
        allow(["rds:ModifyDBInstance", "rds:CreateDBInstanceReadReplica", "rds:AddTagsToResource"], [...dbs, ...inBoth((region) => arn(region, "rds", "subgrp", "*")), ...inBoth((region) => arn(region, "rds", "og", "*")), ...inBoth((region) => arn(region, "rds", "pg", "*"))]),
        // The replica's own DB parameter group (`<name>-g<time>`), so that a fence can set read_only in it.
        allow(["rds:CreateDBParameterGroup"], generationGroups),
        fenceGroups(["rds:DescribeDBParameters", "rds:ModifyDBParameterGroup"]),
        // A cross-Region encrypted replica: RDS uses the destination Region's key on the caller's behalf.
        allow(["kms:CreateGrant", "kms:DescribeKey"], ["*"], { "ForAnyValue:StringLike": { "kms:ViaService": inBoth((region) => `rds.${region}.amazonaws.com`) } }),
      ];
    case "ReverseReplication":
      return [
        allow(["s3:GetReplicationConfiguration", "s3:PutReplicationConfiguration"], [`arn:${Aws.PARTITION}:s3:::${r.buckets.primary}`, `arn:${Aws.PARTITION}:s3:::${r.buckets.dr}`]),
        allow(["iam:PassRole"], [r.reverseRoleArn]),
        allow(["secretsmanager:DescribeSecret", "secretsmanager:ReplicateSecretToRegions"], inBoth((region) => arn(region, "secretsmanager", "secret", `${r.secretName}-??????`))),
      ];
    case "RecordFailback":
    case "RecordFailbackFailure":
      return [allow(["dynamodb:PutItem"], [r.tableArn], rows(["OUTCOME#*"])), allow(["dynamodb:DeleteItem"], [r.tableArn], rows(["LOCK#failover"]))];
    case "AssessFailbackFailure":
      // Closing the promotion fence is one conditional UpdateItem (no read first).
      return [describeDbs, allow(["dynamodb:UpdateItem"], [r.tableArn], rows(["LOCK#failover"]))];
    case "RestoreServing":
      return [describeDbs, allow(["rds:ModifyDBInstance"], dbs), fenceGroups(["rds:DescribeDBParameters", "rds:ResetDBParameterGroup"]), allow(["ecs:DescribeServices", "ecs:UpdateService"], services)];
  }
}

/** Grants one failback step its statements (and publishing, for a notifying step); returns the statements. */
export function grantFailbackStep(fn: lambda.Function, step: FailbackStepName, resources: FailbackResources, grantPublish: (grantee: iam.IGrantable) => void): iam.PolicyStatement[] {
  const statements = failbackStatements(step, resources);
  for (const statement of statements) fn.addToRolePolicy(statement);
  if (notifying.includes(step)) grantPublish(fn);
  return statements;
}

/**
 * Granted actions no test exercises, each with why it stays (`pnpm check:aws` reports any
 * other unexercised grant as unexplained). Keyed by step, then action as granted.
 */
export const unexercisedFailbackGrants: Partial<Record<FailbackStepName, Record<string, string>>> = {};
