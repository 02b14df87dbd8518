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
import { callAws, ConfigurationError } from "../errors";
import { planAdoption, type AdoptionChange, type AdoptionObservation, type AdoptionPlan, type AdoptionTarget, type ReplicationShape } from "./plan";

export * from "./plan";
export * from "./mirror";

export interface AdoptionClients {
  /** The primary region's. */
  s3: S3Client;
  rds: RDSClient;
  route53?: Route53Client | undefined;
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
  if (target.dns) {
    if (!clients.route53) throw new ConfigurationError("adopting a stage with DNS needs a Route 53 client");
    const { hostedZoneId, recordName } = target.dns;
    const r53 = clients.route53;
    const name = recordName.replace(/\.?$/, ".").toLowerCase();
    const out = await callAws("route53:ListResourceRecordSets", () => r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: name, MaxItems: 20 })));
    records = (out.ResourceRecordSets ?? []).filter((r) => (r.Name ?? "").replace(/\.?$/, ".").toLowerCase() === name);
  }
  return {
    replication,
    records,
    database: { identifier: target.database.identifier, parameterGroup: group.DBParameterGroupName, parameterApplyStatus: group.ParameterApplyStatus ?? "in-sync", engineVersion: db.EngineVersion ?? "8.4", storageEncrypted: db.StorageEncrypted === true },
    fenceGroupExists,
  };
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
      const now = planAdoption(target, await observeAdoption(clients, target));
      if (now.changes.some((c) => c.kind === change.kind)) throw error;
    }
  }
  return plan;
}

async function applyChange(clients: AdoptionClients, change: AdoptionChange): Promise<void> {
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
