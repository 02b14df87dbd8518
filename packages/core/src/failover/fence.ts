/**
 * Fencing the old primary once the DR database is promoted, so that it can never take writes
 * again nor get users back (docs/failover.md, "Fencing"): its database `read_only` = 1 in the
 * parameter group it uses, resolved from RDS (it stays so across restarts and deploys), its ECS service tagged and at
 * 0 (deploys keep a tagged primary at 0), and the DNS record pinned to DR. Without DNS the
 * old primary is the only region users reach, so its service is not stopped (its database is
 * still made read-only: a write there is lost anyway, the replica no longer receives it).
 * `fencePrimary` is the state machine's FencePrimary; `completeFence` is what the health monitor
 * runs on every tick to finish a fence the outage kept from running. Both look first, change
 * only what is not yet fenced, never throw for a region or control plane that does not answer,
 * and are bounded by the clients' own timeouts (`boundedClientConfig`). The switchback's seal
 * (failback/switchback.ts `sealOldServing`) is the planned mode of the same database fence
 * (`fenceDatabase` with `strict`): after its zero-data-loss gate, strict instead of best effort,
 * and followed by the rename aside.
 */
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import * as Compute from "../compute";
import * as Database from "../database";
import * as Dns from "../dns";
import { PreflightFailedError } from "../workflow/errors";

/**
 * SDK client settings for calls into a region that may be down (or Route 53's control plane,
 * which may be impaired): each attempt bounded (2 s to connect, 3 s for the whole request:
 * `requestTimeout` only warns without `throwOnRequestTimeout`), 2 attempts, so one call takes
 * at most about 6 s however the far side fails.
 */
export const boundedClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const;

export interface FencePart extends Compute.FencePart {
  /** Deliberately not done (a DNS-less stage's service): nothing more the fence will do. */
  skipped?: boolean;
}

export interface FenceTarget {
  /** The old primary's region. */
  region: string;
  service: Compute.ServiceRef;
  /** The old primary's DB instance identifier: the fence sets read_only in the group it uses. */
  database: string;
  /** The stage's DNS: present, users can be moved, so the old primary's service may stop. */
  dns?: Dns.DnsTarget;
}

export interface FenceClients {
  /** RDS and ECS in the old primary's region, with `boundedClientConfig`. */
  rds: RDSClient;
  ecs: ECSClient;
}

export interface PrimaryFence {
  fenced: boolean;
  region: string;
  detail: string;
  at: string;
  database: FencePart;
  service: FencePart;
  dns?: FencePart;
}

const unreachable = (what: string, region: string, error: unknown): FencePart => ({
  done: false,
  detail: `could not reach ${what} in ${region}: ${(error as Error).name}: ${(error as Error).message}`,
});

/**
 * The database half of every fence, planned or not: `read_only` = 1 in the modifiable DB
 * parameter group the instance uses, read from RDS at the time (Database.fenceInstanceReadOnly:
 * looks first; a default group, or a group that applies only after a reboot, cannot hold it).
 * Best effort (`strict: false`: the failover's FencePrimary and CompleteFence): a region that does
 * not answer is a part not done, never an error. Strict (`strict: true`: the switchback's seal,
 * before its promotion): RDS's errors go to the caller's Retry and Catch, and a fence that cannot
 * hold is `refused` (nothing may be promoted over a database that could still take writes).
 */
export async function fenceDatabase(rds: RDSClient, identifier: string, o: { region: string; strict: false } | { region: string; strict: true; refused: new (message: string) => Error }): Promise<FencePart> {
  if (o.strict) {
    const fenced = await Database.fenceInstanceReadOnly(rds, identifier);
    if (!fenced.done) throw new o.refused(`${identifier} cannot be made read-only, so it could still take writes once kept aside: ${fenced.detail}`);
    return fenced;
  }
  try {
    return await Database.fenceInstanceReadOnly(rds, identifier);
  } catch (error) {
    return unreachable("RDS", o.region, error);
  }
}

async function fenceService(ecs: ECSClient, t: FenceTarget, reason: string): Promise<FencePart> {
  if (!t.dns) {
    return {
      done: true,
      skipped: true,
      detail: "left running: this stage has no DNS, so users still reach only the old primary; point them at the DR load balancer, then set its service to 0",
    };
  }
  try {
    return await Compute.fenceService(ecs, t.service, reason);
  } catch (error) {
    return unreachable("ECS", t.region, error);
  }
}

const summary = (parts: Record<string, FencePart | undefined>) =>
  Object.entries(parts)
    .filter((e): e is [string, FencePart] => e[1] !== undefined)
    .map(([name, p]) => `${name}: ${p.detail}`)
    .join("; ");

/** FencePrimary: the old primary's database read-only and (with DNS) its service tagged and at 0. */
export async function fencePrimary(c: FenceClients, t: FenceTarget, reason: string, now: Date): Promise<PrimaryFence> {
  const [database, service] = await Promise.all([fenceDatabase(c.rds, t.database, { region: t.region, strict: false }), fenceService(c.ecs, t, reason)]);
  return { fenced: database.done && service.done, region: t.region, detail: summary({ database, service }), at: now.toISOString(), database, service };
}

export interface FenceCompletion {
  /** False while the DR database is still a replica: no failover happened, nothing to fence. */
  needed: boolean;
  /** Every part fenced (the service part of a DNS-less stage counts as done: it is left running). */
  complete: boolean;
  /** This pass fenced something the outage had kept from being fenced. */
  changed?: boolean;
  /** The other region is the standby (re-protected): what this pass did was set its service back to its pilot light. */
  standbyLeftover?: boolean;
  at: string;
  detail: string;
  database?: FencePart;
  service?: FencePart;
  dns?: FencePart;
}

/**
 * Completes the fence after a failover (safe on every scheduled tick): when the DR database has
 * no replication source any more, fences what is not yet fenced, pins DNS when Route 53 answers.
 * Not after a re-protect: once the instance under the old primary's name is itself a replica
 * of the DR database, the stale old primary has been renamed aside (still read-only) and the
 * old primary's service is the failback's (its switchback scales it up), so there is nothing
 * left to fence; nor while a failback moves the DR name (no instance under it for a moment).
 * Never on a database younger than this region's: the other region's copy promoted it (docs/design.md D2).
 * One DescribeDBInstances in the DR region when nothing is needed; a few bounded calls otherwise.
 */
export async function completeFence(
  c: FenceClients & { drRds: RDSClient; route53?: Route53Client },
  t: FenceTarget & { replicaIdentifier: string; primaryIdentifier: string; standby?: StandbyLeftover },
  now: Date,
): Promise<FenceCompletion> {
  const at = now.toISOString();
  const replica = await describeOrMissing(c.drRds, t.replicaIdentifier);
  if (!replica) return { needed: false, complete: true, at, detail: `no database ${t.replicaIdentifier} in the DR region right now (a failback is moving the name): nothing to fence` };
  if (!Database.hasPromotionStarted(replica)) return { needed: false, complete: true, at, detail: `database ${replica.identifier} is still a replica: no failover to fence after` };
  // The orchestrator runs in both regions (docs/design.md D2): after the other region's
  // failover this region's database is also writable, and is the old side. Route 53 tells
  // which failover happened (with creation time: pinFailedAfterReprotect, createdFrom below), so a
  // stage with DNS fences nothing without reading the record.
  if (t.dns && c.route53) {
    const read = await Dns.readPrimaryRecord(c.route53, t.dns).then(
      (record) => ({ record }),
      (error: unknown) => ({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
    );
    if (!("record" in read)) {
      const detail = `could not read the PRIMARY record (Route 53): ${read.error}; which region users are sent to is not known, so nothing is fenced (the next tick looks again)`;
      return { needed: false, complete: false, at, detail, dns: { done: false, detail } };
    }
    const { record } = read;
    if (!isOwnFailover(record, t.dns.drAlbDns) && !(await pinFailedAfterReprotect(c, t, replica))) {
      return { needed: false, complete: true, at, detail: "the PRIMARY record is not this region's failover (as deployed with its health check on this region, or pinned to the other region): this region is not the one that took over, nothing to fence" };
    }
  }
  const read = await describeOrMissing(c.rds, t.primaryIdentifier).then(
    (db) => ({ db }),
    (error: unknown) => ({ error }),
  );
  if ("db" in read && read.db && read.db.sourceIdentifier !== null) {
    const detail = `${t.primaryIdentifier} in ${t.region} is a replica of the DR database (re-protected): the old primary was renamed aside, nothing to fence`;
    // Only a replica at rest: one being promoted (`modifying`) is the other region's copy failing over to it (its lock is in that region's table).
    const service = t.standby && read.db.status === "available" ? await standbyToPilotLight(c.ecs, t, t.standby, now) : undefined;
    if (!service) return { needed: false, complete: true, at, detail };
    return { needed: true, complete: service.done, changed: service.changed === true, standbyLeftover: true, at, detail: `${detail}; service: ${service.detail}`, service };
  }
  // Younger than this region's database, and no replica: created from it (a re-protect's replica), then
  // promoted by the other region's copy (its failover, or a switchback). It is not the old primary
  // this region's failover left, whatever the record shows (that copy's pin may have failed): fencing
  // it would leave no writable database (docs/design.md D2).
  if ("db" in read && read.db && createdFrom(read.db, replica)) {
    return { needed: false, complete: true, at, detail: `${t.primaryIdentifier} in ${t.region} was created after ${replica.identifier} (as its replica, by a re-protect) and was promoted since: the other region's copy failed over to it, so this region is the old side and nothing is fenced` };
  }
  // Not read (its region not answering yet): whatever answers under that name a moment later
  // may be a re-protect's new replica, which must not be fenced. DNS is pinned; the database and
  // service wait for the next tick, which reads first.
  const unread = "error" in read ? unreachable("RDS", t.region, read.error) : undefined;
  const pin = async (): Promise<FencePart | undefined> => {
    if (!t.dns || !c.route53) return undefined;
    try {
      const r = await Dns.pinToDr(c.route53, t.dns, now);
      return { done: true, changed: !r.alreadyPinned, detail: r.alreadyPinned ? "record already pinned to DR" : `record pinned to DR (change ${r.changeId ?? "?"})` };
    } catch (error) {
      return { done: false, detail: `could not pin the record (Route 53): ${(error as Error).name}: ${(error as Error).message}` };
    }
  };
  const [database, service, dns] = await Promise.all([unread ?? fenceDatabase(c.rds, t.database, { region: t.region, strict: false }), unread ?? fenceService(c.ecs, t, "fence completed by the health monitor after a failover"), pin()]);
  const complete = database.done && service.done && (dns?.done ?? true);
  const changed = [database, service, dns].some((p) => p?.changed === true);
  return { needed: true, complete, changed, at, detail: summary({ database, service, dns }), database, service, ...(dns ? { dns } : {}) };
}

/**
 * The standby region's service as a re-protected stage leaves it: at its pilot light. A switchback
 * rolled back while that region was down could not scale it back (docs/failback.md, "RolledBack"):
 * its database a replica (what RDS just showed), no workflow holding the lock, more tasks than the
 * pilot light: set to the pilot light. Undefined: nothing to do (at or below it, or a workflow runs).
 * Not told apart: the other region's copy failing over to it in the seconds before RDS shows its
 * promote call and before it pins DNS, should this region return in them (that copy's lock is in
 * its own region's table). Its CheckDrService raises the count again at its next look (15 s), so
 * the race costs that failover a look, not its service (both-regions.test); its one mark is this
 * pass's `fence.standby-reset` message.
 */
export interface StandbyLeftover {
  /** The standby region's pilot-light task count (the primary region's is 0). */
  pilotCount: number;
  /** Whether a failover, drill or failback holds the lock (the switchback's prepare step scales this service up). */
  isLockHeld: () => Promise<boolean>;
}

async function standbyToPilotLight(ecs: ECSClient, t: FenceTarget, s: StandbyLeftover, now: Date): Promise<FencePart | undefined> {
  try {
    const live = await Compute.describeService(ecs, t.service);
    if (live.desired <= s.pilotCount || (await s.isLockHeld())) return undefined;
    await Compute.scaleService(ecs, t.service, s.pilotCount, now);
    return { done: true, changed: true, detail: `standby service ${t.service.service} desired ${live.desired} -> ${s.pilotCount} (its pilot light: the database is a replica and no workflow holds the lock)` };
  } catch (error) {
    return unreachable("ECS (or the lock)", t.region, error);
  }
}

/**
 * Whether the PRIMARY record shows a failover to this region: pinned to this region's load
 * balancer (the pin drops the health check), or still as deployed (with its health check) on the
 * other region's, a pin that failed during this region's failover. As deployed on this region's
 * (the serving side of the topology as deployed) or pinned to the other region's (its failover,
 * this region the old side), it does not.
 */
function isOwnFailover(record: ResourceRecordSet, localAlbDns: string): boolean {
  const here = Dns.aliasPointsAt(record, localAlbDns);
  const asDeployed = Boolean(record.HealthCheckId);
  return here !== asDeployed;
}

/**
 * The PRIMARY record pinned to the other region, yet this region's failover: after a re-protect
 * the record stays pinned to the serving region, so a pin Route 53's API refused during this
 * region's failover leaves it there (and the other region's copy stands aside: `createdFrom`).
 * Told apart from the other region's failover by creation time: this region's database is younger
 * than the other's (created from it by the re-protect), so it is the one a failover promoted. Not a
 * switchback's promotion, which leaves DNS on the old side until RestoreDns: its seal makes the other
 * database read-only and StopWrites sets its service to 0 without the fence tag, which only a
 * failover's fence sets. Anything not read: not this region's failover (the next tick looks again).
 */
async function pinFailedAfterReprotect(c: FenceClients, t: FenceTarget & { primaryIdentifier: string }, here: Database.ReplicaState): Promise<boolean> {
  try {
    const other = await describeOrMissing(c.rds, t.primaryIdentifier);
    if (!other || other.sourceIdentifier !== null || !createdFrom(here, other)) return false;
    const [{ readOnly }, service] = await Promise.all([Database.readOnlyByGroup(c.rds, t.primaryIdentifier), Compute.liveService(c.ecs, t.service)]);
    return !readOnly || service.fenced;
  } catch {
    return false;
  }
}

/** Whether `db` was created after `source` (both creation times known): a replica is always younger than its source. */
const createdFrom = (db: Database.ReplicaState, source: Database.ReplicaState): boolean =>
  db.createdAtMs !== undefined && source.createdAtMs !== undefined && db.createdAtMs > source.createdAtMs;

/** An instance's state; undefined when there is none under that name (any other error is thrown). */
async function describeOrMissing(rds: RDSClient, identifier: string): Promise<Database.ReplicaState | undefined> {
  try {
    return await Database.describeInstance(rds, identifier);
  } catch (error) {
    if (error instanceof PreflightFailedError) return undefined;
    throw error;
  }
}
