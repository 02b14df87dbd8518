/**
 * The rest of the account readiness reads (packages/core/src/readiness/observe.ts), answered
 * as AWS answers it (installed by installApis; docs/aws-behaviour.md, "Readiness's reads"):
 * SNS topics' subscriptions (confirmed or pending confirmation), KMS keys and their state, ECR
 * repositories' images and each registry's replication configuration, IAM roles by name,
 * Service Quotas' applied and default values, SSM parameters, ECS task definitions (status,
 * execution role, image) and when each database's first automated backup completed (RDS's
 * LatestRestorableTime). Unknown names are refused with each service's own NotFound error.
 * `pilotLightWorld` seeds it as the stacks deploy a stage; a test breaks one thing to see
 * readiness report it.
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { CloudFormationClient, ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { DescribeImagesCommand, DescribeRegistryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import { DescribeParametersCommand, GetParameterCommand } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Stage } from "@pilot-light/core";
import { awsError, stub, type AnyStub, type Fake } from "./api";
import { evaluate, iamOf, type FunctionRole, type PolicyStatement } from "./iam";
import type { DbInstance, WorldState } from "./model";

type Route = (s: AnyStub, command: unknown, api: string, fake: Fake) => void;

export interface TopicSubscription {
  endpoint: string;
  protocol: string;
  /** An e-mail subscription is pending until its recipient follows the confirmation link. */
  confirmed: boolean;
}

export type KmsKeyState = "Enabled" | "Disabled" | "PendingDeletion" | "PendingImport" | "Unavailable";

export interface TaskDefinitionDetail {
  status: "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS";
  executionRoleArn?: string;
  /** The `web` container's image URI. */
  image: string;
  /** A definition registered in full (RegisterTaskDefinition, a team's own): what DescribeTaskDefinition answers instead of the one `web` container. */
  registered?: RegisteredTaskDefinition;
}

/** The parts of a registered task definition DescribeTaskDefinition gives back. */
export interface RegisteredTaskDefinition {
  family: string;
  revision: number;
  /** When ECS registered it (DescribeTaskDefinition's registeredAt). */
  registeredAt: Date;
  containerDefinitions: ContainerDefinition[];
  taskRoleArn?: string;
  cpu?: string;
  memory?: string;
  networkMode?: string;
  requiresCompatibilities?: string[];
}

export type { ContainerDefinition };

/** An ECR registry replication rule (PutReplicationConfiguration's shape). */
export interface RegistryRule {
  destinations: { region: string; registryId: string }[];
  repositoryFilters?: { filter: string; filterType: "PREFIX_MATCH" }[];
}

export interface AccountState {
  /** The account its ARNs name (pilotLightWorld's). */
  account: string;
  /** Topic ARN → its subscriptions (the topic exists when it has an entry). */
  topics: Map<string, TopicSubscription[]>;
  /** Key ARN → its region and state. */
  kmsKeys: Map<string, { region: string; state: KmsKeyState }>;
  /** `${region}/${repository}` → the tags (and digests) of its images. */
  images: Map<string, Set<string>>;
  /** Region → its registry's replication rules. */
  registryReplication: Map<string, RegistryRule[]>;
  /** IAM role names (global, unique in the account) → their path (`/` or `/…/`, part of the role's ARN). */
  roles: Map<string, string>;
  /** `${region}/${serviceCode}/${quotaCode}` → the value the account was granted (null: never changed) and AWS's default. */
  quotas: Map<string, { applied: number | null; default: number }>;
  /** `${region}\0${name}` → value. */
  parameters: Map<string, string>;
  /** Task definition ARN → what DescribeTaskDefinition answers beside its ARN. */
  taskDefinitions: Map<string, TaskDefinitionDetail>;
  /** When each instance's first automated backup completed (absent: none yet). */
  firstBackupAtMs: Map<DbInstance, number>;
  /** `${region}/${stackName}` → the stack's resources as ListStackResources lists them. */
  stacks: Map<string, { LogicalResourceId: string; PhysicalResourceId: string; ResourceType: string }[]>;
  /** Role name → its identity-based policy statements (what IAM's policy simulator evaluates). */
  rolePolicies: Map<string, PolicyStatement[]>;
}

const states = new WeakMap<WorldState, AccountState>();

/** The account side of a world (created empty on first use). */
export function accountState(world: WorldState): AccountState {
  let state = states.get(world);
  if (!state) {
    state = { account: "123456789012", topics: new Map(), kmsKeys: new Map(), images: new Map(), registryReplication: new Map(), roles: new Map(), quotas: new Map(), parameters: new Map(), taskDefinitions: new Map(), firstBackupAtMs: new Map(), stacks: new Map(), rolePolicies: new Map() };
    states.set(world, state);
  }
  return state;
}

/** Service Quotas' "Fargate On-Demand vCPU resource count" and its default value (Amazon ECS Developer Guide, "AWS Fargate service quotas"). */
export const fargateVcpuQuota = { serviceCode: "fargate", quotaCode: "L-3032A538", default: 6 } as const;

export const parameterKey = (region: string, name: string) => `${region}\0${name}`;
export const quotaKey = (region: string, serviceCode: string, quotaCode: string) => `${region}/${serviceCode}/${quotaCode}`;

/** A KMS key, Enabled unless said otherwise (a database's placement names one). */
export function addKmsKey(world: WorldState, arn: string, state: KmsKeyState = "Enabled"): void {
  const region = arn.split(":")[3] ?? "";
  accountState(world).kmsKeys.set(arn, { region, state });
}

/**
 * RDS's LatestRestorableTime: once an instance with automated backups has its first backup,
 * "typically within the last five minutes" (RDS User Guide, "Restoring a DB instance to a
 * specified time"): the world answers five minutes ago, never before that first backup.
 */
export function latestRestorableTime(world: WorldState, db: DbInstance): Date | undefined {
  const first = accountState(world).firstBackupAtMs.get(db);
  if (first === undefined || db.backupRetentionDays === 0) return undefined;
  const now = world.clock.nowMs();
  if (now < first) return undefined;
  return new Date(Math.max(first, now - 5 * 60_000));
}

/** The ECR image URI of `repository:tag` in `account`'s registry in `region`. */
export const ecrImageUri = (account: string, region: string, repository: string, tag: string) => `${account}.dkr.ecr.${region}.amazonaws.com/${repository}:${tag}`;

/** The ARN of a role: its path (`/` or `/…/`) is part of it (IAM User Guide, "IAM identifiers"). */
export const roleArn = (account: string, path: string, name: string) => `arn:aws:iam::${account}:role${path}${name}`;

/** The IAM path of a stage's roles as its stacks create them (Stage.resourceNames `rolePath`), from the world's `pilot-light-<stage>` prefix. */
export const stageRolePath = (prefix: string) => Stage.resourceNames({ app: "pilot-light", stage: prefix.replace(/^pilot-light-/, "") }).rolePath;

/**
 * The name CloudFormation gives a role created without RoleName: `<stack>-<logical id>-<unique>`
 * (13 characters), at most IAM's 64. Past 64 it cuts the stack name to 25 characters and the
 * logical id to what is left (seen in public reports, not documented; the harsher of them,
 * docs/aws-behaviour.md): a grant on `role/<stack>-*` then matches none of the stack's roles.
 */
export function generatedRoleName(stackName: string, logicalId: string, unique: string): string {
  const whole = `${stackName}-${logicalId}-${unique}`;
  if (whole.length <= 64) return whole;
  const stack = stackName.slice(0, 25);
  return `${stack}-${logicalId.slice(0, 64 - stack.length - unique.length - 2)}-${unique}`;
}

/** A role's 13 unique characters as CloudFormation makes them up (the world's: uppercase letters and digits drawn from a seed). */
export function uniqueSuffix(seed: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  let unique = "";
  while (unique.length < 13) {
    h = Math.imul(h ^ unique.length, 16777619) >>> 0;
    unique += "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[h % 36];
  }
  return unique;
}

/**
 * A deployed stack's function roles (the world's own, `enforceFailoverRoles` and the like): listed
 * by CloudFormation under CDK's logical ids with a physical name CloudFormation made up
 * (`generatedRoleName`), under the stage's IAM `path` (`stageRolePath`), and judged by IAM's
 * policy simulator from the very statements the world authorises the functions' calls with (a
 * Deny added to one is added to the other).
 */
export function deployStackRoles(world: WorldState, region: string, stackName: string, roles: FunctionRole[], path: string): void {
  const s = accountState(world);
  const resources = s.stacks.get(`${region}/${stackName}`) ?? [];
  for (const role of roles) {
    const physical = generatedRoleName(stackName, role.roleName, uniqueSuffix(`${region}/${stackName}/${role.roleName}`));
    resources.push({ LogicalResourceId: role.roleName, PhysicalResourceId: physical, ResourceType: "AWS::IAM::Role" });
    s.roles.set(physical, path);
    s.rolePolicies.set(physical, role.statements);
  }
  s.stacks.set(`${region}/${stackName}`, resources);
}

/** The physical name of a stack's role by its logical id (`deployStackRoles`). */
export function deployedRoleName(world: WorldState, region: string, stackName: string, logicalId: string): string | undefined {
  return accountState(world).stacks.get(`${region}/${stackName}`)?.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;
}

export function installAccountApis(world: WorldState, stubs: { sns: AnyStub; ssm: AnyStub }, route: Route): AnyStub[] {
  const s = accountState(world);
  const account = () => s.account;

  route(stubs.sns, ListSubscriptionsByTopicCommand, "sns:ListSubscriptionsByTopic", (input: { TopicArn?: string }, region) => {
    const topicArn = input.TopicArn ?? "";
    const subscriptions = topicArn.split(":")[3] === region ? s.topics.get(topicArn) : undefined;
    if (!subscriptions) throw awsError("NotFoundException", "Topic does not exist", 404);
    // A pending subscription has no ARN yet: SNS lists it as "PendingConfirmation".
    return {
      Subscriptions: subscriptions.map((sub, i) => ({
        SubscriptionArn: sub.confirmed ? `${topicArn}:0b1c2d3e-0000-4000-8000-${String(i).padStart(12, "0")}` : "PendingConfirmation",
        Owner: account(),
        Protocol: sub.protocol,
        Endpoint: sub.endpoint,
        TopicArn: topicArn,
      })),
    };
  });

  // The topic's attributes readiness's permission check needs: its KMS key (publishing needs it too).
  route(stubs.sns, GetTopicAttributesCommand, "sns:GetTopicAttributes", (input: { TopicArn?: string }, region) => {
    const topicArn = input.TopicArn ?? "";
    if (topicArn.split(":")[3] !== region || !s.topics.has(topicArn)) throw awsError("NotFoundException", "Topic does not exist", 404);
    const key = iamOf(world).topicKeys.get(topicArn);
    return { Attributes: { TopicArn: topicArn, Owner: account(), SubscriptionsConfirmed: String(s.topics.get(topicArn)!.filter((x) => x.confirmed).length), ...(key ? { KmsMasterKeyId: key } : {}) } };
  });

  route(stubs.ssm, GetParameterCommand, "ssm:GetParameter", (input: { Name?: string }, region) => {
    const name = input.Name ?? "";
    const value = s.parameters.get(parameterKey(region, name));
    if (value === undefined) throw awsError("ParameterNotFound", `Parameter ${name} not found.`, 400);
    return { Parameter: { Name: name, Type: "String", Value: value, Version: 1, ARN: `arn:aws:ssm:${region}:${account()}:parameter/${name.replace(/^\//, "")}`, DataType: "text" } };
  });

  // The Name filter only (what readiness asks: whether a parameter exists, its value unread). AWS:
  // "For all filters used with DescribeParameters, valid options include Equals and BeginsWith.
  // The Name filter additionally supports the Contains option"; 1 to 50 values a filter
  // (Systems Manager API Reference, ParameterStringFilter). Other keys are not modelled: refused.
  // "Request results are returned on a best-effort basis ... The number of items returned, however,
  // can be between zero and the value of MaxResults. If the service reaches an internal limit while
  // processing the results, it stops the operation and returns the matching values up to that
  // point and a NextToken" (API Reference, DescribeParameters): the world's first page always stops
  // before any match, so a caller that reads one page only misses every parameter.
  route(stubs.ssm, DescribeParametersCommand, "ssm:DescribeParameters", (input: { ParameterFilters?: { Key?: string; Option?: string; Values?: string[] }[]; Filters?: unknown[]; NextToken?: string }, region) => {
    if (input.Filters && input.ParameterFilters) throw awsError("ValidationException", "You can use either Filters or ParameterFilters in a single request.", 400);
    const filters = input.ParameterFilters ?? [];
    for (const f of filters) {
      if (f.Key !== "Name") throw new Error(`world: DescribeParameters filter ${f.Key} is not modelled (only Name)`);
      if (!["Equals", "BeginsWith", "Contains", undefined].includes(f.Option)) throw awsError("InvalidFilterOption", `The following filter option is not valid: ${f.Option}. Valid options include: [BeginsWith, Equals, Contains].`, 400);
      if (!f.Values || f.Values.length === 0 || f.Values.length > 50) throw awsError("InvalidFilterValue", "The filter value is not valid: a filter needs 1 to 50 values.", 400);
    }
    const matches = (name: string) =>
      filters.every((f) => f.Values!.some((v) => (f.Option === "BeginsWith" ? name.startsWith(v) : f.Option === "Contains" ? name.includes(v) : name === v)));
    if (input.NextToken === undefined) return { Parameters: [], NextToken: "world-internal-limit" };
    if (input.NextToken !== "world-internal-limit") throw awsError("InvalidNextToken", "The specified token is not valid.", 400);
    const names = [...s.parameters.keys()].filter((k) => k.startsWith(`${region}\0`)).map((k) => k.slice(region.length + 1)).filter(matches).sort();
    return { Parameters: names.map((name) => ({ Name: name, ARN: `arn:aws:ssm:${region}:${account()}:parameter/${name.replace(/^\//, "")}`, Type: "String", Version: 1, DataType: "text", Tier: "Standard" })) };
  });

  const kms = stub(KMSClient);
  route(kms, DescribeKeyCommand, "kms:DescribeKey", (input: { KeyId?: string }, region) => {
    const id = input.KeyId ?? "";
    // A key ARN, or a key id of this region's key (aliases are not modelled: NotFound).
    const arn = id.startsWith("arn:") ? id : `arn:aws:kms:${region}:${account()}:key/${id}`;
    const key = s.kmsKeys.get(arn);
    if (!key || key.region !== region) throw awsError("NotFoundException", `Key '${arn}' does not exist`, 400);
    return { KeyMetadata: { AWSAccountId: account(), KeyId: arn.split("/").pop(), Arn: arn, KeyState: key.state, Enabled: key.state === "Enabled", KeyManager: "CUSTOMER", KeyUsage: "ENCRYPT_DECRYPT" } };
  });

  const ecr = stub(ECRClient);
  route(ecr, DescribeImagesCommand, "ecr:DescribeImages", (input: { registryId?: string; repositoryName?: string; imageIds?: { imageTag?: string; imageDigest?: string }[] }, region) => {
    const registryId = input.registryId ?? account();
    const images = registryId === account() ? s.images.get(`${region}/${input.repositoryName ?? ""}`) : undefined;
    if (!images) throw awsError("RepositoryNotFoundException", `The repository with name '${input.repositoryName}' does not exist in the registry with id '${registryId}'`, 400);
    const wanted: { imageTag?: string; imageDigest?: string }[] = input.imageIds ?? [...images].map((tag) => ({ imageTag: tag }));
    const missing = wanted.find((w) => !images.has(w.imageTag ?? w.imageDigest ?? ""));
    if (missing) throw awsError("ImageNotFoundException", `The image with imageId {imageDigest:'${missing.imageDigest ?? "null"}', imageTag:'${missing.imageTag ?? "null"}'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${registryId}'`, 400);
    return { imageDetails: wanted.map((w) => ({ registryId, repositoryName: input.repositoryName, ...(w.imageTag ? { imageTags: [w.imageTag] } : { imageDigest: w.imageDigest }) })) };
  });
  route(ecr, DescribeRegistryCommand, "ecr:DescribeRegistry", (_input: object, region) => ({ registryId: account(), replicationConfiguration: { rules: structuredClone(s.registryReplication.get(region) ?? []) } }));

  const iam = stub(IAMClient);
  route(iam, GetRoleCommand, "iam:GetRole", (input: { RoleName?: string }) => {
    const name = input.RoleName ?? "";
    const path = s.roles.get(name);
    if (path === undefined) throw awsError("NoSuchEntityException", `The role with name ${name} cannot be found.`, 404);
    return { Role: { RoleName: name, Arn: roleArn(account(), path, name), Path: path, RoleId: `AROA${name.length.toString().padStart(17, "0")}`, CreateDate: new Date(0) } };
  });

  const sq = stub(ServiceQuotasClient);
  const quota = (input: { ServiceCode?: string; QuotaCode?: string }, region: string) => {
    const q = s.quotas.get(quotaKey(region, input.ServiceCode ?? "", input.QuotaCode ?? ""));
    if (!q) throw awsError("NoSuchResourceException", `The request failed because the specified quota ${input.QuotaCode} of service ${input.ServiceCode} does not exist.`, 400);
    return q;
  };
  const answer = (input: { ServiceCode?: string; QuotaCode?: string }, region: string, value: number) => ({
    Quota: { ServiceCode: input.ServiceCode, QuotaCode: input.QuotaCode, QuotaArn: `arn:aws:servicequotas:${region}:${account()}:${input.ServiceCode}/${input.QuotaCode}`, Value: value, Adjustable: true, GlobalQuota: false },
  });
  // GetServiceQuota answers the applied value; a quota the account never changed has none to retrieve (API Reference, GetServiceQuota).
  route(sq, GetServiceQuotaCommand, "servicequotas:GetServiceQuota", (input: { ServiceCode?: string; QuotaCode?: string }, region) => {
    const q = quota(input, region);
    if (q.applied === null) throw awsError("NoSuchResourceException", `No applied quota value for ${input.QuotaCode}.`, 400);
    return answer(input, region, q.applied);
  });
  route(sq, GetAWSDefaultServiceQuotaCommand, "servicequotas:GetAWSDefaultServiceQuota", (input: { ServiceCode?: string; QuotaCode?: string }, region) => answer(input, region, quota(input, region).default));

  // IAM's policy simulator (API Reference, SimulatePrincipalPolicy): each action on each resource
  // ("*" without ResourceArns) against the role's identity-based policies, with the request's
  // context entries; "allowed", "explicitDeny" (naming the matching Deny) or "implicitDeny". The
  // role is the one the ARN names, path included: an ARN with another path names no role here.
  route(
    iam,
    SimulatePrincipalPolicyCommand,
    "iam:SimulatePrincipalPolicy",
    (input: { PolicySourceArn?: string; ActionNames?: string[]; ResourceArns?: string[]; ContextEntries?: { ContextKeyName?: string; ContextKeyValues?: string[] }[] }) => {
      const arn = input.PolicySourceArn ?? "";
      const [, path = "", name = ""] = /^arn:aws:iam::\d{12}:role(\/(?:.*\/)?)([\w+=,.@-]+)$/.exec(arn) ?? [];
      const statements = s.roles.get(name) === path ? s.rolePolicies.get(name) : undefined;
      if (!statements) throw awsError("NoSuchEntityException", `The role with name ${name || arn} cannot be found.`, 404);
      const context = Object.fromEntries((input.ContextEntries ?? []).map((e) => [e.ContextKeyName ?? "", e.ContextKeyValues ?? []]));
      const results = (input.ActionNames ?? []).flatMap((action) =>
        (input.ResourceArns ?? ["*"]).map((resource) => {
          const decision = evaluate(statements, { action, resource, context });
          // The Deny that decided it: the one that would allow the request were it an Allow.
          const deny = decision.allowed ? -1 : statements.findIndex((x) => x.Effect === "Deny" && evaluate([{ ...x, Effect: "Allow" }], { action, resource, context }).allowed);
          return {
            EvalActionName: action,
            EvalResourceName: resource,
            EvalDecision: decision.allowed ? "allowed" : decision.explicitDeny ? "explicitDeny" : "implicitDeny",
            MatchedStatements: decision.allowed ? [{ SourcePolicyId: `${name}DefaultPolicy`, SourcePolicyType: "IAM Policy" }] : decision.explicitDeny && deny >= 0 ? [{ SourcePolicyId: statements[deny]?.Sid ?? `${name}DefaultPolicy`, SourcePolicyType: "IAM Policy" }] : [],
          };
        }),
      );
      return { EvaluationResults: results, IsTruncated: false };
    },
  );

  const sts = stub(STSClient);
  // No permission is needed to call GetCallerIdentity (STS API Reference).
  route(sts, GetCallerIdentityCommand, "sts:GetCallerIdentity", () => ({ Account: account(), Arn: `arn:aws:sts::${account()}:assumed-role/Operator/operator`, UserId: "AROAOPERATOR:operator" }));

  const cfn = stub(CloudFormationClient);
  route(cfn, ListStackResourcesCommand, "cloudformation:ListStackResources", (input: { StackName?: string }, region) => {
    const resources = s.stacks.get(`${region}/${input.StackName ?? ""}`);
    if (!resources) throw awsError("ValidationError", `Stack with id ${input.StackName} does not exist`, 400);
    return { StackResourceSummaries: resources.map((r) => ({ ...r, ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: new Date(0) })) };
  });

  return [kms, ecr, iam, sq, sts, cfn];
}

/** Who the seeded topics tell: one confirmed e-mail subscription per region. */
export const seededSubscriber = "oncall@example.com";

/** The image the seeded task definitions run: `<prefix>-web:1.0.0`, pushed to the primary region's registry and replicated to the DR region's. */
export const seededImageTag = "1.0.0";

/**
 * The account as a stage's stacks leave it (`pilotLightWorld`): the alert topic in each region
 * with a confirmed subscription, the image in both registries with the primary registry's
 * replication rule to the DR region, each region's task definition ACTIVE with its execution
 * role, the DR region's Fargate quota at AWS's default, the health check's id in the DR region's
 * SSM and each load balancer's address in its own region's (with DNS), and both databases past
 * their first backup.
 */
/**
 * The task execution role the Compute stack's task definition gets in `region`: CDK creates it
 * without a RoleName, so CloudFormation names it (`generatedRoleName`; SST's stack
 * `<stage>-<app>-Compute`, the same name in both regions, hence the region in the seed of its
 * unique part), under the stage's path (`executionRoleArn`).
 */
export const executionRoleName = (prefix: string, region: string) => generatedRoleName(`${prefix.replace(/^pilot-light-/, "")}-pilot-light-Compute`, "TaskExecutionRole250D2532", uniqueSuffix(region));

/** The execution role's ARN (`executionRoleName`), its path the stage's. */
export const executionRoleArn = (account: string, prefix: string, region: string) => roleArn(account, stageRolePath(prefix), executionRoleName(prefix, region));

export function seedAccount(world: WorldState, o: { account: string; prefix: string; primaryRegion: string; drRegion: string; taskDefinitions: string[]; databases: string[]; primaryHealthCheckId: string | null; secretName: string; albs?: { primary: string; dr: string; zone: string } }): void {
  const s = accountState(world);
  s.account = o.account;
  const repository = `${o.prefix}-web`;
  for (const region of [o.primaryRegion, o.drRegion]) {
    s.topics.set(`arn:aws:sns:${region}:${o.account}:${o.prefix}-alerts`, [{ endpoint: seededSubscriber, protocol: "email", confirmed: true }]);
    s.images.set(`${region}/${repository}`, new Set([seededImageTag]));
    s.quotas.set(quotaKey(region, fargateVcpuQuota.serviceCode, fargateVcpuQuota.quotaCode), { applied: null, default: fargateVcpuQuota.default });
  }
  s.registryReplication.set(o.primaryRegion, [{ destinations: [{ region: o.drRegion, registryId: o.account }], repositoryFilters: [{ filter: repository, filterType: "PREFIX_MATCH" }] }]);
  for (const arn of o.taskDefinitions) {
    const region = arn.split(":")[3] ?? "";
    const role = executionRoleName(o.prefix, region);
    s.roles.set(role, stageRolePath(o.prefix));
    // As CDK grants the Compute stack's execution role: the stage's database secret, read when a task starts.
    s.rolePolicies.set(role, [
      { Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], Resource: `arn:aws:ecr:${region}:${o.account}:repository/${repository}` },
      { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `arn:aws:logs:${region}:${o.account}:log-group:*` },
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: `arn:aws:secretsmanager:${region}:${o.account}:secret:${o.secretName}-??????` },
    ]);
    s.taskDefinitions.set(arn, { status: "ACTIVE", executionRoleArn: executionRoleArn(o.account, o.prefix, region), image: ecrImageUri(o.account, region, repository, seededImageTag) });
  }
  const ssmPrefix = `/${o.prefix.replace(/^pilot-light-/, "pilot-light/")}`;
  if (o.primaryHealthCheckId) s.parameters.set(parameterKey(o.drRegion, `${ssmPrefix}/dr/primary-health-check-id`), o.primaryHealthCheckId);
  if (o.albs) {
    // Each load balancer's address in its own region (the primary's also in DR: Compute's publishToDr).
    for (const [region, side, dns] of [[o.primaryRegion, "primary", o.albs.primary], [o.drRegion, "primary", o.albs.primary], [o.drRegion, "dr", o.albs.dr]] as const) {
      s.parameters.set(parameterKey(region, `${ssmPrefix}/${side}/alb-dns`), dns);
      s.parameters.set(parameterKey(region, `${ssmPrefix}/${side}/alb-zone`), o.albs.zone);
    }
  }
  for (const id of o.databases) {
    const db = world.databases.get(id);
    if (db) s.firstBackupAtMs.set(db, world.clock.nowMs());
  }
}
