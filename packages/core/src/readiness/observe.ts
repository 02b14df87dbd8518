/**
 * Reads what readiness judges (./index.ts) from the live account, for `pnpm dr readiness` (the
 * operator's credentials) and the scheduled evaluation (its own role). Every read is
 * independent: one that fails (denied, a region that does not answer) becomes a finding of its
 * own, never the end of the report. Read-only: nothing here changes anything.
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DescribeImagesCommand, DescribeRegistryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from "@aws-sdk/client-sns";
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { latestRevision, readHealthAnswer } from "../compute";
import { readOnlyInGroup, toReplicaState } from "../database";
import { readPrimaryRecord } from "../dns";
import { RecordNotFailoverPairError } from "../workflow/errors";
import { boundedClientConfig } from "../failover/fence";
import { checkerObservations } from "../health/second-opinion";
import { arnIn, drAddressParameters, healthUrl, parseEcrImageUri, primaryAddressParameters, primaryHealthCheckParameter, regionalHost, resourceNames, type StageConfig } from "../stage";
import { primaryServes, type DatabaseObservation, type DrTaskSecret, type DrTaskSecrets, type Read, type ReadinessObservation } from "./index";
import { denial, simulate } from "./permissions";
import { drRevision, teamRevision, type MirrorObservation } from "./mirror";

export interface ReadinessClients {
  /** By region: the stage's primary and DR regions. */
  rds: Record<string, RDSClient>;
  sns: Record<string, SNSClient>;
  kms: Record<string, KMSClient>;
  /** DR region. */
  ecs: ECSClient;
  ecr: ECRClient;
  /** Primary region: its registry's replication configuration. */
  primaryEcr: ECRClient;
  /** Primary region: an adopting stage's own service, whose task definition the DR service mirrors. */
  primaryEcs: ECSClient;
  ssm: SSMClient;
  serviceQuotas: ServiceQuotasClient;
  /** Global services (any region's client answers). */
  iam: IAMClient;
  route53: Route53Client;
  /** DR region: the Failover and Failback stacks' roles (the permission check). */
  cfn: CloudFormationClient;
  /** Primary region: the database secret's replication to the DR region. */
  secretsManager: SecretsManagerClient;
  /** DR region: the secrets the DR task definition names. */
  drSecretsManager: SecretsManagerClient;
}

/**
 * The clients the reads need, each naming its region: RDS, SNS and KMS in both regions, ECR in
 * both (the DR image; the primary registry's replication rules), the rest in the DR region;
 * Route 53's control plane answers from us-east-1. Built by the caller once (the CLI per run,
 * the scheduled handler per sandbox).
 */
export function readinessClients(target: Pick<ReadinessTarget, "primaryRegion" | "drRegion">): ReadinessClients {
  // Either region may be down, and a call to it would wait forever with the SDK's defaults:
  // every attempt bounded, so a region that does not answer is a finding, not a hung evaluation.
  const at = (region: string) => ({ region, ...boundedClientConfig });
  const both = <T>(make: (region: string) => T) => Object.fromEntries([target.primaryRegion, target.drRegion].map((r) => [r, make(r)])) as Record<string, T>;
  const region = target.drRegion;
  return {
    rds: both((r) => new RDSClient(at(r))),
    sns: both((r) => new SNSClient(at(r))),
    kms: both((r) => new KMSClient(at(r))),
    ecs: new ECSClient(at(region)),
    ecr: new ECRClient(at(region)),
    primaryEcr: new ECRClient(at(target.primaryRegion)),
    primaryEcs: new ECSClient(at(target.primaryRegion)),
    ssm: new SSMClient(at(region)),
    serviceQuotas: new ServiceQuotasClient(at(region)),
    iam: new IAMClient(at(region)),
    route53: new Route53Client(at("us-east-1")),
    cfn: new CloudFormationClient(at(region)),
    secretsManager: new SecretsManagerClient(at(target.primaryRegion)),
    drSecretsManager: new SecretsManagerClient(at(region)),
  };
}

/**
 * Service Quotas' "Fargate On-Demand vCPU resource count" (service code fargate): the vCPUs of
 * all Fargate On-Demand tasks running in a region at once.
 */
export const fargateOnDemandVcpuQuota = { ServiceCode: "fargate", QuotaCode: "L-3032A538" } as const;

const read = async <T>(f: () => Promise<T>): Promise<Read<T>> =>
  f().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );

const isNamed = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

type Names = ReturnType<typeof resourceNames>;

/** What readiness needs to know of a stage: its names, regions, and the size of a failover. */
export interface ReadinessTarget {
  app: string;
  stage: string;
  primaryRegion: string;
  drRegion: string;
  /** Whether the stage has DNS (then Route 53's health check on the primary is judged). */
  hasDns: boolean;
  /** The DR service's size after a failover, and each task's CPU units. */
  drTaskCount: number;
  taskCpu: number;
  /** A prebuilt image (its registry replicates it to the DR region); absent for a Dockerfile build. */
  image?: { account: string; region: string; repository: string };
  /** The primary database's identifier when the stage adopts one (its `adopt` settings); absent: pilot-light's own name. */
  primaryDb?: string;
  /** The database secret's name when the stage adopts one (adopt.database.secretName); absent: pilot-light's own name. */
  secretName?: string;
  /** An adopting stage: the team's service, whose task definition the DR service must mirror. */
  teamService?: { cluster: string; service: string };
  /** A stage with DNS: the record a failover moves (it must be a failover pair). */
  record?: { hostedZoneId: string; recordName: string };
  /**
   * The stage's health path and, by region, the URL the monitor and the verify steps probe it at
   * (a stage with DNS: the region's own name over HTTPS). A region without one: its load
   * balancer's address from the DR region's SSM, over HTTP (a stage without DNS serves HTTP).
   */
  health?: { path: string; urls: Record<string, string> };
}

/** A stage's health URLs known from its settings alone: each region's own name (stages with DNS; none without). */
export function healthUrlsOf(config: Pick<StageConfig, "primaryRegion" | "drRegion" | "dns" | "application">): Record<string, string> {
  const dns = config.dns;
  return dns ? Object.fromEntries([config.primaryRegion, config.drRegion].map((r) => [r, healthUrl(config, `https://${regionalHost(dns, r)}`)])) : {};
}

/** How long readiness waits for the serving region's health path: a failover's verify waits as long. */
const healthTimeoutMs = 5000;

/** The registry and repository of a prebuilt image's URI. */
export function registryImage(uri: string): ReadinessTarget["image"] {
  const image = parseEcrImageUri(uri);
  return image ? { account: image.account, region: image.region, repository: image.repository } : undefined;
}

export function targetOf(config: StageConfig): ReadinessTarget {
  const image = "uri" in config.application.image ? registryImage(config.application.image.uri) : undefined;
  return {
    app: config.app,
    stage: config.stage,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    hasDns: config.dns !== undefined,
    drTaskCount: config.drTaskCount,
    taskCpu: config.sizes.taskCpu,
    ...(image ? { image } : {}),
    ...(config.dns ? { record: { hostedZoneId: config.dns.hostedZoneId, recordName: config.dns.recordName } } : {}),
    health: { path: config.application.healthPath, urls: healthUrlsOf(config) },
    ...(config.adopt ? { primaryDb: resourceNames(config).primaryDb, secretName: resourceNames(config).secretName, teamService: { cluster: resourceNames(config).primaryCluster, service: resourceNames(config).primaryService } } : {}),
  };
}

/** Reads everything readiness judges, in both regions; `account` names the topics' ARNs. */
export async function observeReadiness(clients: ReadinessClients, config: ReadinessTarget, account: string): Promise<ReadinessObservation> {
  const names = resourceNames(config);
  const regions = [config.primaryRegion, config.drRegion];
  const image = config.image;
  const record = config.record;
  const [primary, replica, drService, quota, alerts, healthCheck, replication, secretReplica, dnsRecord] = await Promise.all([
    read(() => database(clients.rds[config.primaryRegion]!, config.primaryDb ?? names.primaryDb)),
    read(() => database(clients.rds[config.drRegion]!, names.replicaDb)),
    read(() => serviceTask(clients, names, config.drRegion, config.teamService ? names.mirrorFamily : undefined)),
    read(() => fargateVcpuQuota(clients.serviceQuotas)),
    Promise.all(
      regions.map(async (region) => {
        const topicArn = arnIn(region, "sns", region, account, names.topic);
        return { region, topicArn, subscriptions: await read(() => subscriptions(clients.sns[region]!, topicArn)) };
      }),
    ),
    config.hasDns ? read(() => route53Check(clients, names)) : Promise.resolve(undefined),
    image ? read(() => replicationRules(clients.primaryEcr)) : Promise.resolve(undefined),
    read(() => secretReplication(clients.secretsManager, config.secretName ?? names.secretName, config.drRegion)),
    record ? read(() => recordPair(clients.route53, record)) : Promise.resolve(undefined),
  ]);
  const keys = [
    ...(primary.ok && primary.value?.kmsKeyId ? [{ keyId: primary.value.kmsKeyId, region: config.primaryRegion }] : []),
    ...(replica.ok && replica.value?.kmsKeyId ? [{ keyId: replica.value.kmsKeyId, region: config.drRegion }] : []),
  ];
  const teamService = config.teamService;
  const mirror = teamService && drService.ok ? await read(() => observeMirror(clients.primaryEcs, teamService, drService.value.mirror, config, names)) : undefined;
  const drTaskSecrets = drService.ok ? await read(() => taskSecrets(clients, drService.value.mirror.definition, config.drRegion, account)) : undefined;
  const kmsKeys = await Promise.all(keys.map(async (k) => ({ ...k, state: await read(async () => (await clients.kms[k.region]!.send(new DescribeKeyCommand({ KeyId: k.keyId }))).KeyMetadata?.KeyState ?? "unknown") })));
  const health = config.health;
  const healthContract = health ? await servingHealth(clients.ssm, health, primaryServes({ primary, replica }) ? config.primaryRegion : config.drRegion, config, names) : undefined;
  return {
    stage: config.stage,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    primary,
    replica,
    drImage: drService.ok ? { ok: true, value: drService.value.image } : drService,
    drTask: drService.ok ? { ok: true, value: drService.value.task } : drService,
    drCapacity: { taskCount: config.drTaskCount, taskCpu: config.taskCpu, vcpuQuota: quota },
    alerts,
    ...(healthCheck ? { healthCheck } : {}),
    ...(image && replication ? { imageReplication: { ...image, rules: replication } } : {}),
    kmsKeys,
    secretReplica,
    ...(mirror ? { mirror } : {}),
    ...(drTaskSecrets ? { drTaskSecrets } : {}),
    ...(dnsRecord ? { dnsRecord } : {}),
    ...(healthContract ? { healthContract } : {}),
  };
}

/**
 * What the serving region's health path answers, at its URL (or its load balancer's address,
 * published in the DR region's SSM), within the verify's own bound: a region that does not
 * answer is a "could not read", never a breach of the contract.
 */
async function servingHealth(ssm: SSMClient, health: NonNullable<ReadinessTarget["health"]>, region: string, config: ReadinessTarget, names: Names): Promise<NonNullable<ReadinessObservation["healthContract"]>> {
  let url = health.urls[region] ?? null;
  if (!url) {
    const parameter = (region === config.primaryRegion ? primaryAddressParameters(names) : drAddressParameters(names)).albDns;
    const address = await read(async () => {
      const value = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
      if (!value) throw new Error(`SSM parameter ${parameter} in ${config.drRegion} has no value`);
      return value;
    });
    if (!address.ok) return { region, url: null, answer: { ok: false, error: `its load balancer's address (SSM ${parameter} in ${config.drRegion}): ${address.error}` } };
    url = `http://${address.value}${health.path}`;
  }
  const target = url;
  return { region, url, answer: await read(() => readHealthAnswer(target, healthTimeoutMs)) };
}

/** Whether Route 53 holds the record as a failover pair (its PRIMARY entry), and why not (the failover's refusal). */
async function recordPair(r53: Route53Client, record: { hostedZoneId: string; recordName: string }) {
  try {
    // Only the zone and name are read; the DR load balancer is SwitchDns's.
    await readPrimaryRecord(r53, { ...record, drAlbDns: "", drAlbZoneId: "" });
    return { ...record, notPair: null };
  } catch (error) {
    if (error instanceof RecordNotFailoverPairError) return { ...record, notPair: error.message };
    throw error;
  }
}

/**
 * The secrets the DR task definition names, each where ECS reads it when a task starts (a Secrets
 * Manager ARN, with `:json-key:...` after it; a parameter's ARN or its name in the DR region), and
 * what IAM's policy simulator says of the execution role reading it (./permissions.ts `simulate`).
 */
async function taskSecrets(clients: ReadinessClients, definition: TaskDefinition, drRegion: string, account: string): Promise<DrTaskSecrets> {
  const role = definition.executionRoleArn ?? null;
  const partition = role?.split(":")[1] ?? "aws";
  const refs = (definition.containerDefinitions ?? []).flatMap((c) => (c.secrets ?? []).map((s) => ({ container: c.name ?? "?", variable: s.name ?? "?", valueFrom: s.valueFrom ?? "" })));
  const secrets = await Promise.all(
    refs.map(async (ref): Promise<DrTaskSecret> => {
      const parts = ref.valueFrom.split(":");
      const allowed = async (action: string, resource: string, viaService?: string) =>
        role ? (await simulate(clients.iam, role, { Effect: "Allow", Action: action, Resource: resource, ...(viaService ? { Condition: { StringEquals: { "kms:ViaService": viaService } } } : {}) })).filter((r) => r.EvalDecision !== "allowed").map(denial) : [];
      if (parts[2] === "secretsmanager") {
        const arn = parts.slice(0, 7).join(":");
        const region = parts[3] ?? "";
        // A full ARN ends in the six characters Secrets Manager adds to the name.
        const secretName = (parts[6] ?? "").replace(/-[A-Za-z0-9]{6}$/, "");
        const base = { ...ref, kind: "secretsmanager" as const, secretName, region };
        if (region !== drRegion) return { ...base, found: false, denied: [] };
        const described = await describeSecret(clients.drSecretsManager, arn);
        if (!described) return { ...base, found: false, denied: [] };
        const key = described.KmsKeyId;
        const keyArn = key && !key.endsWith("alias/aws/secretsmanager") ? (key.startsWith("arn:") ? key : `arn:${partition}:kms:${drRegion}:${account}:${key.startsWith("alias/") ? key : `key/${key}`}`) : null;
        const denied = [...(await allowed("secretsmanager:GetSecretValue", described.ARN ?? arn)), ...(keyArn ? await allowed("kms:Decrypt", keyArn, `secretsmanager.${drRegion}.amazonaws.com`) : [])];
        return { ...base, found: true, denied };
      }
      const arn = ref.valueFrom.startsWith("arn:") ? ref.valueFrom : `arn:${partition}:ssm:${drRegion}:${account}:parameter/${ref.valueFrom.replace(/^\//, "")}`;
      const region = arn.split(":")[3] ?? "";
      const secretName = `/${arn.slice(arn.indexOf(":parameter/") + ":parameter/".length)}`;
      if (region !== drRegion) return { ...ref, kind: "ssm", secretName, region, found: false, denied: [] };
      if (!(await parameterFound(clients.ssm, ref.valueFrom.startsWith("arn:") ? parameterNames(arn) : [ref.valueFrom]))) return { ...ref, kind: "ssm", secretName, region, found: false, denied: [] };
      return { ...ref, kind: "ssm", secretName, region, found: true, denied: await allowed("ssm:GetParameters", arn) };
    }),
  );
  return { executionRole: role, secrets };
}

/**
 * The names a parameter's ARN can stand for: its ARN drops a hierarchical name's leading slash
 * (`parameter/shop/prod/key` is `/shop/prod/key`), so a one-level `parameter/key` is `key` or `/key`.
 */
function parameterNames(arn: string): string[] {
  const rest = arn.slice(arn.indexOf(":parameter/") + ":parameter/".length);
  return rest.includes("/") ? [`/${rest}`] : [rest, `/${rest}`];
}

/**
 * Whether a Parameter Store parameter of one of these names is in the client's region:
 * ssm:DescribeParameters reads its metadata, never its value. Its results are "best-effort": a
 * page may hold none of the matches and a NextToken, so every page is read.
 */
async function parameterFound(ssm: SSMClient, names: string[]): Promise<boolean> {
  let next: string | undefined;
  do {
    const out = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: names }], NextToken: next }));
    if ((out.Parameters ?? []).length > 0) return true;
    next = out.NextToken;
  } while (next);
  return false;
}

/** A secret in the client's region by ARN (null: not there). */
async function describeSecret(sm: SecretsManagerClient, id: string) {
  try {
    return await sm.send(new DescribeSecretCommand({ SecretId: id }));
  } catch (error) {
    if (isNamed(error, "ResourceNotFoundException")) return null;
    throw error;
  }
}

async function observeMirror(primaryEcs: ECSClient, team: { cluster: string; service: string }, dr: Awaited<ReturnType<typeof serviceTask>>["mirror"], config: ReadinessTarget, names: Names): Promise<MirrorObservation> {
  const family = names.mirrorFamily;
  return {
    family,
    scheduleRule: `${names.prefix}-mirror-task-definition`,
    drRegion: config.drRegion,
    dr: drRevision(dr.definition, dr.definition.taskDefinitionArn ?? ""),
    team: await read(() => teamRevision(primaryEcs, team, dr, { primaryRegion: config.primaryRegion, drRegion: config.drRegion, family })),
  };
}

/** The database secret in the primary region and its replication to the DR region (null: no such secret). */
async function secretReplication(sm: SecretsManagerClient, name: string, drRegion: string) {
  let out;
  try {
    out = await sm.send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if (isNamed(error, "ResourceNotFoundException")) return null;
    throw error;
  }
  const replica = (out.ReplicationStatus ?? []).find((r) => r.Region === drRegion);
  return { name, status: replica?.Status ?? null, message: replica?.StatusMessage ?? null };
}

async function database(rds: RDSClient, identifier: string): Promise<DatabaseObservation | null> {
  let db;
  try {
    db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
  } catch (error) {
    if (isNamed(error, "DBInstanceNotFoundFault")) return null;
    throw error;
  }
  if (!db) return null;
  const state = toReplicaState(db);
  const parameterGroup = db.DBParameterGroups?.[0]?.DBParameterGroupName ?? null;
  // Which region serves (Database.decideServing) reads read_only in the group of a database that is no replica.
  const readOnly = state.sourceIdentifier === null && parameterGroup ? { readOnly: await read(() => readOnlyInGroup(rds, parameterGroup)) } : {};
  return {
    ...state,
    replication: state.replication ?? null,
    latestRestorableTime: db.LatestRestorableTime ? new Date(db.LatestRestorableTime).toISOString() : null,
    parameterGroup,
    ...readOnly,
    kmsKeyId: db.KmsKeyId ?? null,
  };
}

/**
 * The task definition a scale-up of the DR service starts (its status and execution role: the
 * service's own, or an adopting stage's latest mirror revision) and its image, with whether the
 * DR registry holds it.
 */
async function serviceTask(clients: ReadinessClients, names: Names, drRegion: string, mirrorFamily: string | undefined) {
  const service = (await clients.ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }))).services?.[0];
  if (!service?.taskDefinition) throw new Error(`no ECS service ${names.service} in cluster ${names.cluster} (${drRegion})`);
  // An adopting stage's failover starts the mirror's latest revision whatever the service runs (Compute.scaleService).
  const mirrored = mirrorFamily ? await latestRevision(clients.ecs, mirrorFamily) : undefined;
  const task = mirrored ?? (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }))).taskDefinition;
  const uri = task?.containerDefinitions?.find((c) => c.name === "web")?.image ?? task?.containerDefinitions?.[0]?.image;
  if (!uri) throw new Error(`task definition ${service.taskDefinition} names no image`);
  const roleArn = task?.executionRoleArn ?? null;
  const [image, roleExists] = await Promise.all([imageIn(clients.ecr, uri, drRegion), roleArn ? roleFound(clients.iam, roleArn) : Promise.resolve(null)]);
  const lb = service.loadBalancers?.[0];
  return {
    image,
    mirror: { definition: task ?? {}, target: lb?.containerName && lb.containerPort !== undefined ? { containerName: lb.containerName, containerPort: lb.containerPort } : null },
    task: { arn: task?.taskDefinitionArn ?? service.taskDefinition, status: task?.status ?? "unknown", executionRole: roleArn ? { arn: roleArn, exists: roleExists === true } : null },
  };
}

async function imageIn(ecr: ECRClient, uri: string, drRegion: string) {
  const image = parseEcrImageUri(uri);
  if (!image || image.region !== drRegion) return { uri, registryRegion: image?.region ?? null, present: null };
  const imageId = image.tagOrDigest.startsWith("sha256:") ? { imageDigest: image.tagOrDigest } : { imageTag: image.tagOrDigest };
  try {
    const found = await ecr.send(new DescribeImagesCommand({ registryId: image.account, repositoryName: image.repository, imageIds: [imageId] }));
    return { uri, registryRegion: image.region, present: (found.imageDetails ?? []).length > 0 };
  } catch (error) {
    if (isNamed(error, "ImageNotFoundException", "RepositoryNotFoundException")) return { uri, registryRegion: image.region, present: false };
    throw error;
  }
}

/** Whether an IAM role exists (ECS cannot pull the image or read the secrets without it). */
async function roleFound(iam: IAMClient, roleArn: string): Promise<boolean> {
  try {
    await iam.send(new GetRoleCommand({ RoleName: roleArn.slice(roleArn.lastIndexOf("/") + 1) }));
    return true;
  } catch (error) {
    if (isNamed(error, "NoSuchEntityException")) return false;
    throw error;
  }
}

/** The applied quota; AWS's default when the account never changed it (GetServiceQuota then answers NoSuchResourceException). */
async function fargateVcpuQuota(sq: ServiceQuotasClient): Promise<number | null> {
  try {
    return (await sq.send(new GetServiceQuotaCommand(fargateOnDemandVcpuQuota))).Quota?.Value ?? null;
  } catch (error) {
    if (!isNamed(error, "NoSuchResourceException")) throw error;
  }
  return (await sq.send(new GetAWSDefaultServiceQuotaCommand(fargateOnDemandVcpuQuota))).Quota?.Value ?? null;
}

/** The primary registry's replication rules: where each sends which repositories. */
async function replicationRules(ecr: ECRClient) {
  const rules = (await ecr.send(new DescribeRegistryCommand({}))).replicationConfiguration?.rules ?? [];
  return rules.map((r) => ({
    destinations: (r.destinations ?? []).map((d) => ({ region: d.region ?? "", registryId: d.registryId ?? "" })),
    prefixes: (r.repositoryFilters ?? []).filter((f) => f.filterType === "PREFIX_MATCH").map((f) => f.filter ?? ""),
  }));
}

async function subscriptions(sns: SNSClient, topicArn: string) {
  const all: Subscription[] = [];
  let next: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
    all.push(...(page.Subscriptions ?? []));
    next = page.NextToken;
  } while (next);
  return all.map((s) => ({ endpoint: s.Endpoint ?? "?", protocol: s.Protocol ?? "?", confirmed: (s.SubscriptionArn ?? "").startsWith("arn:") }));
}

/** Route 53's health check on the primary: its id from the DR region's SSM (the Dns stack writes it). */
async function route53Check(clients: ReadinessClients, names: Names) {
  let id: string | undefined;
  try {
    id = (await clients.ssm.send(new GetParameterCommand({ Name: primaryHealthCheckParameter(names) }))).Parameter?.Value;
  } catch (error) {
    if (isNamed(error, "ParameterNotFound")) return null;
    throw error;
  }
  if (!id) return null;
  try {
    return { id, reports: await checkerObservations(clients.route53, id) };
  } catch (error) {
    if (isNamed(error, "NoSuchHealthCheck")) return null;
    throw error;
  }
}
