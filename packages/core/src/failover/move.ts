/**
 * Moving the serving role from one side to the other, written once for the unplanned failover
 * (either direction: the DR region's copy or the primary region's) and the planned switchback
 * (the same move the other way, after its zero-data-loss catch-up and seal): promote the
 * target's replica behind the run's promotion fence, look at the promotion, bring the target's
 * service up, point the PRIMARY record at the target's load balancer. Each looks first and is
 * idempotent; what only a planned move does (lifting a fence the last failover left on the
 * target's service, the record's health check when the target is the primary's) is an option.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { Route53Client } from "@aws-sdk/client-route-53";
import * as Compute from "../compute";
import * as Database from "../database";
import * as Dns from "../dns";
import { clearPromotionRequested, markPromotionRequested, readPromotionMarker } from "./lock";
import { dnsLookSeconds, maxPromotionRequests, promotionAcceptanceSeconds, promotionLookSeconds, withNextLook } from "./settings";

/** The run's lock item, where "promotion requested" is marked before any promote call. */
export interface PromotionFence {
  db: DynamoDBDocumentClient;
  table: string;
  /** The execution that holds the lock. */
  owner: string;
}

/**
 * Promotes the target's replica (Database.promoteReplica, keeping the stage's backup retention)
 * behind the promotion fence: the marker is written just before the call and refused once
 * compensation began, so compensation knows for certain whether a promotion may have started.
 * `beforeCall` runs first (an automatic failover asks the primary once more). Returns with when
 * the loop looks next (`nextLookAt`).
 */
export async function promoteTarget(
  rds: RDSClient,
  identifier: string,
  fence: PromotionFence,
  now: Date,
  o: { backupRetentionDays: number; previous?: Database.PromotionStatus; beforeCall?: () => Promise<void> },
): Promise<Database.PromotionStatus & { nextLookAt: string }> {
  const options = {
    backupRetentionDays: o.backupRetentionDays,
    acceptanceSeconds: promotionAcceptanceSeconds,
    maxRequests: maxPromotionRequests,
    ...(o.previous ? { previous: o.previous } : {}),
  };
  const status = await Database.promoteReplica(rds, identifier, now, options, {
    marker: () => readPromotionMarker(fence.db, fence.table, fence.owner),
    beforeCall: async () => {
      if (o.beforeCall) await o.beforeCall();
      await markPromotionRequested(fence.db, fence.table, fence.owner, new Date());
    },
    afterRefusal: () => clearPromotionRequested(fence.db, fence.table, fence.owner),
  });
  return withNextLook(status, now, promotionLookSeconds);
}

/**
 * One look at the promotion: writable once `available` with no source; `requestAgain` once RDS
 * has shown no sign of the last promote call for its acceptance window (the loop goes back to
 * the promote step). Read-only.
 */
export async function checkTargetPromotion(rds: RDSClient, previous: Database.PromotionStatus, now: Date): Promise<Database.PromotionStatus & { nextLookAt: string }> {
  return withNextLook(await Database.checkPromotion(rds, previous, now, promotionAcceptanceSeconds), now, promotionLookSeconds);
}

/**
 * The target's service to its serving count (absolute: a repeat changes nothing). A planned
 * move first lifts the service fence an earlier failover left on it (the tag that keeps deploys
 * from raising it), since that region is to serve again. `family`: an adopting stage's DR service
 * starts the mirror family's latest revision (Compute.scaleService), whatever a deploy set.
 */
export async function bringUpService(ecs: ECSClient, ref: Compute.ServiceRef, count: number, now: Date, o: { liftFence?: boolean; family?: string } = {}): Promise<Compute.ScaleStatus & { fence?: string }> {
  const fence = o.liftFence ? await Compute.liftServiceFence(ecs, ref) : null;
  const status = await Compute.scaleService(ecs, ref, count, now, o.family ? { family: o.family } : {});
  return fence ? { ...status, fence: fence.detail } : status;
}

/**
 * Users to the target: the PRIMARY record aliased to the target's load balancer (Dns.pointPrimaryRecord).
 * The failover pins it (no health check: a recovering old primary holds stale data); the
 * switchback gives it back its Route 53 health check, as the Dns stack defines it.
 */
export async function pointUsersAt(r53: Route53Client, record: Dns.RecordRef, target: Dns.RecordTarget, now: Date): Promise<Dns.DnsSwitch & { nextLookAt: string }> {
  return withNextLook(await Dns.pointPrimaryRecord(r53, record, target, now), now, dnsLookSeconds);
}

/** One look at the record's change until INSYNC. Read-only. */
export async function checkUsersMoved(r53: Route53Client, previous: Dns.DnsSwitch, now: Date): Promise<Dns.DnsSwitch & { nextLookAt: string }> {
  return withNextLook(await Dns.checkChange(r53, previous, now), now, dnsLookSeconds);
}
