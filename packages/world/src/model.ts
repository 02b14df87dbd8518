/**
 * The emulated two-region AWS world's state: RDS instances, ECS services and their tasks,
 * target groups, Route 53 zones and changes, an SNS inbox, ReplicaLag datapoints, regions
 * that are down, injected faults and a log of every API call. Time-dependent state is
 * derived from the clock when read, so the same world serves both quick tests and the
 * virtual-clock rehearsal.
 */
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import { VirtualClock } from "./clock";

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
}

export const typicalLatencies: Latencies = {
  promotionSeconds: 300,
  promotionRaceSeconds: 10,
  taskStartSeconds: 60,
  firstHealthCheckSeconds: 10,
  dnsInsyncSeconds: 45,
};

export interface DbInstance {
  identifier: string;
  arn: string;
  region: string;
  /** Status when no promotion is in progress. */
  baseStatus: string;
  sourceIdentifier: string | null;
  backupRetentionDays: number;
  promotionRequestedAtMs: number | null;
  /** When set, the promotion never completes (stays `modifying`). */
  promotionStalls: boolean;
}

export interface EcsTask {
  runningAtMs: number;
  healthyAtMs: number;
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
}

export interface Fault {
  /** "rds:PromoteReadReplica", "ecs:UpdateService", ... or "*". */
  api: string;
  region?: string;
  error: string;
  httpStatusCode: number;
  /** How many calls fail; Infinity for a permanent fault. */
  remaining: number;
}

export interface ApiCall {
  api: string;
  region: string;
  input: unknown;
  atMs: number;
  failed?: string;
}

export interface SnsMessage {
  topicArn: string;
  subject: string;
  message: string;
  kind: string | undefined;
  atMs: number;
}

/** Calls that change something; a dry-run must make none of them. */
export const mutatingApis = new Set([
  "rds:PromoteReadReplica",
  "ecs:UpdateService",
  "route53:ChangeResourceRecordSets",
  "sns:Publish",
]);

export class WorldState {
  readonly clock: VirtualClock;
  readonly latencies: Latencies;
  readonly databases = new Map<string, DbInstance>();
  readonly services = new Map<string, EcsService>();
  readonly taskDefinitions = new Set<string>();
  readonly zones = new Map<string, ResourceRecordSet[]>();
  readonly changes = new Map<string, { submittedAtMs: number }>();
  readonly inbox: SnsMessage[] = [];
  /** ReplicaLag datapoints per instance (seconds; -1 when replication is broken). */
  readonly replicaLag = new Map<string, number[]>();
  readonly regionsDown = new Set<string>();
  readonly faults: Fault[] = [];
  readonly calls: ApiCall[] = [];
  #changeCounter = 0;

  constructor(clock = new VirtualClock(), latencies: Partial<Latencies> = {}) {
    this.clock = clock;
    this.latencies = { ...typicalLatencies, ...latencies };
  }

  // ---- RDS ----
  dbView(db: DbInstance): { status: string; sourceIdentifier: string | null } {
    if (db.promotionRequestedAtMs === null) return { status: db.baseStatus, sourceIdentifier: db.sourceIdentifier };
    const elapsed = this.clock.since(db.promotionRequestedAtMs);
    if (elapsed < this.latencies.promotionRaceSeconds) return { status: "available", sourceIdentifier: db.sourceIdentifier };
    if (db.promotionStalls || elapsed < this.latencies.promotionSeconds) return { status: "modifying", sourceIdentifier: db.sourceIdentifier };
    return { status: "available", sourceIdentifier: null };
  }

  isWritable(identifier: string): boolean {
    const db = this.databases.get(identifier);
    if (!db || this.regionsDown.has(db.region)) return false;
    const v = this.dbView(db);
    return v.status === "available" && v.sourceIdentifier === null;
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
        svc.tasks.push({ runningAtMs, healthyAtMs: runningAtMs + this.latencies.firstHealthCheckSeconds * 1000 });
      }
    } else {
      svc.tasks.splice(count);
    }
    svc.desired = count;
  }

  running(svc: EcsService): number {
    if (this.regionsDown.has(svc.region)) return 0;
    return svc.tasks.filter((t) => t.runningAtMs <= this.clock.nowMs()).length;
  }

  healthyTargets(svc: EcsService): number {
    if (this.regionsDown.has(svc.region) || !this.dbAnswers(svc.database)) return 0;
    return svc.tasks.filter((t) => t.healthyAtMs <= this.clock.nowMs()).length;
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

  /** The record a failover name's users get: PRIMARY when its health allows, else SECONDARY. */
  record(zoneId: string, name: string, setIdentifier: string): ResourceRecordSet | undefined {
    const fq = name.endsWith(".") ? name : `${name}.`;
    return this.zones.get(zoneId)?.find((r) => r.Name === fq && r.SetIdentifier === setIdentifier);
  }

  // ---- faults and log ----
  inject(fault: { api: string; error: string; httpStatusCode?: number; times?: number; region?: string }): void {
    this.faults.push({
      api: fault.api,
      region: fault.region,
      error: fault.error,
      httpStatusCode: fault.httpStatusCode ?? (fault.error.includes("Throttl") ? 400 : fault.error.includes("Denied") ? 403 : 500),
      remaining: fault.times ?? Infinity,
    });
  }

  mutatingCalls(): ApiCall[] {
    return this.calls.filter((c) => mutatingApis.has(c.api) && !c.failed);
  }

  callsTo(api: string): ApiCall[] {
    return this.calls.filter((c) => c.api === api);
  }
}
