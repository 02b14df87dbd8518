/**
 * Compensation (saga). The first question after any failure: has a promotion started?
 * Before it, everything is undone (DR back to pilot light, lock released). After it, nothing
 * can be undone, so the execution stops in NeedsOperator. The answer comes from RDS itself,
 * not from how far the execution got, because a Parallel branch can fail after the promote call.
 */
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beginCompensation } from "./lock";
import * as Compute from "../compute";
import * as Database from "../database";
import type { Run } from "./input";
import type { Assessment } from "./state";

export async function assessFailure(
  rds: RDSClient,
  db: DynamoDBDocumentClient,
  table: string,
  run: Run,
  replicaIdentifier: string,
  now: Date,
): Promise<Assessment> {
  if (run.mode !== "failover") {
    return { promotionStarted: false, needsOperator: false, detail: `${run.mode}: nothing was promoted` };
  }
  // Close the fence first: from here on PromoteReplica cannot start a promotion.
  const fence = await beginCompensation(db, table, run.executionName, now);
  const replica = await Database.describeInstance(rds, replicaIdentifier);
  const started = fence.promotionRequested || Database.hasPromotionStarted(replica);
  const state = `database ${replica.identifier} is ${replica.status}${replica.sourceIdentifier ? ` (replicating from ${replica.sourceIdentifier})` : " and promoted (standalone)"}`;
  return {
    promotionStarted: started,
    needsOperator: started,
    detail: started
      ? `${fence.known ? (fence.promotionRequested ? "the promotion was requested" : "RDS reports a promotion") : "the failover lock was lost, so a promotion may have been requested"}; ${state}`
      : `${state}; no promotion was requested`,
  };
}

/** Sets the DR service back to its pilot-light count (idempotent: no call when already there). */
export async function restorePilotLight(ecs: ECSClient, ref: Compute.ServiceRef, pilotCount: number, now: Date): Promise<Compute.ScaleStatus> {
  const status = await Compute.scaleService(ecs, ref, pilotCount, now);
  return { ...status, stable: true, stableAt: now.toISOString() };
}
