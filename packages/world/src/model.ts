/**
 * The emulated two-region AWS world's state: RDS instances (with their backups, replication
 * status and ReplicaLag history), ECS services and their tasks, target groups, Route 53 zones
 * and changes, Secrets Manager secrets and replicas, an SNS inbox, regions that are down (and
 * since when), impaired control planes, injected faults and a log of every API call.
 * Time-dependent state is derived from the clock when read, so the same world serves both
 * quick tests and the virtual-clock rehearsal. Every behaviour and its AWS source:
 * docs/aws-behaviour.md.
 */
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { VirtualClock } from "./clock";
import type { WorldExecution } from "./stepfunctions";

/** Seconds, from DESIGN.md's latency model ("typical" column unless a test says otherwise). */
export interface Latencies {
  /** Promote call → writable (available, no source). */
  promotionSeconds: number;
  /** After the promote call the replica still reports `available` with its source for this long. */
  promotionRaceSeconds: number;
  /** Fargate task start. */
  taskStartSeconds: number;
  /** First passing ALB health check after the task runs. */
  firstHealthCheckSeconds: number;
  /** Route 53 change → INSYNC. */
  dnsInsyncSeconds: number;
  /** An RDS event becomes visible to DescribeEvents this long after it happened. */
  rdsEventDelaySeconds: number;
}

export const typicalLatencies: Latencies = {
  promotionSeconds: 300,
  promotionRaceSeconds: 10,
  taskStartSeconds: 60,
  firstHealthCheckSeconds: 10,
  dnsInsyncSeconds: 45,
  rdsEventDelaySeconds: 5,
};

/**
 * What a caller sees of a region (or control plane) that is down:
 * - `no-response`: connections open, answers never come; only a socket idle timeout (or a
 *   request timeout with `throwOnRequestTimeout`) ends an attempt, the SDK's default is none;
 * - `black-hole`: packets are dropped; `connectionTimeout` ends an attempt, without it the
 *   OS gives up after Linux's connect timeout (127 s);
 * - `refused`: connections are refused at once (the kind case: only when a test asks).
 */
export type OutageShape = "no-response" | "black-hole" | "refused";

/** Linux's TCP connect timeout with its default tcp_syn_retries = 6 (tcp(7)): 1+2+...+64 s. */
export const linuxConnectTimeoutSeconds = 127;

/** A daily automated backup: the instance reports `backing-up` while it runs. */
export interface BackupSchedule {
  /** Start of the preferred backup window, minutes after midnight UTC. */
  windowStartMinute: number;
  /** When in the window the backup starts, seconds (RDS picks; the rehearsal draws it). */
  startOffsetSeconds: number;
  durationSeconds: number;
}

/** The backup window this project's stacks set on the replica (see docs/aws-behaviour.md). */
export const defaultReplicaBackup: BackupSchedule = { windowStartMinute: 60, startOffsetSeconds: 0, durationSeconds: 300 };

export interface DbInstance {
  identifier: string;
  arn: string;
  region: string;
  /** Status when no promotion or backup is in progress. */
  baseStatus: string;
  sourceIdentifier: string | null;
  backupRetentionDays: number;
  backup: BackupSchedule | null;
  promotionRequestedAtMs: number | null;
  /** When set, the promotion never completes (stays `modifying`). */
  promotionStalls: boolean;
  /** The DB parameter group it uses (`default.<family>` when none of its own). */
  parameterGroup?: string;
  /** A group ModifyDBInstance attached that takes effect at the next reboot (`pending-reboot`). */
  pendingParameterGroup?: string;
  /** When it was created (DescribeDBInstances' InstanceCreateTime; a rename keeps it): a replica is younger than its source. */
  createdAtMs?: number;
}

/** A DB parameter group: the parameters set in it by a user (ModifyDBParameterGroup). */
export interface DbParameterGroup {
  name: string;
  region: string;
  arn: string;
  parameters: Map<string, string>;
}

/** How a read replica's ReplicaLag datapoints look while replication runs. */
export interface LagModel {
  /** Steady lag (seconds) per minute, cycled. */
  steady: number[];
  /** Minutes of -1 datapoints once replication stops, before the datapoints stop coming. */
  minusOneMinutes: number;
  /** Backlog (seconds of lag) the replica applies per second once its source is back. */
  catchUpPerSecond: number;
}

export interface LagDatapoint {
  timestampMs: number;
  value: number;
}

export interface EcsTask {
  runningAtMs: number;
  healthyAtMs: number;
  /** The task definition it was launched from (the service's when it was launched). */
  taskDefinition?: string;
  /** ECS started it (its secrets were read): it keeps running whatever its definition's secrets become. */
  started?: boolean;
}

export interface EcsService {
  region: string;
  cluster: string;
  service: string;
  arn: string;
  taskDefinition: string;
  desired: number;
  tasks: EcsTask[];
  /** The DB instance whose availability decides /health.php. */
  database: string;
  targetGroupArn: string;
  /** Resource tags (ECS TagResource; DescribeServices returns them with include: ["TAGS"]). */
  tags: Map<string, string>;
}

export interface Secret {
  name: string;
  region: string;
  arn: string;
  /** Where the primary secret lives; this region for a primary or standalone secret. */
  primaryRegion: string;
  /** The current version's SecretString (a replica holds its primary's). */
  secretString?: string;
  /** A replica's key (ReplicateSecretToRegions' KmsKeyId; absent: the Region's aws/secretsmanager). */
  kmsKeyId?: string;
  /**
   * On a primary: Regions whose replication is not a replica (yet), as DescribeSecret reports
   * them: `Failed` (a secret of that name was there) or `InProgress`. A test seeds either.
   */
  pendingReplicas?: Record<string, { status: "Failed" | "InProgress"; message: string }>;
}

export interface Fault {
  /** "rds:PromoteReadReplica", "ecs:UpdateService", ... or "*". */
  api: string;
  region?: string;
  /** An AWS error code, "TimeoutError", or a Node socket error code such as "ECONNRESET". */
  error: string;
  httpStatusCode: number;
  /** The call takes effect and then its response is lost: the caller gets only the error. */
  applied: boolean;
  /** How many attempts fail; Infinity for a permanent fault. */
  remaining: number;
}

/** A control plane that does not answer although its region is up (Route 53's in us-east-1). */
export interface Impairment {
  service: string;
  region: string;
  /** `hang` as a region that is down; `error`: 5xx answers at once. */
  mode: "hang" | "error";
}

export interface ApiCall {
  api: string;
  /** The client's region. */
  region: string;
  input: unknown;
  atMs: number;
  /** 1 for the SDK's first attempt, 2 for its first retry, ... */
  attempt: number;
  failed?: string;
  /** The call took effect although its caller got `failed`. */
  applied?: boolean;
}

export interface SnsMessage {
  topicArn: string;
  subject: string;
  message: string;
  kind: string | undefined;
  atMs: number;
}

/** An OpsCenter OpsItem (Systems Manager CreateOpsItem): a path to people that is not SNS. */
export interface OpsItem {
  id: string;
  region: string;
  title: string;
  description: string;
  source: string;
  /** OperationalData "/aws/dedup": a second create with the same string while this one is open makes none. */
  dedup: string | undefined;
  atMs: number;
}

/** Calls that change something; a dry-run must make none of them. */
export const mutatingApis = new Set([
  "rds:PromoteReadReplica",
  "rds:ModifyDBParameterGroup",
  "rds:ResetDBParameterGroup",
  "ecs:UpdateService",
  "ecs:TagResource",
  "ecs:UntagResource",
  "ecs:DeregisterTaskDefinition",
  "route53:ChangeResourceRecordSets",
  "secretsmanager:StopReplicationToReplica",
  "sns:Publish",
  "ssm:CreateOpsItem",
  "states:StartExecution",
  "states:StopExecution",
]);

/** The region whose control plane answers an API: Route 53's is in us-east-1 for every caller. */
export function servingRegion(api: string, clientRegion: string): string {
  return api.startsWith("route53:") ? "us-east-1" : clientRegion;
}

/** Regions that are down, remembering since when (ReplicaLag and replication status need it). */
export class DownRegions extends Set<string> {
  readonly #clock: VirtualClock;
  readonly history: { region: string; downAtMs: number; upAtMs: number | null }[] = [];
  /** Who waits for a region to answer again (`whenUp`), by region. */
  readonly #returns = new Map<string, (() => void)[]>();

  constructor(clock: VirtualClock) {
    super();
    this.#clock = clock;
  }

  override add(region: string): this {
    if (!this.has(region)) this.history.push({ region, downAtMs: this.#clock.nowMs(), upAtMs: null });
    return super.add(region);
  }

  override delete(region: string): boolean {
    const open = this.history.findLast((h) => h.region === region && h.upAtMs === null);
    if (open) open.upAtMs = this.#clock.nowMs();
    const deleted = super.delete(region);
    const waiting = this.#returns.get(region) ?? [];
    this.#returns.delete(region);
    for (const back of waiting) back();
    return deleted;
  }

  /**
   * Resolves when `region` answers again (at once when it is up). Not a sleep: virtual time
   * passes meanwhile, and nothing but the region's return ends the wait.
   */
  whenUp(region: string): Promise<void> {
    if (!this.has(region)) return Promise.resolve();
    return new Promise<void>((back) => this.#returns.set(region, [...(this.#returns.get(region) ?? []), back]));
  }

  /** Whether `region` was down at any moment in [fromMs, toMs]. */
  downBetween(region: string, fromMs: number, toMs: number): boolean {
    return this.history.some((h) => h.region === region && h.downAtMs <= toMs && (h.upAtMs === null || h.upAtMs > fromMs));
  }

  /** The outage of `region` in progress at `atMs`, if any. */
  outageAt(region: string, atMs: number): { downAtMs: number; upAtMs: number | null } | undefined {
    return this.history.find((h) => h.region === region && h.downAtMs <= atMs && (h.upAtMs === null || atMs < h.upAtMs));
  }

  /** The last outage of `region` that had ended by `atMs`. */
  lastEndedBy(region: string, atMs: number): { downAtMs: number; upAtMs: number } | undefined {
    const ended = this.history.filter((h): h is { region: string; downAtMs: number; upAtMs: number } => h.region === region && h.upAtMs !== null && h.upAtMs <= atMs);
    return ended.at(-1);
  }
}

const dayMs = 86_400_000;

export class WorldState {
  readonly clock: VirtualClock;
  readonly latencies: Latencies;
  readonly databases = new Map<string, DbInstance>();
  readonly services = new Map<string, EcsService>();
  readonly taskDefinitions = new Set<string>();
  readonly zones = new Map<string, ResourceRecordSet[]>();
  readonly changes = new Map<string, { submittedAtMs: number }>();
  /** Secrets by `${region}/${name}`. */
  readonly secrets = new Map<string, Secret>();
  /** DB parameter groups by name. */
  readonly parameterGroups = new Map<string, DbParameterGroup>();
  /** Step Functions executions by ARN (started through the API or run by `executeLocally`). */
  readonly executions = new Map<string, WorldExecution>();
  readonly #statusListeners: ((execution: WorldExecution) => Promise<void>)[] = [];
  readonly inbox: SnsMessage[] = [];
  /** OpsItems created in OpsCenter (a path to people that does not depend on SNS). */
  readonly opsItems: OpsItem[] = [];
  /** ReplicaLag model per replica instance identifier. */
  readonly replicaLag = new Map<string, LagModel>();
  readonly regionsDown: DownRegions;
  /** How calls to a region that is down (or an impaired control plane that hangs) behave. */
  outageShape: OutageShape = "no-response";
  readonly impairments: Impairment[] = [];
  readonly faults: Fault[] = [];
  readonly calls: ApiCall[] = [];
  #changeCounter = 0;

  constructor(clock = new VirtualClock(), latencies: Partial<Latencies> = {}) {
    this.clock = clock;
    this.latencies = { ...typicalLatencies, ...latencies };
    this.regionsDown = new DownRegions(clock);
  }

  // ---- reachability ----
  /** Why a call to `api` from a client in `clientRegion` cannot be answered, if it cannot. */
  unreachable(api: string, clientRegion: string): "hang" | "error" | undefined {
    const region = servingRegion(api, clientRegion);
    if (this.regionsDown.has(region)) return "hang";
    return this.impairments.find((i) => api.startsWith(`${i.service}:`) && i.region === region)?.mode;
  }

  /** Makes a service's control plane in `region` stop answering (default us-east-1, where Route 53's lives). */
  impair(service: string, options: { region?: string; mode?: Impairment["mode"] } = {}): void {
    this.impairments.push({ service, region: options.region ?? "us-east-1", mode: options.mode ?? "hang" });
  }

  // ---- RDS ----
  #source(db: DbInstance): DbInstance | undefined {
    return [...this.databases.values()].find((d) => d.arn === db.sourceIdentifier || d.identifier === db.sourceIdentifier);
  }

  /** Whether the instance is inside its daily backup at `atMs`. */
  isBackingUp(db: DbInstance, atMs = this.clock.nowMs()): boolean {
    if (!db.backup) return false;
    const start = Math.floor(atMs / dayMs) * dayMs + db.backup.windowStartMinute * 60_000 + db.backup.startOffsetSeconds * 1000;
    // A backup that began the day before may still be running.
    return [start - dayMs, start].some((s) => atMs >= s && atMs < s + db.backup!.durationSeconds * 1000);
  }

  dbView(db: DbInstance): { status: string; sourceIdentifier: string | null } {
    if (db.promotionRequestedAtMs === null) {
      const status = db.baseStatus === "available" && this.isBackingUp(db) ? "backing-up" : db.baseStatus;
      return { status, sourceIdentifier: db.sourceIdentifier };
    }
    const elapsed = this.clock.since(db.promotionRequestedAtMs);
    if (elapsed < this.latencies.promotionRaceSeconds) return { status: "available", sourceIdentifier: db.sourceIdentifier };
    if (db.promotionStalls || elapsed < this.latencies.promotionSeconds) return { status: "modifying", sourceIdentifier: db.sourceIdentifier };
    // Promoted: its own status from then on (a rename, a modification: packages/world/src/failback.ts).
    return { status: db.baseStatus, sourceIdentifier: null };
  }

  /** Whether a replica's replication from its source runs at `atMs`. */
  isReplicating(db: DbInstance, atMs = this.clock.nowMs()): boolean {
    const source = this.#source(db);
    if (!source || db.sourceIdentifier === null) return false;
    if (db.promotionRequestedAtMs !== null && atMs >= db.promotionRequestedAtMs) return false;
    return !this.regionsDown.outageAt(source.region, atMs);
  }

  /**
   * DescribeEvents' view of one instance (source type db-instance), oldest first: what RDS has
   * recorded by now, each visible `rdsEventDelaySeconds` after it happened. A promotion stops
   * replication when RDS accepts the call ("Replication streaming has been terminated."), then
   * reboots the instance (shutdown when it turns `modifying`, restarted when it is writable);
   * a replica whose source's region is down records "Replication has stopped." (an error).
   */
  rdsEvents(db: DbInstance): { atMs: number; message: string; categories: string[] }[] {
    const events: { atMs: number; message: string; categories: string[] }[] = [];
    const source = this.#source(db);
    const outage = source && db.sourceIdentifier !== null ? this.regionsDown.outageAt(source.region, this.clock.nowMs()) : undefined;
    if (outage && (db.promotionRequestedAtMs === null || outage.downAtMs < db.promotionRequestedAtMs)) {
      events.push({ atMs: outage.downAtMs, message: "Replication has stopped.", categories: ["read replica"] });
    }
    const t0 = db.promotionRequestedAtMs;
    if (t0 !== null) {
      events.push({ atMs: t0, message: "Replication streaming has been terminated.", categories: ["read replica"] });
      events.push({ atMs: t0 + this.latencies.promotionRaceSeconds * 1000, message: "DB instance shutdown.", categories: ["availability"] });
      if (!db.promotionStalls) events.push({ atMs: t0 + this.latencies.promotionSeconds * 1000, message: "DB instance restarted.", categories: ["availability"] });
    }
    const visibleUntil = this.clock.nowMs() - this.latencies.rdsEventDelaySeconds * 1000;
    return events.filter((e) => e.atMs <= visibleUntil).sort((a, b) => a.atMs - b.atMs);
  }

  /** DescribeDBInstances' StatusInfos: the read replication status of a replica, none otherwise. */
  statusInfos(db: DbInstance): { StatusType: string; Normal: boolean; Status: string; Message?: string }[] {
    if (this.dbView(db).sourceIdentifier === null) return [];
    if (this.isReplicating(db)) return [{ StatusType: "read replication", Normal: true, Status: "replicating" }];
    return [
      {
        StatusType: "read replication",
        Normal: false,
        Status: "error",
        Message: `Replication from ${db.sourceIdentifier} is not running: the source DB instance cannot be reached`,
      },
    ];
  }

  /**
   * ReplicaLag datapoints (one per complete minute, timestamped at the minute's start) in
   * [startMs, endMs): the steady values while replication runs, -1 for `minusOneMinutes`
   * once it stops, then none; after the source comes back, the backlog shrinking at
   * `catchUpPerSecond`. A promoted instance publishes no ReplicaLag.
   */
  replicaLagDatapoints(identifier: string, startMs: number, endMs: number): LagDatapoint[] {
    const db = this.databases.get(identifier);
    const model = this.replicaLag.get(identifier);
    const source = db && this.#source(db);
    if (!db || !model || !source) return [];
    const points: LagDatapoint[] = [];
    const lastComplete = Math.floor(this.clock.nowMs() / 60_000) * 60_000 - 60_000;
    const promotedAt = db.promotionRequestedAtMs ?? Infinity;
    for (let t = Math.ceil(startMs / 60_000) * 60_000; t < endMs && t <= lastComplete; t += 60_000) {
      if (t >= promotedAt) break;
      const steady = model.steady.length === 0 ? null : (model.steady[Math.floor(t / 60_000) % model.steady.length] as number);
      const outage = this.regionsDown.outageAt(source.region, t);
      if (outage) {
        if (t < outage.downAtMs + model.minusOneMinutes * 60_000) points.push({ timestampMs: t, value: -1 });
        continue;
      }
      if (steady === null) continue;
      const ended = this.regionsDown.lastEndedBy(source.region, t);
      const backlog = ended ? (ended.upAtMs - ended.downAtMs) / 1000 - (model.catchUpPerSecond * (t - ended.upAtMs)) / 1000 : -Infinity;
      points.push({ timestampMs: t, value: Math.round(Math.max(steady, backlog) * 100) / 100 });
    }
    return points;
  }

  /**
   * Writable by the application: reachable, `available`, not a replica, and `read_only` not
   * set in its parameter group (MySQL refuses client updates then; RDS's master user has no
   * SUPER: docs/aws-behaviour.md).
   */
  isWritable(identifier: string): boolean {
    const db = this.databases.get(identifier);
    if (!db || this.regionsDown.has(db.region)) return false;
    const v = this.dbView(db);
    return v.status === "available" && v.sourceIdentifier === null && !this.isReadOnly(db);
  }

  /** `read_only` is on in the instance's parameter group (1 or ON; default groups leave it off for a primary). */
  isReadOnly(db: DbInstance): boolean {
    const value = db.parameterGroup ? this.parameterGroups.get(db.parameterGroup)?.parameters.get("read_only") : undefined;
    return value !== undefined && ["1", "on", "true"].includes(value.toLowerCase());
  }

  /**
   * What the database's MySQL answers for `@@global.read_only` (the app's /health.php reads it):
   * 1 on a replica (the default groups' `{TrueIfReplica}`) or with `read_only` on in its
   * parameter group, which RDS keeps through a promotion; whatever its RDS status.
   */
  readOnlyVariable(db: DbInstance): 0 | 1 {
    return this.dbView(db).sourceIdentifier === null && !this.isReadOnly(db) ? 0 : 1;
  }

  /** Whether the app's health check can reach its database (readable is enough). */
  dbAnswers(identifier: string): boolean {
    const db = this.databases.get(identifier);
    if (!db || this.regionsDown.has(db.region)) return false;
    return ["available", "backing-up", "modifying"].includes(this.dbView(db).status);
  }

  // ---- ECS ----
  serviceKey(region: string, cluster: string, service: string): string {
    return `${region}/${cluster}/${service}`;
  }

  setDesired(svc: EcsService, count: number): void {
    const now = this.clock.nowMs();
    if (count > svc.tasks.length) {
      for (let i = svc.tasks.length; i < count; i++) {
        const runningAtMs = now + this.latencies.taskStartSeconds * 1000;
        svc.tasks.push({ runningAtMs, healthyAtMs: runningAtMs + this.latencies.firstHealthCheckSeconds * 1000, taskDefinition: svc.taskDefinition });
      }
    } else {
      svc.tasks.splice(count);
    }
    svc.desired = count;
  }

  /**
   * Why ECS cannot start a task of the service from a task definition now (a
   * ResourceInitializationError: a secret the definition names that its execution role cannot
   * read, or that is not in its region), or null. Set by `pilotLightWorld` from the account side
   * (./task-definitions.ts, `taskStartRefusal`).
   */
  taskStartRefusal: (svc: EcsService, taskDefinition: string) => string | null = () => null;

  /**
   * Whether a task runs: from its start time, unless ECS refuses to start it (checked until it
   * starts: ECS keeps launching the service's tasks, so a refusal mended starts them). A task that
   * started keeps running: ECS reads its secrets when it starts, and a deployment of a definition
   * whose tasks cannot start leaves the running ones in place (docs/aws-behaviour.md).
   */
  private taskRuns(svc: EcsService, t: EcsTask): boolean {
    if (t.runningAtMs > this.clock.nowMs()) return false;
    if (t.started) return true;
    if (this.taskStartRefusal(svc, t.taskDefinition ?? svc.taskDefinition) !== null) return false;
    t.started = true;
    return true;
  }

  running(svc: EcsService): number {
    if (this.regionsDown.has(svc.region)) return 0;
    return svc.tasks.filter((t) => this.taskRuns(svc, t)).length;
  }

  healthyTargets(svc: EcsService): number {
    if (this.regionsDown.has(svc.region) || !this.dbAnswers(svc.database)) return 0;
    return svc.tasks.filter((t) => this.taskRuns(svc, t) && t.healthyAtMs <= this.clock.nowMs()).length;
  }

  /** The ALB's /health.php answer for a region: 200 when a healthy target can reach its database. */
  healthStatus(region: string): number {
    const svc = [...this.services.values()].find((s) => s.region === region);
    if (!svc || this.regionsDown.has(region)) return 503;
    return this.healthyTargets(svc) > 0 ? 200 : 503;
  }

  // ---- Route 53 ----
  submitChange(): string {
    const id = `C${String(++this.#changeCounter).padStart(6, "0")}`;
    this.changes.set(id, { submittedAtMs: this.clock.nowMs() });
    return id;
  }

  changeStatus(id: string): "PENDING" | "INSYNC" | undefined {
    const change = this.changes.get(id.replace(/^\/change\//, ""));
    if (!change) return undefined;
    return this.clock.since(change.submittedAtMs) >= this.latencies.dnsInsyncSeconds ? "INSYNC" : "PENDING";
  }

  /** A failover name's record with the given SetIdentifier. */
  record(zoneId: string, name: string, setIdentifier: string): ResourceRecordSet | undefined {
    const fq = name.endsWith(".") ? name : `${name}.`;
    return this.zones.get(zoneId)?.find((r) => r.Name === fq && r.SetIdentifier === setIdentifier);
  }

  /**
   * Route 53's data plane (it keeps answering when the control plane is impaired): the record
   * users get for a failover name, PRIMARY while its health check (and, for an alias with
   * EvaluateTargetHealth, its target's health) passes, else SECONDARY; for a name with a simple
   * A record (a team's record before its adoption), that record, whatever any health check says.
   */
  resolve(zoneId: string, name: string): ResourceRecordSet | undefined {
    const primary = this.record(zoneId, name, "primary");
    const secondary = this.record(zoneId, name, "secondary");
    if (!primary && !secondary) {
      const fq = (name.endsWith(".") ? name : `${name}.`).toLowerCase();
      return this.zones.get(zoneId)?.find((r) => r.Name?.toLowerCase() === fq && r.Type === "A" && r.SetIdentifier === undefined);
    }
    const healthy = (r: ResourceRecordSet) => {
      const region = /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(r.AliasTarget?.DNSName ?? "")?.[1];
      const checked = Boolean(r.HealthCheckId) || Boolean(r.AliasTarget?.EvaluateTargetHealth);
      return !checked || !region || this.healthStatus(region) === 200;
    };
    return primary && (healthy(primary) || !secondary) ? primary : secondary;
  }

  // ---- Secrets Manager ----
  secretKey(region: string, name: string): string {
    return `${region}/${name}`;
  }

  /** A secret by name or ARN in one region. */
  findSecret(region: string, id: string): Secret | undefined {
    return [...this.secrets.values()].find((s) => s.region === region && (s.name === id || s.arn === id));
  }

  // ---- Step Functions ----
  /** Tells `listener` of every execution that ends (as EventBridge's status-change rule would), in order. */
  onExecutionStatusChange(listener: (execution: WorldExecution) => Promise<void>): void {
    this.#statusListeners.push(listener);
  }

  /** Delivers an execution's final status to the listeners (awaited, so a test sees their effects). */
  async executionEnded(execution: WorldExecution): Promise<void> {
    for (const listener of this.#statusListeners) await listener(execution);
  }

  // ---- faults and log ----
  /**
   * Fails the next `times` attempts of `api` (SDK retries count). `applied: true` makes the
   * call take effect before the error: the response is lost, as after a 5xx or a connection
   * reset on the way back. Status defaults: throttling 400, access denied 403, socket errors
   * none, anything else 500.
   */
  inject(fault: { api: string; error: string; httpStatusCode?: number; times?: number; region?: string; applied?: boolean }): void {
    const socket = /^E[A-Z]+$/.test(fault.error) || fault.error === "TimeoutError";
    this.faults.push({
      api: fault.api,
      region: fault.region,
      error: fault.error,
      httpStatusCode:
        fault.httpStatusCode ?? (socket ? 0 : fault.error.includes("Throttl") ? 400 : fault.error.includes("Denied") ? 403 : 500),
      applied: fault.applied ?? false,
      remaining: fault.times ?? Infinity,
    });
  }

  mutatingCalls(): ApiCall[] {
    return this.calls.filter((c) => mutatingApis.has(c.api) && (!c.failed || c.applied));
  }

  callsTo(api: string): ApiCall[] {
    return this.calls.filter((c) => c.api === api);
  }
}
