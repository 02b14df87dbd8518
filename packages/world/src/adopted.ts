/**
 * A primary the team built before pilot-light, in the world (docs/adopt.md): created outside
 * pilot-light's stacks, under the team's names and with the team's settings. Its database
 * `shop-mysql-prod` runs on the default parameter group (the fence cannot set read_only there)
 * with the team's tags and none of CloudFormation's; its service `storefront` in cluster
 * `shop-prod`; its bucket `shop-prod-uploads` replicates invoices to an archive bucket under its
 * own rule and role; users resolve a simple alias record to its load balancer. pilot-light's DR
 * side is as its stacks deploy it: the replica, the DR service, the DR bucket, the secret's
 * replica (as the adoption plan makes it; a test deletes it) and Route 53's health check on the
 * primary. What adoption changes is not done here.
 */
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { addBucket, failbackState, setPlacement } from "./failback";
import { failbackWorld, type FailbackIds } from "./failback-topology";
import type { PilotLightOptions } from "./pilot-light";
import type { WorldState } from "./model";

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

export function adoptedPrimaryWorld(options: Omit<PilotLightOptions, "databaseNames" | "primaryNames"> = {}): { world: WorldState; ids: AdoptedIds } {
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
  if (base.dns) world.zones.set(base.hostedZoneId, [structuredClone(simpleRecord)]);
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
