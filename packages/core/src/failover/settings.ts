/**
 * Step Lambda configuration: environment variables read once, validated, failing fast with
 * the missing name. Each handler names only the settings it needs.
 */
import { ConfigurationError } from "../errors";
import type { Objectives } from "./outcome";

export type SettingName =
  | "PRIMARY_REGION"
  | "DR_REGION"
  | "REPLICA_ID"
  | "PRIMARY_ID"
  | "PRIMARY_ARN"
  | "DR_CLUSTER"
  | "DR_SERVICE"
  | "TARGET_GROUP_ARN"
  | "DR_TASK_COUNT"
  | "DR_PILOT_TASK_COUNT"
  /** The other region's pilot light (CompleteFence: a rolled-back switchback's leftover). */
  | "PEER_PILOT_TASK_COUNT"
  | "RPO_BUDGET_SECONDS"
  | "RTO_TARGET_SECONDS"
  | "HEALTH_URL"
  | "TABLE_NAME"
  | "TOPIC_ARN"
  | "HOSTED_ZONE_ID"
  | "RECORD_NAME"
  | "DR_ALB_DNS"
  | "DR_ALB_ZONE_ID"
  | "PRIMARY_CLUSTER"
  | "PRIMARY_SERVICE"
  | "BACKUP_RETENTION_DAYS"
  | "LAG_LOOKBACK_SECONDS"
  | "SECRET_ID"
  | "PRIMARY_HEALTH_URL"
  /** The health profile the stage's monitors detect with (its schedule in seconds, its strikes): what "What to change" advises. */
  | "DETECTION_PERIOD_SECONDS"
  | "FAILURE_THRESHOLD"
  | "STAGE";

/** Reads the named variables; throws ConfigurationError naming every missing one. */
export function readSettings<K extends SettingName>(env: Record<string, string | undefined>, names: readonly K[]): Record<K, string> {
  const missing = names.filter((n) => !env[n]);
  if (missing.length > 0) throw new ConfigurationError(`missing environment variable(s): ${missing.join(", ")}`);
  return Object.fromEntries(names.map((n) => [n, env[n] as string])) as Record<K, string>;
}

/** Parses a whole number setting, failing with its name. */
export function intSetting(name: SettingName, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigurationError(`${name} must be a whole number, got "${value}"`);
  return n;
}

/** The stage's recovery objectives, as the steps that judge a run read them. */
export function readObjectives(env: Record<string, string | undefined>): Objectives {
  const s = readSettings(env, ["RTO_TARGET_SECONDS", "RPO_BUDGET_SECONDS", "DR_PILOT_TASK_COUNT"]);
  return {
    rtoTargetSeconds: intSetting("RTO_TARGET_SECONDS", s.RTO_TARGET_SECONDS),
    rpoBudgetSeconds: intSetting("RPO_BUDGET_SECONDS", s.RPO_BUDGET_SECONDS),
    drPilotTaskCount: intSetting("DR_PILOT_TASK_COUNT", s.DR_PILOT_TASK_COUNT),
    ...detectionProfileOf(env),
  };
}

/**
 * The stage's health profile (the Failover stack passes both; the world's step environment
 * neither): absent, the advice names the faster profile as for a profile not known. Keyed on
 * DETECTION_PERIOD_SECONDS: FAILURE_THRESHOLD is also the monitor's own setting.
 */
function detectionProfileOf(env: Record<string, string | undefined>): Pick<Objectives, "detectionProfile"> {
  if (!env.DETECTION_PERIOD_SECONDS) return {};
  const s = readSettings(env, ["DETECTION_PERIOD_SECONDS", "FAILURE_THRESHOLD"]);
  return { detectionProfile: { scheduleMinutes: intSetting("DETECTION_PERIOD_SECONDS", s.DETECTION_PERIOD_SECONDS) / 60, failureThreshold: intSetting("FAILURE_THRESHOLD", s.FAILURE_THRESHOLD) } };
}

/** DNS switching is optional per stage: all four settings or none. */
export function hasDnsSettings(env: Record<string, string | undefined>): boolean {
  return Boolean(env.HOSTED_ZONE_ID && env.RECORD_NAME && env.DR_ALB_DNS && env.DR_ALB_ZONE_ID);
}

/** The stage's DNS record as the fence needs it (`{ dns }`), or nothing for a stage without DNS. */
export function dnsTarget(env: Record<string, string | undefined>): { dns?: { hostedZoneId: string; recordName: string; drAlbDns: string; drAlbZoneId: string } } {
  if (!hasDnsSettings(env)) return {};
  const s = readSettings(env, ["HOSTED_ZONE_ID", "RECORD_NAME", "DR_ALB_DNS", "DR_ALB_ZONE_ID"]);
  return { dns: { hostedZoneId: s.HOSTED_ZONE_ID, recordName: s.RECORD_NAME, drAlbDns: s.DR_ALB_DNS, drAlbZoneId: s.DR_ALB_ZONE_ID } };
}

/**
 * The state machine's own timeout (TimeoutSeconds, stacks/Failover.ts): an execution older than
 * this has ended, whatever its last state. The failover lock expires exactly then.
 */
export const executionTimeoutSeconds = 90 * 60;

/**
 * How long after a promote call RDS may still show the replica `available` with its source
 * (the latency model's bad case is 60 s) plus the PromoteReplica Lambda's own 25 s between
 * writing the marker and sending the call, and a margin. Evidence about the call (`modifying`,
 * or no source any more) is awaited this long before deciding that RDS did not accept it.
 */
export const promotionAcceptanceSeconds = 120;

/**
 * The promotion loop looks at RDS every 8 s, counted from one look to the next (WaitForPromotion
 * waits until `nextLookAt`): a bounded fence attempt in a dead region between two looks (up to
 * about 6 s) takes its time out of the wait instead of adding to it. A look comes on average
 * half an interval after the database is writable: that is on the RTO's critical path.
 */
export const promotionLookSeconds = 8;

/**
 * The DNS loop looks at the pin's change every 4 s, counted from the last look (WaitForDns
 * waits until `nextLookAt`). The pin is made right after the promote call, usually minutes
 * before the loop starts: its first look is then due at once.
 */
export const dnsLookSeconds = 4;

/**
 * A polling step's result with the time its loop's next look is due: `now` + `seconds`, in
 * whole seconds (a Wait's timestamp is read to the second).
 */
export function withNextLook<T extends object>(status: T, now: Date, seconds: number): T & { nextLookAt: string } {
  const dueMs = Math.ceil((now.getTime() + seconds * 1000) / 1000) * 1000;
  return { ...status, nextLookAt: new Date(dueMs).toISOString().replace(/\.000Z$/, "Z") };
}

/** Promote calls one execution makes before it decides RDS will not accept them (then it rolls back). */
export const maxPromotionRequests = 3;

/** Who the health monitor says started a run (packages/core/src/health: `requestedBy`). */
export const automaticRequester = "health-monitor";

/** A run started by the health monitor rather than a person: it stands down if the primary recovers. */
export function isAutomatic(run: { requestedBy: string }): boolean {
  return run.requestedBy === automaticRequester;
}

/** `Failover.lazy` is the world-scoped lazy value of `Scope` (one implementation, for every handler). */
export { lazy, worldScopeKey } from "../scope";

/**
 * How the state machine waits for a replica RDS will not promote yet (a backup, a
 * modification): Retry on ReplicaNotReadyError at Preflight and PromoteReplica. 20 attempts,
 * 30 s growing by 1.5 to at most 120 s: up to 36 minutes (about half that with full jitter),
 * longer than the daily backup of a small instance takes.
 */
export const notReadyRetry = { intervalSeconds: 30, backoffRate: 1.5, maxDelaySeconds: 120, maxAttempts: 20 } as const;

/** The longest total pause a Retry entry can make (no jitter). */
export function retryBudgetSeconds(r: { intervalSeconds: number; backoffRate: number; maxDelaySeconds: number; maxAttempts: number }): number {
  let total = 0;
  for (let n = 0; n < r.maxAttempts; n++) total += Math.min(r.intervalSeconds * r.backoffRate ** n, r.maxDelaySeconds);
  return Math.round(total);
}

/**
 * How far back preflight looks for a valid ReplicaLag datapoint. Replication stops when the
 * outage begins; preflight runs up to (threshold + 1) schedule periods later (the outage can
 * start just after a passing check; delivery jitter is under a period), then may wait out a
 * backup. So: (threshold + 1) x period + the not-ready retry budget + 5 minutes of margin, and
 * at least an hour. Default detection (5 min x 3): 20 + 36 + 5 minutes = 61 minutes.
 */
export function lagLookbackSeconds(detection: { periodSeconds: number; failureThreshold: number }): number {
  return Math.max(3600, detection.periodSeconds * (detection.failureThreshold + 1) + retryBudgetSeconds(notReadyRetry) + 300);
}
