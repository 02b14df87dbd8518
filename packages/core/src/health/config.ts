/**
 * What the monitor and the close action read from their environment, validated once at start:
 * a missing or malformed variable fails the cold start with its name, never a tick later.
 */
import * as z from "../zod";
import { ConfigurationError } from "../errors";
import type { MonitorSettings } from "./monitor";

const flag = z.pipe(z.enum(["true", "false"]), z.transform((v) => v === "true"));
const int = (min: number, max: number) => z.pipe(z.coerce.number(), z.int().check(z.gte(min), z.lte(max)));

export const MonitorEnv = z.object({
  AWS_REGION: z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region")),
  STATE_TABLE: z.string().check(z.minLength(1)),
  TOPIC_ARN: z.string().check(z.startsWith("arn:", "must be an SNS topic ARN")),
  STATE_MACHINE_ARN: z.string().check(z.startsWith("arn:", "must be a state machine ARN")),
  PRIMARY_HEALTH_URL: z.url(),
  DR_HEALTH_URL: z.optional(z.url()),
  FAILURE_THRESHOLD: int(1, 10),
  PROBE_TIMEOUT_MS: int(50, 30_000),
  PROBES_PER_CHECK: int(1, 5),
  PROBE_SPACING_MS: z._default(int(0, 5_000), 100),
  AUTO_FAILOVER: flag,
  /** Longer than the Lambda's timeout, so a live invocation's claim never expires under it. */
  START_LEASE_MS: z._default(int(1_000, 900_000), 120_000),
  STAGE_LABEL: z._default(z.string().check(z.minLength(1)), "pilot-light"),
  /** The Dns stack's Route 53 health check on the primary: the second opinion. Absent without DNS. */
  HEALTH_CHECK_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, "must be a Route 53 health check id"))),
  AVAILABILITY_WINDOW_MINUTES: z._default(int(10, 360), 60),
  MIN_AVAILABILITY_PERCENT: z._default(int(0, 99), 50),
  NOTICES_PER_HOUR: z._default(int(1, 12), 2),
  FAILOVER_ATTEMPTS: z._default(int(1, 10), 4),
  /** Which region this monitor watches (the other one): its state item, incidents and execution names say so. */
  WATCHED: z._default(z.enum(["primary", "dr"]), "primary"),
  /**
   * Run-time arming (Health.readArming): this region's database, and the watched region's. Absent:
   * the monitor is armed as AUTO_FAILOVER says.
   */
  LOCAL_DB_ID: z.optional(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, "must be a DB instance identifier"))),
  WATCHED_DB_ID: z.optional(z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, "must be a DB instance identifier"))),
  WATCHED_DB_ARN: z.optional(z.string().check(z.startsWith("arn:", "must be a DB instance ARN"))),
  /** This region's load balancer: where DNS sends users is compared with it (stages with DNS). */
  LOCAL_ALB_DNS: z.optional(z.string().check(z.minLength(1))),
  HOSTED_ZONE_ID: z.optional(z.string().check(z.regex(/^[A-Z0-9]{1,32}$/, "must be a Route 53 hosted zone id"))),
  RECORD_NAME: z.optional(z.string().check(z.minLength(1))),
  /** Pause before the first re-drive (it doubles for each later one, up to 30 minutes). */
  REDRIVE_BACKOFF_SECONDS: z._default(int(0, 3_600), 300),
});
export type MonitorEnv = z.infer<typeof MonitorEnv>;

export const CloseEnv = z.pick(MonitorEnv, { AWS_REGION: true, STATE_TABLE: true });

/** Parses an environment, throwing ConfigurationError that names each bad variable. */
export function readEnv<S extends z.ZodMiniType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigurationError(`invalid environment: ${lines.join("; ")}`);
  }
  return result.data;
}

export function monitorSettings(env: MonitorEnv): MonitorSettings {
  return {
    target: env.WATCHED,
    url: env.PRIMARY_HEALTH_URL,
    drUrl: env.DR_HEALTH_URL,
    probe: { timeoutMs: env.PROBE_TIMEOUT_MS, count: env.PROBES_PER_CHECK, spacingMs: env.PROBE_SPACING_MS },
    policy: {
      failureThreshold: env.FAILURE_THRESHOLD,
      autoFailover: env.AUTO_FAILOVER,
      startLeaseMs: env.START_LEASE_MS,
      label: env.STAGE_LABEL,
      availability: { windowMinutes: env.AVAILABILITY_WINDOW_MINUTES, minPercent: env.MIN_AVAILABILITY_PERCENT },
      noticesPerHour: env.NOTICES_PER_HOUR,
      maxAttempts: env.FAILOVER_ATTEMPTS,
      redriveBackoffMs: env.REDRIVE_BACKOFF_SECONDS * 1000,
    },
  };
}

/** The scheduled event (EventBridge): only its `time` matters, and it may be absent (manual run). */
export const MonitorTick = z.looseObject({ time: z.optional(z.iso.datetime({ offset: true })) });

/** The operator's close action. */
export const CloseIncidentInput = z.object({
  incidentId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,60}$/, "must be an incident id such as primary-20261128T060000Z")),
  closedBy: z.string().check(z.minLength(1, "say who closes it")),
  note: z.optional(z.string().check(z.maxLength(1000))),
});
export type CloseIncidentInput = z.infer<typeof CloseIncidentInput>;
