/**
 * Compensation (saga). The first question after any failure: has a promotion started?
 * Before it, everything is undone (DR back to pilot light, lock released). After it, nothing
 * can be undone, so the execution stops in NeedsOperator. The answer comes from RDS and the
 * lock's promotion marker over time, not from how far the execution got or whether a call
 * returned: a Parallel branch can fail after the promote call, and an accepted call can leave
 * the replica `available` with its source for a minute.
 */
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AwsTransientError } from "../errors";
import { beginCompensation } from "./lock";
import * as Compute from "../compute";
import * as Database from "../database";
import type { Run } from "./input";
import { promotionAcceptanceSeconds } from "./settings";
import type { Assessment } from "./state";

/**
 * The decision (pure): has a promotion started? RDS showing no source: yes. The lock no longer
 * ours: assume yes. No marker: no (but in a later attempt of an incident, RDS `modifying` the replica
 * or its events of a promotion, perhaps an earlier attempt's, leave it to a person rather than rolled back). A marker: RDS `modifying`,
 * or its other evidence since the call (an event of the promotion, a pending backup-retention
 * change, replication stopped: Database.promotionEvidence) says yes; the replica untouched says
 * no, but only once the acceptance window after the last call has passed; before that the
 * answer is not settled and compensation looks again.
 */
export function judgeFailure(
  fence: { promotionRequested: boolean; known: boolean; lastRequestedAt?: string | null },
  replica: Database.ReplicaState,
  now: Date,
  acceptanceSeconds: number,
  attempts: number,
  laterAttempt = false,
): Assessment {
  const state = `database ${replica.identifier} is ${replica.status}${replica.sourceIdentifier ? ` (replicating from ${replica.sourceIdentifier})` : " and promoted (standalone)"}`;
  const started = (why: string): Assessment => ({ promotionStarted: true, needsOperator: true, detail: `${why}; ${state}`, settled: true, attempts });
  if (!fence.known) return started("the failover lock was lost, so a promotion may have been requested");
  if (Database.hasPromotionStarted(replica)) return started(fence.promotionRequested ? "the promotion was requested" : "RDS reports a promotion");
  if (!fence.promotionRequested) {
    // No promote call of this run, but it is a later attempt of an incident and RDS is modifying
    // the replica: the earlier attempt's promotion may be under way (the monitor re-drives a run
    // that ended NeedsOperator). Scaling DR back down could leave a promoted database unserved, so
    // nothing is rolled back: a person decides. A first attempt still rolls back (a modification
    // nobody requested for a promotion is not one).
    const earlier = laterAttempt ? (replica.status === "modifying" ? "RDS is modifying it" : Database.promotionEvidence(replica, earlierSince(now))) : null;
    if (earlier) {
      return { promotionStarted: false, needsOperator: true, detail: `${state}; this run requested no promotion, but an earlier one may have (${earlier}): nothing is rolled back`, settled: true, attempts };
    }
    return { promotionStarted: false, needsOperator: false, detail: `${state}; no promotion was requested`, settled: true, attempts };
  }
  const acceptance = Database.judgeAcceptance(replica, fence.lastRequestedAt ?? null, now, acceptanceSeconds);
  if (acceptance === "accepted") {
    const evidence = fence.lastRequestedAt ? Database.promotionEvidence(replica, fence.lastRequestedAt) : null;
    return started(`the promotion was requested and ${replica.status === "modifying" ? "RDS is modifying the replica" : (evidence ?? "RDS accepted it")}`);
  }
  if (acceptance === "pending") {
    return { promotionStarted: true, needsOperator: true, detail: `a promotion was requested at ${fence.lastRequestedAt}; waiting up to ${acceptanceSeconds} s after it for RDS to show whether it accepted it; ${state}`, settled: false, attempts };
  }
  return { promotionStarted: false, needsOperator: false, detail: `RDS did not accept the promotion requested at ${fence.lastRequestedAt}: ${acceptanceSeconds} s later ${state}`, settled: true, attempts };
}

/** Since when a later attempt looks for an earlier attempt's promotion: an execution's life. */
const earlierSince = (now: Date): string => new Date(now.getTime() - Database.earlierPromotionLookbackSeconds * 1000).toISOString();

export async function assessFailure(
  rds: RDSClient,
  db: DynamoDBDocumentClient,
  table: string,
  run: Run,
  replicaIdentifier: string,
  now: Date,
  options: { acceptanceSeconds: number; previous?: Assessment } = { acceptanceSeconds: promotionAcceptanceSeconds },
): Promise<Assessment> {
  const attempts = (options.previous?.attempts ?? 0) + 1;
  if (run.mode !== "failover") {
    return { promotionStarted: false, needsOperator: false, detail: `${run.mode}: nothing was promoted`, settled: true, attempts };
  }
  // Close the fence first: from here on PromoteReplica cannot start a promotion.
  const fence = await beginCompensation(db, table, run.executionName, now);
  // The monitor names an incident's later attempts `failover-<incident>-<n>` (Health.attemptName).
  const laterAttempt = run.executionName.startsWith(`failover-${run.incidentId}-`);
  let replica: Database.ReplicaState;
  try {
    // With a promote call of this run marked, RDS's events since it are read too (observeReplica);
    // a later attempt without one looks for an earlier attempt's promotion over an execution's life.
    replica = await Database.observeReplica(rds, replicaIdentifier, fence.known && fence.promotionRequested ? (fence.lastRequestedAt ?? null) : laterAttempt ? earlierSince(now) : null, now);
  } catch (error) {
    // RDS refuses to be read (denied, a missing permission): with the lock ours and no promote
    // call of this run marked on it, and the fence now closed, this run cannot have started a
    // promotion. A transient error is retried by the state machine first.
    if (fence.known && !fence.promotionRequested && !(error instanceof AwsTransientError)) {
      return { promotionStarted: false, needsOperator: false, detail: `no promotion was requested by this run (RDS could not be read: ${(error as Error).name}: ${(error as Error).message})`, settled: true, attempts };
    }
    throw error;
  }
  return judgeFailure(fence, replica, now, options.acceptanceSeconds, attempts, laterAttempt);
}

/** Sets the DR service back to its pilot-light count (idempotent: no call when already there). */
export async function restorePilotLight(ecs: ECSClient, ref: Compute.ServiceRef, pilotCount: number, now: Date): Promise<Compute.ScaleStatus> {
  const status = await Compute.scaleService(ecs, ref, pilotCount, now);
  return { ...status, stable: true, stableAt: now.toISOString() };
}
