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
  DescribeDBParametersCommand,
  DescribeEventsCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  ResetDBParameterGroupCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { AwsTransientError, callAws } from "../errors";
import { PreflightFailedError, PromotionRejectedError, ReplicaNotReadyError } from "../workflow/errors";
import { executionTimeoutSeconds } from "../failover/settings";
import type { DatabaseSeen } from "./serving";

export { decideServing, roleOf, type DatabaseRole, type DatabaseSeen, type DatabaseShown, type Serving } from "./serving";

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
  /** PendingModifiedValues' backup retention: a promote call carries one (BackupRetentionPeriod). */
  pendingBackupRetentionDays?: number | null;
  /** RDS events of the instance since a promote call, read by observeReplica (DescribeEvents). */
  events?: readonly RdsEvent[];  /** InstanceCreateTime (ms): a replica is younger than its source, and a rename keeps it. */
  createdAtMs?: number;
}

/** One RDS event of an instance (DescribeEvents): when, and its message. */
export interface RdsEvent {
  at: string;
  message: string;
}

export function toReplicaState(db: DBInstance): ReplicaState {
  const info = db.StatusInfos?.find((i) => i.StatusType === "read replication");
  return {
    identifier: db.DBInstanceIdentifier ?? "",
    status: db.DBInstanceStatus ?? "unknown",
    sourceIdentifier: db.ReadReplicaSourceDBInstanceIdentifier ?? null,
    backupRetentionDays: db.BackupRetentionPeriod ?? 0,
    replication: info ? { status: info.Status ?? "unknown", normal: info.Normal ?? false, message: info.Message || null } : null,
    pendingBackupRetentionDays: db.PendingModifiedValues?.BackupRetentionPeriod ?? null,
    ...(db.InstanceCreateTime ? { createdAtMs: db.InstanceCreateTime.getTime() } : {}),
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

/**
 * One database as decideServing reads it: DescribeDBInstances (not found and not answered told
 * apart), then, with `readOnly` and a database that is no replica, `read_only` in its group.
 * `error`: why it is not known (RDS did not answer, or the group could not be read: then
 * `readOnly` stays unread, and the database is not counted as taking writes).
 */
export async function seeDatabase(rds: RDSClient, identifier: string, options: { readOnly: boolean }): Promise<{ seen: DatabaseSeen; group: string | null; error: unknown }> {
  let state: ReplicaState;
  try {
    state = await describeInstance(rds, identifier);
  } catch (error) {
    const notFound = error instanceof Error && error.cause instanceof Error && error.cause.name === "DBInstanceNotFoundFault";
    return { seen: notFound ? { found: false } : undefined, group: null, error: notFound ? undefined : error };
  }
  if (!options.readOnly || state.sourceIdentifier !== null) return { seen: { found: true, state }, group: null, error: undefined };
  try {
    const { group, readOnly } = await readOnlyByGroup(rds, identifier);
    return { seen: { found: true, state, readOnly }, group, error: undefined };
  } catch (error) {
    return { seen: { found: true, state }, group: null, error };
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
  /** Promote calls this execution has made (re-requests included). */
  requests?: number;
  acceptance?: Acceptance;
  requestAgain?: boolean;
}

/** What RDS shows of a promote call: promoting, too early to tell, or no sign of it after the window. */
export type Acceptance = "accepted" | "pending" | "not-accepted";

/**
 * Event messages RDS records when a promotion stops replication and reboots the instance
 * (RDS User Guide, "Amazon RDS event categories and event messages": RDS-EVENT-0057, -0062,
 * -0004, -0006; "When you promote a read replica, RDS stops replication and reboots the read
 * replica"). DescribeEvents gives no event ID, so the message is matched, and any message that
 * names a promotion. "Replication has stopped." (RDS-EVENT-0045) is an error, not a promotion.
 */
const promotionEventMessages = new Set([
  "replication streaming has been terminated.",
  "replication for the read replica has been manually stopped.",
  "db instance shutdown.",
  "db instance restarted.",
]);

const isPromotionEvent = (message: string): boolean => promotionEventMessages.has(message.trim().toLowerCase()) || /promot/i.test(message);

/** Seconds before a request that its events are still looked for (clocks of Lambda and RDS). */
export const eventClockSkewSeconds = 30;

/**
 * RDS's evidence of a promote call sent at `requestedAt`, besides its status and source: an event
 * of a promotion recorded since the call (the events keep what the status race hides), a pending
 * backup-retention change (the call carries one), or read replication `stopped`/`terminated`.
 * Null when RDS shows none. Only a call of ours is judged this way: each of these alone is no
 * evidence that anyone asked for a promotion.
 */
export function promotionEvidence(state: ReplicaState, requestedAt: string): string | null {
  const since = Date.parse(requestedAt) - eventClockSkewSeconds * 1000;
  const event = (state.events ?? []).find((e) => Date.parse(e.at) >= since && isPromotionEvent(e.message));
  if (event) return `RDS recorded "${event.message}" at ${event.at}`;
  if (state.pendingBackupRetentionDays !== undefined && state.pendingBackupRetentionDays !== null) return `RDS shows a pending backup retention of ${state.pendingBackupRetentionDays} days`;
  if (state.replication && ["stopped", "terminated"].includes(state.replication.status)) return `RDS shows read replication ${state.replication.status}`;
  return null;
}

/**
 * Whether RDS accepted a promote call sent at `requestedAt`, from what it shows now. No source
 * any more, or `modifying` right after our call, or RDS's other evidence of it (events, pending
 * modifications, replication status: promotionEvidence): accepted. `available` (or anything
 * else) with its source and no evidence: pending until `windowSeconds` after the call (the status
 * race), then not accepted.
 */
export function judgeAcceptance(state: ReplicaState, requestedAt: string | null, now: Date, windowSeconds: number): Acceptance {
  if (state.sourceIdentifier === null || state.status === "modifying") return "accepted";
  if (requestedAt === null) return "not-accepted";
  if (promotionEvidence(state, requestedAt) !== null) return "accepted";
  return (now.getTime() - Date.parse(requestedAt)) / 1000 < windowSeconds ? "pending" : "not-accepted";
}

/**
 * How far back a refusal looks for someone else's promotion (an earlier attempt of the
 * incident, a person at the console): an execution's whole life.
 */
export const earlierPromotionLookbackSeconds = executionTimeoutSeconds;

/** RDS events of one instance (source type db-instance) from `since` to `now`, oldest first. */
export async function readInstanceEvents(rds: RDSClient, identifier: string, since: Date, now: Date): Promise<RdsEvent[]> {
  const events: RdsEvent[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws("rds:DescribeEvents", () =>
      rds.send(new DescribeEventsCommand({ SourceType: "db-instance", SourceIdentifier: identifier, StartTime: since, EndTime: now, Marker: marker })),
    );
    for (const e of page.Events ?? []) events.push({ at: (e.Date ?? now).toISOString(), message: e.Message ?? "" });
    marker = page.Marker;
  } while (marker);
  return events;
}

/**
 * What RDS shows of a replica after a promote call sent at `requestedAt` (null: none of ours):
 * DescribeDBInstances and, when its status and source show no promotion, the instance's events
 * since the call (DescribeEvents), so a judgement covers the whole window since the call, not
 * the moment of one read.
 */
export async function observeReplica(rds: RDSClient, identifier: string, requestedAt: string | null, now: Date): Promise<ReplicaState> {
  const state = await describeInstance(rds, identifier);
  if (requestedAt === null || state.sourceIdentifier === null || state.status === "modifying") return state;
  const since = new Date(Date.parse(requestedAt) - eventClockSkewSeconds * 1000);
  return { ...state, events: await readInstanceEvents(rds, identifier, since, now) };
}

export interface PromotionGuard {
  /** This execution's marker on the lock item: whether it has asked RDS already, when it last did, how often. */
  marker(): Promise<{ requested: boolean; lastRequestedAt: string | null; requests: number }>;
  /** Runs just before the promote call; throws to stop it (compensation has begun, the primary answers again). */
  beforeCall(): Promise<void>;
  /** Runs when the evidence says RDS accepted none of this execution's calls (nothing started). */
  afterRefusal(): Promise<void>;
}

export interface PromotionOptions {
  backupRetentionDays: number;
  /** Seconds to wait for evidence of a call before judging it not accepted (Failover.promotionAcceptanceSeconds). */
  acceptanceSeconds: number;
  /** Calls before giving up (Failover.maxPromotionRequests). */
  maxRequests: number;
  /** The previous status when the loop comes back to re-request (it counts the calls). */
  previous?: PromotionStatus;
}

const noGuard: PromotionGuard = { marker: async () => ({ requested: false, lastRequestedAt: null, requests: 0 }), beforeCall: async () => undefined, afterRefusal: async () => undefined };

/**
 * Promotes the replica, deciding from what RDS and the lock item show, never from whether a
 * call returned. Already promoted: success. Promoting (no source, or `modifying` after our
 * marker): report and let CheckPromotion poll. A call of ours still inside its acceptance
 * window: no second call, poll. A replica RDS will not promote yet (a backup, a modification
 * nobody here requested): ReplicaNotReadyError, retried by the state machine. Otherwise mark,
 * call, and: accepted → poll; refused on the first and only attempt with no earlier call of
 * ours → a definite refusal (marker cleared); anything else (a 5xx or socket error after which
 * the SDK's retry met InvalidDBInstanceStateFault, a timeout) → unknown: the marker stays and
 * CheckPromotion judges the call by what RDS shows over the acceptance window.
 * `backupRetentionDays` is passed explicitly: PromoteReadReplica's default is 1 day.
 */
export async function promoteReplica(rds: RDSClient, identifier: string, now: Date, options: PromotionOptions, guard: PromotionGuard = noGuard): Promise<PromotionStatus> {
  const at = now.toISOString();
  const marker = await guard.marker();
  const before = await observeReplica(rds, identifier, marker.requested ? marker.lastRequestedAt : null, now);
  const requests = marker.requests;
  const polling = (status: string, made = requests): PromotionStatus => ({
    identifier,
    status,
    writable: false,
    alreadyPromoted: false,
    requestedAt: options.previous?.requestedAt && made === requests ? options.previous.requestedAt : at,
    writableAt: null,
    attempts: options.previous?.attempts ?? 0,
    requests: made,
    acceptance: "pending",
    requestAgain: false,
  });
  if (isWritable(before)) {
    return { identifier, status: before.status, writable: true, alreadyPromoted: true, requestedAt: at, writableAt: at, attempts: options.previous?.attempts ?? 0, requests, acceptance: "accepted", requestAgain: false };
  }
  // No source any more: promoted, finishing (e.g. still modifying). Do not call again.
  if (before.sourceIdentifier === null) return { ...polling(before.status), acceptance: "accepted" };
  const acceptance = marker.requested ? judgeAcceptance(before, marker.lastRequestedAt, now, options.acceptanceSeconds) : "not-accepted";
  if (marker.requested && acceptance !== "not-accepted") return { ...polling(before.status), requestedAt: marker.lastRequestedAt ?? at, acceptance };
  if (marker.requested && requests >= options.maxRequests) {
    await guard.afterRefusal();
    throw new PromotionRejectedError(`RDS showed no sign of ${requests} promote calls for ${identifier} (each watched for ${options.acceptanceSeconds} s); the replica is ${before.status} and still replicates`);
  }
  if (isTransientlyNotReady(before)) {
    // Our earlier call (if any) was not accepted: the window passed with the replica untouched.
    if (marker.requested) await guard.afterRefusal();
    throw new ReplicaNotReadyError(`replica ${identifier} is ${before.status}${before.status === "modifying" ? " (a modification this execution did not request)" : ""}; RDS promotes only an available replica, waiting`);
  }
  if (!isPromotable(before)) {
    if (marker.requested) await guard.afterRefusal();
    throw new PromotionRejectedError(`replica ${identifier} is ${before.status}; only an available replica can be promoted`);
  }
  await guard.beforeCall();
  const made = requests + 1;
  try {
    await callAws("rds:PromoteReadReplica", () =>
      rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: identifier, BackupRetentionPeriod: options.backupRetentionDays })),
    );
  } catch (error) {
    const definite = !marker.requested && attemptsOf(error) === 1 && !(error instanceof AwsTransientError);
    if (error instanceof Error && error.name === "InvalidDBInstanceStateFault") {
      // RDS refuses a replica it is already promoting: for the calls of this execution (the
      // SDK's retry after a lost answer) and for anyone else's (an earlier attempt, a person),
      // whose events are looked for over an execution's life.
      const since = definite ? new Date(now.getTime() - earlierPromotionLookbackSeconds * 1000).toISOString() : at;
      const after = await observeReplica(rds, identifier, since, now);
      if (judgeAcceptance(after, since, now, options.acceptanceSeconds) === "accepted") return { ...polling(after.status, made), acceptance: "accepted" };
      // A retry (ours or the SDK's) may have met the effect of a call whose answer was lost:
      // the replica can show `available` with its source for a while after an accepted call.
      if (!definite) return polling(after.status, made);
      await guard.afterRefusal();
      if (isTransientlyNotReady(after)) {
        throw new ReplicaNotReadyError(`rds:PromoteReadReplica refused for ${identifier} while it is ${after.status}; waiting`, { cause: error });
      }
      throw new PromotionRejectedError(`rds:PromoteReadReplica refused for ${identifier}: ${error.message}`, { cause: error });
    }
    // A transient error leaves it unknown whether RDS started: keep the marker (the retry judges it).
    if (definite) await guard.afterRefusal();
    throw error;
  }
  return polling("modifying", made);
}

/** How many attempts the SDK made for the call that failed (1 when it did not say). */
function attemptsOf(error: unknown): number {
  const cause = error instanceof AwsTransientError ? (error.cause as { $metadata?: { attempts?: number } } | undefined) : (error as { $metadata?: { attempts?: number } } | undefined);
  return cause?.$metadata?.attempts ?? 1;
}

/**
 * One poll of the promotion loop: looks, counts the attempt, stamps the moment it became
 * writable, and judges the last promote call (`requestAgain` when RDS showed no sign of it).
 */
export async function checkPromotion(rds: RDSClient, previous: PromotionStatus, now: Date, acceptanceSeconds = Number.POSITIVE_INFINITY): Promise<PromotionStatus> {
  // Once RDS showed it accepted the call, that stands: a later look at a status that still
  // lags (the race) takes nothing back.
  const accepted = previous.acceptance === "accepted";
  const state = await observeReplica(rds, previous.identifier, accepted ? null : previous.requestedAt, now);
  const writable = isWritable(state);
  const acceptance = writable || accepted ? "accepted" : judgeAcceptance(state, previous.requestedAt, now, acceptanceSeconds);
  return {
    ...previous,
    status: state.status,
    writable,
    writableAt: writable ? (previous.writableAt ?? now.toISOString()) : null,
    attempts: previous.attempts + 1,
    acceptance,
    requestAgain: !writable && acceptance === "not-accepted",
  };
}

/**
 * The old primary's write fence: `read_only` = 1 in its own DB parameter group. A dynamic MySQL
 * parameter, so RDS applies it at once without a reboot; the stacks leave it out of the
 * template, so no deploy resets it (docs/aws-behaviour.md, "Fencing the old primary"). Reads
 * first (the parameters a user set in the group): already 1 is done with no change. Throws
 * when the region does not answer (the caller gives a client with short timeouts).
 */
export async function fenceReadOnly(rds: RDSClient, parameterGroup: string): Promise<{ done: boolean; changed: boolean; detail: string }> {
  if (isOn(await readOnlySetIn(rds, parameterGroup))) return { done: true, changed: false, detail: `read_only already 1 in ${parameterGroup}` };
  await callAws("rds:ModifyDBParameterGroup", () =>
    rds.send(
      new ModifyDBParameterGroupCommand({ DBParameterGroupName: parameterGroup, Parameters: [{ ParameterName: "read_only", ParameterValue: "1", ApplyMethod: "immediate" }] }),
    ),
  );
  return { done: true, changed: true, detail: `read_only set to 1 in ${parameterGroup}` };
}

/**
 * The `read_only` a user set in a DB parameter group (DescribeDBParameters, `Source: user`, every
 * page), undefined when none was: the one read of it for the fence, its lift, the deploy guard
 * and `pnpm dr status`.
 */
export async function readOnlySetIn(rds: RDSClient, parameterGroup: string): Promise<string | undefined> {
  let marker: string | undefined;
  do {
    const page = await callAws("rds:DescribeDBParameters", () => rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: parameterGroup, Source: "user", Marker: marker })));
    const readOnly = page.Parameters?.find((p) => p.ParameterName === "read_only");
    if (readOnly) return String(readOnly.ParameterValue);
    marker = page.Marker;
  } while (marker);
  return undefined;
}

/** MySQL's spellings of a boolean variable that is on. */
export const isOn = (value: string | undefined): boolean => value !== undefined && ["1", "on", "true"].includes(value.toLowerCase());

/**
 * Whether an instance that is no replica is still read-only: `read_only` on in the group it
 * uses, which survives a promotion and a reboot (a fence, a seal, or a team's own setting).
 * A default group leaves it off (`{TrueIfReplica}`) and cannot be changed. Read as
 * DescribeDBInstances lists the group: while a newly attached one is `pending-reboot` the
 * instance still runs on the previous group, and this reads the new one.
 */
export async function readOnlyByGroup(rds: RDSClient, identifier: string): Promise<{ group: string; readOnly: boolean }> {
  const group = await parameterGroupOf(rds, identifier);
  return { group, readOnly: await readOnlyInGroup(rds, group) };
}

/** `read_only` on in a group already named (readOnlyByGroup reads the name first). */
export async function readOnlyInGroup(rds: RDSClient, group: string): Promise<boolean> {
  return !isDefaultParameterGroup(group) && isOn(await readOnlySetIn(rds, group));
}

/** Default groups (`default.<family>`) cannot be modified: no fence can be set in one. */
export const isDefaultParameterGroup = (name: string): boolean => name.startsWith("default.");

/** The DB parameter group an instance uses, as DescribeDBInstances lists it; missing instance: PreflightFailedError. */
export async function parameterGroupOf(rds: RDSClient, identifier: string): Promise<string> {
  return (await parameterGroupStateOf(rds, identifier)).group;
}

/**
 * The group DescribeDBInstances lists and whether it is applied: a group attached by
 * ModifyDBInstance is listed at once but used only after a reboot (`pending-reboot`).
 */
async function parameterGroupStateOf(rds: RDSClient, identifier: string): Promise<{ group: string; applyStatus: string }> {
  try {
    const out = await callAws("rds:DescribeDBInstances", () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })));
    const listed = out.DBInstances?.[0]?.DBParameterGroups?.[0];
    if (!listed?.DBParameterGroupName) throw new PreflightFailedError(`DB instance ${identifier} not found, or it lists no DB parameter group`);
    return { group: listed.DBParameterGroupName, applyStatus: listed.ParameterApplyStatus ?? "in-sync" };
  } catch (error) {
    if (error instanceof Error && error.name === "DBInstanceNotFoundFault") throw new PreflightFailedError(`DB instance ${identifier} not found`, { cause: error });
    throw error;
  }
}

/**
 * Fences the instance under `identifier`: `read_only` = 1 in the group it uses now, resolved
 * from what RDS shows, never from a name fixed at deploy time (after a round trip the instance
 * under a name is another instance, with another group). A default group cannot be modified:
 * not done, and the detail says why.
 */
export async function fenceInstanceReadOnly(rds: RDSClient, identifier: string): Promise<{ done: boolean; changed: boolean; detail: string }> {
  const { group, applyStatus } = await parameterGroupStateOf(rds, identifier);
  if (isDefaultParameterGroup(group)) {
    return { done: false, changed: false, detail: `${identifier} uses ${group}, a default DB parameter group, which RDS does not let anyone modify: read_only cannot be set (docs/runbook.md, "A database on a default parameter group")` };
  }
  // The instance still runs on its previous group, which DescribeDBInstances no longer names.
  if (applyStatus === "pending-reboot") {
    return { done: false, changed: false, detail: `${identifier} uses ${group} only after its next reboot (pending-reboot): read_only set there would not take effect until then (docs/adopt.md)` };
  }
  const fenced = await fenceReadOnly(rds, group);
  return { ...fenced, detail: `${identifier}: ${fenced.detail}` };
}

/**
 * Lifts a fence that a rolled-back step set: `read_only` back to the engine's default in the
 * group the instance uses (ResetDBParameterGroup; not "0", which would make a replica writable).
 * Nothing set (or a default group): no call.
 */
export async function liftReadOnly(rds: RDSClient, identifier: string): Promise<{ changed: boolean; detail: string }> {
  const group = await parameterGroupOf(rds, identifier);
  if (isDefaultParameterGroup(group)) return { changed: false, detail: `${identifier} uses ${group}: nothing to lift` };
  if ((await readOnlySetIn(rds, group)) === undefined) return { changed: false, detail: `read_only not set in ${group}` };
  await callAws("rds:ResetDBParameterGroup", () =>
    rds.send(new ResetDBParameterGroupCommand({ DBParameterGroupName: group, Parameters: [{ ParameterName: "read_only", ApplyMethod: "immediate" }] })),
  );
  return { changed: true, detail: `read_only reset to its default in ${group}` };
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
