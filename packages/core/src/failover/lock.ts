/**
 * The failover lock: one item (LOCK#failover) in the state table, taken with a conditional
 * write. The owner is the execution name, so a retried AcquireLock by the same execution
 * succeeds, and a second execution fails fast with FailoverLockedError. The lock expires
 * (`expiresAt`) so a lost release cannot block failovers forever.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { callAws } from "../errors";
import { keys } from "../state";
import { FailoverLockedError } from "./errors";
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
