/**
 * The DR database in the runbook: inspect the cross-region read replica, promote it, and
 * tell when it is writable. "Writable" means status `available` AND no
 * ReadReplicaSourceDBInstanceIdentifier: right after the promote call the replica can still
 * report `available` with its source for a while, so status alone would lie.
 * Every effect looks first: promoting an already-promoted instance is success.
 */
import {
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { AwsTransientError, callAws } from "../errors";
import { PreflightFailedError, PromotionRejectedError } from "../failover/errors";

export interface ReplicaState {
  identifier: string;
  status: string;
  /** The replication source (an ARN for cross-region replicas); absent once promoted. */
  sourceIdentifier: string | null;
  backupRetentionDays: number;
}

export function toReplicaState(db: DBInstance): ReplicaState {
  return {
    identifier: db.DBInstanceIdentifier ?? "",
    status: db.DBInstanceStatus ?? "unknown",
    sourceIdentifier: db.ReadReplicaSourceDBInstanceIdentifier ?? null,
    backupRetentionDays: db.BackupRetentionPeriod ?? 0,
  };
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
 * Whether a promotion may already be under way or done; compensation must not scale DR back
 * down then. Anything but an idle, replicating, `available` replica counts as started, which
 * errs on the side of asking an operator.
 */
export function hasPromotionStarted(state: ReplicaState): boolean {
  return state.sourceIdentifier === null || state.status !== "available";
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

/**
 * Promotes the replica unless it is already promoted (success) or already promoting
 * (a retried call: just report). Backups stay as configured on the replica (D6).
 */
export interface PromotionGuard {
  /** Runs just before the promote call; throws to stop it (e.g. compensation has begun). */
  beforeCall(): Promise<void>;
  /** Runs when RDS definitely refused (nothing started). */
  afterRefusal(): Promise<void>;
}

export async function promoteReplica(rds: RDSClient, identifier: string, now: Date, guard?: PromotionGuard): Promise<PromotionStatus> {
  const before = await describeInstance(rds, identifier);
  const at = now.toISOString();
  if (isWritable(before)) {
    return { identifier, status: before.status, writable: true, alreadyPromoted: true, requestedAt: at, writableAt: at, attempts: 0 };
  }
  if (before.sourceIdentifier === null || before.status === "modifying") {
    // Promotion already requested (a retried task): do not call again, just poll.
    return { identifier, status: before.status, writable: false, alreadyPromoted: false, requestedAt: at, writableAt: null, attempts: 0 };
  }
  if (!isPromotable(before)) {
    throw new PromotionRejectedError(`replica ${identifier} is ${before.status}; only an available replica can be promoted`);
  }
  await guard?.beforeCall();
  try {
    await callAws("rds:PromoteReadReplica", () =>
      rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: identifier })),
    );
  } catch (error) {
    // A transient error leaves it unknown whether RDS started: keep the marker (assume started).
    if (!(error instanceof AwsTransientError)) await guard?.afterRefusal();
    if (error instanceof Error && error.name === "InvalidDBInstanceStateFault") {
      throw new PromotionRejectedError(`rds:PromoteReadReplica refused for ${identifier}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return { identifier, status: "modifying", writable: false, alreadyPromoted: false, requestedAt: at, writableAt: null, attempts: 0 };
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

/**
 * Replica lag for the RPO estimate: the highest valid (>= 0) ReplicaLag datapoint in the
 * last `windowSeconds`. When the primary region is gone, replication stops and RDS reports
 * -1 or nothing; the last valid values show how far behind the replica was when it broke.
 * null means unknown, which the decision treats as over budget.
 */
export async function readReplicaLag(cw: CloudWatchClient, identifier: string, now: Date, windowSeconds = 600): Promise<number | null> {
  const out = await callAws("cloudwatch:GetMetricData", () =>
    cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - windowSeconds * 1000),
        EndTime: now,
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
      }),
    ),
  );
  const values = (out.MetricDataResults?.[0]?.Values ?? []).filter((v) => v >= 0);
  return values.length === 0 ? null : Math.max(...values);
}
