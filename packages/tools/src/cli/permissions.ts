/**
 * Readiness's permission check (`pnpm dr readiness`): each failover and failback step's deployed
 * role is asked with iam:SimulatePrincipalPolicy whether it may do every action its grants name,
 * on the stage's own resources. The catalogue is the grants themselves (stacks/failover/grants.ts,
 * stacks/failback/grants.ts), rendered by the standalone templates and bound to the stage's names
 * as the world binds them to its own (packages/world/src/roles.ts): one source, so a Deny attached
 * later, a permissions boundary or an organization's SCP shows before a failover, a re-protect or
 * a switchback needs the action. Read-only.
 */
import { ListStackResourcesCommand, type CloudFormationClient, type StackResourceSummary } from "@aws-sdk/client-cloudformation";
import { SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult, type IAMClient } from "@aws-sdk/client-iam";
import { GetTopicAttributesCommand, type SNSClient } from "@aws-sdk/client-sns";
import { Operations, type Readiness, Stage } from "@pilot-light/core";
import { adoptedPrimaryParameters, standaloneFailbackParameters, standaloneFailbackTemplate } from "../../../../stacks/failback/standalone";
import { failbackStepNames } from "../../../../stacks/failback/steps";
import { standaloneFailoverTemplate } from "../../../../stacks/failover/standalone";
import { stepNames } from "../../../../stacks/failover/steps";
import { functionRoles, standaloneFailoverRefs, type PolicyStatement } from "../../../world/src";
import { stackName } from "./aws";

export interface PermissionClients {
  /** DR region: the Failover and Failback stacks' resources, the alerts topic. */
  cfn: CloudFormationClient;
  sns: SNSClient;
  iam: IAMClient;
}

/** The step grants, as the standalone template renders them (CDK, in process: a few seconds). */
export type StepCatalogue = (drRegion: string, recordName: string | undefined) => object;

export const renderCatalogue: StepCatalogue = (drRegion, recordName) => standaloneFailoverTemplate(drRegion, recordName).toJSON();

/** The failback steps' grants, as their standalone template renders them (with an adopted primary's names when the stage adopts one). */
export type FailbackCatalogue = (drRegion: string, recordName: string | undefined, adopted: boolean) => object;

export const renderFailbackCatalogue: FailbackCatalogue = (drRegion, recordName, adopted) => standaloneFailbackTemplate(drRegion, recordName, { adopted }).toJSON();

/** The steps of one workflow among `steps`, each with its Allow statements once `refs` bind the template's parameters. */
function boundSteps(template: object, refs: Record<string, string>, config: Stage.StageConfig, account: string, steps: readonly string[]): Map<string, PolicyStatement[]> {
  const roles = functionRoles(template as never, { region: config.drRegion, account, templateAccount: "000000000000", refs });
  const bound = new Map<string, PolicyStatement[]>();
  for (const role of roles) {
    const step = role.functionId.replace(/[0-9A-F]{8}$/, "");
    if (!steps.includes(step)) continue;
    // A stage without DNS deploys its DNS steps without grants (no zone).
    const statements = role.statements.filter((s) => s.Effect === "Allow" && (config.dns || ![s.Action ?? []].flat().every((a) => a.startsWith("route53:"))));
    bound.set(step, statements);
  }
  return bound;
}

/** Each step's statements on this stage's resources in `account`. */
export function stepStatements(template: object, config: Stage.StageConfig, account: string, topicKeyArn: string): Map<string, PolicyStatement[]> {
  const names = Stage.resourceNames(config);
  const arn = (service: string, region: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const refs = standaloneFailoverRefs(
    {
      primaryRegion: config.primaryRegion,
      drRegion: config.drRegion,
      primaryArn: arn("rds", config.primaryRegion, `db:${names.primaryDb}`),
      replicaArn: arn("rds", config.drRegion, `db:${names.replicaDb}`),
      stateMachineArn: Operations.stateMachineArn({ region: config.drRegion, account, name: names.stateMachine }),
      cluster: names.cluster,
      service: names.service,
      primaryCluster: names.primaryCluster,
      primaryService: names.primaryService,
      primaryParameterGroup: names.primaryParameterGroup,
      secretName: names.secretName,
      hostedZoneId: config.dns?.hostedZoneId ?? "",
      topicArn: arn("sns", config.drRegion, names.topic),
      // Only the monitor's grant names the health check; the steps simulated here never do.
      primaryHealthCheckId: "",
    },
    names.stateTable,
    topicKeyArn,
  );
  return boundSteps(template, refs, config, account, stepNames);
}

/**
 * Each failback step's statements on this stage's resources in `account`, as the Failback stack
 * binds them (stacks/Failback.ts): its buckets, its reverse replication role (`reverseRoleArn`,
 * CloudFormation names it), an adopted primary's names.
 */
export function failbackStepStatements(template: object, config: Stage.StageConfig, account: string, topicKeyArn: string, reverseRoleArn: string): Map<string, PolicyStatement[]> {
  const names = Stage.resourceNames(config);
  const refs: Record<(typeof standaloneFailbackParameters)[number] | (typeof adoptedPrimaryParameters)[number], string> = {
    Prefix: names.prefix,
    PrimaryRegion: config.primaryRegion,
    DrRegion: config.drRegion,
    TableArn: `arn:aws:dynamodb:${config.drRegion}:${account}:table/${names.stateTable}`,
    // An adopted primary's bucket is the team's (adopt.bucket), as the adopted world binds it.
    PrimaryBucket: config.adopt?.bucket.name ?? Stage.bucketNames(config.stage, config.primaryRegion, account).data,
    DrBucket: Stage.bucketNames(config.stage, config.drRegion, account).data,
    ReverseRoleArn: reverseRoleArn,
    SecretName: names.secretName,
    HostedZoneId: config.dns?.hostedZoneId ?? "",
    TopicArn: `arn:aws:sns:${config.drRegion}:${account}:${names.topic}`,
    TopicKeyArn: topicKeyArn,
    PrimaryDb: names.primaryDb,
    PrimaryParameterGroup: names.primaryParameterGroup,
    PrimaryCluster: names.primaryCluster,
    PrimaryService: names.primaryService,
  };
  return boundSteps(template, refs, config, account, failbackStepNames);
}

/** Reads the deployed roles and simulates every failover and failback step's grants against them. */
export async function observePermissions(
  clients: PermissionClients,
  config: Stage.StageConfig,
  account: string,
  catalogue: StepCatalogue = renderCatalogue,
  failbackCatalogue: FailbackCatalogue = renderFailbackCatalogue,
): Promise<Readiness.StepPermissions[]> {
  const names = Stage.resourceNames(config);
  const topicArn = `arn:aws:sns:${config.drRegion}:${account}:${names.topic}`;
  const key = (await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.KmsMasterKeyId ?? "";
  const topicKeyArn = key.startsWith("arn:") ? key : `arn:aws:kms:${config.drRegion}:${account}:key/${key}`;
  const [failoverRoles, failbackRoles] = await Promise.all([stackRoles(clients.cfn, stackName(config, "Failover")), stackRoles(clients.cfn, stackName(config, "Failback"))]);
  const reverseRole = failbackRoles.get("ReverseReplicationRole");
  const workflows = [
    { workflow: "failover" as const, roles: failoverRoles, steps: stepStatements(catalogue(config.drRegion, config.dns?.recordName), config, account, topicKeyArn) },
    {
      workflow: "failback" as const,
      roles: failbackRoles,
      steps: failbackStepStatements(failbackCatalogue(config.drRegion, config.dns?.recordName, config.adopt !== undefined), config, account, topicKeyArn, reverseRole ? `arn:aws:iam::${account}:role/${reverseRole}` : ""),
    },
  ];
  const observed: Readiness.StepPermissions[] = [];
  for (const { workflow, roles, steps } of workflows) {
    for (const [step, statements] of steps) {
      if (statements.length === 0) continue;
      const roleName = roles.get(`${step}ServiceRole`);
      if (!roleName) {
        observed.push({ workflow, step, role: null, simulated: 0, denied: [] });
        continue;
      }
      const role = `arn:aws:iam::${account}:role/${roleName}`;
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
async function simulate(iam: IAMClient, role: string, s: PolicyStatement): Promise<EvaluationResult[]> {
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

function denial(r: EvaluationResult): Readiness.StepPermissions["denied"][number] {
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
