/**
 * The failback step Lambdas' configuration: both regions' names, read once and validated,
 * failing fast with the missing variable. `sides` turns them into the two sides of the pair,
 * so every step speaks of "serving" and "standby" whichever way the pair currently faces.
 * The same settings in both regions' copies (docs/design.md D2), but for ORCHESTRATOR_REGION (the
 * copy's own region: its state table and alert topic; the other region's clients are bounded) and
 * the PRIMARY record's health check, which only the DR region's copy knows (its Dns stack's).
 */
import { ConfigurationError } from "../errors";

export const failbackSettingNames = [
  "STAGE",
  "ORCHESTRATOR_REGION",
  "PRIMARY_REGION",
  "DR_REGION",
  "PRIMARY_ID",
  "REPLICA_ID",
  "PRIMARY_CLUSTER",
  "PRIMARY_SERVICE",
  "DR_CLUSTER",
  "DR_SERVICE",
  "PRIMARY_TASK_COUNT",
  "DR_TASK_COUNT",
  "DR_PILOT_TASK_COUNT",
  "PRIMARY_HEALTH_URL",
  "DR_HEALTH_URL",
  "PRIMARY_BUCKET",
  "DR_BUCKET",
  "REVERSE_REPLICATION_ROLE_ARN",
  "PROBE_FUNCTION",
  "SECRET_ID",
  "BACKUP_RETENTION_DAYS",
  "DR_BACKUP_WINDOW",
  "RPO_BUDGET_SECONDS",
  "TABLE_NAME",
  "TOPIC_ARN",
] as const;
export type FailbackSettingName = (typeof failbackSettingNames)[number] | "HOSTED_ZONE_ID" | "RECORD_NAME" | "PRIMARY_ALB_DNS" | "PRIMARY_ALB_ZONE_ID" | "PRIMARY_HEALTH_CHECK_ID";

export type FailbackSettings = Record<(typeof failbackSettingNames)[number], string> & {
  /** `healthCheckId` null: this copy cannot restore the PRIMARY record (the primary region's; the switchback is the DR region's copy's). */
  dns: { hostedZoneId: string; recordName: string; primaryAlbDns: string; primaryAlbZoneId: string; healthCheckId: string | null } | null;
};

export function readFailbackSettings(env: Record<string, string | undefined>): FailbackSettings {
  const missing = failbackSettingNames.filter((n) => !env[n]);
  if (missing.length > 0) throw new ConfigurationError(`missing environment variable(s): ${missing.join(", ")}`);
  const dnsNames = ["HOSTED_ZONE_ID", "RECORD_NAME", "PRIMARY_ALB_DNS", "PRIMARY_ALB_ZONE_ID"] as const;
  const dnsCount = dnsNames.filter((n) => env[n]).length;
  if (dnsCount !== 0 && dnsCount !== dnsNames.length) throw new ConfigurationError(`DNS settings must be all or none of ${dnsNames.join(", ")}`);
  if (env.PRIMARY_HEALTH_CHECK_ID && !dnsCount) throw new ConfigurationError(`PRIMARY_HEALTH_CHECK_ID goes with the DNS settings ${dnsNames.join(", ")}`);
  if (env.ORCHESTRATOR_REGION !== env.PRIMARY_REGION && env.ORCHESTRATOR_REGION !== env.DR_REGION) throw new ConfigurationError(`ORCHESTRATOR_REGION must be PRIMARY_REGION or DR_REGION, got "${env.ORCHESTRATOR_REGION}"`);
  for (const n of ["PRIMARY_TASK_COUNT", "DR_TASK_COUNT", "DR_PILOT_TASK_COUNT", "BACKUP_RETENTION_DAYS", "RPO_BUDGET_SECONDS"] as const) {
    if (!/^\d+$/.test(env[n] ?? "")) throw new ConfigurationError(`${n} must be a whole number, got "${env[n]}"`);
  }
  const values = Object.fromEntries(failbackSettingNames.map((n) => [n, env[n] as string])) as Record<(typeof failbackSettingNames)[number], string>;
  return {
    ...values,
    dns: dnsCount
      ? {
          hostedZoneId: env.HOSTED_ZONE_ID as string,
          recordName: env.RECORD_NAME as string,
          primaryAlbDns: env.PRIMARY_ALB_DNS as string,
          primaryAlbZoneId: env.PRIMARY_ALB_ZONE_ID as string,
          healthCheckId: env.PRIMARY_HEALTH_CHECK_ID || null,
        }
      : null,
  };
}

export type Role = "primary" | "dr";

/** One side of the pair: where its database, service, bucket and health check are. */
export interface Side {
  role: Role;
  region: string;
  /** The CloudFormation name of this region's database (whichever role it plays now). */
  dbId: string;
  cluster: string;
  service: string;
  /** Tasks when this side serves. */
  servingCount: number;
  /** Tasks when this side is the pilot light. */
  pilotCount: number;
  healthUrl: string;
  bucket: string;
  /** The CloudFormation templates' Multi-AZ setting for this region's database. */
  multiAz: boolean;
  /** The backup window to give this region's database; null: keep what it had. */
  backupWindow: string | null;
}

export function sides(s: FailbackSettings): Record<Role, Side> {
  return {
    primary: {
      role: "primary",
      region: s.PRIMARY_REGION,
      dbId: s.PRIMARY_ID,
      cluster: s.PRIMARY_CLUSTER,
      service: s.PRIMARY_SERVICE,
      servingCount: Number(s.PRIMARY_TASK_COUNT),
      pilotCount: 0,
      healthUrl: s.PRIMARY_HEALTH_URL,
      bucket: s.PRIMARY_BUCKET,
      multiAz: true,
      backupWindow: null,
    },
    dr: {
      role: "dr",
      region: s.DR_REGION,
      dbId: s.REPLICA_ID,
      cluster: s.DR_CLUSTER,
      service: s.DR_SERVICE,
      servingCount: Number(s.DR_TASK_COUNT),
      pilotCount: Number(s.DR_PILOT_TASK_COUNT),
      healthUrl: s.DR_HEALTH_URL,
      bucket: s.DR_BUCKET,
      multiAz: false,
      backupWindow: s.DR_BACKUP_WINDOW,
    },
  };
}

export const other = (role: Role): Role => (role === "primary" ? "dr" : "primary");

/**
 * Clients for a region that may be down: every attempt bounded (connect 2 s, request 4 s,
 * `throwOnRequestTimeout` or the request timeout only warns), two attempts.
 */
export const boundedClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2000, requestTimeout: 4000, throwOnRequestTimeout: true },
} as const;
