/**
 * The monitor's DynamoDB adapter: read one target's state, and replace it only if nobody
 * changed it since (a version-conditioned put). `transact` loops read → decide → write until
 * the write wins, so concurrent invocations serialise on the item without a lock.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RetryableError, callAws } from "../errors";
import { keys, partitionKey } from "../state";
import type { LockView } from "./decide";
import { ClosedIncident, HealthState, emptyState } from "./model";

export interface HealthStore {
  db: DynamoDBDocumentClient;
  table: string;
}

/** Too many concurrent writers kept winning; the invocation fails and is retried. */
export class StateContentionError extends RetryableError {
  override readonly name = "StateContentionError";
}

export async function loadState(store: HealthStore, target: string): Promise<HealthState> {
  const out = await callAws("dynamodb:GetItem", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: { [partitionKey]: keys.health(target) }, ConsistentRead: true })),
  );
  if (!out.Item) return emptyState(target);
  const { [partitionKey]: _pk, ...rest } = out.Item;
  return HealthState.parse(rest);
}

/** Writes `next` if the stored version is still `next.version - 1`; false when someone else won. */
export async function saveState(store: HealthStore, next: HealthState): Promise<boolean> {
  const expected = next.version - 1;
  try {
    await callAws("dynamodb:PutItem", () =>
      store.db.send(
        new PutCommand({
          TableName: store.table,
          Item: { [partitionKey]: keys.health(next.target), ...HealthState.parse(next) },
          ConditionExpression: expected === 0 ? "attribute_not_exists(#pk)" : "#v = :expected",
          ExpressionAttributeNames: expected === 0 ? { "#pk": partitionKey } : { "#v": "version" },
          ExpressionAttributeValues: expected === 0 ? undefined : { ":expected": expected },
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
 * Read-decide-write until the write wins. `step` returns the next state (version + 1) and a
 * result, or undefined to leave the item alone. Returns the step's result and the state it saw
 * or wrote.
 */
export async function transact<R>(
  store: HealthStore,
  target: string,
  step: (state: HealthState) => { next: HealthState; result: R } | { next?: undefined; result: R },
  maxAttempts = 50,
): Promise<{ result: R; state: HealthState }> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const state = await loadState(store, target);
    const { next, result } = step(state);
    if (!next) return { result, state };
    if (await saveState(store, next)) return { result, state: next };
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * attempt)));
  }
  throw new StateContentionError(`${keys.health(target)}: lost ${maxAttempts} conditional writes in a row`);
}

/** Archives a closed incident; idempotent (the same id written twice keeps the first record). */
export async function archiveIncident(store: HealthStore, closed: ClosedIncident): Promise<void> {
  try {
    await callAws("dynamodb:PutItem", () =>
      store.db.send(
        new PutCommand({
          TableName: store.table,
          Item: { [partitionKey]: keys.incident(closed.id), ...ClosedIncident.parse(closed) },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": partitionKey },
        }),
      ),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** The failover lock (LOCK#failover), read when the monitor's execution was refused for it; undefined when free. */
export async function readFailoverLock(store: HealthStore): Promise<LockView | undefined> {
  const out = await callAws("dynamodb:GetItem", () =>
    store.db.send(new GetCommand({ TableName: store.table, Key: { [partitionKey]: keys.failoverLock() }, ConsistentRead: true })),
  );
  const item = out.Item;
  if (!item || typeof item.owner !== "string") return undefined;
  return { owner: item.owner, mode: String(item.mode ?? "failover"), ...(typeof item.expiresAt === "number" ? { expiresAt: item.expiresAt } : {}) };
}
