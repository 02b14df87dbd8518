/**
 * Adopting a team's existing primary: read what the account shows, plan (./plan.ts, pure),
 * state the plan, and apply its changes. `adopt` reads again before it writes, every time: a
 * call whose response was lost, or a run interrupted half way, is finished by running it again,
 * and a run over an adopted primary changes nothing. Findings (a `default.*` parameter group) are
 * never applied: they name the command for the team to run.
 */
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, type RDSClient } from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from "@aws-sdk/client-route-53";
import { GetBucketReplicationCommand, PutBucketReplicationCommand, type ReplicationRule, type S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, ReplicateSecretToRegionsCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { callAws, ConfigurationError } from "../errors";
import { checkerObservations, type CheckerObservation } from "../health/second-opinion";
import { notYetDeployed, planAdoption, type AdoptionChange, type AdoptionObservation, type AdoptionPlan, type AdoptionTarget, type ReplicationShape, type SecretShape } from "./plan";

export * from "./plan";
export * from "./mirror";

export interface AdoptionClients {
  /** The primary region's. */
  s3: S3Client;
  rds: RDSClient;
  route53?: Route53Client | undefined;
  /** The primary region's: the team's database secret and its replicas (needed when the target names it). */
  secretsManager?: SecretsManagerClient | undefined;
  /** The clock Route 53's checkers' results are judged against (the world's, in its tests); default the real one. */
  now?: (() => Date) | undefined;
}

const notFound = (error: unknown, ...names: string[]) => error instanceof Error && names.includes(error.name);

export async function observeAdoption(clients: AdoptionClients, target: AdoptionTarget): Promise<AdoptionObservation> {
  const replication = await callAws("s3:GetBucketReplication", () => clients.s3.send(new GetBucketReplicationCommand({ Bucket: target.bucket }))).then(
    (out): ReplicationShape | null => out.ReplicationConfiguration ?? null,
    (error: unknown) => {
      if (notFound(error, "ReplicationConfigurationNotFoundError")) return null;
      throw error;
    },
  );
  const db = (await callAws("rds:DescribeDBInstances", () => clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: target.database.identifier })))).DBInstances?.[0];
  const group = db?.DBParameterGroups?.[0];
  if (!db || !group?.DBParameterGroupName) throw new ConfigurationError(`database ${target.database.identifier} (adopt.database.instanceIdentifier) is not in ${target.region}`);
  const fenceGroupExists = await callAws("rds:DescribeDBParameters", () => clients.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: target.database.parameterGroup, MaxRecords: 20 }))).then(
    () => true,
    (error: unknown) => {
      if (notFound(error, "DBParameterGroupNotFoundFault", "DBParameterGroupNotFound")) return false;
      throw error;
    },
  );
  let records: ResourceRecordSet[] | undefined;
  let healthCheck: CheckerObservation[] | null | undefined;
  if (target.dns) {
    if (!clients.route53) throw new ConfigurationError("adopting a stage with DNS needs a Route 53 client");
    const { hostedZoneId, recordName } = target.dns;
    const r53 = clients.route53;
    const name = recordName.replace(/\.?$/, ".").toLowerCase();
    const out = await callAws("route53:ListResourceRecordSets", () => r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: name, MaxItems: 20 })));
    records = (out.ResourceRecordSets ?? []).filter((r) => (r.Name ?? "").replace(/\.?$/, ".").toLowerCase() === name);
    const checkId = target.dns.healthCheckId;
    if (checkId !== notYetDeployed) {
      healthCheck = await callAws("route53:GetHealthCheckStatus", () => checkerObservations(r53, checkId)).catch((error: unknown) => {
        if (notFound(error, "NoSuchHealthCheck")) return null;
        throw error;
      });
    }
  }
  let secret: SecretShape | null | undefined;
  if (target.secret) secret = await describeSecret(clients, target.secret.name);
  return {
    replication,
    records,
    ...(healthCheck !== undefined ? { healthCheck, observedAt: (clients.now?.() ?? new Date()).toISOString() } : {}),
    ...(target.secret ? { secret } : {}),
    database: { identifier: target.database.identifier, parameterGroup: group.DBParameterGroupName, parameterApplyStatus: group.ParameterApplyStatus ?? "in-sync", engineVersion: db.EngineVersion ?? "8.4", storageEncrypted: db.StorageEncrypted === true },
    fenceGroupExists,
  };
}

async function describeSecret(clients: AdoptionClients, name: string): Promise<SecretShape | null> {
  const sm = clients.secretsManager;
  if (!sm) throw new ConfigurationError("adopting a stage's database secret needs a Secrets Manager client");
  return callAws("secretsmanager:DescribeSecret", () => sm.send(new DescribeSecretCommand({ SecretId: name }))).then(
    (out): SecretShape => ({ PrimaryRegion: out.PrimaryRegion, ReplicationStatus: out.ReplicationStatus }),
    (error: unknown) => {
      if (notFound(error, "ResourceNotFoundException")) return null;
      throw error;
    },
  );
}

/**
 * Reads, plans and (with `apply`) makes the plan's changes. A change whose call fails is judged
 * by what the account shows next: a batch whose answer was lost and whose retry Route 53 refused
 * (the pair exists now) is done, not an error. Returns the plan it read first.
 */
export async function adopt(clients: AdoptionClients, target: AdoptionTarget, options: { apply: boolean }): Promise<AdoptionPlan> {
  const plan = planAdoption(target, await observeAdoption(clients, target));
  if (!options.apply) return plan;
  for (const change of plan.changes) {
    try {
      await applyChange(clients, change);
    } catch (error) {
      // What the account shows decides; a refusal that needs the team (ConfigurationError) stands.
      if (error instanceof ConfigurationError) throw error;
      const now = planAdoption(target, await observeAdoption(clients, target));
      if (now.changes.some((c) => c.kind === change.kind)) throw error;
    }
  }
  return plan;
}

async function applyChange(clients: AdoptionClients, change: AdoptionChange): Promise<void> {
  if (change.kind === "secret-replica") {
    await replicateSecret(clients, change);
    return;
  }
  if (change.kind === "bucket-replication") {
    await callAws("s3:PutBucketReplication", () =>
      clients.s3.send(new PutBucketReplicationCommand({ Bucket: change.bucket, ReplicationConfiguration: { Role: change.configuration.Role, Rules: change.configuration.Rules as ReplicationRule[] } })),
    );
    return;
  }
  const r53 = clients.route53;
  if (!r53) throw new ConfigurationError("adopting a stage with DNS needs a Route 53 client");
  await callAws("route53:ChangeResourceRecordSets", () =>
    r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: change.hostedZoneId,
        ChangeBatch: { Comment: "pilot-light adopt: the simple record becomes a failover pair", Changes: change.changes.map((c) => ({ Action: c.Action, ResourceRecordSet: c.ResourceRecordSet as ResourceRecordSet })) },
      }),
    ),
  );
}

/**
 * Replicates the secret, then reads it again: a replication Secrets Manager accepted can still
 * fail in the region (a secret of that name is there), which only DescribeSecret shows.
 */
async function replicateSecret(clients: AdoptionClients, change: Extract<AdoptionChange, { kind: "secret-replica" }>): Promise<void> {
  const sm = clients.secretsManager;
  if (!sm) throw new ConfigurationError("adopting a stage's database secret needs a Secrets Manager client");
  let failure: { error: unknown } | undefined;
  try {
    await callAws("secretsmanager:ReplicateSecretToRegions", () => sm.send(new ReplicateSecretToRegionsCommand({ SecretId: change.secretId, AddReplicaRegions: [{ Region: change.region, KmsKeyId: change.kmsKeyId }] })));
  } catch (error) {
    failure = { error };
  }
  const now = (await describeSecret(clients, change.secretId))?.ReplicationStatus?.find((r) => r.Region === change.region);
  if (now?.Status === "Failed") throw new ConfigurationError(`secret ${change.secretId}: its replication to ${change.region} failed${now.StatusMessage ? ` (${now.StatusMessage})` : ""}; run the adoption plan again for what to do`);
  // A call whose answer was lost may have replicated it: `adopt` judges by what the account shows.
  if (failure) throw failure.error;
}
