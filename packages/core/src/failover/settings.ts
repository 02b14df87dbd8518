/**
 * Step Lambda configuration: environment variables read once, validated, failing fast with
 * the missing name. Each handler names only the settings it needs.
 */
import { ConfigurationError } from "../errors";

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
  | "RPO_BUDGET_SECONDS"
  | "HEALTH_URL"
  | "TABLE_NAME"
  | "TOPIC_ARN"
  | "HOSTED_ZONE_ID"
  | "RECORD_NAME"
  | "DR_ALB_DNS"
  | "DR_ALB_ZONE_ID"
  | "PRIMARY_CLUSTER"
  | "PRIMARY_SERVICE"
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

/** DNS switching is optional per stage: all four settings or none. */
export function hasDnsSettings(env: Record<string, string | undefined>): boolean {
  return Boolean(env.HOSTED_ZONE_ID && env.RECORD_NAME && env.DR_ALB_DNS && env.DR_ALB_ZONE_ID);
}

/** A value computed on first use and kept for the life of the Lambda sandbox. */
export function lazy<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}
