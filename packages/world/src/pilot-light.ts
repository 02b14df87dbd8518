/**
 * The pilot-light topology as deployed by this project, in the emulated world: primary DB
 * and service in the primary region; in the DR region a cross-region read replica (7-day
 * backups in a daily backup window, ReplicaLag history), a service at its pilot-light count
 * behind a target group, the DB secret's replica, and (optionally) Route 53 failover records
 * PRIMARY → primary ALB, SECONDARY → DR ALB. The world is as hard as AWS by default: a region
 * that goes down stops answering (calls hang), its replica's lag goes to -1 and then stale.
 * `stepEnvironment` gives the step Lambdas the same settings the Failover stack would.
 */
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { VirtualClock } from "./clock";
import { addHealthCheck } from "./vantage";
import { seedAccount } from "./account";
import { taskStartRefusal } from "./task-definitions";
import { defaultReplicaBackup, WorldState, type BackupSchedule, type EcsService, type Latencies, type OutageShape } from "./model";

export interface PilotLightOptions {
  prefix?: string;
  primaryRegion?: string;
  drRegion?: string;
  account?: string;
  primaryTaskCount?: number;
  drTaskCount?: number;
  drPilotTaskCount?: number;
  rpoBudgetSeconds?: number;
  /** Steady ReplicaLag (seconds) per minute while replication runs, cycled; [] for no datapoints. */
  replicaLag?: number[];
  /** Minutes of -1 ReplicaLag datapoints once replication stops (then none); 5 by default. */
  replicaLagMinusOneMinutes?: number;
  /** The replica's daily backup; null for none (a kindness a test must ask for). */
  replicaBackup?: BackupSchedule | null;
  /** How calls to a region that is down fail; "no-response" (they hang) by default. */
  outageShape?: OutageShape;
  /** Days of automated backups the stage keeps (DESIGN D6: 7). */
  backupRetentionDays?: number;
  dns?: boolean;
  /**
   * The names of the serving database and its replica (default `<prefix>-primary`, `<prefix>-replica`).
   * State C as the primary region's orchestrator sees it (after a re-protect: the DR region serves
   * from `…-replica`, the primary region holds `…-primary`, a replica of it) is this topology with
   * the regions and the names swapped: `reprotectedWorld`.
   */
  databaseNames?: { serving: string; replica: string };
  /**
   * The Route 53 health checks on each side's endpoint (default `hc-primary-0001` on the primary
   * region's, `hc-dr-0001` on the DR region's); `reprotectedWorld` swaps them with the regions.
   */
  healthCheckIds?: { primary: string; dr: string };
  /**
   * An adopted primary's own names (docs/adopt.md): its ECS cluster and service, the parameter
   * group the stage names for the fence, the credentials' secret. Default: pilot-light's.
   */
  primaryNames?: { cluster?: string; service?: string; parameterGroup?: string; secretName?: string };
  latencies?: Partial<Latencies>;
  clock?: VirtualClock;
}

export interface PilotLightIds {
  primaryRegion: string;
  drRegion: string;
  primaryDb: string;
  primaryArn: string;
  /** The primary database's own DB parameter group (the fence sets read_only in it). */
  primaryParameterGroup: string;
  /** The DR replica's own DB parameter group (the switchback's seal sets read_only in it). */
  replicaParameterGroup: string;
  /** The failover state machine (DR region). */
  stateMachineArn: string;
  replicaDb: string;
  replicaArn: string;
  /** The DR region's cluster and service. */
  cluster: string;
  service: string;
  /** The primary region's (pilot-light's names unless the primary is adopted). */
  primaryCluster: string;
  primaryService: string;
  taskDefinition: string;
  targetGroupArn: string;
  primaryTargetGroupArn: string;
  topicArn: string;
  hostedZoneId: string;
  recordName: string;
  primaryAlbDns: string;
  drAlbDns: string;
  albZoneId: string;
  drTaskCount: number;
  drPilotTaskCount: number;
  rpoBudgetSeconds: number;
  backupRetentionDays: number;
  secretName: string;
  dns: boolean;
  /** The health check on the primary side's endpoint (the PRIMARY record's; the DR region's monitor's second opinion). */
  primaryHealthCheckId: string;
  /** The health check on the DR side's endpoint (no record uses it; the primary region's monitor's second opinion). */
  drHealthCheckId: string;
}

/**
 * The stack-level tags CloudFormation gives every resource it creates, beside the template's
 * ("CloudFormation resource tagging": `aws:cloudformation:logical-id`, `stack-id`, `stack-name`).
 * The `aws:` prefix is AWS's: no API call may write it (docs/aws-behaviour.md).
 */
export function cloudFormationTags(o: { region: string; account: string; stage: string; stack: string; logicalId: string }): { Key: string; Value: string }[] {
  const stackName = `${o.stage}-pilot-light-${o.stack}`;
  return [
    { Key: "aws:cloudformation:stack-name", Value: stackName },
    { Key: "aws:cloudformation:stack-id", Value: `arn:aws:cloudformation:${o.region}:${o.account}:stack/${stackName}/0a1b2c3d-4e5f-6a7b-8c9d-${o.region === "eu-west-1" ? "0e1f2a3b4c5d" : "5d4c3b2a1f0e"}` },
    { Key: "aws:cloudformation:logical-id", Value: o.logicalId },
  ];
}

export function pilotLightWorld(options: PilotLightOptions = {}): { world: WorldState; ids: PilotLightIds } {
  const prefix = options.prefix ?? "pilot-light-test";
  const primaryRegion = options.primaryRegion ?? "eu-west-1";
  const drRegion = options.drRegion ?? "eu-central-1";
  const account = options.account ?? "123456789012";
  const world = new WorldState(options.clock ?? new VirtualClock(), options.latencies);
  world.outageShape = options.outageShape ?? "no-response";
  const ids: PilotLightIds = {
    primaryRegion,
    drRegion,
    primaryDb: options.databaseNames?.serving ?? `${prefix}-primary`,
    primaryArn: `arn:aws:rds:${primaryRegion}:${account}:db:${options.databaseNames?.serving ?? `${prefix}-primary`}`,
    primaryParameterGroup: options.primaryNames?.parameterGroup ?? options.databaseNames?.serving ?? `${prefix}-primary`,
    replicaParameterGroup: options.databaseNames?.replica ?? `${prefix}-replica`,
    stateMachineArn: `arn:aws:states:${drRegion}:${account}:stateMachine:${prefix}-failover`,
    replicaDb: options.databaseNames?.replica ?? `${prefix}-replica`,
    replicaArn: `arn:aws:rds:${drRegion}:${account}:db:${options.databaseNames?.replica ?? `${prefix}-replica`}`,
    cluster: prefix,
    service: `${prefix}-web`,
    primaryCluster: options.primaryNames?.cluster ?? prefix,
    primaryService: options.primaryNames?.service ?? `${prefix}-web`,
    taskDefinition: `arn:aws:ecs:${drRegion}:${account}:task-definition/${prefix}-web:1`,
    targetGroupArn: `arn:aws:elasticloadbalancing:${drRegion}:${account}:targetgroup/${prefix}-dr/0123456789abcdef`,
    primaryTargetGroupArn: `arn:aws:elasticloadbalancing:${primaryRegion}:${account}:targetgroup/${prefix}-pr/0123456789abcdef`,
    topicArn: `arn:aws:sns:${drRegion}:${account}:${prefix}-alerts`,
    hostedZoneId: "Z0123456789EXAMPLE",
    recordName: "app.example.com",
    primaryAlbDns: `${prefix}-pr-1234.${primaryRegion}.elb.amazonaws.com`,
    drAlbDns: `${prefix}-dr-5678.${drRegion}.elb.amazonaws.com`,
    albZoneId: "Z32O12XQLNTSW2",
    drTaskCount: options.drTaskCount ?? 2,
    drPilotTaskCount: options.drPilotTaskCount ?? 0,
    rpoBudgetSeconds: options.rpoBudgetSeconds ?? 60,
    backupRetentionDays: options.backupRetentionDays ?? 7,
    secretName: options.primaryNames?.secretName ?? `${prefix}/db-credentials`,
    dns: options.dns ?? true,
    primaryHealthCheckId: options.healthCheckIds?.primary ?? "hc-primary-0001",
    drHealthCheckId: options.healthCheckIds?.dr ?? "hc-dr-0001",
  };
  world.databases.set(ids.primaryDb, {
    identifier: ids.primaryDb,
    arn: ids.primaryArn,
    region: primaryRegion,
    baseStatus: "available",
    sourceIdentifier: null,
    backupRetentionDays: ids.backupRetentionDays,
    backup: null,
    promotionRequestedAtMs: null,
    promotionStalls: false,
    parameterGroup: ids.primaryParameterGroup,
    // Created before its replica (a month before this world starts; the replica a day after it).
    createdAtMs: world.clock.nowMs() - 30 * 86_400_000,
  });
  world.parameterGroups.set(ids.primaryParameterGroup, {
    name: ids.primaryParameterGroup,
    region: primaryRegion,
    arn: `arn:aws:rds:${primaryRegion}:${account}:pg:${ids.primaryParameterGroup}`,
    parameters: new Map(),
  });
  world.databases.set(ids.replicaDb, {
    identifier: ids.replicaDb,
    arn: ids.replicaArn,
    region: drRegion,
    baseStatus: "available",
    sourceIdentifier: ids.primaryArn,
    backupRetentionDays: ids.backupRetentionDays,
    backup: options.replicaBackup === undefined ? defaultReplicaBackup : options.replicaBackup,
    promotionRequestedAtMs: null,
    promotionStalls: false,
    parameterGroup: ids.replicaParameterGroup,
    createdAtMs: world.clock.nowMs() - 29 * 86_400_000,
  });
  world.parameterGroups.set(ids.replicaParameterGroup, {
    name: ids.replicaParameterGroup,
    region: drRegion,
    arn: `arn:aws:rds:${drRegion}:${account}:pg:${ids.replicaParameterGroup}`,
    parameters: new Map(),
  });
  world.replicaLag.set(ids.replicaDb, {
    steady: options.replicaLag ?? [0.4, 1.2, 0.8],
    minusOneMinutes: options.replicaLagMinusOneMinutes ?? 5,
    catchUpPerSecond: 9,
  });
  for (const region of [primaryRegion, drRegion]) {
    world.secrets.set(world.secretKey(region, ids.secretName), {
      name: ids.secretName,
      region,
      arn: `arn:aws:secretsmanager:${region}:${account}:secret:${ids.secretName}-AbCdEf`,
      primaryRegion,
      // As the Data stack generates it: the database's master user (the world's SQL sessions take any password).
      secretString: JSON.stringify({ username: "app_admin", password: "world-password" }),
    });
  }
  // The Compute stack registers the service's task definition in each region it deploys to.
  world.taskDefinitions.add(ids.taskDefinition);
  world.taskDefinitions.add(ids.taskDefinition.replace(`:${drRegion}:`, `:${primaryRegion}:`));
  const service = (region: string, targetGroupArn: string, database: string, count: number) => {
    const [cluster, name] = region === primaryRegion ? [ids.primaryCluster, ids.primaryService] : [ids.cluster, ids.service];
    const svc: EcsService = {
      region,
      cluster,
      service: name,
      arn: `arn:aws:ecs:${region}:${account}:service/${cluster}/${name}`,
      taskDefinition: ids.taskDefinition.replace(drRegion, region),
      desired: 0,
      tasks: [],
      database,
      targetGroupArn,
      tags: new Map(cloudFormationTags({ region, account, stage: prefix.replace(/^pilot-light-/, ""), stack: "Compute", logicalId: "ServiceD69D759B" }).map((t) => [t.Key, t.Value])),
    };
    world.services.set(world.serviceKey(region, cluster, name), svc);
    world.setDesired(svc, count);
    // Steady state: tasks that exist at the start are already running and healthy.
    for (const t of svc.tasks) {
      t.runningAtMs = world.clock.nowMs();
      t.healthyAtMs = world.clock.nowMs();
    }
  };
  service(primaryRegion, ids.primaryTargetGroupArn, ids.primaryDb, options.primaryTaskCount ?? 2);
  service(drRegion, ids.targetGroupArn, ids.replicaDb, ids.drPilotTaskCount);
  if (ids.dns) {
    const record = (setId: string, failover: "PRIMARY" | "SECONDARY", albDns: string): ResourceRecordSet => ({
      Name: `${ids.recordName}.`,
      Type: "A",
      SetIdentifier: setId,
      Failover: failover,
      ...(failover === "PRIMARY" ? { HealthCheckId: ids.primaryHealthCheckId } : {}),
      AliasTarget: { DNSName: `dualstack.${albDns}.`, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: true },
    });
    world.zones.set(ids.hostedZoneId, [record("primary", "PRIMARY", ids.primaryAlbDns), record("secondary", "SECONDARY", ids.drAlbDns)]);
    // As stacks/health-check.ts defines them: HTTPS to each region's own name, the stage's health path.
    addHealthCheck(world, ids.primaryHealthCheckId, primaryRegion, { fqdn: `${primaryRegion}.${ids.recordName}`, resourcePath: "/health.php" });
    addHealthCheck(world, ids.drHealthCheckId, drRegion, { fqdn: `${drRegion}.${ids.recordName}`, resourcePath: "/health.php" });
  }
  seedAccount(world, {
    account,
    prefix,
    primaryRegion,
    drRegion,
    taskDefinitions: [ids.taskDefinition, ids.taskDefinition.replace(`:${drRegion}:`, `:${primaryRegion}:`)],
    databases: [ids.primaryDb, ids.replicaDb],
    primaryHealthCheckId: ids.dns ? ids.primaryHealthCheckId : null,
    secretName: ids.secretName,
    ...(ids.dns ? { albs: { primary: ids.primaryAlbDns, dr: ids.drAlbDns, zone: ids.albZoneId } } : {}),
  });
  world.taskStartRefusal = (svc, taskDefinition) => taskStartRefusal(world, svc, taskDefinition);
  return { world, ids };
}

/**
 * The same deployment as the other region's orchestrator sees it: the Failover stack deployed in
 * the primary region acts on its own database (`…-primary`) and fences the DR region's, so every
 * "primary" id names the DR region's resource and every "dr" id the primary region's.
 */
export function mirrorIds(ids: PilotLightIds): PilotLightIds {
  const account = ids.primaryArn.split(":")[4] ?? "";
  const swap = (arn: string) => arn.replace(`:${ids.primaryRegion}:`, "\0").replace(`:${ids.drRegion}:`, `:${ids.primaryRegion}:`).replace("\0", `:${ids.drRegion}:`);
  return {
    ...ids,
    primaryRegion: ids.drRegion,
    drRegion: ids.primaryRegion,
    primaryDb: ids.replicaDb,
    primaryArn: ids.replicaArn,
    replicaDb: ids.primaryDb,
    replicaArn: ids.primaryArn,
    primaryParameterGroup: ids.replicaParameterGroup,
    replicaParameterGroup: ids.primaryParameterGroup,
    cluster: ids.primaryCluster,
    service: ids.primaryService,
    primaryCluster: ids.cluster,
    primaryService: ids.service,
    stateMachineArn: `arn:aws:states:${ids.primaryRegion}:${account}:stateMachine:${ids.stateMachineArn.split(":").pop() ?? ""}`,
    taskDefinition: swap(ids.taskDefinition),
    targetGroupArn: ids.primaryTargetGroupArn,
    primaryTargetGroupArn: ids.targetGroupArn,
    topicArn: swap(ids.topicArn),
    primaryAlbDns: ids.drAlbDns,
    drAlbDns: ids.primaryAlbDns,
    primaryHealthCheckId: ids.drHealthCheckId,
    drHealthCheckId: ids.primaryHealthCheckId,
  };
}

/**
 * State C as the primary region's orchestrator sees it: the DR region serves from `…-replica`,
 * the primary region's `…-primary` is a cross-Region read replica of it, DNS pinned to DR. In
 * `ids`, "primary" names the serving side (the DR region) and "dr" the side that fails over to
 * itself (the primary region), as `mirrorIds` gives the primary region's orchestrator.
 */
export function reprotectedWorld(options: Omit<PilotLightOptions, "primaryRegion" | "drRegion" | "databaseNames" | "healthCheckIds"> = {}): { world: WorldState; ids: PilotLightIds } {
  const prefix = options.prefix ?? "pilot-light-test";
  return pilotLightWorld({ ...options, ...reprotectedSides(prefix) });
}

/** The regions, database names and health checks of `reprotectedWorld`: the default world's, swapped. */
export function reprotectedSides(prefix = "pilot-light-test") {
  return {
    primaryRegion: "eu-central-1",
    drRegion: "eu-west-1",
    databaseNames: { serving: `${prefix}-replica`, replica: `${prefix}-primary` },
    healthCheckIds: { primary: "hc-dr-0001", dr: "hc-primary-0001" },
  };
}

/** The environment the Failover stack gives every step Lambda (and ExecutionEnded). */
export function stepEnvironment(ids: PilotLightIds, healthUrl: string, tableName: string, lagLookbackSeconds = 3600, primaryHealthUrl = healthUrl.replace(ids.drRegion, ids.primaryRegion)): Record<string, string> {
  return {
    STAGE: "test",
    PRIMARY_REGION: ids.primaryRegion,
    DR_REGION: ids.drRegion,
    REPLICA_ID: ids.replicaDb,
    PRIMARY_ID: ids.primaryDb,
    PRIMARY_ARN: ids.primaryArn,
    DR_CLUSTER: ids.cluster,
    DR_SERVICE: ids.service,
    TARGET_GROUP_ARN: ids.targetGroupArn,
    DR_TASK_COUNT: String(ids.drTaskCount),
    DR_PILOT_TASK_COUNT: String(ids.drPilotTaskCount),
    // The DR region's Failover stack: the other region is the primary, whose pilot light is 0.
    PEER_PILOT_TASK_COUNT: "0",
    RPO_BUDGET_SECONDS: String(ids.rpoBudgetSeconds),
    BACKUP_RETENTION_DAYS: String(ids.backupRetentionDays),
    LAG_LOOKBACK_SECONDS: String(lagLookbackSeconds),
    SECRET_ID: ids.secretName,
    HEALTH_URL: healthUrl,
    TABLE_NAME: tableName,
    TOPIC_ARN: ids.topicArn,
    PRIMARY_CLUSTER: ids.primaryCluster,
    PRIMARY_SERVICE: ids.primaryService,
    PRIMARY_HEALTH_URL: primaryHealthUrl,
    ...(ids.dns
      ? { HOSTED_ZONE_ID: ids.hostedZoneId, RECORD_NAME: ids.recordName, DR_ALB_DNS: ids.drAlbDns, DR_ALB_ZONE_ID: ids.albZoneId }
      : {}),
  };
}
