/**
 * The failback state machine (in both regions on stages with DNS, like the failover's, D2; the DR
 * region's only without: docs/failback.md): re-protect and the planned switchback, one small
 * Lambda per step wired by the phase builders in ./failback. Both copies get the same settings,
 * naming both regions absolutely (the steps decide from what AWS shows which region serves), but
 * for their own region (ORCHESTRATOR_REGION: their table and topic) and the PRIMARY record's health
 * check, which only the DR region's copy knows (its Dns stack's): the primary region's copy
 * re-protects in either direction and refuses a switchback that would restore DNS (the DR region
 * serves during any switchback, so its copy is there to run it).
 * Standard workflow with full logging and X-Ray, the failover's lock and alerts topic. Also the
 * IAM role S3 uses to replicate the DR bucket back to the primary's while DR serves, and an
 * EventBridge rule so a failback run that ends FAILED, TIMED_OUT or ABORTED outside its own
 * compensation is told by ExecutionEnded, as a failover run is.
 */
import { StackContext, use } from "sst/constructs";
import { ArnFormat, Aws, Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { Stage } from "@pilot-light/core";
import { Alerts } from "./Alerts";
import { Compute } from "./Compute";
import { usePrimaryAddress, usePrimaryHealthCheckId, useStage } from "./context";
import { Data, replicaBackupWindow } from "./Data";
import { Dns } from "./Dns";
import { failbackDefinition } from "./failback/phases";
import { failbackStepNames, failbackTaskTimeoutSeconds, failbackTimeoutHours } from "./failback/steps";
import type { FailbackFunctions } from "./failback/task";
import { grantFailbackStep, notifying, type FailbackResources } from "./failback/grants";
import { grantExecutionEndedFailback } from "./failover/monitor-grants";
import { withEventStreams } from "./bundling";
import { functionSuppressions, publishSuppression, suppress, suppressLogRetention, wildcardResources } from "./nag";
import { Operations } from "./Operations";
import { probeFunctionName } from "./Probe";
import { State } from "./State";
import { stepFunction, workflowMachine } from "./workflow/machine";
import { bucketNames } from "./Storage";

export function Failback({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const here = isPrimary ? config.primaryRegion : config.drRegion;
  const { table } = use(State);
  const { topic } = use(Alerts);
  const compute = use(Compute);
  const data = use(Data);
  if (isPrimary && !config.dns) throw new Error("Failback in the primary region goes with the orchestrator there: only on stages with DNS (stacks/compose.ts)");
  // The primary ALB: this region's own in the primary region's copy; the SSM copy of its address in the DR region's.
  const primary = isPrimary
    ? { albDns: compute.alb.loadBalancerDnsName, albZone: compute.alb.loadBalancerCanonicalHostedZoneId, healthUrl: compute.healthUrl }
    : usePrimaryAddress(stack, names, config);
  const healthCheckId = config.dns && !isPrimary ? usePrimaryHealthCheckId(stack, names, Dns) : undefined;
  const localDb = data.replica ?? data.instance;
  if (!localDb) throw new Error("Failback: Data returned no database in this region");
  const backupRetentionDays = data.backupRetentionDays;
  // An adopted primary's bucket is the team's (docs/adopt.md).
  const buckets = { primary: config.adopt?.bucket.name ?? bucketNames(config.stage, config.primaryRegion, Aws.ACCOUNT_ID).data, dr: bucketNames(config.stage, config.drRegion, Aws.ACCOUNT_ID).data };

  // While DR serves, S3 replicates the DR bucket back with this role (ReverseReplication puts the
  // rule). Each copy has its own (IAM is global; CloudFormation names them apart), so either
  // copy's re-protect can put the rule while the other region is down.
  const reverseRole = new iam.Role(stack, "ReverseReplicationRole", {
    assumedBy: new iam.ServicePrincipal("s3.amazonaws.com"),
    description: `${config.app}-${config.stage}: S3 replication of the DR data bucket back to ${config.primaryRegion} while DR serves`,
  });
  const bucketArn = (b: string) => `arn:${Aws.PARTITION}:s3:::${b}`;
  reverseRole.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetReplicationConfiguration", "s3:ListBucket"], resources: [bucketArn(buckets.dr)] }));
  reverseRole.addToPolicy(new iam.PolicyStatement({ actions: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], resources: [`${bucketArn(buckets.dr)}/*`] }));
  reverseRole.addToPolicy(new iam.PolicyStatement({ actions: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], resources: [`${bucketArn(buckets.primary)}/*`] }));
  suppress(reverseRole, [
    {
      id: "AwsSolutions-IAM5",
      reason: "S3 replication reads and writes object versions: object-level wildcards on exactly the source and destination buckets.",
      appliesTo: [`Resource::arn:<AWS::Partition>:s3:::pl-${config.stage}-data-${config.drRegion}-<AWS::AccountId>/*`, `Resource::arn:<AWS::Partition>:s3:::${buckets.primary.replace(Aws.ACCOUNT_ID, "<AWS::AccountId>")}/*`],
    },
  ]);

  const regionalHealthUrl = (region: string) => (config.dns ? Stage.healthUrl(config, `https://${Stage.regionalHost(config.dns, region)}`) : undefined);
  const environment: Record<string, string> = {
    STAGE: config.stage,
    ORCHESTRATOR_REGION: here,
    PRIMARY_REGION: config.primaryRegion,
    DR_REGION: config.drRegion,
    PRIMARY_ID: names.primaryDb,
    REPLICA_ID: names.replicaDb,
    PRIMARY_CLUSTER: names.primaryCluster,
    PRIMARY_SERVICE: names.primaryService,
    DR_CLUSTER: names.cluster,
    DR_SERVICE: names.service,
    PRIMARY_TASK_COUNT: String(config.primaryTaskCount),
    DR_TASK_COUNT: String(config.drTaskCount),
    DR_PILOT_TASK_COUNT: String(config.drPilotTaskCount),
    PRIMARY_HEALTH_URL: isPrimary ? compute.healthUrl : (regionalHealthUrl(config.primaryRegion) ?? primary.healthUrl),
    DR_HEALTH_URL: isPrimary ? (regionalHealthUrl(config.drRegion) ?? compute.healthUrl) : compute.healthUrl,
    PRIMARY_BUCKET: buckets.primary,
    DR_BUCKET: buckets.dr,
    REVERSE_REPLICATION_ROLE_ARN: reverseRole.roleArn,
    PROBE_FUNCTION: probeFunctionName(names.prefix),
    SECRET_ID: data.secret.secretName,
    BACKUP_RETENTION_DAYS: String(backupRetentionDays),
    DR_BACKUP_WINDOW: replicaBackupWindow,
    RPO_BUDGET_SECONDS: String(config.rpoBudgetSeconds),
    TABLE_NAME: table.tableName,
    TOPIC_ARN: topic.topicArn,
    ...(config.dns
      ? {
          HOSTED_ZONE_ID: config.dns.hostedZoneId,
          RECORD_NAME: config.dns.recordName,
          PRIMARY_ALB_DNS: primary.albDns,
          PRIMARY_ALB_ZONE_ID: primary.albZone,
          ...(healthCheckId ? { PRIMARY_HEALTH_CHECK_ID: healthCheckId } : {}),
        }
      : {}),
  };
  const resources: FailbackResources = {
    stack,
    prefix: names.prefix,
    regions: { primary: config.primaryRegion, dr: config.drRegion },
    tableArn: table.tableArn,
    buckets,
    reverseRoleArn: reverseRole.roleArn,
    secretName: data.secret.secretName,
    hostedZoneId: config.dns?.hostedZoneId,
    recordName: config.dns?.recordName,
    adoptedPrimary: config.adopt ? { db: names.primaryDb, parameterGroup: names.primaryParameterGroup, cluster: names.primaryCluster, service: names.primaryService } : undefined,
  };

  const fns = {} as FailbackFunctions;
  for (const step of failbackStepNames) {
    const fn = stepFunction(stack, step, { description: `pilot-light ${config.stage} failback step ${step}`, taskTimeoutSeconds: failbackTaskTimeoutSeconds(step), environment, nodejs: withEventStreams });
    fns[step] = fn;
    const statements = grantFailbackStep(fn, step, resources, (g) => topic.grantPublish(g));
    suppress(fn, [
      ...functionSuppressions,
      {
        id: "AwsSolutions-IAM5",
        reason:
          "X-Ray's write actions, ELBv2 Describe* and rds:DescribeEvents have no resource-level permissions; DescribeDBInstances lists the region's instances to find those renamed aside; the stage's databases, DB parameter groups (each replica's own is named when re-protect creates it), services, probes and secret are named by prefix in both regions (deterministic names); KMS grants are limited to RDS in the two regions; Route 53 change ids exist only once RestoreDns ran.",
        appliesTo: ["Resource::*", ...wildcardResources(stack, statements)],
      },
      ...(notifying.includes(step) ? [publishSuppression] : []),
    ]);
  }

  const machine = workflowMachine(stack, {
    ids: { machine: "FailbackStateMachine", logs: "FailbackLogs" },
    name: `${names.prefix}-failback`,
    comment: `pilot-light ${config.stage}: re-protect and switch back between ${config.drRegion} and ${config.primaryRegion}, run from ${here} (docs/failback.md)`,
    definition: failbackDefinition(new Construct(stack, "Definition"), fns),
    timeout: Duration.hours(failbackTimeoutHours),
    isDevelopment: config.isDevelopment,
    functions: failbackStepNames.map((step) => fns[step]),
  });

  // Failback runs that end badly outside their own compensation are told, as failover runs are.
  const { executionEnded } = use(Operations);
  new events.Rule(stack, "FailbackEndedRule", {
    ruleName: `${names.prefix}-failback-ended`,
    description: `pilot-light ${config.stage}: failback executions that end FAILED, TIMED_OUT or ABORTED`,
    eventPattern: { source: ["aws.states"], detailType: ["Step Functions Execution Status Change"], detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [machine.stateMachineArn] } },
    targets: [new targets.LambdaFunction(executionEnded, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
  });
  grantExecutionEndedFailback(executionEnded, stack.formatArn({ service: "states", resource: "execution", resourceName: `${names.prefix}-failback:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  suppress(executionEnded, [
    {
      id: "AwsSolutions-IAM5",
      reason: "GetExecutionHistory of any execution of the failback state machine: execution names are only known when they run.",
      appliesTo: [{ regex: `/^Resource::arn:<AWS::Partition>:states:${here}:[^:]+:execution:${names.prefix}-failback:\\*$/g` } as unknown as string],
    },
  ]);
  suppressLogRetention(stack);
  stack.addOutputs({ FailbackStateMachineArn: machine.stateMachineArn });
  return { machine, functions: fns, reverseRole };
}
