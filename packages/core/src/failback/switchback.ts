/**
 * What only the planned switchback does around the move it shares with the failover
 * (failover/move.ts: promote behind the promotion fence, bring the service up, point users at
 * it): pre-warm the primary service against its replica, stop writes (the DR service to 0), the
 * zero-data-loss seal of the DR database (its last position held by the replica, then read-only
 * and renamed aside) and, before the promotion only, put everything back (DR serving, primary at 0).
 */
import { DescribeServicesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { Route53Client } from "@aws-sdk/client-route-53";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as Compute from "../compute";
import * as Database from "../database";
import * as Dns from "../dns";
import { callAws } from "../errors";
import { judgeFailure } from "../failover/compensation";
import { fenceDatabase } from "../failover/fence";
import { beginCompensation } from "../failover/lock";
import { promotionAcceptanceSeconds } from "../failover/settings";
import { NewPrimaryUnhealthyError, RenameInProgressError, ReplicaBehindAtSealError, SealNotReadOnlyError, WritesAfterCatchUpError } from "../workflow/errors";
import type { FailbackRun } from "./input";
import { readProbe, type BinlogPosition, type ProbeReport, type ReplicaPosition } from "./positions";
import type { Role, Side } from "./settings";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { findInstance, renameAside, retiredName } from "./standby";
import type { Direction, FailbackAssessment } from "./state";

/** The service's target group, as ECS reports it (the primary's is not known to the DR region's stacks). */
export async function targetGroupOf(ecs: ECSClient, side: Side): Promise<string> {
  const out = await callAws("ecs:DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: side.cluster, services: [side.service] })));
  const arn = out.services?.[0]?.loadBalancers?.[0]?.targetGroupArn;
  if (!arn) throw new NewPrimaryUnhealthyError(`service ${side.service} in ${side.region} has no load balancer target group`);
  return arn;
}

export async function scaleSide(ecs: ECSClient, side: Side, count: number, now: Date) {
  return Compute.scaleService(ecs, { cluster: side.cluster, service: side.service }, count, now);
}

const coordinate = (p: { file: string; position: number }) => `${p.file}:${p.position}`;

/**
 * Pure: does the replica hold everything the old source holds at the seal? Either the source has
 * not moved since the catch-up (the replica had executed exactly up to it), or the replica's
 * applier has executed exactly up to the source's position now (and the GTID sets agree when on):
 * RDS moves a position with no user write (it rotates the binary log every five minutes and its
 * rdsadmin user writes a heartbeat row), and those events reach the replica like any other.
 * Comparing the source with itself across a rotation would call that a lost write.
 */
export function judgeDataLoss(caughtUp: BinlogPosition, after: ProbeReport["binlog"] | null, replica: ReplicaPosition | null = null) {
  if (!after) return { caughtUpPosition: coordinate(caughtUp), positionAfterPromotion: null, lostBytes: null, verdict: "unknown" as const };
  const unmoved = after.file === caughtUp.file && after.position === caughtUp.position;
  const replicaHasIt = replica !== null && replica.execFile === after.file && replica.execPosition === after.position && (after.gtidExecuted === "" || replica.gtidExecuted === after.gtidExecuted);
  const moved = after.file !== caughtUp.file ? null : after.position - caughtUp.position;
  return {
    caughtUpPosition: coordinate(caughtUp),
    positionAfterPromotion: coordinate(after),
    lostBytes: unmoved || replicaHasIt ? 0 : moved,
    verdict: unmoved || replicaHasIt ? ("none" as const) : ("writes-after-catch-up" as const),
  };
}

/** Which region the PRIMARY record sends users to: the primary's load balancer, or (pinned) the DR's. */
export async function regionByDns(r53: Route53Client, dns: { hostedZoneId: string; recordName: string; primaryAlbDns: string }): Promise<"primary" | "dr"> {
  const record = await Dns.readPrimaryRecord(r53, { hostedZoneId: dns.hostedZoneId, recordName: dns.recordName, drAlbDns: "", drAlbZoneId: "" });
  return Dns.aliasPointsAt(record, dns.primaryAlbDns) ? "primary" : "dr";
}

/**
 * After a failure: has the primary replica's promotion started? Closes the promotion fence
 * first (from here on PromoteStandby cannot start one). PromoteStandby marks the lock item before
 * any promote call, so no marker (on a lock that is still ours) means no promotion of ours: rolled
 * back without asking the primary region, which may be the one that failed. A marker is judged as
 * the failover judges it (judgeFailure), from what RDS shows: a marker whose promote call RDS
 * never saw (the marker's write applied, its answer lost, the call never made) is "not started"
 * once the acceptance window has passed; inside it the answer is not settled and the state
 * machine looks again.
 */
export async function assessFailbackFailure(
  rds: RDSClient,
  db: DynamoDBDocumentClient,
  table: string,
  run: FailbackRun,
  primary: Side,
  direction: Direction | undefined,
  now: Date,
  options: { acceptanceSeconds: number; previous?: FailbackAssessment } = { acceptanceSeconds: promotionAcceptanceSeconds },
): Promise<FailbackAssessment> {
  const attempts = (options.previous?.attempts ?? 0) + 1;
  if (run.mode === "reprotect") {
    return { kind: "not-protected", promotionStarted: false, rollBack: false, detail: "re-protect changes only the standby region: the serving region is untouched", settled: true, attempts };
  }
  const fence = await beginCompensation(db, table, run.executionName, now);
  if (direction?.serving === "primary") {
    return { kind: "not-protected", promotionStarted: true, rollBack: false, detail: "the primary region serves again (promoted, verified, DNS restored); re-protecting the DR region failed", settled: true, attempts };
  }
  if (fence.known && !fence.promotionRequested) {
    return { kind: "rolled-back", promotionStarted: false, rollBack: true, detail: `${primary.dbId} was not promoted: no promotion was requested`, settled: true, attempts };
  }
  const replica = await findInstance(rds, primary.dbId);
  if (!replica) return { kind: "needs-operator", promotionStarted: true, rollBack: false, detail: `${primary.dbId} cannot be found and a promotion may have been requested`, settled: true, attempts };
  const judged = judgeFailure(fence, { identifier: replica.identifier, status: replica.status, sourceIdentifier: replica.sourceArn, backupRetentionDays: replica.backupRetentionDays }, now, options.acceptanceSeconds, attempts);
  if (judged.settled === false) return { kind: "needs-operator", promotionStarted: true, rollBack: false, detail: judged.detail, settled: false, attempts };
  return judged.promotionStarted
    ? { kind: "needs-operator", promotionStarted: true, rollBack: false, detail: judged.detail, settled: true, attempts }
    : { kind: "rolled-back", promotionStarted: false, rollBack: true, detail: `${primary.dbId} was not promoted: ${judged.detail}`, settled: true, attempts };
}

export interface Seal {
  retired: string;
  dataLoss: ReturnType<typeof judgeDataLoss>;
  /** Its fence: read_only = 1 in the group it uses, so the copy kept aside can take no write. */
  readOnly?: { done: boolean; detail: string };
  at: string;
}

/**
 * Seals the DR database just before the promotion: reads its binary log position one last time,
 * and the primary replica's, and goes on only when the replica holds everything the DR database
 * holds (judgeDataLoss: unmoved since the catch-up, or executed up to where it is now, RDS's own
 * rotation and heartbeat included). A replica still applying the last events is
 * ReplicaBehindAtSealError, retried; what keeps writing exhausts the retries and nothing is
 * promoted. Then it makes the DR database read-only with the failover's database fence, strict
 * (failover/fence.ts `fenceDatabase`: `read_only` = 1 in the group it uses; kept aside for good,
 * it must never be a second writable database, so a group that cannot hold it is
 * SealNotReadOnlyError and nothing is promoted) and renames it aside. Renaming
 * deletes its endpoint's DNS name and reboots it, so no client can write to it while the primary
 * replica is promoted. A retry after a lost answer finds the fence set and the name already moved.
 * RestoreServing undoes both before any promotion.
 */
export async function sealOldServing(
  clients: Record<Role, { rds: RDSClient; lambda: LambdaClient }>,
  probeFunction: string,
  s: Record<Role, Side>,
  run: FailbackRun,
  caughtUp: BinlogPosition,
  now: Date,
): Promise<Seal> {
  const { rds } = clients.dr;
  const dr = s.dr;
  // The failover's database fence, strict: a DR database that cannot refuse writes is not sealed.
  const strictFence = { region: dr.region, strict: true, refused: SealNotReadOnlyError } as const;
  const name = retiredName(dr.dbId, run.startedAt);
  const current = await findInstance(rds, dr.dbId);
  if (!current) {
    if (!(await findInstance(rds, name))) throw new WritesAfterCatchUpError(`neither ${dr.dbId} nor ${name} exists: the DR database's state is unknown`);
    const fenced = await fenceDatabase(rds, name, strictFence);
    return { retired: name, dataLoss: judgeDataLoss(caughtUp, null), readOnly: { done: fenced.done, detail: fenced.detail }, at: now.toISOString() };
  }
  const primaryDb = await findInstance(clients.primary.rds, s.primary.dbId);
  const [source, replica] = await Promise.all([
    readProbe(clients.dr.lambda, probeFunction, { identifier: dr.dbId, host: current.endpoint }),
    readProbe(clients.primary.lambda, probeFunction, { identifier: s.primary.dbId, host: primaryDb?.endpoint ?? null }),
  ]);
  const dataLoss = judgeDataLoss(caughtUp, source.binlog, replica.replica);
  if (dataLoss.verdict !== "none") {
    const executed = replica.replica ? `${replica.replica.execFile}:${replica.replica.execPosition}` : "nothing (no replication status)";
    throw new ReplicaBehindAtSealError(`the DR database moved from ${dataLoss.caughtUpPosition} to ${dataLoss.positionAfterPromotion ?? "an unknown position"} after the catch-up and the replica has executed ${executed}: not promoting over writes the replica lacks (yet)`);
  }
  const fenced = await fenceDatabase(rds, dr.dbId, strictFence);
  await renameAside(rds, dr.dbId, name);
  return { retired: name, dataLoss, readOnly: { done: fenced.done, detail: fenced.detail }, at: now.toISOString() };
}

/**
 * Before any promotion: the DR database under its name again and writable, DR serving at full
 * size, the primary back to 0. Decides from what RDS shows, each call: the seal's rename still
 * running (a rename takes minutes), renamed back but still renaming, or done. While RDS renames,
 * RenameInProgressError (retried by the state machine) after what can already be done (the rename
 * back issued, read_only lifted, the DR service set to its full size so its tasks start): the step
 * ends only once the DR database is available under its name, so the rollback ends with it
 * writable, not minutes before.
 */
export async function restoreServing(ecs: Record<"primary" | "dr", ECSClient>, rds: RDSClient, s: Record<"primary" | "dr", Side>, run: FailbackRun, now: Date) {
  const name = retiredName(s.dr.dbId, run.startedAt);
  let renamedBack = false;
  if (!(await findInstance(rds, s.dr.dbId))) {
    const sealed = await findInstance(rds, name);
    if (sealed && sealed.status !== "available") throw new RenameInProgressError(`${name} is ${sealed.status}: renaming it back to ${s.dr.dbId} once RDS allows`);
    if (sealed) await renameAside(rds, name, s.dr.dbId);
    renamedBack = sealed !== null;
  }
  // The seal's read_only (set just before the rename): lifted, or the DR service serves errors.
  const current = await findInstance(rds, s.dr.dbId);
  if (!current && renamedBack) throw new RenameInProgressError(`${name} is being renamed back to ${s.dr.dbId}, which RDS does not show yet`);
  const lifted = current ? await Database.liftReadOnly(rds, s.dr.dbId) : null;
  const serving = await scaleSide(ecs.dr, s.dr, s.dr.servingCount, now);
  if (current && current.status === "renaming") throw new RenameInProgressError(`${s.dr.dbId} (renamed back from ${name}) is renaming: writable once RDS has finished`);
  // The primary region may be the one that failed (the switchback stopped for that): DR serves
  // again whatever it answers; a service it cannot set is reported, not a reason to stop.
  const standby = await scaleSide(ecs.primary, s.primary, s.primary.pilotCount, now).catch((error: unknown) => ({
    targetCount: s.primary.pilotCount,
    unreachable: `could not set the primary service to ${s.primary.pilotCount} in ${s.primary.region}: ${(error as Error).name}: ${(error as Error).message}`,
  }));
  return { serving, standby, ...(lifted ? { readOnly: lifted } : {}) };
}
