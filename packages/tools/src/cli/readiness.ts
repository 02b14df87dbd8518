/**
 * `pnpm dr readiness`: reads what a failover and a failback need from the live account, with
 * the operator's credentials, in both regions, and hands it to Readiness.judgeReadiness. Every
 * read is independent: one that fails (denied, a region that does not answer) becomes a finding
 * of its own, never the end of the report. Read-only: no call here changes anything.
 */
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from "@aws-sdk/client-sns";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { Database, Health, Readiness, Stage } from "@pilot-light/core";
import { explainAwsError } from "./errors";

export interface ReadinessClients {
  /** By region: the stage's primary and DR regions. */
  rds: Record<string, RDSClient>;
  sns: Record<string, SNSClient>;
  kms: Record<string, KMSClient>;
  /** DR region. */
  ecs: ECSClient;
  ecr: ECRClient;
  ssm: SSMClient;
  route53: Route53Client;
}

/** Each client names its region: RDS, SNS and KMS in both, the rest in the DR region. */
export function readinessClients(config: Stage.StageConfig): ReadinessClients {
  const both = <T>(make: (region: string) => T) => Object.fromEntries([config.primaryRegion, config.drRegion].map((r) => [r, make(r)])) as Record<string, T>;
  const region = config.drRegion;
  return {
    rds: both((r) => new RDSClient({ region: r })),
    sns: both((r) => new SNSClient({ region: r })),
    kms: both((r) => new KMSClient({ region: r })),
    ecs: new ECSClient({ region }),
    ecr: new ECRClient({ region }),
    ssm: new SSMClient({ region }),
    // Route 53's control plane answers from us-east-1 whatever the client's region.
    route53: new Route53Client({ region }),
  };
}

export interface ReadinessReport extends Readiness.Readiness {
  stage: string;
  checkedAt: string;
}

/** Reads the account (the account id from STS: the topics' ARNs name it) and judges it. */
export async function checkReadiness(config: Stage.StageConfig, clients: ReadinessClients, sts: STSClient, now: () => Date): Promise<ReadinessReport> {
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw explainAwsError("STS GetCallerIdentity", config.drRegion, error);
  }
  if (!account) throw new Error("STS GetCallerIdentity returned no account");
  const at = now();
  return { stage: config.stage, checkedAt: at.toISOString(), ...Readiness.judgeReadiness(await observeReadiness(clients, config, account), at) };
}

export function formatReadiness(r: ReadinessReport): string {
  const lines = [`Readiness of stage ${r.stage} at ${r.checkedAt}: ${r.ready ? "READY" : "NOT READY"}`];
  for (const f of r.findings) {
    lines.push(`  ${f.ok ? "ok  " : "FAIL"} ${f.check.padEnd(21)} ${f.detail}`);
    if (f.action) lines.push(`       ${"".padEnd(21)} → ${f.action}`);
  }
  return lines.join("\n");
}

const read = async <T>(f: () => Promise<T>): Promise<Readiness.Read<T>> =>
  f().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );

const isNamed = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

export async function observeReadiness(clients: ReadinessClients, config: Stage.StageConfig, account: string): Promise<Readiness.ReadinessObservation> {
  const names = Stage.resourceNames(config);
  const regions = [config.primaryRegion, config.drRegion];
  const [primary, replica, drImage, alerts, healthCheck] = await Promise.all([
    read(() => database(clients.rds[config.primaryRegion]!, names.primaryDb)),
    read(() => database(clients.rds[config.drRegion]!, names.replicaDb)),
    read(() => serviceImage(clients, names, config.drRegion)),
    Promise.all(
      regions.map(async (region) => {
        const topicArn = `arn:aws:sns:${region}:${account}:${names.topic}`;
        return { region, topicArn, subscriptions: await read(() => subscriptions(clients.sns[region]!, topicArn)) };
      }),
    ),
    config.dns ? read(() => route53Check(clients, names)) : Promise.resolve(undefined),
  ]);
  const keys = [
    ...(primary.ok && primary.value?.kmsKeyId ? [{ keyId: primary.value.kmsKeyId, region: config.primaryRegion }] : []),
    ...(replica.ok && replica.value?.kmsKeyId ? [{ keyId: replica.value.kmsKeyId, region: config.drRegion }] : []),
  ];
  const kmsKeys = await Promise.all(keys.map(async (k) => ({ ...k, state: await read(async () => (await clients.kms[k.region]!.send(new DescribeKeyCommand({ KeyId: k.keyId }))).KeyMetadata?.KeyState ?? "unknown") })));
  return {
    stage: config.stage,
    primaryRegion: config.primaryRegion,
    drRegion: config.drRegion,
    primary,
    replica,
    drImage,
    alerts,
    ...(healthCheck ? { healthCheck } : {}),
    kmsKeys,
  };
}

async function database(rds: RDSClient, identifier: string): Promise<Readiness.DatabaseObservation | null> {
  let db;
  try {
    db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
  } catch (error) {
    if (isNamed(error, "DBInstanceNotFoundFault")) return null;
    throw error;
  }
  if (!db) return null;
  const state = Database.toReplicaState(db);
  return {
    ...state,
    replication: state.replication ?? null,
    latestRestorableTime: db.LatestRestorableTime ? new Date(db.LatestRestorableTime).toISOString() : null,
    parameterGroup: db.DBParameterGroups?.[0]?.DBParameterGroupName ?? null,
    kmsKeyId: db.KmsKeyId ?? null,
  };
}

/** The image of the DR service's task definition, and whether that registry holds it. */
async function serviceImage(clients: ReadinessClients, names: ReturnType<typeof Stage.resourceNames>, drRegion: string) {
  const service = (await clients.ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }))).services?.[0];
  if (!service?.taskDefinition) throw new Error(`no ECS service ${names.service} in cluster ${names.cluster} (${drRegion})`);
  const task = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }))).taskDefinition;
  const uri = task?.containerDefinitions?.find((c) => c.name === "web")?.image ?? task?.containerDefinitions?.[0]?.image;
  if (!uri) throw new Error(`task definition ${service.taskDefinition} names no image`);
  const image = Stage.parseEcrImageUri(uri);
  if (!image || image.region !== drRegion) return { uri, registryRegion: image?.region ?? null, present: null };
  const imageId = image.tagOrDigest.startsWith("sha256:") ? { imageDigest: image.tagOrDigest } : { imageTag: image.tagOrDigest };
  try {
    const found = await clients.ecr.send(new DescribeImagesCommand({ registryId: image.account, repositoryName: image.repository, imageIds: [imageId] }));
    return { uri, registryRegion: image.region, present: (found.imageDetails ?? []).length > 0 };
  } catch (error) {
    if (isNamed(error, "ImageNotFoundException", "RepositoryNotFoundException")) return { uri, registryRegion: image.region, present: false };
    throw error;
  }
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
async function route53Check(clients: ReadinessClients, names: ReturnType<typeof Stage.resourceNames>) {
  let id: string | undefined;
  try {
    id = (await clients.ssm.send(new GetParameterCommand({ Name: Stage.primaryHealthCheckParameter(names) }))).Parameter?.Value;
  } catch (error) {
    if (isNamed(error, "ParameterNotFound")) return null;
    throw error;
  }
  if (!id) return null;
  try {
    return { id, reports: await Health.checkerObservations(clients.route53, id) };
  } catch (error) {
    if (isNamed(error, "NoSuchHealthCheck")) return null;
    throw error;
  }
}
