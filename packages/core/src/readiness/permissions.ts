/**
 * Readiness's permission check, for `pnpm dr readiness` and the scheduled evaluation alike: each
 * failover and failback step's deployed role (found through CloudFormation in the DR region) is
 * asked with iam:SimulatePrincipalPolicy whether it may do every action its grants name, on the
 * stage's own resources, so a Deny attached later, a permissions boundary or an organization's
 * SCP shows before a failover, a re-protect or a switchback needs the action. Read-only.
 *
 * The catalogue is the steps' grants (stacks/failover/grants.ts, stacks/failback/grants.ts) as
 * the standalone templates render them, with `${Parameter}` in place of each of the stage's
 * resources (packages/tools/src/cli/permissions.ts renders it; ./step-catalogue.json is that
 * rendering, bundled with the scheduled evaluation, which carries no CDK). `bindCatalogue` puts
 * the stage's names in.
 */
import { ListStackResourcesCommand, type CloudFormationClient, type StackResourceSummary } from "@aws-sdk/client-cloudformation";
import { SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult, type IAMClient } from "@aws-sdk/client-iam";
import { GetTopicAttributesCommand, type SNSClient } from "@aws-sdk/client-sns";
import { bucketNames, partitionOf, resourceNames, type StageConfig } from "../stage";
import type { StepPermissions } from "./index";

/** One IAM statement of a step's grants (the JSON policy grammar). */
export interface CatalogueStatement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** Each workflow's steps → their statements, resources as `${Parameter}` (the standalone templates' parameters). */
export interface StepCatalogue {
  failover: Record<string, CatalogueStatement[]>;
  /** The failover's grants for an adopting stage (ScaleDrService also reads the mirror family's latest revision). */
  adoptedFailover: Record<string, CatalogueStatement[]>;
  failback: Record<string, CatalogueStatement[]>;
  /** The failback's grants for an adopting stage (the team's database, group, cluster and service named). */
  adoptedFailback: Record<string, CatalogueStatement[]>;
}

/** What the catalogue is bound to: a stage's names, regions and DNS; an adopting stage's own names. */
export interface PermissionTarget {
  app: string;
  stage: string;
  primaryRegion: string;
  drRegion: string;
  dns?: { hostedZoneId: string; recordName: string } | undefined;
  /** An adopted primary's names (stage setting `adopt`). */
  adopted?: { primaryDb: string; primaryParameterGroup: string; primaryCluster: string; primaryService: string; secretName: string; bucket: string } | undefined;
}

/** A stage's target (`pnpm dr readiness`; the Operations stack sets the scheduled evaluation's from the same settings). */
export function permissionTargetOf(config: Pick<StageConfig, "app" | "stage" | "primaryRegion" | "drRegion" | "dns" | "adopt">): PermissionTarget {
  const a = config.adopt;
  return {
    app: config.app,
    stage: config.stage,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    ...(config.dns ? { dns: { hostedZoneId: config.dns.hostedZoneId, recordName: config.dns.recordName } } : {}),
    ...(a
      ? {
          adopted: {
            primaryDb: a.database.instanceIdentifier,
            primaryParameterGroup: a.database.parameterGroup,
            primaryCluster: a.service.clusterName,
            primaryService: a.service.serviceName,
            secretName: a.database.secretName,
            bucket: a.bucket.name,
          },
        }
      : {}),
  };
}

/** The record name the catalogue is rendered with; bound to the stage's (SwitchDns's condition names it normalised). */
export const catalogueRecordName = "record.catalogue.invalid";

/** SST's CloudFormation stack name for a stack function: <stage>-<app>-<Stack>. */
export const stackName = (t: Pick<PermissionTarget, "stage" | "app">, stack: string) => `${t.stage}-${t.app}-${stack}`;

/** The parameters' values for a stage in `account` (`topicKeyArn`: the alerts topic's key; `reverseRoleArn`: the Failback stack's replication role). */
export function catalogueRefs(t: PermissionTarget, account: string, topicKeyArn: string, reverseRoleArn: string, partition = partitionOf(t.drRegion)): Record<string, string> {
  const base = resourceNames(t);
  const names = t.adopted
    ? { ...base, primaryDb: t.adopted.primaryDb, primaryParameterGroup: t.adopted.primaryParameterGroup, primaryCluster: t.adopted.primaryCluster, primaryService: t.adopted.primaryService, secretName: t.adopted.secretName }
    : base;
  const arn = (service: string, region: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const stateMachineArn = arn("states", t.drRegion, `stateMachine:${names.stateMachine}`);
  return {
    Account: account,
    Partition: partition,
    TableArn: arn("dynamodb", t.drRegion, `table/${names.stateTable}`),
    ReplicaArn: arn("rds", t.drRegion, `db:${names.replicaDb}`),
    PrimaryArn: arn("rds", t.primaryRegion, `db:${names.primaryDb}`),
    DrServiceArn: arn("ecs", t.drRegion, `service/${names.cluster}/${names.service}`),
    PrimaryServiceArn: arn("ecs", t.primaryRegion, `service/${names.primaryCluster}/${names.primaryService}`),
    PrimaryParameterGroupArn: arn("rds", t.primaryRegion, `pg:${names.primaryParameterGroup}`),
    // The groups re-protect gives the replicas it creates in the primary region (`<group>-g<time>`).
    PrimaryGenerationGroupsArn: arn("rds", t.primaryRegion, `pg:${names.primaryParameterGroup}-g*`),
    // Only the monitor's grant names the DR database's groups; no step simulated here does.
    ReplicaParameterGroupArn: arn("rds", t.drRegion, `pg:${names.replicaParameterGroup}`),
    ReplicaGenerationGroupsArn: arn("rds", t.drRegion, `pg:${names.replicaParameterGroup}-g*`),
    ExecutionsArn: arn("states", t.drRegion, `execution:${names.stateMachine}:*`),
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    DrSecretArn: arn("secretsmanager", t.drRegion, `secret:${names.secretName}-??????`),
    HostedZoneId: t.dns?.hostedZoneId ?? "",
    TopicArn: arn("sns", t.drRegion, names.topic),
    TopicKeyArn: topicKeyArn,
    StateMachineArn: stateMachineArn,
    // Only the monitor's grant names the health check; no step simulated here does.
    HealthCheckId: "",
    FailbackExecutionsArn: arn("states", t.drRegion, `execution:${names.prefix}-failback:*`),
    Prefix: names.prefix,
    PrimaryRegion: t.primaryRegion,
    DrRegion: t.drRegion,
    PrimaryBucket: t.adopted?.bucket ?? bucketNames(t.stage, t.primaryRegion, account).data,
    DrBucket: bucketNames(t.stage, t.drRegion, account).data,
    ReverseRoleArn: reverseRoleArn,
    SecretName: names.secretName,
    PrimaryDb: names.primaryDb,
    PrimaryParameterGroup: names.primaryParameterGroup,
    PrimaryCluster: names.primaryCluster,
    PrimaryService: names.primaryService,
    RecordName: (t.dns?.recordName ?? "").toLowerCase().replace(/\.$/, ""),
  };
}

/** One workflow's steps with the stage's names in; a stage without DNS drops the Route 53-only statements (its DNS steps deploy without grants). */
export function bindCatalogue(steps: Record<string, CatalogueStatement[]>, refs: Record<string, string>, hasDns: boolean): Map<string, CatalogueStatement[]> {
  const bind = (s: string) =>
    s.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      const value = refs[name];
      if (value === undefined) throw new Error(`the step catalogue names \${${name}}, which no stage setting binds`);
      return value;
    });
  const deep = <T>(v: T): T => (typeof v === "string" ? (bind(v) as T) : Array.isArray(v) ? (v.map(deep) as T) : v && typeof v === "object" ? (Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])) as T) : v);
  const bound = new Map<string, CatalogueStatement[]>();
  for (const [step, statements] of Object.entries(steps)) {
    bound.set(
      step,
      statements.filter((s) => s.Effect === "Allow" && (hasDns || ![s.Action ?? []].flat().every((a) => a.startsWith("route53:")))).map(deep),
    );
  }
  return bound;
}

export interface PermissionClients {
  /** DR region: the Failover and Failback stacks' resources, the alerts topic. */
  cfn: CloudFormationClient;
  sns: SNSClient;
  iam: IAMClient;
}

/** Reads the deployed roles and simulates every failover and failback step's grants against them. */
export async function observePermissions(clients: PermissionClients, t: PermissionTarget, account: string, catalogue: StepCatalogue, partition = partitionOf(t.drRegion)): Promise<StepPermissions[]> {
  const topicArn = `arn:${partition}:sns:${t.drRegion}:${account}:${resourceNames(t).topic}`;
  const key = (await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.KmsMasterKeyId ?? "";
  const topicKeyArn = key.startsWith("arn:") ? key : `arn:${partition}:kms:${t.drRegion}:${account}:key/${key}`;
  const [failoverRoles, failbackRoles] = await Promise.all([stackRoles(clients.cfn, stackName(t, "Failover")), stackRoles(clients.cfn, stackName(t, "Failback"))]);
  // CloudFormation lists a role by its name; its ARN holds the stage's IAM path too (stacks/role-path.ts).
  const roleArn = (name: string) => `arn:${partition}:iam::${account}:role${resourceNames(t).rolePath}${name}`;
  const reverseRole = failbackRoles.get("ReverseReplicationRole");
  const refs = catalogueRefs(t, account, topicKeyArn, reverseRole ? roleArn(reverseRole) : "", partition);
  const workflows = [
    { workflow: "failover" as const, roles: failoverRoles, steps: bindCatalogue(t.adopted ? catalogue.adoptedFailover : catalogue.failover, refs, t.dns !== undefined) },
    { workflow: "failback" as const, roles: failbackRoles, steps: bindCatalogue(t.adopted ? catalogue.adoptedFailback : catalogue.failback, refs, t.dns !== undefined) },
  ];
  const observed: StepPermissions[] = [];
  for (const { workflow, roles, steps } of workflows) {
    for (const [step, statements] of steps) {
      if (statements.length === 0) continue;
      const roleName = roles.get(`${step}ServiceRole`);
      if (!roleName) {
        observed.push({ workflow, step, role: null, simulated: 0, denied: [] });
        continue;
      }
      const role = roleArn(roleName);
      const results = (await Promise.all(statements.map((s) => simulate(clients.iam, role, s)))).flat();
      observed.push({ workflow, step, role, simulated: results.length, denied: results.filter((r) => r.EvalDecision !== "allowed").map(denial) });
    }
  }
  return observed;
}

/** A deployed stack's roles by logical id without CDK's hash (`<Step>ServiceRole`, `ReverseReplicationRole`) → their physical names. */
async function stackRoles(cfn: CloudFormationClient, stack: string): Promise<Map<string, string>> {
  const all: StackResourceSummary[] = [];
  let next: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stack, NextToken: next }));
    all.push(...(page.StackResourceSummaries ?? []));
    next = page.NextToken;
  } while (next);
  const roles = new Map<string, string>();
  for (const r of all) {
    const role = r.ResourceType === "AWS::IAM::Role" ? /^(\w+?)[0-9A-F]{8}$/.exec(r.LogicalResourceId ?? "")?.[1] : undefined;
    if (role && r.PhysicalResourceId) roles.set(role, r.PhysicalResourceId);
  }
  return roles;
}

/** One statement's actions on its resources, with the condition values it allows as the request's context. */
export async function simulate(iam: IAMClient, role: string, s: CatalogueStatement): Promise<EvaluationResult[]> {
  const resources = [s.Resource ?? "*"].flat();
  const context: ContextEntry[] = Object.values(s.Condition ?? {}).flatMap((keys) =>
    Object.entries(keys).map(([name, values]) => ({ ContextKeyName: name, ContextKeyValues: [values].flat().map(String), ContextKeyType: "stringList" as const })),
  );
  const results: EvaluationResult[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role,
        ActionNames: [s.Action ?? []].flat(),
        ...(resources.includes("*") ? {} : { ResourceArns: resources }),
        ...(context.length > 0 ? { ContextEntries: context } : {}),
        Marker: marker,
      }),
    );
    results.push(...(page.EvaluationResults ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return results;
}

export function denial(r: EvaluationResult): StepPermissions["denied"][number] {
  const policies = (r.MatchedStatements ?? []).map((m) => m.SourcePolicyId).filter((id): id is string => !!id);
  const by =
    r.OrganizationsDecisionDetail?.AllowedByOrganizations === false
      ? "an organization SCP"
      : r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false
        ? "the role's permissions boundary"
        : r.EvalDecision === "explicitDeny" && policies.length > 0
          ? `a Deny in ${policies.join(", ")}`
          : null;
  return { action: r.EvalActionName ?? "?", resource: r.EvalResourceName ?? "*", decision: r.EvalDecision ?? "?", by };
}
