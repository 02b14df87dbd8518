/**
 * Stage configuration: one typed, validated settings object per SST stage.
 * A stage without its own entry (a personal development stage) gets the defaults.
 * Validation fails with messages that name the field and the rule, so a bad value stops
 * synthesis before anything reaches CloudFormation.
 */
import * as z from "zod";
import { ValidationError } from "../errors";
import { AdoptConfig, regionOfArn } from "./adopt";
import { ApplicationConfig, parseEcrImageUri } from "./application";

export { exampleValues, refuseExampleValues } from "./examples";
export { arnIn, partitionOf } from "./partition";
export { AdoptConfig, bucketNameProblem } from "./adopt";
export { ApplicationConfig, ecrImageUriIn, parseEcrImageUri, refuseSharedRegistryReplication, reservedEnvironment, type EcrImage } from "./application";

const regionPattern = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const Region = z.string().regex(regionPattern, "must be an AWS region name such as eu-west-1");

/** An RFC 1918 /16. 11.0.0.0/8 (the seed's choice) is public address space. */
const PrivateSlash16 = z
  .string()
  .regex(/^\d{1,3}\.\d{1,3}\.0\.0\/16$/, "must be a /16 written as a.b.0.0/16")
  .refine(isPrivateCidr, "must be private address space (RFC 1918: 10/8, 172.16/12, 192.168/16)");

/** EventBridge schedule: rate(N unit) or cron(...). Sub-minute rates do not exist. */
const Schedule = z
  .string()
  .refine((s) => scheduleMinutes(s) !== undefined, "must be rate(N minute|minutes|hour|hours) or cron(...)")
  .refine((s) => (scheduleMinutes(s) ?? 1) >= 1, "must be at least 1 minute apart");

export const DnsConfig = z.object({
  /** Route 53 public hosted zone name, e.g. example.com */
  hostedZoneName: z.string().min(1).regex(/^[a-z0-9.-]+$/, "must be a DNS name"),
  /** Zone id; looked up by name at synth time when absent (needs credentials), so give it. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]+$/, "must be a Route 53 zone id (Z...)"),
  /** The record users resolve, e.g. app.example.com */
  recordName: z.string().min(1),
  ttlSeconds: z.number().int().min(1).max(300).default(60),
});

export const HealthConfig = z.object({
  schedule: Schedule.default("rate(5 minutes)"),
  failureThreshold: z.number().int().min(1).max(10).default(3),
  probeTimeoutSeconds: z.number().min(1).max(30).default(5),
  /** Probes in one check; the check fails when a majority fails. */
  probesPerCheck: z.number().int().min(1).max(5).default(3),
  /** Also probe the DR ALB (reported, never counted toward failover). */
  probeDr: z.boolean().default(false),
  /**
   * false: notify "failover recommended" instead of starting it. Defaults to on when the stage
   * has DNS and off without it: an automatic failover with no DNS to move users promotes the
   * replica and leaves every user on the failed region (and is refused, below).
   */
  autoFailover: z.boolean().optional(),
  /**
   * A primary that is mostly down opens an incident without `failureThreshold` failures in a
   * row: availability (passing checks / checks) over this many minutes below
   * `minAvailabilityPercent`. 60 minutes, so the default schedule's window holds 12 checks and
   * a primary down two checks in four (50 %) is not failed over, one down two in three is.
   */
  availabilityWindowMinutes: z.number().int().min(10).max(360).default(60),
  /** 0 turns the availability rule off. */
  minAvailabilityPercent: z.number().int().min(0).max(99).default(50),
  /** "primary degraded" and "recovered" messages at most this many per rolling hour. */
  notificationsPerHour: z.number().int().min(1).max(12).default(2),
  /** Executions the monitor starts per incident: the first and its re-drives after a refusal. */
  failoverAttempts: z.number().int().min(1).max(10).default(4),
}).refine((h) => h.minAvailabilityPercent === 0 || h.availabilityWindowMinutes >= (h.failureThreshold + 1) * (scheduleMinutes(h.schedule) ?? 1), {
  path: ["availabilityWindowMinutes"],
  message: "must span more than failureThreshold scheduled checks (failureThreshold + 1 schedule intervals)",
});

export const SizesConfig = z.object({
  dbInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS class such as db.t4g.small").default("db.t4g.small"),
  dbAllocatedStorageGiB: z.number().int().min(20).max(16384).default(20),
  taskCpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]).default(256),
  taskMemoryMiB: z.number().int().min(512).max(30720).default(512),
}).refine((s) => fargateMemoryChoices(s.taskCpu).includes(s.taskMemoryMiB), {
  path: ["taskMemoryMiB"],
  message: "must be a memory size Fargate offers for taskCpu (256: 512, 1024, 2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; in steps of 1024 above 1024)",
});

/** The task memory sizes (MiB) Fargate accepts with a task CPU size (ECS developer guide, "Task CPU and memory"). */
export function fargateMemoryChoices(cpu: number): number[] {
  const range = (from: number, to: number) => Array.from({ length: (to - from) / 1024 + 1 }, (_, i) => from + i * 1024);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096);
    case 1024:
      return range(2048, 8192);
    case 2048:
      return range(4096, 16384);
    case 4096:
      return range(8192, 30720);
    default:
      return [];
  }
}

export const StageSettings = z
  .object({
    primaryRegion: Region.default("eu-west-1"),
    drRegion: Region.default("eu-central-1"),
    primaryCidr: PrivateSlash16.default("10.0.0.0/16"),
    drCidr: PrivateSlash16.default("10.1.0.0/16"),
    alertEmails: z.array(z.email("must be an e-mail address")).default([]),
    dns: DnsConfig.optional(),
    health: HealthConfig.default(HealthConfig.parse({})),
    /** How often the scheduled readiness evaluation runs (docs/runbook.md, "Readiness"). */
    readinessSchedule: Schedule.default("rate(30 minutes)"),
    /** Replica lag above this blocks a failover unless the operator acknowledges it. */
    rpoBudgetSeconds: z.number().int().min(1).max(86_400).default(60),
    /**
     * Recovery time objective: outage start → DR serving healthy traffic. Every report judges
     * a run against it; nothing waits for it. Default: the seed's "RTO 5-10 minutes", upper end.
     */
    rtoTargetSeconds: z.number().int().min(60).max(86_400).default(600),
    primaryTaskCount: z.number().int().min(1).max(100).default(2),
    /** DR service size after a failover or during a drill. */
    drTaskCount: z.number().int().min(1).max(100).default(2),
    /** DR service size in pilot-light mode. */
    drPilotTaskCount: z.number().int().min(0).max(100).default(0),
    sizes: SizesConfig.default(SizesConfig.parse({})),
    /** The application: image, port, health path, environment and secrets (./application.ts). */
    application: ApplicationConfig.default(ApplicationConfig.parse({})),
    /**
     * The primary region's existing resources, when the stage adopts a primary the team already
     * runs instead of creating one (./adopt.ts; docs/adopt.md).
     */
    adopt: AdoptConfig.optional(),
    /**
     * Which region serves users. Flip to "dr" after a failover so that a later deploy keeps
     * the DR service scaled up and the promoted database alone (see docs/deploy.md).
     */
    activeRegion: z.enum(["primary", "dr"]).default("primary"),
    /** Development stages: no deletion protection, resources destroyed with the stage. */
    isDevelopment: z.boolean().default(true),
  })
  .strict()
  .refine((s) => s.primaryRegion !== s.drRegion, { path: ["drRegion"], message: "must differ from primaryRegion" })
  .refine((s) => !("uri" in s.application.image) || parseEcrImageUri(s.application.image.uri)?.region === s.primaryRegion, {
    path: ["application", "image", "uri"],
    message: "must be in the primary region's registry (primaryRegion): pilot-light replicates it to the DR region's registry, so a failover never pulls from the failed region",
  })
  .refine((s) => s.adopt === undefined || regionOfArn(s.adopt.loadBalancer.arn) === s.primaryRegion, {
    path: ["adopt", "loadBalancer", "arn"],
    message: "must be in the primary region (primaryRegion): the adopted resources are the primary's",
  })
  .refine((s) => s.adopt === undefined || s.adopt.vpc.availabilityZones.every((z) => z.startsWith(s.primaryRegion)), {
    path: ["adopt", "vpc", "availabilityZones"],
    message: "must be zones of the primary region (primaryRegion)",
  })
  .refine((s) => s.adopt === undefined || s.adopt.database.endpoint.endsWith(`.${s.primaryRegion}.rds.amazonaws.com`), {
    path: ["adopt", "database", "endpoint"],
    message: "must be an endpoint in the primary region (primaryRegion)",
  })
  .refine((s) => s.primaryCidr !== s.drCidr, { path: ["drCidr"], message: "must not overlap primaryCidr" })
  .refine((s) => s.drPilotTaskCount < s.drTaskCount, {
    path: ["drPilotTaskCount"],
    message: "must be below drTaskCount",
  })
  .refine((s) => !(s.health.autoFailover === true && s.dns === undefined), {
    path: ["health", "autoFailover"],
    message:
      "needs dns: without Route 53 records an automatic failover promotes the replica and moves no user to the DR region; add the stage's dns settings, or set health.autoFailover to false (the monitor then only recommends)",
  })
  .refine((s) => !(s.health.autoFailover ?? s.dns !== undefined) || outlastsMultiAzFailover(s.health), {
    path: ["health", "failureThreshold"],
    message: `with automatic failover, failureThreshold - 1 schedule intervals must outlast an in-region Multi-AZ failover (RDS documents 60-120 s) and a check's probe timeout: ${"`"}rate(1 minute)${"`"} needs at least 4; otherwise Route 53's checkers see the same 503s, confirm, and the failover is regional. Raise failureThreshold or the interval, or set health.autoFailover to false`,
  })
  .transform((s) => ({ ...s, health: { ...s.health, autoFailover: s.health.autoFailover ?? s.dns !== undefined } }));

/** The longest in-region Multi-AZ failover RDS documents ("typically 60-120 seconds"). */
export const multiAzFailoverSeconds = 120;

/**
 * Whether `failureThreshold` failed checks in a row cannot all fall inside one in-region
 * Multi-AZ failover: an outage of D seconds can fail k consecutive checks I seconds apart only
 * when (k - 1) x I <= D (plus the time a check takes, its probe timeout).
 */
export function outlastsMultiAzFailover(h: { schedule: string; failureThreshold: number; probeTimeoutSeconds: number }): boolean {
  const intervalSeconds = (scheduleMinutes(h.schedule) ?? 1) * 60;
  return (h.failureThreshold - 1) * intervalSeconds > multiAzFailoverSeconds + h.probeTimeoutSeconds;
}

export type StageSettings = z.infer<typeof StageSettings>;
export type StageSettingsInput = z.input<typeof StageSettings>;

export interface StageConfig extends StageSettings {
  stage: string;
  app: string;
}

/**
 * Resolves a stage's settings: its own entry merged over the defaults, validated.
 * Stages named in `productionStages` are never development stages.
 */
export function resolveStageConfig(
  stage: string,
  perStage: Record<string, StageSettingsInput>,
  app = "pilot-light",
): StageConfig {
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) {
    throw new ValidationError(`stage "${stage}": name must be 1-21 lowercase letters, digits or dashes, starting with a letter`);
  }
  const result = StageSettings.safeParse(perStage[stage] ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ValidationError(`stage "${stage}" has invalid settings:\n${lines.join("\n")}`);
  }
  return { ...result.data, stage, app };
}

/** Minutes between runs of an EventBridge schedule; cron counts as 1 (its minimum). */
export function scheduleMinutes(schedule: string): number | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? "";
    if (n === 1 && unit.endsWith("s")) return undefined;
    if (n !== 1 && !unit.endsWith("s")) return undefined;
    const factor = unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440;
    return n * factor;
  }
  if (/^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/.test(schedule)) return 1;
  return undefined;
}

export function isPrivateCidr(cidr: string): boolean {
  const [a, b] = cidr.split(".").map(Number);
  if (a === undefined || b === undefined || a > 255 || b > 255) return false;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * The names both regions' stacks and the orchestrator use. pilot-light's own resources have
 * deterministic names; an adopted primary's come from the stage's `adopt` settings, so no
 * workflow assumes pilot-light named them.
 */
export function resourceNames(config: Pick<StageConfig, "app" | "stage"> & { adopt?: AdoptConfig | undefined }) {
  const prefix = `${config.app}-${config.stage}`;
  const adopted = config.adopt;
  return {
    prefix,
    primaryDb: adopted?.database.instanceIdentifier ?? `${prefix}-primary`,
    /** The primary database's own DB parameter group: the failover's fence sets read_only in it. */
    primaryParameterGroup: adopted?.database.parameterGroup ?? `${prefix}-primary`,
    replicaDb: `${prefix}-replica`,
    /** The DR replica's own DB parameter group: the switchback's seal sets read_only in it. */
    replicaParameterGroup: `${prefix}-replica`,
    /** The DR region's cluster and service (pilot-light's in both regions unless the primary is adopted). */
    cluster: `${prefix}`,
    service: `${prefix}-web`,
    primaryCluster: adopted?.service.clusterName ?? prefix,
    primaryService: adopted?.service.serviceName ?? `${prefix}-web`,
    /** The database credentials' secret (replicated to the DR region under the same name). */
    secretName: adopted?.database.secretName ?? `${prefix}/db-credentials`,
    stateTable: `${prefix}-state`,
    stateMachine: `${prefix}-failover`,
    topic: `${prefix}-alerts`,
    ssmPrefix: `/${config.app}/${config.stage}`,
    /**
     * The IAM path of every role the stage's stacks create (stacks/role-path.ts): a grant on the
     * stage's roles names `role/<path>*`, never a name prefix, since CloudFormation cuts the stack
     * name out of a generated role name past IAM's 64 characters (docs/aws-behaviour.md).
     */
    rolePath: `/${config.app}/${config.stage}/`,
    repository: `${prefix}-web`,
    /** The DR family of an adopting stage's task definitions mirrored from the team's (Adoption.mirrorTeamTaskDefinition). */
    mirrorFamily: `${prefix}-web-mirror`,
    /** The role pilot-light's replication rule runs as on an adopted primary's bucket that has no role of its own. */
    adoptedReplicationRole: `${prefix}-s3-replication`,
  };
}

/** Each region's buckets (stacks/Storage.ts): deterministic, so the primary names its replication destination without a cross-region reference. */
export function bucketNames(stage: string, region: string, account: string) {
  return {
    data: `pl-${stage}-data-${region}-${account}`,
    logs: `pl-${stage}-logs-${region}-${account}`,
  };
}

/**
 * The name that reaches one region's ALB directly, under the stage's record:
 * `eu-west-1.app.example.com`. The health checks probe it over HTTPS (the certificate covers
 * it), and it stays this region's whatever the failover record answers.
 */
export function regionalHost(dns: { recordName: string }, region: string): string {
  return `${region}.${dns.recordName.replace(/\.$/, "")}`;
}

/**
 * The URL that answers the stage's health contract (docs/health-contract.md) at an origin
 * (`https://eu-west-1.app.example.com`): what the monitor, the failover and the failback probe.
 */
export function healthUrl(config: { application: { healthPath: string } }, origin: string): string {
  return `${origin}${config.application.healthPath}`;
}

/** The DR region's SSM parameter with the id of Route 53's health check on the primary (written by the Dns stack). */
export function primaryHealthCheckParameter(names: { ssmPrefix: string }): string {
  return `${names.ssmPrefix}/dr/primary-health-check-id`;
}

/**
 * The DR region's SSM parameters with its load balancer's address, written by the Dns stack: the
 * adoption plan's SECONDARY record points there, `pnpm deploy:all` reads them to state that plan
 * (docs/adopt.md), and `pnpm dr point-users --to <DR region>` to pin users there.
 */
export function drAddressParameters(names: { ssmPrefix: string }) {
  return { albDns: `${names.ssmPrefix}/dr/alb-dns`, albZone: `${names.ssmPrefix}/dr/alb-zone` };
}

export type RegionRole = "primary" | "dr";

/**
 * The SSM parameters (same names in both regions' SSM) with the primary load balancer's address:
 * the DR region's copy, written by the primary's Compute, lets the DR stacks deploy while the
 * primary region is down; the primary region's own copy (stages with DNS) lets `pnpm dr
 * point-users` send users there while the DR region is down.
 */
export function primaryAddressParameters(names: { ssmPrefix: string }) {
  return { albDns: `${names.ssmPrefix}/primary/alb-dns`, albZone: `${names.ssmPrefix}/primary/alb-zone` };
}

/**
 * What `pnpm dr point-users --to <region>` reads in that region's own SSM, so the other region
 * may be down (stages with DNS): its load balancer's address. The health check the PRIMARY record
 * carries when it points at the primary is found through Route 53 (global); pointing at the DR
 * region pins, as the failover does: no check.
 */
export function pointUsersParameters(names: { ssmPrefix: string }, role: RegionRole): { albDns: string; albZone: string } {
  return role === "primary" ? primaryAddressParameters(names) : drAddressParameters(names);
}


/** Which side of the pair a region plays for this stage; any other region is a mistake. */
export function regionRole(config: Pick<StageConfig, "stage" | "primaryRegion" | "drRegion">, region: string): RegionRole {
  if (region === config.primaryRegion) return "primary";
  if (region === config.drRegion) return "dr";
  throw new ValidationError(
    `stage "${config.stage}" deploys to ${config.primaryRegion} (primary) and ${config.drRegion} (DR), not ${region}: pass --region ${config.primaryRegion} or --region ${config.drRegion}`,
  );
}

export * from "./replacing";
