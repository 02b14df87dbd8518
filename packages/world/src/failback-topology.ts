/**
 * The pilot-light topology with what the failback needs on top: each database's placement
 * (subnet group, security group, KMS key, endpoint) as CloudFormation created it, both data
 * buckets with the primary's replication rule, the DB position probe Lambda in each region
 * (running the product's probe statements against the world's MySQL positions), and the
 * environment the Failback stack gives its step Lambdas.
 */
import { Failback } from "@pilot-light/core";
import { addBucket, failbackState, registerLambda, setPlacement, sqlSession, type FailbackLatencies } from "./failback";
import { cloudFormationTags, pilotLightWorld, stepEnvironment, type PilotLightIds, type PilotLightOptions } from "./pilot-light";
import type { WorldState } from "./model";
import { roleArn, stageRolePath } from "./account";

export interface FailbackIds extends PilotLightIds {
  account: string;
  primaryTaskCount: number;
  primaryBucket: string;
  drBucket: string;
  probeFunction: string;
  reverseReplicationRoleArn: string;
  primaryHealthCheckId: string;
}

export function failbackWorld(options: PilotLightOptions & { failbackLatencies?: Partial<FailbackLatencies> } = {}): { world: WorldState; ids: FailbackIds } {
  const { world, ids: base } = pilotLightWorld(options);
  const account = options.account ?? "123456789012";
  const prefix = base.cluster;
  const stage = prefix.replace(/^pilot-light-/, "");
  const ids: FailbackIds = {
    ...base,
    account,
    primaryTaskCount: options.primaryTaskCount ?? 2,
    primaryBucket: `pl-${stage}-data-${base.primaryRegion}-${account}`,
    drBucket: `pl-${stage}-data-${base.drRegion}-${account}`,
    probeFunction: `${prefix}-db-probe`,
    // The Failback stack's role, under the stage's IAM path as every role its stacks create.
    reverseReplicationRoleArn: roleArn(account, stageRolePath(prefix), `${prefix}-failback-replication`),
    primaryHealthCheckId: "hc-primary-0001",
  };
  Object.assign(failbackState(world).latencies, options.failbackLatencies ?? {});
  const placement = (region: string, role: string, multiAz: boolean) => ({
    subnetGroup: `${prefix}-${role}-dbsubnets`,
    securityGroups: [`sg-${role}-rds`],
    kmsKeyId: `arn:aws:kms:${region}:${account}:key/${role}-db-key`,
    instanceClass: "db.t4g.small",
    multiAz,
    endpointSuffix: `${role === "primary" ? "abcd1234" : "efgh5678"}.${region}.rds.amazonaws.com`,
    // As CloudFormation created them: its own aws:cloudformation:* tags beside the stage's.
    tags: [{ Key: "sst:stage", Value: stage }, ...cloudFormationTags({ region, account, stage, stack: "Data", logicalId: role === "primary" ? "PrimaryC8E63F7A" : "Replica2A5B8C1D" })],
  });
  setPlacement(world, base.primaryDb, placement(base.primaryRegion, "primary", true));
  setPlacement(world, base.replicaDb, placement(base.drRegion, "dr", false));
  addBucket(world, { name: ids.drBucket, region: base.drRegion, versioned: true });
  addBucket(world, {
    name: ids.primaryBucket,
    region: base.primaryRegion,
    versioned: true,
    replication: { Role: `arn:aws:iam::${account}:role/primary-replication`, Rules: [{ ID: "to-dr-region", Status: "Enabled", Priority: 1, Destination: { Bucket: `arn:aws:s3:::${ids.drBucket}` } }] },
  });
  for (const region of [base.primaryRegion, base.drRegion]) {
    registerLambda(world, region, ids.probeFunction, async (payload) => {
      const { identifier } = payload as { identifier: string };
      const db = world.databases.get(identifier);
      if (!db || db.region !== region) throw new Error(`DB instance ${identifier} is not in ${region}`);
      return Failback.probe(sqlSession(world, identifier), identifier, world.clock.now());
    });
  }
  return { world, ids };
}

/**
 * The environment the Failback stack gives every failback step Lambda: by default the DR region's
 * copy's; `copy: "primary"` the primary region's (its own table and topic, no health check of the
 * PRIMARY record: docs/design.md D2).
 */
export function failbackEnvironment(ids: FailbackIds, urls: { primary: string; dr: string }, tableName: string, copy: { region: "primary" | "dr"; topicArn?: string } = { region: "dr" }): Record<string, string> {
  const base = stepEnvironment(ids, urls.dr, tableName);
  return {
    STAGE: base.STAGE as string,
    ORCHESTRATOR_REGION: copy.region === "primary" ? ids.primaryRegion : ids.drRegion,
    PRIMARY_REGION: ids.primaryRegion,
    DR_REGION: ids.drRegion,
    PRIMARY_ID: ids.primaryDb,
    REPLICA_ID: ids.replicaDb,
    PRIMARY_CLUSTER: ids.primaryCluster,
    PRIMARY_SERVICE: ids.primaryService,
    DR_CLUSTER: ids.cluster,
    DR_SERVICE: ids.service,
    PRIMARY_TASK_COUNT: String(ids.primaryTaskCount),
    DR_TASK_COUNT: String(ids.drTaskCount),
    DR_PILOT_TASK_COUNT: String(ids.drPilotTaskCount),
    PRIMARY_HEALTH_URL: urls.primary,
    DR_HEALTH_URL: urls.dr,
    PRIMARY_BUCKET: ids.primaryBucket,
    DR_BUCKET: ids.drBucket,
    REVERSE_REPLICATION_ROLE_ARN: ids.reverseReplicationRoleArn,
    PROBE_FUNCTION: ids.probeFunction,
    SECRET_ID: ids.secretName,
    BACKUP_RETENTION_DAYS: String(ids.backupRetentionDays),
    DR_BACKUP_WINDOW: "01:00-01:30",
    RPO_BUDGET_SECONDS: String(ids.rpoBudgetSeconds),
    TABLE_NAME: tableName,
    TOPIC_ARN: copy.topicArn ?? ids.topicArn,
    ...(ids.dns
      ? {
          HOSTED_ZONE_ID: ids.hostedZoneId,
          RECORD_NAME: ids.recordName,
          PRIMARY_ALB_DNS: ids.primaryAlbDns,
          PRIMARY_ALB_ZONE_ID: ids.albZoneId,
          ...(copy.region === "dr" ? { PRIMARY_HEALTH_CHECK_ID: ids.primaryHealthCheckId } : {}),
        }
      : {}),
  };
}
