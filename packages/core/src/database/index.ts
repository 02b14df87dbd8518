/**
 * The DR database in the runbook: inspect the cross-region read replica, promote it, and
 * tell when it is writable. "Writable" means status `available` AND no
 * ReadReplicaSourceDBInstanceIdentifier: right after the promote call the replica can still
 * report `available` with its source for a while, so status alone would lie.
 * Every effect looks first: promoting an already-promoted instance is success. A replica in a
 * state RDS leaves by itself (`backing-up`, a modification that is not our promotion) is
 * "not ready yet" (retryable), never "promotion requested": only the lock item's marker,
 * written before the call, or RDS showing no replication source says a promotion was asked for.
 */
import {
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { AwsTransientError, callAws } from "../errors";
import { PreflightFailedError, PromotionRejectedError, ReplicaNotReadyError } from "../failover/errors";

/** DescribeDBInstances' read replication StatusInfo: `replicating`, `error`, `stopped`, ... */
export interface ReplicationStatus {
  status: string;
  normal: boolean;
  message: string | null;
}

export interface ReplicaState {
  identifier: string;
  status: string;
  /** The replication source (an ARN for cross-region replicas); absent once promoted. */
  sourceIdentifier: string | null;
  backupRetentionDays: number;
  /** Read replication as RDS reports it; absent for an instance that is not a replica. */
  replication?: ReplicationStatus | null;
}

export function toReplicaState(db: DBInstance): ReplicaState {
  const info = db.StatusInfos?.find((i) => i.StatusType === "read replication");
  return {
    identifier: db.DBInstanceIdentifier ?? "",
    status: db.DBInstanceStatus ?? "unknown",
    sourceIdentifier: db.ReadReplicaSourceDBInstanceIdentifier ?? null,
    backupRetentionDays: db.BackupRetentionPeriod ?? 0,
    replication: info ? { status: info.Status ?? "unknown", normal: info.Normal ?? false, message: info.Message || null } : null,
  };
}

/**
 * Statuses RDS leaves by itself, during which it refuses to promote ("Viewing Amazon RDS DB
 * instance status"): a backup, a modification, a reboot, maintenance, a version upgrade...
 * Waiting is the answer; `stopped`, `failed`, `storage-full` and the `incompatible-*` states
 * need a person.
 */
const transientStatuses = new Set([
  "backing-up",
  "modifying",
  "rebooting",
  "maintenance",
  "upgrading",
  "starting",
  "renaming",
  "resetting-master-credentials",
  "configuring-enhanced-monitoring",
  "configuring-iam-database-auth",
  "configuring-log-exports",
  "storage-optimization",
  "storage-config-upgrade",
]);

export function isTransientlyNotReady(state: ReplicaState): boolean {
  return transientStatuses.has(state.status);
}

/** Writable: promoted (no source) and available. */
export function isWritable(state: ReplicaState): boolean {
  return state.status === "available" && state.sourceIdentifier === null;
}

/** A replica that can be promoted now: still replicating and `available` (not `backing-up`). */
export function isPromotable(state: ReplicaState): boolean {
  return state.status === "available" && state.sourceIdentifier !== null;
}

/** Cross-region sources are ARNs, same-region ones identifiers: accept either form. */
export function isReplicaOf(state: ReplicaState, primary: { identifier: string; arn: string }): boolean {
  const source = state.sourceIdentifier;
  if (source === null) return false;
  return source === primary.arn || source === primary.identifier || source.endsWith(`:db:${primary.identifier}`);
}

/**
 * RDS's own evidence of a promotion: the instance no longer names a replication source. A
 * status alone is no evidence (`modifying` is also any ModifyDBInstance, `backing-up` a daily
 * backup); the other evidence is the lock item's marker, written before the promote call.
 */
export function hasPromotionStarted(state: ReplicaState): boolean {
  return state.sourceIdentifier === null;
}

/** Describes one instance; a missing instance is a failed precondition, not a transient error. */
export async function describeInstance(rds: RDSClient, identifier: string): Promise<ReplicaState> {
  try {
    const out = await callAws("rds:DescribeDBInstances", () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
    );
    const db = out.DBInstances?.[0];
    if (!db) throw new PreflightFailedError(`DB instance ${identifier} not found`);
    return toReplicaState(db);
  } catch (error) {
    if (error instanceof Error && error.name === "DBInstanceNotFoundFault") {
      throw new PreflightFailedError(`DB instance ${identifier} not found`, { cause: error });
    }
    throw error;
  }
}

export interface PromotionStatus {
  identifier: string;
  status: string;
  writable: boolean;
  /** True when this call (or an earlier execution) found the instance already promoted. */
  alreadyPromoted: boolean;
  requestedAt: string;
  writableAt: string | null;
  attempts: number;
}

export interface PromotionGuard {
  /** Whether this execution has already asked RDS to promote (the marker on the lock item). */
  requested(): Promise<boolean>;
  /** Runs just before the promote call; throws to stop it (e.g. compensation has begun). */
  beforeCall(): Promise<void>;
  /** Runs when RDS definitely refused (nothing started). */
  afterRefusal(): Promise<void>;
}

/**
 * Promotes the replica unless it is already promoted (success) or this execution already
 * asked (a retried task: just report, the loop polls). `backupRetentionDays` is passed
 * explicitly: PromoteReadReplica's BackupRetentionPeriod defaults to 1 day, not to what the
 * replica had (API reference). A replica RDS will not promote yet (a backup, a modification
 * nobody here requested) is ReplicaNotReadyError, retried by the state machine.
 */
export async function promoteReplica(
  rds: RDSClient,
  identifier: string,
  now: Date,
  options: { backupRetentionDays: number },
  guard?: PromotionGuard,
): Promise<PromotionStatus> {
  const before = await describeInstance(rds, identifier);
  const at = now.toISOString();
  const polling = (status: string): PromotionStatus => ({ identifier, status, writable: false, alreadyPromoted: false, requestedAt: at, writableAt: null, attempts: 0 });
  if (isWritable(before)) {
    return { identifier, status: before.status, writable: true, alreadyPromoted: true, requestedAt: at, writableAt: at, attempts: 0 };
  }
  // No source any more: promoted, finishing (e.g. still modifying). Do not call again.
  if (before.sourceIdentifier === null) return polling(before.status);
  if (before.status === "modifying" && (await guard?.requested())) return polling(before.status);
  if (isTransientlyNotReady(before)) {
    throw new ReplicaNotReadyError(`replica ${identifier} is ${before.status}${before.status === "modifying" ? " (a modification this execution did not request)" : ""}; RDS promotes only an available replica, waiting`);
  }
  if (!isPromotable(before)) {
    throw new PromotionRejectedError(`replica ${identifier} is ${before.status}; only an available replica can be promoted`);
  }
  await guard?.beforeCall();
  try {
    await callAws("rds:PromoteReadReplica", () =>
      rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: identifier, BackupRetentionPeriod: options.backupRetentionDays })),
    );
  } catch (error) {
    // A transient error leaves it unknown whether RDS started: keep the marker (assume started).
    if (error instanceof AwsTransientError) throw error;
    if (error instanceof Error && error.name === "InvalidDBInstanceStateFault") {
      // Refused: look again. `modifying` may be our own promotion (the answer to an earlier,
      // lost attempt): keep the marker. A backup that began since the first look: wait.
      const after = await describeInstance(rds, identifier);
      if (after.sourceIdentifier === null || after.status === "modifying") return polling(after.status);
      await guard?.afterRefusal();
      if (isTransientlyNotReady(after)) {
        throw new ReplicaNotReadyError(`rds:PromoteReadReplica refused for ${identifier} while it is ${after.status}; waiting`, { cause: error });
      }
      throw new PromotionRejectedError(`rds:PromoteReadReplica refused for ${identifier}: ${error.message}`, { cause: error });
    }
    await guard?.afterRefusal();
    throw error;
  }
  return polling("modifying");
}

/** One poll of the promotion loop: looks, counts the attempt, stamps the moment it became writable. */
export async function checkPromotion(rds: RDSClient, previous: PromotionStatus, now: Date): Promise<PromotionStatus> {
  const state = await describeInstance(rds, previous.identifier);
  const writable = isWritable(state);
  return {
    ...previous,
    status: state.status,
    writable,
    writableAt: writable ? (previous.writableAt ?? now.toISOString()) : null,
    attempts: previous.attempts + 1,
  };
}

/** The last valid ReplicaLag datapoint: its value and when it was measured; nulls when none. */
export interface LagReading {
  seconds: number | null;
  observedAt: string | null;
}

/** An hour: covers the default detection (10-15 min) and the not-ready retries after it. */
export const defaultLagLookbackSeconds = 3600;

/** ReplicaLag, 1-minute Maximum, over the given lookback, newest first. */
function lagQuery(identifier: string, now: Date, lookbackSeconds: number): GetMetricDataCommand {
  return new GetMetricDataCommand({
    StartTime: new Date(now.getTime() - lookbackSeconds * 1000),
    EndTime: now,
    ScanBy: "TimestampDescending",
    MetricDataQueries: [
      {
        Id: "lag",
        MetricStat: {
          Metric: { Namespace: "AWS/RDS", MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: identifier }] },
          Period: 60,
          Stat: "Maximum",
        },
      },
    ],
  });
}

/**
 * Replica lag for the RPO estimate: the LAST valid (>= 0) ReplicaLag datapoint in the last
 * `lookbackSeconds`, and when it was measured. When the source region is gone, replication
 * stops and RDS reports -1 ("replication is currently not active"), then nothing new; the
 * last valid value is how far behind the replica was when it broke, and its age tells how
 * long ago that was. `seconds: null` means unknown, which the decision treats as over budget.
 */
export async function readLastReplicaLag(cw: CloudWatchClient, identifier: string, now: Date, lookbackSeconds = defaultLagLookbackSeconds): Promise<LagReading> {
  const out = await callAws("cloudwatch:GetMetricData", () => cw.send(lagQuery(identifier, now, lookbackSeconds)));
  const result = out.MetricDataResults?.[0];
  const points = (result?.Values ?? [])
    .map((value, i) => ({ value, at: result?.Timestamps?.[i] }))
    .filter((p): p is { value: number; at: Date } => p.value >= 0 && p.at instanceof Date)
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  const last = points[0];
  return last ? { seconds: last.value, observedAt: last.at.toISOString() } : { seconds: null, observedAt: null };
}

/**
 * The highest valid ReplicaLag datapoint in the last `windowSeconds` (what `pnpm dr status`
 * shows as the current lag), or null. Preflight does not use it: in an outage there is no valid
 * datapoint this recent, see readLastReplicaLag.
 */
export async function readReplicaLag(cw: CloudWatchClient, identifier: string, now: Date, windowSeconds = 600): Promise<number | null> {
  const out = await callAws("cloudwatch:GetMetricData", () => cw.send(lagQuery(identifier, now, windowSeconds)));
  const values = (out.MetricDataResults?.[0]?.Values ?? []).filter((v) => v >= 0);
  return values.length === 0 ? null : Math.max(...values);
}
