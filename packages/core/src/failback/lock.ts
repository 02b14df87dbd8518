/**
 * The failback takes the failover's lock (LOCK#failover): a failover, a drill and a failback
 * exclude each other. The failover's acquireLock takes the failover's run (modes failover,
 * drill, dry-run) and a 2-hour expiry; a re-protect waits for a cross-Region replica to be
 * created, which can take hours, so the failback writes the same item with its own mode and a
 * longer expiry (beyond the failback state machine's own timeout). Release, the promotion
 * marker and the compensation fence are the failover's own functions (they key on the owner).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { callAws } from "../errors";
import { FailoverLockedError } from "../workflow/errors";
import { keys } from "../state";
import type { FailbackRun } from "./input";

/** The failback state machine times out after 12 hours; the lock outlives it. */
export const failbackLockTtlSeconds = 13 * 60 * 60;

export interface FailbackLock {
  acquired: boolean;
  owner: string;
  at: string;
  skipped?: string;
}

export async function acquireFailbackLock(db: DynamoDBDocumentClient, table: string, run: FailbackRun, now: Date): Promise<FailbackLock> {
  const at = now.toISOString();
  if (run.mode === "dry-run") return { acquired: false, owner: run.executionName, at, skipped: "dry-run takes no lock" };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  try {
    await callAws("dynamodb:PutItem", () =>
      db.send(
        new PutCommand({
          TableName: table,
          Item: { pk: keys.failoverLock(), owner: run.executionName, mode: run.mode, incidentId: run.executionName, acquiredAt: at, expiresAt: nowSeconds + failbackLockTtlSeconds },
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
    throw new FailoverLockedError(`another ${String(item.mode ?? "execution")} holds the failover lock: execution ${String(item.owner ?? "?")} since ${String(item.acquiredAt ?? "?")}`, { cause: error });
  }
  return { acquired: true, owner: run.executionName, at };
}
