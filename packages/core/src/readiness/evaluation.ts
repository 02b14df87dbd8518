/**
 * The scheduled readiness evaluation (packages/functions/src/evaluate-readiness.ts, every
 * `readinessSchedule`, DR region): reads and judges as `pnpm dr readiness` does, then keeps the
 * result under READINESS#last in the state table, where `pnpm dr status` shows it with what to
 * do. One item, overwritten by each evaluation: idempotent, and it never grows.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { ConfigurationError } from "../errors";
import { keys, partitionKey } from "../state";
import { judgeReadiness, type Finding, type Readiness } from "./index";
import { observeReadiness, registryImage, type ReadinessClients, type ReadinessTarget } from "./observe";
import { observePermissions, type PermissionTarget, type StepCatalogue } from "./permissions";

export interface Evaluation extends Readiness {
  stage: string;
  checkedAt: string;
}

/** The evaluation function's environment (set by the Operations stack). */
const EvaluationEnvironment = z.object({
  APP: z.string().min(1),
  STAGE: z.string().min(1),
  PRIMARY_REGION: z.string().min(1),
  DR_REGION: z.string().min(1),
  HAS_DNS: z.enum(["true", "false"]),
  DR_TASK_COUNT: z.coerce.number().int().min(1),
  TASK_CPU: z.coerce.number().int().min(256),
  TABLE_NAME: z.string().min(1),
  /** The stage's account: the alert topics' ARNs name it. */
  ACCOUNT: z.string().regex(/^\d{12}$/),
  /** A prebuilt image's URI (its registry's replication is judged); absent for a Dockerfile build. */
  IMAGE_URI: z.string().optional(),
  /** An adopted primary database's identifier (the stage's adopt.database.instanceIdentifier); absent: pilot-light's own. */
  PRIMARY_DB: z.string().min(1).optional(),
  /** The stage's partition (the step roles' and resources' ARNs name it). */
  PARTITION: z.string().min(1).default("aws"),
  /** Stages with DNS: the zone and record the DNS steps' grants name. */
  HOSTED_ZONE_ID: z.string().min(1).optional(),
  RECORD_NAME: z.string().min(1).optional(),
  /** The stage's health path (application.healthPath): the serving region's must answer the health contract. */
  HEALTH_PATH: z.string().startsWith("/"),
  /** By region, the URL the monitor and the verify steps probe the health path at (JSON; stages with DNS: each region's own name). */
  HEALTH_URLS: z
    .string()
    .default("{}")
    .transform((v, ctx) => {
      const parsed = z.record(z.string(), z.url()).safeParse(JSON.parse(v));
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        return z.NEVER;
      }
      return parsed.data;
    }),
  /** An adopting stage: the team's names the steps' grants name (PermissionTarget["adopted"], as JSON). */
  ADOPTED_NAMES: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const parsed = AdoptedNames.safeParse(JSON.parse(v));
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        return z.NEVER;
      }
      return parsed.data;
    }),
});

const AdoptedNames = z.object({
  primaryDb: z.string().min(1),
  primaryParameterGroup: z.string().min(1),
  primaryCluster: z.string().min(1),
  primaryService: z.string().min(1),
  secretName: z.string().min(1),
  bucket: z.string().min(1),
});

export interface EvaluationSettings {
  target: ReadinessTarget;
  /** What the steps' permission catalogue is bound to. */
  permissions: PermissionTarget;
  partition: string;
  tableName: string;
  account: string;
}

export function readEvaluationSettings(env: Record<string, string | undefined>): EvaluationSettings {
  const parsed = EvaluationEnvironment.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(`readiness evaluation settings: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const e = parsed.data;
  const image = e.IMAGE_URI ? registryImage(e.IMAGE_URI) : undefined;
  if (e.IMAGE_URI && !image) throw new ConfigurationError(`readiness evaluation settings: IMAGE_URI ${e.IMAGE_URI} is not an ECR image URI`);
  if ((e.HAS_DNS === "true") !== (e.HOSTED_ZONE_ID !== undefined && e.RECORD_NAME !== undefined)) {
    throw new ConfigurationError("readiness evaluation settings: HOSTED_ZONE_ID and RECORD_NAME are set exactly when HAS_DNS is true");
  }
  return {
    target: {
      app: e.APP,
      stage: e.STAGE,
      primaryRegion: e.PRIMARY_REGION,
      drRegion: e.DR_REGION,
      hasDns: e.HAS_DNS === "true",
      drTaskCount: e.DR_TASK_COUNT,
      taskCpu: e.TASK_CPU,
      ...(image ? { image } : {}),
      ...(e.PRIMARY_DB ? { primaryDb: e.PRIMARY_DB } : {}),
      ...(e.HOSTED_ZONE_ID && e.RECORD_NAME ? { record: { hostedZoneId: e.HOSTED_ZONE_ID, recordName: e.RECORD_NAME } } : {}),
      ...(e.ADOPTED_NAMES ? { secretName: e.ADOPTED_NAMES.secretName, teamService: { cluster: e.ADOPTED_NAMES.primaryCluster, service: e.ADOPTED_NAMES.primaryService } } : {}),
      health: { path: e.HEALTH_PATH, urls: e.HEALTH_URLS },
    },
    permissions: {
      app: e.APP,
      stage: e.STAGE,
      primaryRegion: e.PRIMARY_REGION,
      drRegion: e.DR_REGION,
      ...(e.HOSTED_ZONE_ID && e.RECORD_NAME ? { dns: { hostedZoneId: e.HOSTED_ZONE_ID, recordName: e.RECORD_NAME } } : {}),
      ...(e.ADOPTED_NAMES ? { adopted: e.ADOPTED_NAMES } : {}),
    },
    partition: e.PARTITION,
    tableName: e.TABLE_NAME,
    account: e.ACCOUNT,
  };
}

/**
 * Reads the account and judges it; with `permissions`, each failover and failback step's deployed
 * role is simulated against the catalogue too (a read that fails is that check's finding).
 */
export async function evaluateReadiness(
  clients: ReadinessClients,
  target: ReadinessTarget,
  account: string,
  now: () => Date,
  permissions?: { target: PermissionTarget; catalogue: StepCatalogue; partition: string },
): Promise<Evaluation> {
  const [observation, simulated] = await Promise.all([
    observeReadiness(clients, target, account),
    permissions
      ? observePermissions({ cfn: clients.cfn, sns: clients.sns[target.drRegion]!, iam: clients.iam }, permissions.target, account, permissions.catalogue, permissions.partition).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        )
      : undefined,
  ]);
  const at = now();
  return { stage: target.stage, checkedAt: at.toISOString(), ...judgeReadiness(simulated ? { ...observation, permissions: simulated } : observation, at) };
}

/** What READINESS#last holds: the time, the verdict, and only the failing findings (each with what to do). */
export interface StoredEvaluation {
  checkedAt: string;
  ready: boolean;
  checks: number;
  failing: Finding[];
}

export async function recordEvaluation(db: DynamoDBDocumentClient, tableName: string, e: Evaluation): Promise<StoredEvaluation> {
  const stored: StoredEvaluation = { checkedAt: e.checkedAt, ready: e.ready, checks: e.findings.length, failing: e.findings.filter((f) => !f.ok) };
  await db.send(new PutCommand({ TableName: tableName, Item: { [partitionKey]: keys.readiness(), ...stored } }));
  return stored;
}

/** The last evaluation, or null when none ran yet. */
export async function loadEvaluation(db: DynamoDBDocumentClient, tableName: string): Promise<StoredEvaluation | null> {
  const item = (await db.send(new GetCommand({ TableName: tableName, Key: { [partitionKey]: keys.readiness() } }))).Item;
  if (!item) return null;
  return { checkedAt: String(item.checkedAt), ready: item.ready === true, checks: Number(item.checks ?? 0), failing: (item.failing ?? []) as Finding[] };
}
