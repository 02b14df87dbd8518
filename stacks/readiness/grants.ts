/**
 * The scheduled readiness evaluation's IAM (packages/functions/src/evaluate-readiness.ts): the
 * reads of Readiness.observeReadiness, each on the stage's own resources where the Service
 * Authorization Reference has a resource type, and its one write, READINESS#last in the state
 * table. Kept free of SST so tests load it without the app.
 */
import type { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { Readiness, Stage, State } from "@pilot-light/core";

export interface ReadinessResources {
  names: ReturnType<typeof Stage.resourceNames>;
  primaryRegion: string;
  drRegion: string;
  tableArn: string;
  /** Route 53's health check on the primary (stages with DNS). */
  healthCheckId: string | undefined;
  /** The stage's hosted zone (stages with DNS): its record must be a failover pair. */
  hostedZoneId?: string | undefined;
  /** A prebuilt image: its primary registry's replication configuration is read. */
  prebuiltImage: boolean;
  /** The DR region's Failover and Failback stacks: their step roles are simulated against the steps' catalogue. */
  stackNames: string[];
  /** An adopting stage: the team's service in the primary region is read (whose task definition the DR service mirrors). */
  adopted?: boolean;
}

export function readinessStatements(stack: Stack, r: ReadinessResources): iam.PolicyStatement[] {
  const arn = (service: string, region: string, resource: string) => `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;
  const both = [r.primaryRegion, r.drRegion];
  const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) => new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
  const quota = Readiness.fargateOnDemandVcpuQuota;
  return [
    allow(["rds:DescribeDBInstances"], [arn("rds", r.primaryRegion, `db:${r.names.primaryDb}`), arn("rds", r.drRegion, `db:${r.names.replicaDb}`)]),
    // read_only in the group of a database that is no replica (which region serves): a re-protect names the groups it creates when it runs.
    allow(["rds:DescribeDBParameters"], both.map((region) => arn("rds", region, "pg:*"))),
    allow(["sns:ListSubscriptionsByTopic"], both.map((region) => arn("sns", region, r.names.topic))),
    // The database secret's replication to the DR region (its ARN ends in six random characters).
    allow(["secretsmanager:DescribeSecret"], [arn("secretsmanager", r.primaryRegion, `secret:${r.names.secretName}-??????`)]),
    // The databases' keys are read from RDS at run time (the stage's own key, or one it adopted).
    allow(["kms:DescribeKey"], both.map((region) => arn("kms", region, "key/*"))),
    allow(["ecs:DescribeServices"], [arn("ecs", r.drRegion, `service/${r.names.cluster}/${r.names.service}`), ...(r.adopted ? [arn("ecs", r.primaryRegion, `service/${r.names.primaryCluster}/${r.names.primaryService}`)] : [])]),
    // DescribeTaskDefinition has no resource type in the Service Authorization Reference.
    allow(["ecs:DescribeTaskDefinition"], ["*"]),
    // The DR image's repository: CDK's asset repository or the stage's replicated one.
    allow(["ecr:DescribeImages"], [arn("ecr", r.drRegion, "repository/*")]),
    // The DR task definition's execution role: CloudFormation names it.
    allow(["iam:GetRole"], [`arn:${stack.partition}:iam::${stack.account}:role/*`]),
    // The primary registry's replication rules ("*" only in the Service Authorization Reference).
    ...(r.prebuiltImage ? [allow(["ecr:DescribeRegistry"], ["*"])] : []),
    allow(["servicequotas:GetServiceQuota"], [arn("servicequotas", r.drRegion, `${quota.ServiceCode}/${quota.QuotaCode}`)]),
    // GetAWSDefaultServiceQuota has no resource type in the Service Authorization Reference.
    allow(["servicequotas:GetAWSDefaultServiceQuota"], ["*"]),
    // A stage without DNS: the load balancers' addresses (the health contract's URL; ./observe.ts servingHealth).
    ...(r.healthCheckId ? [] : [allow(["ssm:GetParameter"], [Stage.primaryAddressParameters(r.names).albDns, Stage.drAddressParameters(r.names).albDns].map((p) => arn("ssm", r.drRegion, `parameter${p}`)))]),
    ...(r.healthCheckId
      ? [
          allow(["ssm:GetParameter"], [arn("ssm", r.drRegion, `parameter${Stage.primaryHealthCheckParameter(r.names)}`)]),
          allow(["route53:GetHealthCheckStatus"], [`arn:${stack.partition}:route53:::healthcheck/${r.healthCheckId}`]),
        ]
      : []),
    ...(r.hostedZoneId ? [allow(["route53:ListResourceRecordSets"], [`arn:${stack.partition}:route53:::hostedzone/${r.hostedZoneId}`])] : []),
    // The permission check (Readiness.observePermissions): the alerts topic's key, the step roles
    // the stacks created, the simulator on each of them and on the Compute stack's execution role
    // (the secrets check): every role of the stage is under its IAM path (stacks/role-path.ts),
    // whatever CloudFormation's generated name keeps of the stack's.
    allow(["sns:GetTopicAttributes"], [arn("sns", r.drRegion, r.names.topic)]),
    allow(["cloudformation:ListStackResources"], r.stackNames.map((name) => arn("cloudformation", r.drRegion, `stack/${name}/*`))),
    allow(["iam:SimulatePrincipalPolicy"], [`arn:${stack.partition}:iam::${stack.account}:role${r.names.rolePath}*`]),
    // The secrets the DR task definition names (a mirror copies the team's, named only there): each found in the DR region.
    allow(["secretsmanager:DescribeSecret"], [arn("secretsmanager", r.drRegion, "secret:*")]),
    // And each Parameter Store parameter it names: its metadata only, never its value ("*" only in the Service Authorization Reference).
    allow(["ssm:DescribeParameters"], ["*"]),
    allow(["dynamodb:PutItem"], [r.tableArn], { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [State.keys.readiness()] } }),
  ];
}
