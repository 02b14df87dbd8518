/**
 * The standby region's database in re-protect: it must become a cross-Region read replica of
 * the serving database, under the name CloudFormation knows for that region, with backups on.
 * Whatever holds that name and is not such a replica (the old primary after a failover, the old
 * DR database after a switchback) is made read-only and renamed aside, never deleted: it may hold
 * writes that never reached the other side, and must never take another. RDS's documented way to replace an instance under its name ("Renaming
 * to replace an existing DB instance"); the new instance's endpoint is the name's endpoint, so
 * the region's stacks keep pointing at the right instance. One reconcile step, called in a
 * Choice + Wait loop, looks and makes at most one change per call: idempotent by construction.
 */
import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBParameterGroupCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import * as Database from "../database";
import { callAws } from "../errors";
import { copyableTags, tagValue } from "../tags";
import { StandbyDatabaseError } from "../workflow/errors";
import type { Side } from "./settings";

/** What re-protect needs to know of an instance. */
export interface DbObservation {
  identifier: string;
  arn: string;
  status: string;
  sourceArn: string | null;
  backupRetentionDays: number;
  /** Read replication status (`replicating`, `error`...), null when not a replica. */
  replication: string | null;
  endpoint: string | null;
  placement: Placement | null;
}

/** Where an instance lives in its region: copied from the instance a replica replaces. */
export interface Placement {
  subnetGroup: string;
  securityGroups: string[];
  kmsKeyId: string;
  instanceClass: string;
  backupWindow: string | null;
  tags: { Key: string; Value: string }[];
  /** `mysql8.4`: the family of the DB parameter group the replica gets (from Engine and EngineVersion). */
  parameterGroupFamily: string | null;
}

/** `mysql` 8.4.6 → `mysql8.4`, the DB parameter group family of that engine version. */
export function parameterGroupFamily(engine: string | undefined, version: string | undefined): string | null {
  const majorMinor = /^(\d+\.\d+)/.exec(version ?? "")?.[1];
  return engine && majorMinor ? `${engine}${majorMinor}` : null;
}

export function observe(db: DBInstance): DbObservation {
  const info = db.StatusInfos?.find((i) => i.StatusType === "read replication");
  return {
    identifier: db.DBInstanceIdentifier ?? "",
    arn: db.DBInstanceArn ?? "",
    status: db.DBInstanceStatus ?? "unknown",
    sourceArn: db.ReadReplicaSourceDBInstanceIdentifier ?? null,
    backupRetentionDays: db.BackupRetentionPeriod ?? 0,
    replication: info?.Status ?? null,
    endpoint: db.Endpoint?.Address ?? null,
    placement: db.DBSubnetGroup?.DBSubnetGroupName
      ? {
          subnetGroup: db.DBSubnetGroup.DBSubnetGroupName,
          securityGroups: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? "").filter(Boolean),
          kmsKeyId: db.KmsKeyId ?? "",
          instanceClass: db.DBInstanceClass ?? "",
          backupWindow: db.PreferredBackupWindow ?? null,
          tags: (db.TagList ?? []).map((t) => ({ Key: t.Key ?? "", Value: t.Value ?? "" })),
          parameterGroupFamily: parameterGroupFamily(db.Engine, db.EngineVersion),
        }
      : null,
  };
}

/** One instance, or null when no instance has that name. */
export async function findInstance(rds: RDSClient, identifier: string): Promise<DbObservation | null> {
  try {
    const out = await callAws("rds:DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })));
    const db = out.DBInstances?.[0];
    return db ? observe(db) : null;
  } catch (error) {
    if (error instanceof Error && error.name === "DBInstanceNotFoundFault") return null;
    throw error;
  }
}

/** Instances renamed aside from `identifier` (`<identifier>-r<time>`), newest first. */
export async function findRetired(rds: RDSClient, identifier: string): Promise<DbObservation[]> {
  const found: DbObservation[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws("rds:DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({ Marker: marker, MaxRecords: 100 })));
    for (const db of page.DBInstances ?? []) if (isRetiredName(identifier, db.DBInstanceIdentifier ?? "")) found.push(observe(db));
    marker = page.Marker;
  } while (marker);
  return found.sort((a, b) => b.identifier.localeCompare(a.identifier));
}

export const isRetiredName = (identifier: string, candidate: string) => new RegExp(`^${identifier}-r\\d{14}$`).test(candidate);

/** `<identifier>-r<yyyymmddhhmmss>` of the run: at most 63 characters for every stage name the schema allows. */
export function retiredName(identifier: string, startedAt: string): string {
  return `${identifier}-r${startedAt.replace(/[-:T]/g, "").slice(0, 14)}`;
}

/**
 * `<identifier>-g<yyyymmddhhmmss>`: the DB parameter group of the replica a run creates, its own
 * per region (the identifier is the region's) and per generation (the run's start), so that a
 * later failover's fence sets read_only in the group of the instance it fences and in no other
 * (a renamed-aside instance keeps its own group; a default group cannot be modified).
 */
export function replicaParameterGroupName(identifier: string, startedAt: string): string {
  return `${identifier}-g${startedAt.replace(/[-:T]/g, "").slice(0, 14)}`;
}

/** Creates the group; one that already exists (an earlier attempt whose answer was lost) is success. */
export async function ensureParameterGroup(rds: RDSClient, name: string, family: string, description: string): Promise<void> {
  try {
    await callAws("rds:CreateDBParameterGroup", () => rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: name, DBParameterGroupFamily: family, Description: description })));
  } catch (error) {
    if (!(error instanceof Error && error.name === "DBParameterGroupAlreadyExistsFault")) throw error;
  }
}

export type StandbyAction =
  | { kind: "retire"; reason: string }
  | { kind: "create"; placement: Placement }
  | { kind: "enable-backups" }
  | { kind: "wait"; reason: string }
  | { kind: "ready" };

/** Statuses an instance leaves by itself. */
const passing = new Set(["creating", "renaming", "modifying", "backing-up", "rebooting", "starting", "upgrading", "maintenance", "configuring-enhanced-monitoring", "configuring-log-exports"]);

/**
 * What to do next with the standby region's name, from what RDS shows: the instance under the
 * name (null: none), the serving database's ARN, the placement to copy, the retention wanted.
 */
export function decideStandbyAction(o: { standby: DbObservation | null; servingArn: string; placement: Placement | null; retentionDays: number }): StandbyAction {
  const s = o.standby;
  if (!s) {
    if (!o.placement) {
      throw new StandbyDatabaseError("no database holds the standby name and none was renamed aside: there is no subnet group, security group and KMS key to copy; create the replica by hand (docs/failback.md)");
    }
    return { kind: "create", placement: o.placement };
  }
  if (s.sourceArn !== o.servingArn) {
    if (s.status === "available") return { kind: "retire", reason: s.sourceArn ? `it replicates from ${s.sourceArn}` : "it is a standalone (writable) database" };
    if (s.status === "stopped") throw new StandbyDatabaseError(`${s.identifier} is stopped: start it (RDS cannot rename a stopped instance) or rename it aside by hand, then run re-protect again`);
    if (passing.has(s.status)) return { kind: "wait", reason: `${s.identifier} is ${s.status}` };
    throw new StandbyDatabaseError(`${s.identifier} is ${s.status}, which needs a person before it can be renamed aside`);
  }
  if (s.status === "available" && s.backupRetentionDays < o.retentionDays) return { kind: "enable-backups" };
  if (s.status !== "available") return { kind: "wait", reason: `replica ${s.identifier} is ${s.status}` };
  if (s.replication !== "replicating") return { kind: "wait", reason: `replica ${s.identifier} reports replication ${s.replication ?? "unknown"}` };
  return { kind: "ready" };
}

/** Renames an instance; a refusal after an earlier attempt applied (the name already moved) is success. */
export async function renameAside(rds: RDSClient, identifier: string, newIdentifier: string): Promise<void> {
  try {
    await callAws("rds:ModifyDBInstance", () => rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, NewDBInstanceIdentifier: newIdentifier, ApplyImmediately: true })));
  } catch (error) {
    if (!(error instanceof Error) || !["DBInstanceNotFoundFault", "DBInstanceAlreadyExistsFault", "InvalidDBInstanceStateFault"].includes(error.name)) throw error;
    if ((await findInstance(rds, identifier)) !== null || (await findInstance(rds, newIdentifier)) === null) throw error;
  }
}

/**
 * Creates the replica under the standby name with a DB parameter group of its own (created first;
 * without one a cross-Region replica gets the engine's default group, which no fence can set).
 */
export async function createReplica(rds: RDSClient, standby: Side, serving: { arn: string; region: string }, placement: Placement, run: { executionName: string; startedAt: string }): Promise<void> {
  // Never CloudFormation's `aws:cloudformation:*` of the instance replaced (RDS refuses reserved prefixes).
  const tags = copyableTags(placement.tags, ["pilot-light:"]);
  if (!placement.parameterGroupFamily) throw new StandbyDatabaseError(`cannot tell the engine version of the instance ${standby.dbId} replaces, so not which DB parameter group family its replica needs`);
  const parameterGroup = replicaParameterGroupName(standby.dbId, run.startedAt);
  await ensureParameterGroup(rds, parameterGroup, placement.parameterGroupFamily, `${standby.dbId} created by ${tagValue(run.executionName)}; the failover fence sets read_only here`);
  try {
    await callAws("rds:CreateDBInstanceReadReplica", () =>
    rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: standby.dbId,
        SourceDBInstanceIdentifier: serving.arn,
        // An ARN in another Region: the SDK's RDS middleware presigns the request there.
        KmsKeyId: placement.kmsKeyId,
        DBSubnetGroupName: placement.subnetGroup,
        VpcSecurityGroupIds: placement.securityGroups,
        DBInstanceClass: placement.instanceClass,
        DBParameterGroupName: parameterGroup,
        MultiAZ: standby.multiAz,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ["error", "slowquery"],
        AutoMinorVersionUpgrade: true,
        CopyTagsToSnapshot: true,
        DeletionProtection: true,
        Tags: [...tags, { Key: "pilot-light:replica-of", Value: tagValue(serving.arn) }, { Key: "pilot-light:created-by", Value: tagValue(run.executionName) }],
      }),
    ),
    );
  } catch (error) {
    // The answer to an earlier attempt may have been lost: the replica it created is success.
    if (!(error instanceof Error && error.name === "DBInstanceAlreadyExistsFault")) throw error;
    if ((await findInstance(rds, standby.dbId))?.sourceArn !== serving.arn) throw error;
  }
}

/** Replicas are created with backups off; a replica that will be promoted needs them on. */
export async function enableReplicaBackups(rds: RDSClient, identifier: string, days: number, window: string | null): Promise<void> {
  await callAws("rds:ModifyDBInstance", () =>
    rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: identifier, BackupRetentionPeriod: days, ...(window ? { PreferredBackupWindow: window } : {}), ApplyImmediately: true })),
  );
}

export interface StandbyStatus {
  identifier: string;
  region: string;
  action: StandbyAction["kind"];
  detail: string;
  retired: string | null;
  ready: boolean;
  status: string | null;
  attempts: number;
  at: string;
}

/** One reconcile call: look, decide, make at most one change, report. */
export async function reconcileStandby(
  rds: RDSClient,
  standby: Side,
  serving: { arn: string; region: string },
  run: { executionName: string; startedAt: string },
  retentionDays: number,
  previous: StandbyStatus | undefined,
  now: Date,
): Promise<StandbyStatus> {
  const current = await findInstance(rds, standby.dbId);
  const retired = current && current.sourceArn === serving.arn ? [] : await findRetired(rds, standby.dbId);
  const placement = current?.sourceArn !== serving.arn && current?.placement ? current.placement : (retired[0]?.placement ?? null);
  const action = decideStandbyAction({ standby: current, servingArn: serving.arn, placement, retentionDays });
  const report = (detail: string, retiredId: string | null = previous?.retired ?? retired[0]?.identifier ?? null): StandbyStatus => ({
    identifier: standby.dbId,
    region: standby.region,
    action: action.kind,
    detail,
    retired: retiredId,
    ready: action.kind === "ready",
    status: current?.status ?? null,
    attempts: (previous?.attempts ?? 0) + 1,
    at: now.toISOString(),
  });
  switch (action.kind) {
    case "retire": {
      const name = retiredName(standby.dbId, run.startedAt);
      // Kept aside for good, so first made read-only: an old primary back before the scheduled
      // fence completion ran is still writable, and CompleteFence stands aside once re-protected.
      const fenced = await Database.fenceInstanceReadOnly(rds, standby.dbId);
      await renameAside(rds, standby.dbId, name);
      return report(`renamed ${standby.dbId} aside to ${name} (${action.reason}); it is kept, never deleted; ${fenced.detail}`, name);
    }
    case "create":
      await createReplica(rds, standby, serving, action.placement, run);
      return report(`creating ${standby.dbId} in ${standby.region} as a read replica of ${serving.arn}, with its own DB parameter group ${replicaParameterGroupName(standby.dbId, run.startedAt)}`);
    case "enable-backups":
      await enableReplicaBackups(rds, standby.dbId, retentionDays, standby.backupWindow ?? current?.placement?.backupWindow ?? null);
      return report(`enabling ${retentionDays}-day backups on ${standby.dbId} (replicas are created without)`);
    case "wait":
      return report(action.reason);
    case "ready":
      return report(`${standby.dbId} replicates from ${serving.arn} with ${current?.backupRetentionDays} days of backups`);
  }
}
