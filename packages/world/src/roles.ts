/**
 * Execution roles read from a synthesized template: for each AWS::Lambda::Function, the
 * statements of every AWS::IAM::Policy attached to its role (and the role's inline policies),
 * with CloudFormation's intrinsic functions resolved to the world's account and regions as a
 * deploy would resolve them: `Ref` (pseudo parameters, the template's parameters, resources whose
 * physical ids the caller knows), `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::GetAtt`
 * and `Fn::ImportValue` (another stack's export, by name). A token it cannot resolve is an error,
 * never a guess. The account the template was synthesized with (a placeholder offline) becomes
 * the world's account wherever it appears in an ARN.
 */
import { iamOf, type FunctionRole, type PolicyStatement } from "./iam";
import type { WorldState } from "./model";
import type { FailbackIds } from "./failback-topology";
import type { PilotLightIds } from "./pilot-light";

export interface Resolution {
  region: string;
  account: string;
  /** The account literal the template was synthesized with (offline synthesis uses a placeholder). */
  templateAccount?: string;
  /** `Ref` values of parameters and resources, by logical id. */
  refs?: Record<string, string>;
  /** `Fn::GetAtt` values, by "LogicalId.Attribute". */
  attributes?: Record<string, string>;
  /** `Fn::ImportValue` values, by export name. */
  imports?: Record<string, string>;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplateJson {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, unknown>;
}

const isNoValue = (v: unknown) => !!v && typeof v === "object" && (v as { Ref?: unknown }).Ref === "AWS::NoValue";

/** One CloudFormation value, resolved to a string (or a list, for Fn::Split). */
export function resolveValue(value: unknown, r: Resolution): unknown {
  if (typeof value === "string") return r.templateAccount ? value.split(`:${r.templateAccount}:`).join(`:${r.account}:`) : value;
  // AWS::NoValue removes the list element or property it stands for (CloudFormation pseudo parameters).
  if (Array.isArray(value)) return value.filter((v) => !isNoValue(v)).map((v) => resolveValue(v, r));
  if (!value || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  const [fn] = Object.keys(o);
  const arg = fn === undefined ? undefined : o[fn];
  const text = (v: unknown) => {
    const s = resolveValue(v, r);
    if (typeof s !== "string") throw new Error(`expected a string from ${JSON.stringify(v)}`);
    return s;
  };
  switch (fn) {
    case "Ref": {
      const id = String(arg);
      const pseudo: Record<string, string> = { "AWS::Partition": "aws", "AWS::Region": r.region, "AWS::AccountId": r.account, "AWS::URLSuffix": "amazonaws.com" };
      const found = pseudo[id] ?? r.refs?.[id];
      if (found === undefined) throw new Error(`cannot resolve { Ref: ${id} }: bind it`);
      return found;
    }
    case "Fn::GetAtt": {
      const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split(".")) as [string, string];
      const found = r.attributes?.[`${id}.${attribute}`];
      if (found === undefined) throw new Error(`cannot resolve { Fn::GetAtt: ${id}.${attribute} }: bind it`);
      return found;
    }
    case "Fn::ImportValue": {
      const name = text(arg);
      const found = r.imports?.[name];
      if (found === undefined) throw new Error(`cannot resolve { Fn::ImportValue: ${name} }: no such export`);
      return found;
    }
    case "Fn::Join": {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolveValue(parts, r) as unknown[]).map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(sep);
    }
    case "Fn::Select": {
      const [index, list] = arg as [unknown, unknown];
      return (resolveValue(list, r) as unknown[])[Number(resolveValue(index, r))];
    }
    case "Fn::Split": {
      const [sep, source] = arg as [string, unknown];
      return text(source).split(sep);
    }
    case "Fn::Sub": {
      const [template, vars] = (typeof arg === "string" ? [arg, {}] : arg) as [string, Record<string, unknown>];
      return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in vars) return text(vars[name]);
        return name.includes(".") ? text({ "Fn::GetAtt": name.split(".") }) : text({ Ref: name });
      });
    }
    default:
      return Object.fromEntries(Object.entries(o).filter(([, v]) => !isNoValue(v)).map(([k, v]) => [k, resolveValue(v, r)]));
  }
}

const refId = (v: unknown) => (v && typeof v === "object" && "Ref" in v ? String((v as { Ref: unknown }).Ref) : undefined);

/** Every function's execution role in a template, its statements resolved. */
export function functionRoles(template: CfnTemplateJson, r: Resolution): FunctionRole[] {
  const resources = Object.entries(template.Resources ?? {});
  return resources
    .filter(([, res]) => res.Type === "AWS::Lambda::Function")
    .flatMap(([functionId, fn]) => {
      const role = fn.Properties?.Role as { "Fn::GetAtt"?: [string, string] } | undefined;
      const roleId = role?.["Fn::GetAtt"]?.[0];
      if (!roleId) return [];
      const inline = ((template.Resources?.[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
      const attached = resources
        .filter(([, res]) => res.Type === "AWS::IAM::Policy" && ((res.Properties?.Roles ?? []) as unknown[]).some((x) => refId(x) === roleId))
        .flatMap(([, res]) => (res.Properties?.PolicyDocument as { Statement: unknown[] }).Statement);
      const statements = [...inline, ...attached].map((s) => resolveValue(s, r) as PolicyStatement);
      return [{ functionId, roleName: roleId, statements }];
    });
}

/**
 * The standalone failover template's parameters (stacks/failover/standalone.ts) bound to a
 * pilot-light world's resources: its state table, databases, services, parameter groups,
 * executions, secret, zone and alerts topic (encrypted with `topicKeyArn`). `pnpm dr readiness`
 * binds them to a deployed stage's resources the same way (packages/tools/src/cli/permissions.ts).
 */
export function standaloneFailoverRefs(
  ids: Pick<PilotLightIds, "primaryRegion" | "drRegion" | "primaryArn" | "replicaArn" | "stateMachineArn" | "cluster" | "service" | "primaryParameterGroup" | "replicaParameterGroup" | "secretName" | "hostedZoneId" | "topicArn" | "primaryHealthCheckId" | "primaryCluster" | "primaryService">,
  tableName: string,
  topicKeyArn: string,
): Record<string, string> {
  const account = ids.replicaArn.split(":")[4] ?? "";
  const stateMachineName = ids.stateMachineArn.split(":").pop() ?? "";
  return {
    TableArn: `arn:aws:dynamodb:${ids.drRegion}:${account}:table/${tableName}`,
    ReplicaArn: ids.replicaArn,
    PrimaryArn: ids.primaryArn,
    DrServiceArn: `arn:aws:ecs:${ids.drRegion}:${account}:service/${ids.cluster}/${ids.service}`,
    PrimaryServiceArn: `arn:aws:ecs:${ids.primaryRegion}:${account}:service/${ids.primaryCluster}/${ids.primaryService}`,
    PrimaryParameterGroupArn: `arn:aws:rds:${ids.primaryRegion}:${account}:pg:${ids.primaryParameterGroup}`,
    // The groups re-protect gives the replicas it creates in the primary region (`<group>-g<time>`).
    PrimaryGenerationGroupsArn: `arn:aws:rds:${ids.primaryRegion}:${account}:pg:${ids.primaryParameterGroup}-g*`,
    // The monitor's own database's groups (the DR region's, as this copy sees it).
    ReplicaParameterGroupArn: `arn:aws:rds:${ids.drRegion}:${account}:pg:${ids.replicaParameterGroup}`,
    ReplicaGenerationGroupsArn: `arn:aws:rds:${ids.drRegion}:${account}:pg:${ids.replicaParameterGroup}-g*`,
    ExecutionsArn: `arn:aws:states:${ids.drRegion}:${account}:execution:${stateMachineName}:*`,
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    DrSecretArn: `arn:aws:secretsmanager:${ids.drRegion}:${account}:secret:${ids.secretName}-??????`,
    HostedZoneId: ids.hostedZoneId,
    TopicArn: ids.topicArn,
    TopicKeyArn: topicKeyArn,
    StateMachineArn: ids.stateMachineArn,
    HealthCheckId: ids.primaryHealthCheckId,
    FailbackExecutionsArn: `arn:aws:states:${ids.drRegion}:${account}:execution:${ids.cluster}-failback:*`,
  };
}

/** The world's account and its alerts topic's key (the notifying steps' roles name both). */
function prepareIam(world: WorldState, ids: PilotLightIds): { account: string; topicKeyArn: string } {
  const iam = iamOf(world);
  iam.account = ids.replicaArn.split(":")[4] ?? iam.account;
  const topicKeyArn = `arn:aws:kms:${ids.drRegion}:${iam.account}:key/0b6a1c2e-7d4f-4e8a-9c1b-3f5e6d7a8b9c`;
  iam.topicKeys.set(ids.topicArn, topicKeyArn);
  return { account: iam.account, topicKeyArn };
}

/**
 * Makes a pilot-light world enforce the standalone failover template's roles: its account,
 * its alerts topic's key, and every step function's role bound to the world's resources.
 */
export function enforceFailoverRoles(world: WorldState, template: CfnTemplateJson, ids: PilotLightIds, tableName: string, copy?: { functions: string[]; region: string }): void {
  const { account, topicKeyArn } = prepareIam(world, ids);
  const roles = functionRoles(template, { region: ids.drRegion, account, templateAccount: "000000000000", refs: standaloneFailoverRefs(ids, tableName, topicKeyArn) });
  // The other region's copy of some functions (the orchestrator runs in both regions; `ids` from
  // `mirrorIds`): the same grants on that region's resources, as `<functionId>@<region>`.
  iamOf(world).addRoles(copy ? roles.filter((r) => copy.functions.includes(r.functionId.replace(/[0-9A-F]{8}$/, ""))).map((r) => ({ ...r, functionId: regionalCopy(r.functionId, copy.region) })) : roles);
}

/** The standalone failback template's parameters (stacks/failback/standalone.ts) bound to a failback world's resources. */
export function standaloneFailbackRefs(ids: FailbackIds, tableName: string, topicKeyArn: string): Record<string, string> {
  return {
    Prefix: ids.cluster,
    PrimaryRegion: ids.primaryRegion,
    DrRegion: ids.drRegion,
    TableArn: `arn:aws:dynamodb:${ids.drRegion}:${ids.account}:table/${tableName}`,
    PrimaryBucket: ids.primaryBucket,
    DrBucket: ids.drBucket,
    ReverseRoleArn: ids.reverseReplicationRoleArn,
    SecretName: ids.secretName,
    HostedZoneId: ids.hostedZoneId,
    TopicArn: ids.topicArn,
    TopicKeyArn: topicKeyArn,
    // An adopted primary's names (the template's adoptedPrimaryParameters, when it has them).
    PrimaryDb: ids.primaryDb,
    PrimaryParameterGroup: ids.primaryParameterGroup,
    PrimaryCluster: ids.primaryCluster,
    PrimaryService: ids.primaryService,
  };
}

/**
 * Makes a failback world enforce the standalone failback template's roles (with the failover's,
 * loaded apart). `copy`: the primary region's copy instead (the failback runs in both regions on
 * stages with DNS): the same grants on its own table and topic, as `<functionId>@<region>`.
 */
export function enforceFailbackRoles(world: WorldState, template: CfnTemplateJson, ids: FailbackIds, tableName: string, copy?: { region: string; topicArn: string }): void {
  const { account, topicKeyArn } = prepareIam(world, ids);
  const region = copy?.region ?? ids.drRegion;
  const refs = standaloneFailbackRefs(ids, tableName, topicKeyArn);
  if (copy) {
    iamOf(world).topicKeys.set(copy.topicArn, topicKeyArn);
    Object.assign(refs, { TableArn: `arn:aws:dynamodb:${region}:${ids.account}:table/${tableName}`, TopicArn: copy.topicArn });
  }
  const roles = functionRoles(template, { region, account, templateAccount: "000000000000", refs });
  iamOf(world).addRoles(copy ? roles.map((r) => ({ ...r, functionId: regionalCopy(r.functionId, region) })) : roles);
}

/** The id of a function's copy in another region (the same grants, that region's resources). */
export function regionalCopy(functionId: string, region: string): string {
  return `${functionId}@${region}`;
}

/** The function a template names `name` (its construct id: the logical id without CDK's hash). */
export function functionIdOf(world: WorldState, name: string): string {
  const found = [...iamOf(world).roles.keys()].filter((id) => id.replace(/[0-9A-F]{8}$/, "") === name);
  if (found.length !== 1) throw new Error(`expected one function ${name} among the world's roles, found ${found.length}`);
  return found[0] as string;
}
