/**
 * A primary the team built before pilot-light, in the world (docs/adopt.md): created outside
 * pilot-light's stacks, under the team's names and with the team's settings. Its database
 * `shop-mysql-prod` runs on the default parameter group (the fence cannot set read_only there)
 * with the team's tags and none of CloudFormation's; its service `storefront` in cluster
 * `shop-prod`; its bucket `shop-prod-uploads` replicates invoices to an archive bucket under its
 * own rule and role; users resolve a simple alias record to its load balancer. pilot-light's DR
 * side is as its stacks deploy it: the replica, the DR service, the DR bucket, the secret's
 * replica (as the adoption plan makes it; a test deletes it) and Route 53's health check on the
 * primary. What adoption changes is `adoptPrimary`'s: the team's steps, run after the world is
 * built (the rehearsals' `--adopted`, the adopted round trip's test).
 */
import { CreateDBParameterGroupCommand, ModifyDBInstanceCommand, RDSClient, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { Route53Client, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { Adoption } from "@pilot-light/core";
import { addBucket, failbackState, setPlacement, type FailbackLatencies } from "./failback";
import { failbackWorld, type FailbackIds } from "./failback-topology";
import type { PilotLightOptions } from "./pilot-light";
import { iamOf } from "./iam";
import type { WorldState } from "./model";
import { addHealthCheck } from "./vantage";

export interface AdoptedIds extends FailbackIds {
  /** The bucket the team's own replication rule writes to. */
  archiveBucket: string;
  /** The team's replication role (its configuration's Role). */
  teamReplicationRoleArn: string;
  /** The role pilot-light's stack creates for its rule when a bucket has no configuration. */
  replicationRoleArn: string;
  /** The record users resolve before adoption: simple, an alias of the team's load balancer. */
  simpleRecord: ResourceRecordSet;
  /** The parameter group the instance uses before the team moves it. */
  defaultParameterGroup: string;
}

export const adoptedNames = {
  database: "shop-mysql-prod",
  parameterGroup: "shop-mysql84",
  cluster: "shop-prod",
  service: "storefront",
  secretName: "shop/prod/mysql",
  bucket: "shop-prod-uploads",
} as const;

/** The options a world of a team's primary takes: a failback world's, but the names, which are the team's. */
export type AdoptedWorldOptions = Omit<PilotLightOptions, "databaseNames" | "primaryNames"> & { failbackLatencies?: Partial<FailbackLatencies> };

export function adoptedPrimaryWorld(options: AdoptedWorldOptions = {}): { world: WorldState; ids: AdoptedIds } {
  const prefix = options.prefix ?? "pilot-light-shop";
  const { world, ids: base } = failbackWorld({
    ...options,
    prefix,
    databaseNames: { serving: adoptedNames.database, replica: `${prefix}-replica` },
    primaryNames: { cluster: adoptedNames.cluster, service: adoptedNames.service, parameterGroup: adoptedNames.parameterGroup, secretName: adoptedNames.secretName },
  });
  const account = base.account;
  // The team's database: on the engine's default group (the group pilot-light's world made for it does not exist).
  const primary = world.databases.get(base.primaryDb)!;
  delete primary.parameterGroup;
  world.parameterGroups.delete(adoptedNames.parameterGroup);
  setPlacement(world, base.primaryDb, {
    subnetGroup: "shop-db-subnets",
    securityGroups: ["sg-0123456789abcdef0"],
    kmsKeyId: `arn:aws:kms:${base.primaryRegion}:${account}:key/5f1c2b7e-shop-db`,
    instanceClass: "db.r6g.large",
    multiAz: true,
    endpointSuffix: `c9akciq32.${base.primaryRegion}.rds.amazonaws.com`,
    tags: [
      { Key: "team", Value: "storefront" },
      { Key: "cost-centre", Value: "cc-4711" },
      { Key: "managed-by", Value: "terraform" },
    ],
  });
  // The team's service: its own tags, none of CloudFormation's.
  const service = world.services.get(world.serviceKey(base.primaryRegion, adoptedNames.cluster, adoptedNames.service))!;
  service.tags = new Map([["team", "storefront"], ["managed-by", "terraform"]]);
  // The team's bucket, replicating invoices to its archive under its own rule and role.
  const buckets = failbackState(world).buckets;
  buckets.delete(base.primaryBucket);
  const archiveBucket = "shop-invoice-archive";
  const teamReplicationRoleArn = `arn:aws:iam::${account}:role/shop-s3-replication`;
  addBucket(world, { name: archiveBucket, region: base.primaryRegion, versioned: true });
  addBucket(world, {
    name: adoptedNames.bucket,
    region: base.primaryRegion,
    versioned: true,
    replication: {
      Role: teamReplicationRoleArn,
      Rules: [{ ID: "invoices-to-archive", Priority: 1, Status: "Enabled", Filter: { Prefix: "invoices/" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: `arn:aws:s3:::${archiveBucket}`, StorageClass: "GLACIER" } }],
    },
  });
  // Users resolve one simple alias record to the team's load balancer.
  const simpleRecord: ResourceRecordSet = { Name: `${base.recordName}.`, Type: "A", AliasTarget: { DNSName: `dualstack.${base.primaryAlbDns}.`, HostedZoneId: base.albZoneId, EvaluateTargetHealth: false } };
  if (base.dns) {
    world.zones.set(base.hostedZoneId, [structuredClone(simpleRecord)]);
    // The Dns stack's health check on the primary exists before any record uses it: Route 53
    // probes its endpoint all the same (the adoption plan reads its checkers before the pair).
    addHealthCheck(world, base.primaryHealthCheckId, base.primaryRegion);
  }
  const ids: AdoptedIds = {
    ...base,
    primaryBucket: adoptedNames.bucket,
    archiveBucket,
    teamReplicationRoleArn,
    replicationRoleArn: `arn:aws:iam::${account}:role/${prefix}-replication`,
    simpleRecord,
    defaultParameterGroup: "default.mysql8.4",
  };
  return { world, ids };
}

/**
 * The adoption as a team runs it (docs/adopt.md): the plan applied (its bucket rule merged, the
 * simple record made a failover pair), then the commands the plan gives for a database on a
 * `default.*` group (its own group, attached, a reboot). Outside any function: the operator's.
 */
export async function adoptPrimary(world: WorldState, ids: AdoptedIds, stage: string): Promise<void> {
  const rds = new RDSClient({ region: ids.primaryRegion });
  const target: Adoption.AdoptionTarget = {
    stage,
    region: ids.primaryRegion,
    bucket: ids.primaryBucket,
    replicationRule: { id: Adoption.replicationRuleId, destinationBucket: ids.drBucket, roleArn: ids.replicationRoleArn },
    dns: { hostedZoneId: ids.hostedZoneId, recordName: ids.recordName, healthCheckId: ids.primaryHealthCheckId, drAlb: { dnsName: ids.drAlbDns, hostedZoneId: ids.albZoneId } },
    database: { identifier: ids.primaryDb, parameterGroup: ids.primaryParameterGroup },
  };
  await iamOf(world).outsideFunctions(async () => {
    await Adoption.adopt({ s3: new S3Client({ region: ids.primaryRegion }), rds, route53: new Route53Client({ region: ids.drRegion }), now: () => new Date(world.clock.nowMs()) }, target, { apply: true });
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: ids.primaryParameterGroup, DBParameterGroupFamily: "mysql8.4", Description: "pilot-light fence" }));
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb, DBParameterGroupName: ids.primaryParameterGroup, ApplyImmediately: true }));
    await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb }));
  });
}
