/**
 * The failover lock: one item (LOCK#failover) in the state table. AcquireLock reads it first
 * and decides from what it shows: absent or expired → taken with a conditional write; already
 * this execution's (a retry after a lost response or a timeout that followed the write) →
 * ours, nothing written; held under this execution's name by another execution (another start
 * time: a recreated state machine reuses names) → FailoverLockedError; held by an execution
 * that has ended (Step Functions' DescribeExecution says so: its own release and
 * ExecutionEnded's were lost) → taken over in one conditional write, recorded as `takenOver`;
 * a running drill's, and this run a failover → taken over in one conditional write and the
 * drill's execution stopped (a real outage pre-empts a drill); anything else →
 * FailoverLockedError. The lock expires when the execution that took it must have ended (its
 * start + the state machine's timeout), so a lost release never blocks a later failover, and a
 * live execution never loses it. It also carries the promotion fence (below).
 *
 * One implementation for every workflow that takes the item (`takeLock`): the failover's
 * AcquireLock (`acquireLock`: its 90-minute expiry, takes over ended holders, pre-empts a drill)
 * and the failback's AcquireFailbackLock (failback/lock.ts: its 13-hour expiry, pre-empts nothing)
 * differ only in the options they pass.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, StopExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { callAws } from "../errors";
import { keys } from "../state";
import { FailoverLockedError, PromotionRejectedError } from "../workflow/errors";
import type { Run } from "./input";
import { executionTimeoutSeconds } from "./settings";
import type { LockResult } from "./state";

type LockItem = Record<string, unknown> & { owner?: string; mode?: string; expiresAt?: number; executionArn?: string; startedAt?: string; preempted?: Preempted };

/** An ended execution whose lock a later one took over (its release was lost). */
export interface TakenOver {
  owner: string;
  executionArn: string;
  /** Its status when asked: SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or "does not exist". */
  status: string;
  at: string;
}

/** A drill whose lock a failover took over. */
export interface Preempted {
  owner: string;
  executionArn: string | null;
  at: string;
  /** When its execution was seen stopped (or already ended); absent until then. */
  stoppedAt?: string;
  /** Its execution's status when the failover looked (RUNNING before the stop). */
  status?: string;
}

/** The lock's expiry for a run: its execution's start + the state machine's timeout. */
export function lockExpiresAt(run: Pick<Run, "startedAt">, now: Date): number {
  const started = Date.parse(run.startedAt);
  return Math.floor((Number.isNaN(started) ? now.getTime() : started) / 1000) + executionTimeoutSeconds;
}

async function readLock(db: DynamoDBDocumentClient, table: string): Promise<LockItem | undefined> {
  const out = await callAws("dynamodb:GetItem", () => db.send(new GetCommand({ TableName: table, Key: { pk: keys.failoverLock() }, ConsistentRead: true })));
  return out.Item as LockItem | undefined;
}

/** Whether a failover, drill or failback holds the lock now (an expired item holds nothing). */
export async function isLockHeld(db: DynamoDBDocumentClient, table: string, now: Date): Promise<boolean> {
  const item = await readLock(db, table);
  return item !== undefined && Number(item.expiresAt ?? 0) >= Math.floor(now.getTime() / 1000);
}

const describeHolder = (item: LockItem) =>
  `another ${String(item.mode ?? "failover")} holds the failover lock: execution ${String(item.owner ?? "?")} (incident ${String(item.incidentId ?? "?")}) since ${String(item.acquiredAt ?? "?")}`;

/** Who takes the lock: an execution of either workflow (its mode names it in the item). */
export interface LockClaim {
  executionName: string;
  startedAt: string;
  mode: string;
  incidentId: string;
  executionArn?: string;
}

export interface LockOptions {
  /** When the lock expires (epoch seconds): when the taking execution must have ended. */
  expiresAt: number;
  /** Takes over a running drill's lock and stops the drill (needs `sfn`): a real outage pre-empts a drill. */
  preemptsDrill: boolean;
  /** Step Functions, to tell an ended holder (its lock is taken over) and to stop a pre-empted drill; without it neither is done. */
  sfn?: SFNClient;
}

/**
 * Takes the lock for `run` (see the module comment). `sfn` stops a pre-empted drill; without
 * it (a caller that cannot stop executions) a drill's lock is not taken over.
 */
export async function acquireLock(db: DynamoDBDocumentClient, table: string, run: Run, now: Date, sfn?: SFNClient): Promise<z.infer<typeof LockResult>> {
  if (run.mode === "dry-run") return { acquired: false, owner: run.executionName, at: now.toISOString(), skipped: "dry-run takes no lock" };
  return takeLock(db, table, run, now, { expiresAt: lockExpiresAt(run, now), preemptsDrill: run.mode === "failover", ...(sfn ? { sfn } : {}) });
}

/** The one acquire (module comment): reads first, decides from what the item shows. */
export async function takeLock(db: DynamoDBDocumentClient, table: string, run: LockClaim, now: Date, o: LockOptions): Promise<z.infer<typeof LockResult>> {
  const at = now.toISOString();
  const { sfn } = o;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const item = (extra: Record<string, unknown> = {}) => ({
    pk: keys.failoverLock(),
    owner: run.executionName,
    mode: run.mode,
    incidentId: run.incidentId,
    acquiredAt: at,
    startedAt: run.startedAt,
    expiresAt: o.expiresAt,
    ...(run.executionArn ? { executionArn: run.executionArn } : {}),
    ...extra,
  });
  // A conditional write can lose a race with another execution: look again, a few times.
  for (let look = 0; look < 3; look++) {
    const held = await readLock(db, table);
    if (held?.owner === run.executionName && typeof held.startedAt === "string" && held.startedAt !== run.startedAt) {
      throw new FailoverLockedError(`${describeHolder(held)}: another execution of the same name (started ${held.startedAt}, this one ${run.startedAt}); names must be unique`);
    }
    if (held?.owner === run.executionName) {
      // Ours already: a retry after the write applied and its answer was lost.
      const preempted = held.preempted && !held.preempted.stoppedAt && sfn ? await stopPreemptedDrill(db, table, run, held.preempted, sfn, now) : held.preempted;
      return { acquired: true, owner: run.executionName, at: String(held.acquiredAt ?? at), alreadyHeld: true, ...(preempted ? { preempted } : {}) };
    }
    const free = !held || (typeof held.expiresAt === "number" && held.expiresAt < nowSeconds);
    if (free) {
      const taken = await conditionalPut(db, table, item(), "attribute_not_exists(pk) OR expiresAt < :now", { ":now": nowSeconds });
      if (taken) return { acquired: true, owner: run.executionName, at };
      continue;
    }
    const ended = sfn && typeof held.executionArn === "string" ? await endedStatus(sfn, held.executionArn) : undefined;
    if (ended && typeof held.executionArn === "string") {
      const takenOver: TakenOver = { owner: String(held.owner), executionArn: held.executionArn, status: ended, at };
      const taken = await conditionalPut(db, table, item({ takenOver }), "#owner = :held AND executionArn = :arn", { ":held": held.owner, ":arn": held.executionArn });
      if (!taken) continue;
      return { acquired: true, owner: run.executionName, at, takenOver };
    }
    if (o.preemptsDrill && held.mode === "drill" && sfn) {
      const preempted: Preempted = { owner: String(held.owner), executionArn: typeof held.executionArn === "string" ? held.executionArn : null, at };
      const taken = await conditionalPut(db, table, item({ preempted }), "#owner = :drill AND #mode = :drillMode", { ":drill": held.owner, ":drillMode": "drill" });
      if (!taken) continue;
      return { acquired: true, owner: run.executionName, at, preempted: await stopPreemptedDrill(db, table, run, preempted, sfn, now) };
    }
    throw new FailoverLockedError(describeHolder(held));
  }
  throw new FailoverLockedError("the failover lock changed hands three times while it was being taken; another execution is starting");
}

/** The holder's status when it has ended (or never existed); undefined while it runs. */
async function endedStatus(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  try {
    const described = await callAws("states:DescribeExecution", () => sfn.send(new DescribeExecutionCommand({ executionArn })));
    return described.status === "RUNNING" || described.status === "PENDING_REDRIVE" ? undefined : (described.status ?? undefined);
  } catch (error) {
    if (error instanceof Error && error.name === "ExecutionDoesNotExist") return "does not exist";
    throw error;
  }
}

async function conditionalPut(db: DynamoDBDocumentClient, table: string, item: Record<string, unknown>, condition: string, values: Record<string, unknown>): Promise<boolean> {
  try {
    await callAws("dynamodb:PutItem", () =>
      db.send(
        new PutCommand({
          TableName: table,
          Item: item,
          ConditionExpression: condition,
          ...(condition.includes("#owner") ? { ExpressionAttributeNames: { "#owner": "owner", ...(condition.includes("#mode") ? { "#mode": "mode" } : {}) } } : {}),
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Stops the drill whose lock this failover took over, reading its status first (an execution
 * that has already ended needs no stop), and records on the lock that it is stopped. A failed
 * stop throws (AwsTransientError is retried); the retried AcquireLock finds the lock ours and
 * the drill not yet marked stopped, and stops it again.
 */
async function stopPreemptedDrill(db: DynamoDBDocumentClient, table: string, run: LockClaim, preempted: Preempted, sfn: SFNClient, now: Date): Promise<Preempted> {
  let status = "unknown (the lock named no execution ARN)";
  if (preempted.executionArn) {
    const arn = preempted.executionArn;
    try {
      const described = await callAws("states:DescribeExecution", () => sfn.send(new DescribeExecutionCommand({ executionArn: arn })));
      status = described.status ?? "UNKNOWN";
    } catch (error) {
      if (!(error instanceof Error && error.name === "ExecutionDoesNotExist")) throw error;
      status = "does not exist";
    }
    if (status === "RUNNING") {
      await callAws("states:StopExecution", () =>
        sfn.send(new StopExecutionCommand({ executionArn: arn, error: "PreemptedByFailover", cause: `failover ${run.executionName} (incident ${run.incidentId}) took over the failover lock` })),
      );
    }
  }
  const stopped: Preempted = { ...preempted, status, stoppedAt: now.toISOString() };
  await callAws("dynamodb:UpdateItem", () =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: keys.failoverLock() },
        UpdateExpression: "SET preempted = :p",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":p": stopped, ":owner": run.executionName },
      }),
    ),
  );
  return stopped;
}

/** Releases the lock if this execution owns it; releasing twice or someone else's lock is a no-op. */
export async function releaseLock(db: DynamoDBDocumentClient, table: string, owner: string): Promise<boolean> {
  try {
    await callAws("dynamodb:DeleteItem", () =>
      db.send(
        new DeleteCommand({
          TableName: table,
          Key: { pk: keys.failoverLock() },
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * The promotion fence. PromoteReplica writes `promotionRequestedAt` (the first request) and
 * `promotionLastRequestedAt` (this one) on the lock item before it calls RDS; AssessFailure
 * writes `compensatingAt` and reads the item back in the same update. The marker is only
 * written while `compensatingAt` is absent, so after compensation has begun no promotion can
 * start, and compensation knows whether one may have (RDS itself still reports `available`
 * with its source for a while after the call).
 */
export async function markPromotionRequested(db: DynamoDBDocumentClient, table: string, owner: string, now: Date): Promise<void> {
  try {
    await callAws("dynamodb:UpdateItem", () =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: keys.failoverLock() },
          UpdateExpression: "SET promotionRequestedAt = if_not_exists(promotionRequestedAt, :now), promotionLastRequestedAt = :now ADD promotionRequests :one",
          ConditionExpression: "#owner = :owner AND attribute_not_exists(compensatingAt)",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner, ":now": now.toISOString(), ":one": 1 },
        }),
      ),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new PromotionRejectedError(`not promoting: execution ${owner} no longer holds the failover lock or has begun compensation`, { cause: error });
    }
    throw error;
  }
}

/** This execution's promotion marker (consistent read): whether it asked RDS, when it last did, how often. */
export interface PromotionMarker {
  requested: boolean;
  lastRequestedAt: string | null;
  requests: number;
}

export async function readPromotionMarker(db: DynamoDBDocumentClient, table: string, owner: string): Promise<PromotionMarker> {
  const item = await readLock(db, table);
  const ours = item?.owner === owner;
  const requested = ours && Boolean(item?.promotionRequestedAt);
  return {
    requested,
    lastRequestedAt: requested ? String(item?.promotionLastRequestedAt ?? item?.promotionRequestedAt) : null,
    requests: ours && typeof item?.promotionRequests === "number" ? item.promotionRequests : 0,
  };
}

/** Undoes the marker once the evidence says RDS did not accept any promotion (nothing started). */
export async function clearPromotionRequested(db: DynamoDBDocumentClient, table: string, owner: string): Promise<void> {
  await callAws("dynamodb:UpdateItem", () =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: keys.failoverLock() },
        UpdateExpression: "REMOVE promotionRequestedAt, promotionLastRequestedAt",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":owner": owner },
      }),
    ),
  );
}

/**
 * Closes the fence and tells whether a promotion was requested, and when last. Unknown (the
 * lock is no longer ours) counts as requested: the safe answer is to ask an operator.
 */
export async function beginCompensation(
  db: DynamoDBDocumentClient,
  table: string,
  owner: string,
  now: Date,
): Promise<{ promotionRequested: boolean; known: boolean; lastRequestedAt?: string | null }> {
  try {
    const out = await callAws("dynamodb:UpdateItem", () =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: keys.failoverLock() },
          UpdateExpression: "SET compensatingAt = if_not_exists(compensatingAt, :now)",
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner, ":now": now.toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    const a = out.Attributes ?? {};
    const requested = Boolean(a.promotionRequestedAt);
    return { promotionRequested: requested, known: true, ...(requested ? { lastRequestedAt: String(a.promotionLastRequestedAt ?? a.promotionRequestedAt) } : {}) };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { promotionRequested: true, known: false };
    throw error;
  }
}
