/**
 * The failback takes the failover's lock (LOCK#failover): a failover, a drill and a failback
 * exclude each other. It is the failover's one acquire (failover/lock.ts `takeLock`: reads first,
 * ours already after a lost answer, a reused execution name refused, a free or expired lock taken
 * with a conditional write) with the failback's own options: a re-protect waits for a cross-Region
 * replica to be created, which can take hours, so the lock lives longer (beyond the failback state
 * machine's own timeout); it pre-empts nothing (a drill or failover holding the lock stops it).
 * Release, the promotion marker and the compensation fence are the failover's own functions
 * (they key on the owner).
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { takeLock } from "../failover/lock";
import type { FailbackRun } from "./input";

/** The failback state machine times out after 12 hours; the lock outlives it. */
export const failbackLockTtlSeconds = 13 * 60 * 60;

export interface FailbackLock {
  acquired: boolean;
  owner: string;
  at: string;
  skipped?: string;
  /** The lock was this execution's already (a retry after a lost answer): nothing was written. */
  alreadyHeld?: boolean;
}

export async function acquireFailbackLock(db: DynamoDBDocumentClient, table: string, run: FailbackRun, now: Date): Promise<FailbackLock> {
  const at = now.toISOString();
  if (run.mode === "dry-run") return { acquired: false, owner: run.executionName, at, skipped: "dry-run takes no lock" };
  const { acquired, owner, at: since, alreadyHeld } = await takeLock(db, table, { executionName: run.executionName, startedAt: run.startedAt, mode: run.mode, incidentId: run.executionName }, now, {
    expiresAt: Math.floor(now.getTime() / 1000) + failbackLockTtlSeconds,
    preemptsDrill: false,
  });
  return { acquired, owner, at: since, ...(alreadyHeld ? { alreadyHeld } : {}) };
}
