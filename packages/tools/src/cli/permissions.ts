/**
 * Readiness's permission check (`pnpm dr readiness`): each failover step's deployed role is
 * asked with iam:SimulatePrincipalPolicy whether it may do every action its grants name, on the
 * stage's own resources. The catalogue is the grants themselves (stacks/failover/grants.ts),
 * rendered by the standalone template and bound to the stage's names as the world binds them to
 * its own (packages/world/src/roles.ts): one source, so a Deny attached later, a permissions
 * boundary or an organization's SCP shows before a failover needs the action. Read-only.
 */
import { ListStackResourcesCommand, type CloudFormationClient, type StackResourceSummary } from "@aws-sdk/client-cloudformation";
import { SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult, type IAMClient } from "@aws-sdk/client-iam";
import { GetTopicAttributesCommand, type SNSClient } from "@aws-sdk/client-sns";
import { Operations, type Readiness, Stage } from "@pilot-light/core";
import { standaloneFailoverTemplate } from "../../../../stacks/failover/standalone";
import { stepNames } from "../../../../stacks/failover/steps";
import { functionRoles, standaloneFailoverRefs, type PolicyStatement } from "../../../world/src";
import { stackName } from "./aws";

export interface PermissionClients {
  /** DR region: the Failover stack's resources, the alerts topic. */
  cfn: CloudFormationClient;
  sns: SNSClient;
  iam: IAMClient;
}

/** The step grants, as the standalone template renders them (CDK, in process: a few seconds). */
export type StepCatalogue = (drRegion: string, recordName: string | undefined) => object;

export const renderCatalogue: StepCatalogue = (drRegion, recordName) => standaloneFailoverTemplate(drRegion, recordName).toJSON();

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
  const roles = functionRoles(template as never, { region: config.drRegion, account, templateAccount: "000000000000", refs });
  const steps = new Map<string, PolicyStatement[]>();
  for (const role of roles) {
    const step = role.functionId.replace(/[0-9A-F]{8}$/, "");
    if (!(stepNames as readonly string[]).includes(step)) continue;
    // A stage without DNS deploys its DNS steps without grants (stepStatements: no zone).
    const statements = role.statements.filter((s) => s.Effect === "Allow" && (config.dns || ![s.Action ?? []].flat().every((a) => a.startsWith("route53:"))));
    steps.set(step, statements);
  }
  return steps;
}

/** Reads the deployed roles and simulates every step's grants against them. */
export async function observePermissions(clients: PermissionClients, config: Stage.StageConfig, account: string, catalogue: StepCatalogue = renderCatalogue): Promise<Readiness.StepPermissions[]> {
  const names = Stage.resourceNames(config);
  const topicArn = `arn:aws:sns:${config.drRegion}:${account}:${names.topic}`;
  const key = (await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.KmsMasterKeyId ?? "";
  const topicKeyArn = key.startsWith("arn:") ? key : `arn:aws:kms:${config.drRegion}:${account}:key/${key}`;
  const steps = stepStatements(catalogue(config.drRegion, config.dns?.recordName), config, account, topicKeyArn);
  const roles = await stepRoles(clients.cfn, stackName(config, "Failover"));
  const observed: Readiness.StepPermissions[] = [];
  for (const [step, statements] of steps) {
    if (statements.length === 0) continue;
    const roleName = roles.get(step);
    if (!roleName) {
      observed.push({ step, role: null, simulated: 0, denied: [] });
      continue;
    }
    const role = `arn:aws:iam::${account}:role/${roleName}`;
    const results = (await Promise.all(statements.map((s) => simulate(clients.iam, role, s)))).flat();
    observed.push({ step, role, simulated: results.length, denied: results.filter((r) => r.EvalDecision !== "allowed").map(denial) });
  }
  return observed;
}

/** The role of each step's function in the deployed Failover stack: `<Step>ServiceRole<hash>` (CDK's names for a Function's role). */
async function stepRoles(cfn: CloudFormationClient, stack: string): Promise<Map<string, string>> {
  const all: StackResourceSummary[] = [];
  let next: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stack, NextToken: next }));
    all.push(...(page.StackResourceSummaries ?? []));
    next = page.NextToken;
  } while (next);
  const roles = new Map<string, string>();
  for (const r of all) {
    const step = r.ResourceType === "AWS::IAM::Role" ? /^(\w+?)ServiceRole[0-9A-F]{8}$/.exec(r.LogicalResourceId ?? "")?.[1] : undefined;
    if (step && r.PhysicalResourceId) roles.set(step, r.PhysicalResourceId);
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
