/**
 * The failover lock: one item (LOCK#failover) in the state table, taken with a conditional
 * write. The owner is the execution name, so a retried AcquireLock by the same execution
 * succeeds, and a second execution fails fast with FailoverLockedError. The lock expires
 * (`expiresAt`) so a lost release cannot block failovers forever.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { callAws } from "../errors";
import { keys } from "../state";
import { FailoverLockedError, PromotionRejectedError } from "./errors";
import type { Run } from "./input";
import type { z } from "zod";
import type { LockResult } from "./state";

/** Longer than the state machine's own timeout, so a live execution never loses its lock. */
export const lockTtlSeconds = 2 * 60 * 60;


export async function acquireLock(db: DynamoDBDocumentClient, table: string, run: Run, now: Date): Promise<z.infer<typeof LockResult>> {
  const at = now.toISOString();
  if (run.mode === "dry-run") return { acquired: false, owner: run.executionName, at, skipped: "dry-run takes no lock" };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  try {
    await callAws("dynamodb:PutItem", () =>
      db.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: keys.failoverLock(),
            owner: run.executionName,
            mode: run.mode,
            incidentId: run.incidentId,
            acquiredAt: at,
            expiresAt: nowSeconds + lockTtlSeconds,
          },
          ConditionExpression: "attribute_not_exists(pk) OR #owner = :owner OR expiresAt < :now",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": run.executionName, ":now": nowSeconds },
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const held = await db.send(new GetCommand({ TableName: table, Key: { pk: keys.failoverLock() }, ConsistentRead: true }));
    const item = held.Item ?? {};
    throw new FailoverLockedError(
      `another ${String(item.mode ?? "failover")} holds the failover lock: execution ${String(item.owner ?? "?")} (incident ${String(item.incidentId ?? "?")}) since ${String(item.acquiredAt ?? "?")}`,
      { cause: error },
    );
  }
  return { acquired: true, owner: run.executionName, at };
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
 * The promotion fence. PromoteReplica writes `promotionRequestedAt` on the lock item before it
 * calls RDS; AssessFailure writes `compensatingAt` and reads the item back in the same
 * update. The marker is only written while `compensatingAt` is absent, so after compensation
 * has begun no promotion can start, and compensation knows for certain whether one may have
 * (RDS itself still reports `available` with its source for a while after the call).
 */
export async function markPromotionRequested(db: DynamoDBDocumentClient, table: string, owner: string, now: Date): Promise<void> {
  try {
    await callAws("dynamodb:UpdateItem", () =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: keys.failoverLock() },
          UpdateExpression: "SET promotionRequestedAt = if_not_exists(promotionRequestedAt, :now)",
          ConditionExpression: "#owner = :owner AND attribute_not_exists(compensatingAt)",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner, ":now": now.toISOString() },
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

/** Whether this execution's promotion marker is on the lock item (consistent read). */
export async function isPromotionRequested(db: DynamoDBDocumentClient, table: string, owner: string): Promise<boolean> {
  const out = await callAws("dynamodb:GetItem", () => db.send(new GetCommand({ TableName: table, Key: { pk: keys.failoverLock() }, ConsistentRead: true })));
  return out.Item?.owner === owner && Boolean(out.Item?.promotionRequestedAt);
}

/** Undoes the marker when RDS definitely refused the promotion (nothing started). */
export async function clearPromotionRequested(db: DynamoDBDocumentClient, table: string, owner: string): Promise<void> {
  await callAws("dynamodb:UpdateItem", () =>
    db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: keys.failoverLock() },
        UpdateExpression: "REMOVE promotionRequestedAt",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#owner": "owner" },
        ExpressionAttributeValues: { ":owner": owner },
      }),
    ),
  );
}

/**
 * Closes the fence and tells whether a promotion was requested. Unknown (the lock is no
 * longer ours) counts as requested: the safe answer is to ask an operator.
 */
export async function beginCompensation(db: DynamoDBDocumentClient, table: string, owner: string, now: Date): Promise<{ promotionRequested: boolean; known: boolean }> {
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
    return { promotionRequested: Boolean(out.Attributes?.promotionRequestedAt), known: true };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { promotionRequested: true, known: false };
    throw error;
  }
}
