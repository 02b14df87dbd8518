/**
 * The APIs the failback workflows call, answered from the world (installed by installApis):
 * RDS ModifyDBInstance (rename, backups) and CreateDBInstanceReadReplica, Secrets Manager
 * ReplicateSecretToRegions, S3 bucket replication, Lambda Invoke of registered functions.
 * Each answers as the API reference documents, including its refusals (docs/aws-behaviour.md).
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateDBInstanceReadReplicaCommand, CreateDBParameterGroupCommand, ModifyDBInstanceCommand, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { DeleteBucketReplicationCommand, GetBucketReplicationCommand, PutBucketReplicationCommand, S3Client } from "@aws-sdk/client-s3";
import { ReplicateSecretToRegionsCommand } from "@aws-sdk/client-secrets-manager";
import { awsError, stub, type AnyStub, type Fake } from "./api";
import { createReadReplica, enableBackups, failbackState, isBusy, placementOf, renameInstance, type Bucket } from "./failback";
import { mutatingApis, type DbInstance, type WorldState } from "./model";

type Route = (s: AnyStub, command: unknown, api: string, fake: Fake) => void;

/** DescribeDBInstances fields of an instance's placement, when the world knows it. */
export function describeExtras(world: WorldState, db: DbInstance): Record<string, unknown> {
  const p = placementOf(world, db);
  if (!p) return {};
  return {
    Endpoint: { Address: `${db.identifier}.${p.endpointSuffix}`, Port: 3306 },
    DBSubnetGroup: { DBSubnetGroupName: p.subnetGroup },
    VpcSecurityGroups: p.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: "active" })),
    // An instance placed without a key is unencrypted: RDS answers no KmsKeyId for it.
    ...(p.kmsKeyId ? { KmsKeyId: p.kmsKeyId } : {}),
    StorageEncrypted: p.kmsKeyId !== "",
    MultiAZ: p.multiAz,
    DBInstanceClass: p.instanceClass,
    TagList: p.tags,
  };
}

const failbackMutating = ["rds:ModifyDBInstance", "rds:RebootDBInstance", "rds:CreateDBInstanceReadReplica", "rds:CreateDBParameterGroup", "secretsmanager:ReplicateSecretToRegions", "s3:PutBucketReplication", "s3:DeleteBucketReplication"];

export function installFailbackApis(world: WorldState, stubs: { rds: AnyStub; sm: AnyStub }, route: Route): AnyStub[] {
  for (const api of failbackMutating) mutatingApis.add(api);
  const s = failbackState(world);
  const instance = (id: string | undefined, region: string) => {
    const db = world.databases.get(id ?? "");
    if (!db || db.region !== region) throw awsError("DBInstanceNotFoundFault", `DBInstance ${id} not found.`, 404);
    return db;
  };

  route(
    stubs.rds,
    ModifyDBInstanceCommand,
    "rds:ModifyDBInstance",
    (input: { DBInstanceIdentifier?: string; NewDBInstanceIdentifier?: string; BackupRetentionPeriod?: number; PreferredBackupWindow?: string; DBParameterGroupName?: string }, region) => {
      const db = instance(input.DBInstanceIdentifier, region);
      const status = world.dbView(db).status;
      if (status !== "available" || isBusy(world, db)) throw awsError("InvalidDBInstanceStateFault", `DB instance ${db.identifier} is ${status}; it must be available to be modified.`, 400);
      if (input.DBParameterGroupName !== undefined) {
        // A group change waits for a reboot, even with ApplyImmediately (docs/aws-behaviour.md).
        const group = input.DBParameterGroupName.toLowerCase();
        if (!group.startsWith("default.") && world.parameterGroups.get(group)?.region !== region) throw awsError("DBParameterGroupNotFoundFault", `DBParameterGroup not found: ${group}`, 404);
        if (group !== db.parameterGroup) db.pendingParameterGroup = group;
      }
      if (input.NewDBInstanceIdentifier) {
        if (world.databases.has(input.NewDBInstanceIdentifier)) throw awsError("DBInstanceAlreadyExistsFault", `DB instance ${input.NewDBInstanceIdentifier} already exists.`, 400);
        renameInstance(world, db, input.NewDBInstanceIdentifier);
      } else if (input.BackupRetentionPeriod !== undefined) {
        const start = /^(\d\d):(\d\d)-/.exec(input.PreferredBackupWindow ?? "01:00-01:30");
        enableBackups(world, db, input.BackupRetentionPeriod, Number(start?.[1] ?? 1) * 60 + Number(start?.[2] ?? 0));
      }
      return { DBInstance: { DBInstanceIdentifier: db.identifier, DBInstanceStatus: world.dbView(db).status } };
    },
  );

  route(stubs.rds, RebootDBInstanceCommand, "rds:RebootDBInstance", (input: { DBInstanceIdentifier?: string }, region) => {
    const db = instance(input.DBInstanceIdentifier, region);
    const status = world.dbView(db).status;
    if (status !== "available") throw awsError("InvalidDBInstanceStateFault", `DB instance ${db.identifier} is ${status}; it must be available to be rebooted.`, 400);
    if (db.pendingParameterGroup) {
      db.parameterGroup = db.pendingParameterGroup.startsWith("default.") ? undefined : db.pendingParameterGroup;
      delete db.pendingParameterGroup;
    }
    return { DBInstance: { DBInstanceIdentifier: db.identifier, DBInstanceStatus: "rebooting" } };
  });

  // A group of the instance's own, so that a fence can set read_only in it (default groups cannot be modified).
  route(
    stubs.rds,
    CreateDBParameterGroupCommand,
    "rds:CreateDBParameterGroup",
    (input: { DBParameterGroupName?: string; DBParameterGroupFamily?: string }, region) => {
      const name = (input.DBParameterGroupName ?? "").toLowerCase();
      if (world.parameterGroups.has(name)) throw awsError("DBParameterGroupAlreadyExistsFault", `Parameter group ${name} already exists`, 400);
      const arn = `arn:aws:rds:${region}:${world.databases.values().next().value?.arn.split(":")[4] ?? "123456789012"}:pg:${name}`;
      world.parameterGroups.set(name, { name, region, arn, parameters: new Map() });
      return { DBParameterGroup: { DBParameterGroupName: name, DBParameterGroupFamily: input.DBParameterGroupFamily, DBParameterGroupArn: arn } };
    },
  );

  route(
    stubs.rds,
    CreateDBInstanceReadReplicaCommand,
    "rds:CreateDBInstanceReadReplica",
    (
      input: { DBInstanceIdentifier?: string; SourceDBInstanceIdentifier?: string; DBParameterGroupName?: string; KmsKeyId?: string; DBSubnetGroupName?: string; VpcSecurityGroupIds?: string[]; DBInstanceClass?: string; MultiAZ?: boolean; Tags?: { Key?: string; Value?: string }[] },
      region,
    ) => {
      const id = input.DBInstanceIdentifier ?? "";
      if (world.databases.has(id)) throw awsError("DBInstanceAlreadyExistsFault", `DB instance already exists`, 400);
      const source = [...world.databases.values()].find((d) => d.arn === input.SourceDBInstanceIdentifier);
      if (!source) throw awsError("DBInstanceNotFoundFault", `source DB instance ${input.SourceDBInstanceIdentifier} not found`, 404);
      if (world.regionsDown.has(source.region)) throw awsError("InvalidDBInstanceStateFault", `source DB instance ${source.identifier} cannot be reached`, 400);
      const view = world.dbView(source);
      if (view.status !== "available") throw awsError("InvalidDBInstanceStateFault", `source DB instance ${source.identifier} is ${view.status}`, 400);
      if (source.backupRetentionDays === 0) throw awsError("InvalidDBInstanceStateFault", "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.", 400);
      // A replica's encryption follows its source's (RDS API Reference, CreateDBInstanceReadReplica, KmsKeyId):
      // "You can't create an encrypted read replica from an unencrypted DB instance".
      const sourceEncrypted = (placementOf(world, source)?.kmsKeyId ?? "unknown") !== "";
      if (!sourceEncrypted && input.KmsKeyId) throw awsError("InvalidParameterCombination", `Cannot create an encrypted read replica from the unencrypted DB instance ${source.identifier}`, 400);
      if (sourceEncrypted && source.region !== region && !input.KmsKeyId) throw awsError("InvalidParameterCombination", "KmsKeyId is required to create an encrypted read replica in another Region", 400);
      const group = input.DBParameterGroupName?.toLowerCase();
      if (group !== undefined && world.parameterGroups.get(group)?.region !== region) throw awsError("DBParameterGroupNotFoundFault", `DBParameterGroup not found: ${group}`, 404);
      const sourcePlacement = placementOf(world, source);
      const replica = createReadReplica(
        world,
        source,
        id,
        region,
        {
          subnetGroup: input.DBSubnetGroupName ?? "default",
          securityGroups: input.VpcSecurityGroupIds ?? [],
          kmsKeyId: input.KmsKeyId ?? sourcePlacement?.kmsKeyId ?? "",
          instanceClass: input.DBInstanceClass ?? sourcePlacement?.instanceClass ?? "db.t4g.small",
          multiAz: input.MultiAZ ?? false,
          endpointSuffix: `c0ffee12.${region}.rds.amazonaws.com`,
          tags: (input.Tags ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })),
        },
        world.replicaLag.values().next().value?.steady ?? [1],
      );
      // Without a group: "the default DBParameterGroup for the specified DB engine for a cross-Region read replica".
      if (group !== undefined) replica.parameterGroup = group;
      return { DBInstance: { DBInstanceIdentifier: id, DBInstanceStatus: "creating" } };
    },
  );

  route(
    stubs.sm,
    ReplicateSecretToRegionsCommand,
    "secretsmanager:ReplicateSecretToRegions",
    (input: { SecretId?: string; AddReplicaRegions?: { Region?: string }[]; ForceOverwriteReplicaSecret?: boolean }, region) => {
      const secret = world.findSecret(region, input.SecretId ?? "");
      if (!secret) throw awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 400);
      if (secret.primaryRegion !== region) throw awsError("InvalidRequestException", `Secret ${secret.name} in ${region} is a replica; replicate from its primary Region.`, 400);
      const status = (input.AddReplicaRegions ?? []).map(({ Region: to = "" }) => {
        const existing = world.findSecret(to, secret.name);
        if (existing && existing.primaryRegion !== region && !input.ForceOverwriteReplicaSecret) {
          return { Region: to, Status: "Failed", StatusMessage: `a secret named ${secret.name} already exists in ${to}` };
        }
        if (existing) existing.primaryRegion = region;
        else world.secrets.set(world.secretKey(to, secret.name), { name: secret.name, region: to, arn: secret.arn.replace(`:${region}:`, `:${to}:`), primaryRegion: region, secretString: secret.secretString });
        return { Region: to, Status: "InSync" };
      });
      return { ARN: secret.arn, ReplicationStatus: status };
    },
  );

  const s3 = stub(S3Client);
  const bucket = (name: string | undefined, region: string): Bucket => {
    const b = s.buckets.get(name ?? "");
    if (!b) throw awsError("NoSuchBucket", "The specified bucket does not exist", 404);
    if (b.region !== region) throw awsError("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.", 301);
    return b;
  };
  route(s3, GetBucketReplicationCommand, "s3:GetBucketReplication", (input: { Bucket?: string }, region) => {
    const b = bucket(input.Bucket, region);
    if (!b.replication) throw awsError("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404);
    return { ReplicationConfiguration: structuredClone(b.replication) };
  });
  route(s3, PutBucketReplicationCommand, "s3:PutBucketReplication", (input: { Bucket?: string; ReplicationConfiguration?: Bucket["replication"] }, region) => {
    const b = bucket(input.Bucket, region);
    if (!b.versioned) throw awsError("InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration", 400);
    for (const rule of input.ReplicationConfiguration?.Rules ?? []) {
      const name = (rule.Destination?.Bucket ?? "").replace(/^arn:aws:s3:::/, "");
      const destination = s.buckets.get(name);
      if (!destination || world.regionsDown.has(destination.region)) throw awsError("InvalidRequest", `Destination bucket must exist: ${name}`, 400);
      if (!destination.versioned) throw awsError("InvalidRequest", "Destination bucket must have versioning enabled.", 400);
    }
    b.replication = structuredClone(input.ReplicationConfiguration ?? null);
    return {};
  });
  route(s3, DeleteBucketReplicationCommand, "s3:DeleteBucketReplication", (input: { Bucket?: string }, region) => {
    bucket(input.Bucket, region).replication = null;
    return {};
  });

  const lambda = stub(LambdaClient);
  route(lambda, InvokeCommand, "lambda:Invoke", async (input: { FunctionName?: string; Payload?: Uint8Array | string }, region) => {
    const name = (input.FunctionName ?? "").split(":function:").pop()?.split(":")[0] ?? "";
    const fn = s.lambdas.get(`${region}/${name}`);
    if (!fn) throw awsError("ResourceNotFoundException", `Function not found: ${input.FunctionName}`, 404);
    const raw = typeof input.Payload === "string" ? input.Payload : new TextDecoder().decode(input.Payload ?? new Uint8Array());
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    try {
      return { StatusCode: 200, ExecutedVersion: "$LATEST", Payload: encode(await fn(raw ? JSON.parse(raw) : {})) };
    } catch (error) {
      return { StatusCode: 200, FunctionError: "Unhandled", Payload: encode({ errorType: (error as Error).name, errorMessage: (error as Error).message }) };
    }
  });
  return [s3, lambda];
}
