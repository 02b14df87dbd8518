/**
 * Each failover step's IAM: specific actions on specific ARNs, and publishing to the alerts
 * topic for the notifying steps. The Failover stack grants them to its step functions; the
 * standalone template (./standalone.ts) grants the same to its placeholder functions, and the
 * world (packages/world) authorises every call the step handlers make against them. Kept free
 * of SST so tests and the rehearsal load it without the app.
 */
import type { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { StepName } from "./steps";

export interface StepResources {
  tableArn: string;
  replicaArn: string;
  drServiceArn: string;
  primaryServiceArn: string;
  /** The old primary database, read to find the DB parameter group it uses now. */
  primaryDbArn: string;
  /**
   * The groups the fence may set read_only in: the Data stack's primary group, and the groups
   * re-protect gives the replicas it creates in the primary region (`<primary>-g<time>`).
   */
  primaryParameterGroupArns: string[];
  /** Every execution of this state machine (a failover stops a drill's). */
  executionsArn: string;
  /** The DR region's replica of the DB secret (IAM form: any 6-character suffix). */
  drSecretArn: string;
  hostedZoneId: string | undefined;
  recordName: string | undefined;
  /** An adopting stage's DR copy: the mirror family whose latest revision ScaleDrService starts. */
  mirrorFamily?: string | undefined;
  grantPublish(grantee: iam.IGrantable): void;
}

/** The IAM statements of one step: specific actions on specific ARNs. */
export function stepStatements(step: StepName, r: StepResources, stack: Stack): iam.PolicyStatement[] {
  const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
  const unscoped = (action: string) => allow([action], ["*"]);
  const describeReplica = allow(["rds:DescribeDBInstances"], [r.replicaArn]);
  const drService = allow(["ecs:DescribeServices", "ecs:UpdateService"], [r.drServiceArn]);
  const rows = (keys: string[]) => ({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": keys } });
  const zoneArn = r.hostedZoneId ? stack.formatArn({ service: "route53", region: "", account: "", resource: "hostedzone", resourceName: r.hostedZoneId }) : undefined;
  switch (step) {
    case "ValidateInput":
    case "VerifyDrHealth":
    case "NotifyStarted":
    case "NotifySucceeded":
    case "NotifyFailed":
    case "RetryServing":
      return [];
    case "AcquireLock":
      return [
        allow(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], [r.tableArn], rows(["LOCK#failover"])),
        // A failover that finds a drill holding the lock stops the drill's execution.
        allow(["states:DescribeExecution", "states:StopExecution"], [r.executionsArn]),
      ];
    case "RecordOutcome":
    case "RecordFailure":
      return [
        allow(["dynamodb:PutItem"], [r.tableArn], rows(["OUTCOME#*"])),
        allow(["dynamodb:DeleteItem"], [r.tableArn], rows(["LOCK#failover"])),
        // RecordOutcome reports DNS as Route 53 shows it (the run's own view can be behind).
        ...(step === "RecordOutcome" && zoneArn ? [allow(["route53:ListResourceRecordSets"], [zoneArn])] : []),
      ];
    case "Preflight":
      return [
        describeReplica,
        allow(["ecs:DescribeServices"], [r.drServiceArn]),
        unscoped("cloudwatch:GetMetricData"),
        unscoped("ecs:DescribeTaskDefinition"),
        unscoped("elasticloadbalancing:DescribeTargetGroups"),
        // The record: a simple one cannot move users, refused before the promotion (RecordNotFailoverPairError).
        ...(zoneArn ? [allow(["route53:ListResourceRecordSets"], [zoneArn])] : []),
      ];
    case "PromoteReplica":
      return [
        allow(["rds:DescribeDBInstances", "rds:PromoteReadReplica"], [r.replicaArn]),
        // RDS's events since a promote call: evidence the status race hides ("*" only in the Service Authorization Reference).
        unscoped("rds:DescribeEvents"),
        allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], [r.tableArn], rows(["LOCK#failover"])),
      ];
    case "PromoteSecret":
      return [allow(["secretsmanager:DescribeSecret", "secretsmanager:StopReplicationToReplica"], [r.drSecretArn])];
    case "AssessFailure":
      return [describeReplica, unscoped("rds:DescribeEvents"), allow(["dynamodb:UpdateItem"], [r.tableArn], rows(["LOCK#failover"]))];
    case "CheckPromotion":
      return [describeReplica, unscoped("rds:DescribeEvents")];
    case "ScaleDrService":
      // The mirror's latest revision, by family (DescribeTaskDefinition has no resource-level permissions).
      return r.mirrorFamily ? [drService, unscoped("ecs:DescribeTaskDefinition")] : [drService];
    case "RestorePilotLight":
    case "EndDrill":
      return [drService];
    case "CheckDrService":
      // UpdateService: a desired count found lowered while the loop waits is set again.
      return [drService, unscoped("elasticloadbalancing:DescribeTargetHealth")];
    case "SwitchDns":
      if (!zoneArn || !r.recordName) return [];
      return [
        allow(["route53:ListResourceRecordSets"], [zoneArn]),
        allow(["route53:ChangeResourceRecordSets"], [zoneArn], {
          "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": [r.recordName.toLowerCase().replace(/\.$/, "")] },
        }),
      ];
    case "CheckDnsChange":
      return r.hostedZoneId ? [allow(["route53:GetChange"], [stack.formatArn({ service: "route53", region: "", account: "", resource: "change", resourceName: "*" })])] : [];
    case "FencePrimary":
      return [
        allow(["ecs:DescribeServices", "ecs:UpdateService", "ecs:TagResource"], [r.primaryServiceArn]),
        allow(["rds:DescribeDBInstances"], [r.primaryDbArn]),
        allow(["rds:DescribeDBParameters", "rds:ModifyDBParameterGroup"], r.primaryParameterGroupArns),
      ];
  }
}

/** Steps that publish to the alerts topic (sns:Publish on the topic, KMS use on its key). */
export const publishingSteps: readonly StepName[] = ["NotifyStarted", "NotifySucceeded", "NotifyFailed", "RetryServing"];

/** Grants one step its statements (and publishing, for a notifying step); returns the statements. */
export function grantStep(fn: lambda.Function, step: StepName, resources: StepResources, stack: Stack): iam.PolicyStatement[] {
  const statements = stepStatements(step, resources, stack);
  for (const statement of statements) fn.addToRolePolicy(statement);
  if (publishingSteps.includes(step)) resources.grantPublish(fn);
  return statements;
}

/**
 * CompleteFence (the scheduled fence completion): the same actions as FencePrimary and
 * SwitchDns, a look at both databases, and at the lock (a switchback scales the other region's
 * service up while it holds it).
 */
export function grantCompleteFence(fn: lambda.Function, resources: StepResources, primaryArn: string, stack: Stack): void {
  const statements = [
    new iam.PolicyStatement({ actions: ["rds:DescribeDBInstances"], resources: [resources.replicaArn, primaryArn] }),
    new iam.PolicyStatement({ actions: ["dynamodb:GetItem"], resources: [resources.tableArn], conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LOCK#failover"] } } }),
    ...stepStatements("FencePrimary", resources, stack),
    ...stepStatements("SwitchDns", resources, stack),
  ];
  for (const statement of statements) fn.addToRolePolicy(statement);
  resources.grantPublish(fn);
}

/**
 * Granted actions no test exercises, each with why it stays (`pnpm check:aws` reports any
 * other unexercised grant as unexplained). Keyed by step, then action as granted.
 */
export const unexercisedGrants: Partial<Record<StepName, Record<string, string>>> = {
  ScaleDrService: {
    "ecs:DescribeTaskDefinition":
      "an adopting stage's DR copy only (the mirror's latest revision): exercised under that grant by packages/functions/test/mirror-task-definition.test.ts, whose role the world holds as ScaleDrService; the readiness tests deploy the adopted standalone template's role (ScaleDrService<hash>) only to simulate it, and the rehearsals run the non-adopting template",
  },
};
