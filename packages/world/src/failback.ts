/**
 * What the failback workflows need of the emulated world, beside the failover's model:
 * - RDS: renaming an instance (ModifyDBInstance NewDBInstanceIdentifier: the identifier and ARN
 *   change at once, the instance is `renaming` until its new DNS name is effective, replicas stay
 *   associated), creating a cross-Region read replica (`creating`, then replicating from a
 *   snapshot of its source; created with backups off), enabling a replica's backups
 *   (`modifying`, then a first `backing-up`), and each instance's placement (subnet group,
 *   security groups, KMS key, endpoint) as DescribeDBInstances reports it;
 * - MySQL replication positions: every instance holds a number of transactions; a replica's
 *   receiver (I/O thread) trails its source by a transfer delay and its applier (SQL thread) by
 *   the ReplicaLag model on top, so `Seconds_Behind_Source` (and the ReplicaLag metric) can read
 *   0 while the replica is still behind its source's binary log position; RDS rotates every
 *   instance's binary log every five minutes and its `rdsadmin` user writes a heartbeat row on
 *   every writable instance right after, so positions move with no user write;
 * - user traffic that commits writes to the database the users reach (by DNS), and stray writers
 *   that write to a database directly, so lost writes are counted, not assumed;
 * - S3 buckets' replication configurations, Lambda functions registered by name (the database
 *   position probe), Secrets Manager ReplicateSecretToRegions.
 * State that the failover's model does not know lives in a side table per world, so model.ts
 * stays the failover's. Sources: docs/aws-behaviour.md, "Failback".
 */
import { accountState, addKmsKey } from "./account";
import type { ReplicationRule } from "@aws-sdk/client-s3";
import type { DbInstance, WorldState } from "./model";

export interface Placement {
  subnetGroup: string;
  securityGroups: string[];
  kmsKeyId: string;
  instanceClass: string;
  multiAz: boolean;
  /** `<hash>.<region>.rds.amazonaws.com`: an endpoint is `<identifier>.<this>`. */
  endpointSuffix: string;
  tags: { Key: string; Value: string }[];
}

export interface FailbackLatencies {
  /** Rename → the new DNS name effective (RDS: "about 10 minutes"; the instance is not available until then). */
  renameSeconds: number;
  /** CreateDBInstanceReadReplica (cross-Region: snapshot, copy, restore) → available, replicating. */
  replicaCreateSeconds: number;
  /** ModifyDBInstance that enables backups → the first backup starts. */
  enableBackupsSeconds: number;
  /** The first automated backup after backups are enabled. */
  firstBackupSeconds: number;
  /** The receiver thread's transfer delay behind the source's binary log (cross-Region network). */
  replicationTransferSeconds: number;
}

export const typicalFailbackLatencies: FailbackLatencies = {
  renameSeconds: 600,
  replicaCreateSeconds: 1800,
  enableBackupsSeconds: 60,
  firstBackupSeconds: 300,
  replicationTransferSeconds: 1,
};

interface WriteSegment {
  startMs: number;
  endMs: number;
  count: number;
}

interface DbExtra {
  /** Transactions the instance held when created (a replica: its source's at the snapshot). */
  baseTransactions: number;
  writes: WriteSegment[];
  /** A created replica replicates from this time (its creation done); null: always did. */
  replicatingFromMs: number | null;
  /** When the snapshot a created replica starts from was taken (its source's time). */
  snapshotAtMs: number;
  placement: Placement | null;
}

export interface Bucket {
  name: string;
  region: string;
  versioned: boolean;
  /** As S3 keeps it: every field of every rule (GetBucketReplication answers it whole). */
  replication: { Role: string; Rules: ReplicationRule[] } | null;
}

export interface Traffic {
  writesPerSecond: number;
  /** Databases written to directly, whoever else runs (a cron job, an operator's client). */
  strayWriters: Set<string>;
  /** Intervals in which users' writes were refused (no writable database behind what they reach). */
  refused: { startMs: number; endMs: number }[];
  lastMs: number;
  /** Zone and record users resolve; none: they use the region whose service answers. */
  dns: { zoneId: string; recordName: string } | null;
}

export type LambdaFunction = (payload: unknown) => Promise<unknown>;

interface Pending {
  db: DbInstance;
  atMs: number;
  apply: () => void;
}

export interface FailbackState {
  latencies: FailbackLatencies;
  extras: Map<DbInstance, DbExtra>;
  buckets: Map<string, Bucket>;
  /** `${region}/${functionName}` → the function. */
  lambdas: Map<string, LambdaFunction>;
  traffic: Traffic | null;
  pending: Pending[];
}

const states = new WeakMap<WorldState, FailbackState>();

/** The failback side of a world (created on first use, tied to the world's clock). */
export function failbackState(world: WorldState): FailbackState {
  let state = states.get(world);
  if (!state) {
    const created: FailbackState = { latencies: { ...typicalFailbackLatencies }, extras: new Map(), buckets: new Map(), lambdas: new Map(), traffic: null, pending: [] };
    state = created;
    states.set(world, created);
    world.clock.onAdvance((nowMs) => {
      for (const p of created.pending.filter((x) => x.atMs <= nowMs).sort((a, b) => a.atMs - b.atMs)) {
        created.pending.splice(created.pending.indexOf(p), 1);
        p.apply();
      }
      flowTraffic(world, created, nowMs);
    });
  }
  return state;
}

function extra(world: WorldState, db: DbInstance): DbExtra {
  const s = failbackState(world);
  let e = s.extras.get(db);
  if (!e) {
    e = { baseTransactions: 0, writes: [], replicatingFromMs: null, snapshotAtMs: -Infinity, placement: null };
    s.extras.set(db, e);
  }
  return e;
}

export function setPlacement(world: WorldState, identifier: string, placement: Placement): void {
  const db = world.databases.get(identifier);
  if (!db) throw new Error(`no database ${identifier}`);
  extra(world, db).placement = placement;
  // The key an encrypted instance names exists (Enabled) unless a test says otherwise.
  if (placement.kmsKeyId && !accountState(world).kmsKeys.has(placement.kmsKeyId)) addKmsKey(world, placement.kmsKeyId);
}

export function placementOf(world: WorldState, db: DbInstance): Placement | null {
  return failbackState(world).extras.get(db)?.placement ?? null;
}

/** Runs `apply` once the clock reaches `atMs` (the instance's status moves on by itself). */
function schedule(world: WorldState, db: DbInstance, seconds: number, apply: () => void): void {
  const s = failbackState(world);
  s.pending.push({ db, atMs: world.clock.nowMs() + seconds * 1000, apply });
}

/** Whether an instance has a status change of its own in progress (renaming, creating, modifying). */
export function isBusy(world: WorldState, db: DbInstance): boolean {
  return failbackState(world).pending.some((p) => p.db === db);
}

// ---- RDS ----

/** ModifyDBInstance NewDBInstanceIdentifier with ApplyImmediately: the name (and ARN) change now. */
export function renameInstance(world: WorldState, db: DbInstance, newIdentifier: string): void {
  const oldArn = db.arn;
  world.databases.delete(db.identifier);
  const lag = world.replicaLag.get(db.identifier);
  if (lag) {
    world.replicaLag.delete(db.identifier);
    world.replicaLag.set(newIdentifier, lag);
  }
  db.identifier = newIdentifier;
  db.arn = oldArn.replace(/:db:[^:]+$/, `:db:${newIdentifier}`);
  world.databases.set(newIdentifier, db);
  // "All read replicas associated with a DB instance remain associated with that instance after it is renamed."
  for (const other of world.databases.values()) if (other.sourceIdentifier === oldArn) other.sourceIdentifier = db.arn;
  const before = db.baseStatus;
  db.baseStatus = "renaming";
  schedule(world, db, failbackState(world).latencies.renameSeconds, () => {
    db.baseStatus = before === "renaming" ? "available" : before;
  });
}

/** CreateDBInstanceReadReplica in `region` from `source`: `creating`, then a replica with backups off. */
export function createReadReplica(world: WorldState, source: DbInstance, identifier: string, region: string, placement: Placement, lagSteady: number[]): DbInstance {
  const db: DbInstance = {
    identifier,
    arn: source.arn.replace(/:rds:[^:]+:/, `:rds:${region}:`).replace(/:db:[^:]+$/, `:db:${identifier}`),
    region,
    baseStatus: "creating",
    sourceIdentifier: source.arn,
    // "RDS creates read replicas with backups disabled."
    backupRetentionDays: 0,
    backup: null,
    promotionRequestedAtMs: null,
    promotionStalls: false,
    createdAtMs: world.clock.nowMs(),
  };
  world.databases.set(identifier, db);
  const e = extra(world, db);
  e.placement = placement;
  e.baseTransactions = transactionsAt(world, source, world.clock.nowMs());
  e.snapshotAtMs = world.clock.nowMs();
  const s = failbackState(world);
  e.replicatingFromMs = world.clock.nowMs() + s.latencies.replicaCreateSeconds * 1000;
  world.replicaLag.set(identifier, { steady: lagSteady, minusOneMinutes: 5, catchUpPerSecond: 9 });
  schedule(world, db, s.latencies.replicaCreateSeconds, () => {
    db.baseStatus = "available";
  });
  return db;
}

/** ModifyDBInstance BackupRetentionPeriod (and window): `modifying`, then the first backup runs. */
export function enableBackups(world: WorldState, db: DbInstance, days: number, windowStartMinute: number): void {
  const s = failbackState(world);
  db.backupRetentionDays = days;
  db.baseStatus = "modifying";
  schedule(world, db, s.latencies.enableBackupsSeconds, () => {
    db.baseStatus = "backing-up";
    schedule(world, db, s.latencies.firstBackupSeconds, () => {
      db.baseStatus = "available";
      db.backup = { windowStartMinute, startOffsetSeconds: 0, durationSeconds: 300 };
    });
  });
}

// ---- replication positions ----

function ownWritesAt(e: DbExtra | undefined, t: number): number {
  let n = 0;
  for (const w of e?.writes ?? []) {
    if (t <= w.startMs) continue;
    n += w.endMs <= w.startMs || t >= w.endMs ? w.count : (w.count * (t - w.startMs)) / (w.endMs - w.startMs);
  }
  return n;
}

function sourceOf(world: WorldState, db: DbInstance): DbInstance | undefined {
  if (db.sourceIdentifier === null) return undefined;
  return [...world.databases.values()].find((d) => d.arn === db.sourceIdentifier || d.identifier === db.sourceIdentifier);
}

function steadyLagSeconds(world: WorldState, db: DbInstance, t: number): number {
  const steady = world.replicaLag.get(db.identifier)?.steady ?? [];
  return steady.length === 0 ? 0 : (steady[Math.floor(t / 60_000) % steady.length] as number);
}

/** Up to when a replica's threads can have run by `t`: frozen at its promotion and while its source's region is down. */
function replicationClock(world: WorldState, db: DbInstance, source: DbInstance, t: number): number {
  let te = Math.min(t, db.promotionRequestedAtMs ?? Infinity);
  const outage = world.regionsDown.outageAt(source.region, te);
  if (outage) te = outage.downAtMs;
  return te;
}

/**
 * What a replica's receiver and applier have reached at `t`, in its source's transactions, and
 * up to which moment of the source's history (its binary log coordinates at that moment).
 */
export function replicaThreads(world: WorldState, db: DbInstance, t = world.clock.nowMs()): { received: number; executed: number; receivedAtMs: number; executedAtMs: number; secondsBehind: number; running: boolean } | null {
  const source = sourceOf(world, db);
  if (!source) return null;
  const e = failbackState(world).extras.get(db);
  const base = e?.baseTransactions ?? 0;
  const snapshotAtMs = e?.snapshotAtMs ?? -Infinity;
  const from = e?.replicatingFromMs ?? null;
  const te = replicationClock(world, db, source, t);
  if (from !== null && te < from) return { received: base, executed: base, receivedAtMs: snapshotAtMs, executedAtMs: snapshotAtMs, secondsBehind: 0, running: false };
  const transfer = failbackState(world).latencies.replicationTransferSeconds * 1000;
  const lagMs = steadyLagSeconds(world, db, te) * 1000;
  const receivedAtMs = Math.max(snapshotAtMs, te - transfer);
  const executedAtMs = Math.max(snapshotAtMs, te - transfer - lagMs);
  const received = Math.max(base, Math.floor(transactionsAt(world, source, receivedAtMs)));
  const executed = Math.max(base, Math.floor(transactionsAt(world, source, executedAtMs)));
  const running = te === t && world.isReplicating(db, t);
  return { received, executed, receivedAtMs, executedAtMs, secondsBehind: executed < received ? Math.round(lagMs / 1000) : 0, running };
}

/** The transactions an instance holds at `t`: a replica's applied ones (frozen at promotion) plus its own writes. */
export function transactionsAt(world: WorldState, db: DbInstance, t: number): number {
  const e = failbackState(world).extras.get(db);
  const replicated = db.sourceIdentifier === null ? (e?.baseTransactions ?? 0) : (replicaThreads(world, db, t)?.executed ?? e?.baseTransactions ?? 0);
  return Math.floor(replicated + ownWritesAt(e, t));
}

/**
 * Binary log coordinates, as RDS MySQL names them. Every `binlogRotationSeconds` RDS starts a new
 * file (position 4 again) and its `rdsadmin` user then writes a heartbeat row
 * (`mysql.rds_heartbeat2`) on each writable instance: the position moves with no user write.
 * Heartbeats are RDS's, not users' data: transactionsAt and lostWrites do not count them.
 */
export const binlogRotationSeconds = 300;
const heartbeatOffsetMs = 1000;
const bytesPerTransaction = 512;
const bytesPerHeartbeat = 256;

/** Heartbeats RDS wrote on an instance up to `t`: while it has no replication source (a replica writes none of its own). */
function heartbeatsAt(db: DbInstance, t: number): number {
  const period = binlogRotationSeconds * 1000;
  const k = (x: number) => Math.floor((x - heartbeatOffsetMs) / period);
  if (db.sourceIdentifier === null) return k(t);
  if (db.promotionRequestedAtMs === null) return 0;
  return Math.max(0, k(t) - k(db.promotionRequestedAtMs));
}

function binlogBytesAt(world: WorldState, db: DbInstance, t: number): number {
  return bytesPerTransaction * transactionsAt(world, db, t) + bytesPerHeartbeat * heartbeatsAt(db, t);
}

/** The file and position an instance's binary log had reached at `t` (a replica's coordinates are its source's). */
export function binlogCoordinates(world: WorldState, db: DbInstance, t: number): { file: string; position: number } {
  const period = binlogRotationSeconds * 1000;
  const rotatedAt = Math.floor(t / period) * period;
  return {
    file: `mysql-bin-changelog.${String(Math.floor(t / period) % 1_000_000).padStart(6, "0")}`,
    position: 4 + binlogBytesAt(world, db, t) - binlogBytesAt(world, db, rotatedAt),
  };
}

/**
 * Writes `from` holds that `to` lacks: `to` was promoted from a replica of `from`, so what
 * `from` committed beyond what `to` had applied at its promotion never reached the new primary.
 */
export function lostWrites(world: WorldState, from: DbInstance, to: DbInstance): number {
  const promotedAt = to.promotionRequestedAtMs;
  if (promotedAt === null) throw new Error(`${to.identifier} was never promoted`);
  const applied = replicaThreads(world, to, promotedAt)?.executed ?? 0;
  return Math.max(0, transactionsAt(world, from, world.clock.nowMs()) - applied);
}

// ---- user traffic ----

/** Starts user traffic: each second, `writesPerSecond` writes go to the database behind the region users reach. */
export function startTraffic(world: WorldState, options: { writesPerSecond: number; dns?: { zoneId: string; recordName: string } | null }): Traffic {
  const s = failbackState(world);
  s.traffic = { writesPerSecond: options.writesPerSecond, strayWriters: new Set(), refused: [], lastMs: world.clock.nowMs(), dns: options.dns ?? null };
  return s.traffic;
}

/** The region users reach now: by DNS when the stage has records, else whichever region's service answers. */
export function reachedRegion(world: WorldState, traffic: Traffic): string | undefined {
  if (traffic.dns) {
    const record = world.resolve(traffic.dns.zoneId, traffic.dns.recordName);
    return /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(record?.AliasTarget?.DNSName ?? "")?.[1];
  }
  return [...world.services.values()].find((svc) => world.healthStatus(svc.region) === 200)?.region;
}

function flowTraffic(world: WorldState, s: FailbackState, nowMs: number): void {
  const traffic = s.traffic;
  if (!traffic || nowMs <= traffic.lastMs) return;
  const startMs = traffic.lastMs;
  traffic.lastMs = nowMs;
  const count = (traffic.writesPerSecond * (nowMs - startMs)) / 1000;
  const write = (db: DbInstance) => extra(world, db).writes.push({ startMs, endMs: nowMs, count });
  for (const id of traffic.strayWriters) {
    const db = world.databases.get(id);
    if (db && world.isWritable(id)) write(db);
  }
  const region = reachedRegion(world, traffic);
  const svc = [...world.services.values()].find((x) => x.region === region);
  const db = svc && world.databases.get(svc.database);
  if (svc && db && world.healthyTargets(svc) > 0 && world.isWritable(svc.database)) write(db);
  else {
    const last = traffic.refused.at(-1);
    if (last && last.endMs === startMs) last.endMs = nowMs;
    else traffic.refused.push({ startMs, endMs: nowMs });
  }
}

/** Seconds in [fromMs, toMs] during which users' writes were refused. */
export function refusedWriteSeconds(world: WorldState, fromMs: number, toMs = world.clock.nowMs()): number {
  const refused = failbackState(world).traffic?.refused ?? [];
  return refused.reduce((sum, r) => sum + Math.max(0, Math.min(r.endMs, toMs) - Math.max(r.startMs, fromMs)), 0) / 1000;
}

// ---- MySQL, as the position probe sees it ----

/** A connection to one instance: answers the probe's statements from the world's positions. */
export function sqlSession(world: WorldState, identifier: string): { query(sql: string): Promise<Record<string, unknown>[]> } {
  return {
    async query(sql) {
      const db = world.databases.get(identifier);
      if (!db || !world.dbAnswers(identifier)) throw Object.assign(new Error(`connect ECONNREFUSED ${identifier}:3306`), { code: "ECONNREFUSED" });
      const statement = sql.trim().replace(/;$/, "").toUpperCase();
      if (statement === "SHOW BINARY LOG STATUS") {
        const now = binlogCoordinates(world, db, world.clock.nowMs());
        return [{ File: now.file, Position: now.position, Binlog_Do_DB: "", Binlog_Ignore_DB: "", Executed_Gtid_Set: "" }];
      }
      if (statement === "SHOW REPLICA STATUS") {
        const threads = world.dbView(db).sourceIdentifier === null ? null : replicaThreads(world, db);
        const source = threads ? sourceOf(world, db) : undefined;
        if (!threads || !source) return [];
        const read = binlogCoordinates(world, source, threads.receivedAtMs);
        const executed = binlogCoordinates(world, source, threads.executedAtMs);
        return [
          {
            Source_Host: db.sourceIdentifier,
            Source_Log_File: read.file,
            Read_Source_Log_Pos: read.position,
            Relay_Source_Log_File: executed.file,
            Exec_Source_Log_Pos: executed.position,
            Replica_IO_Running: threads.running ? "Yes" : "Connecting",
            Replica_SQL_Running: "Yes",
            Seconds_Behind_Source: threads.running ? threads.secondsBehind : null,
            Last_SQL_Error: "",
            Last_IO_Error: threads.running ? "" : "error connecting to source",
            Retrieved_Gtid_Set: "",
            Executed_Gtid_Set: "",
          },
        ];
      }
      // A replica's default, or the group's read_only (a fence, a seal).
      if (statement.startsWith("SELECT @@GLOBAL.READ_ONLY")) return [{ read_only: world.readOnlyVariable(db) }];
      throw Object.assign(new Error(`You have an error in your SQL syntax near '${sql}'`), { code: "ER_PARSE_ERROR" });
    },
  };
}

// ---- S3, Lambda ----

export function addBucket(world: WorldState, bucket: Omit<Bucket, "replication"> & { replication?: Bucket["replication"] }): void {
  failbackState(world).buckets.set(bucket.name, { ...bucket, replication: bucket.replication ?? null });
}

export function registerLambda(world: WorldState, region: string, name: string, fn: LambdaFunction): void {
  failbackState(world).lambdas.set(`${region}/${name}`, fn);
}
