/**
 * The application a stage protects: its image (a Dockerfile folder built at deploy, or a
 * prebuilt image in the primary region's ECR that the DR region runs from its own registry),
 * the port its container listens on, the path that answers the health contract
 * (docs/health-contract.md), its environment and secrets. Defaults: packages/web-app as today.
 */
import * as z from "zod";
import { ValidationError } from "../errors";

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Set by pilot-light from its own database and region: a stage cannot set them again. */
export const reservedEnvironment = ["DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "APP_REGION"] as const;

/**
 * `<account>.dkr.ecr.<region>.amazonaws.com/<repository>(:<tag>|@sha256:<digest>)`. Repository
 * names as ECR accepts them (lowercase, `/`-separated parts); a tag or a digest is required,
 * so a deploy never runs whatever `latest` happens to be.
 */
const ecrUriPattern =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127})|@(sha256:[a-f0-9]{64}))$/;

export interface EcrImage {
  account: string;
  region: string;
  repository: string;
  /** A tag, or `sha256:<digest>`. */
  tagOrDigest: string;
}

/** The parts of an ECR image URI, or undefined when it is not one. */
export function parseEcrImageUri(uri: string): EcrImage | undefined {
  const m = ecrUriPattern.exec(uri);
  if (!m) return undefined;
  return { account: m[1]!, region: m[2]!, repository: m[3]!, tagOrDigest: m[4] ?? m[5]! };
}

/** The same image in another region's registry of the same account (where replication puts it). */
export function ecrImageUriIn(image: EcrImage, region: string): string {
  const ref = image.tagOrDigest.startsWith("sha256:") ? `@${image.tagOrDigest}` : `:${image.tagOrDigest}`;
  return `${image.account}.dkr.ecr.${region}.amazonaws.com/${image.repository}${ref}`;
}

const BuildImage = z
  .object({
    /** A folder with a Dockerfile, relative to the repository's root; built for linux/amd64 at deploy. */
    directory: z.string().min(1).refine((d) => !d.startsWith("/") && !d.split("/").includes(".."), "must be a folder inside the repository, written relative to its root"),
  })
  .strict();

const PrebuiltImage = z
  .object({
    /** A prebuilt image in the primary region's ECR, with a tag or a digest. */
    uri: z.string().refine((u) => parseEcrImageUri(u) !== undefined, "must be an ECR image URI with a tag or digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> (or @sha256:<digest>)"),
    /**
     * true: the primary region's stack sets the registry's replication configuration (one rule:
     * this repository to the DR region). ECR keeps one configuration per registry and
     * CloudFormation's resource replaces it whole: set false when your registry already
     * replicates (add a rule for the DR region yourself; `pnpm dr readiness` checks the image is there).
     */
    replicate: z.boolean().default(true),
  })
  .strict();

/** Secrets Manager secret (same name in both regions: a replica secret) and, for a JSON secret, one key. */
const SecretRef = z
  .object({
    secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "must be a Secrets Manager secret name (letters, digits, /_+=.@-)"),
    jsonKey: z.string().min(1).optional(),
  })
  .strict();

export const ApplicationConfig = z
  .object({
    image: z.union([BuildImage, PrebuiltImage], { error: "must be { directory } (a Dockerfile folder) or { uri } (a prebuilt ECR image)" }).default({ directory: "packages/web-app" }),
    /** The port the container listens on; the load balancer's target group sends to it. */
    containerPort: z.number().int().min(1).max(65535).default(80),
    /** Answers the health contract (docs/health-contract.md): the monitor, Route 53, the ALB and the failover's checks ask it. */
    healthPath: z
      .string()
      .max(255, "must be at most 255 characters (Route 53's limit)")
      .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/, "must be a URL path starting with / (an optional ?query, no spaces or #fragment)")
      .default("/health.php"),
    /** Plain settings for the container (not secrets: they show in the task definition). */
    environment: z.record(z.string(), z.string().max(4096)).default({}),
    /** Environment variables read from Secrets Manager when a task starts. */
    secrets: z.record(z.string(), SecretRef).default({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    for (const [where, names] of [["environment", Object.keys(a.environment)], ["secrets", Object.keys(a.secrets)]] as const) {
      for (const name of names) {
        if (!envName.test(name)) ctx.addIssue({ code: "custom", path: [where, name], message: "must be an environment variable name (letters, digits, _; not starting with a digit)" });
        if ((reservedEnvironment as readonly string[]).includes(name)) {
          ctx.addIssue({ code: "custom", path: [where, name], message: `is set by pilot-light (${reservedEnvironment.join(", ")}: the database it replicates and the region); choose another name` });
        }
      }
    }
    for (const name of Object.keys(a.secrets)) {
      if (name in a.environment) ctx.addIssue({ code: "custom", path: ["secrets", name], message: "is also in environment: give each variable one source" });
    }
  });

export type ApplicationConfig = z.infer<typeof ApplicationConfig>;

/**
 * The registry whose replication configuration a stage's deploy sets (a prebuilt image with
 * `replicate` on), as "<account> <region>"; undefined for a stage that sets none.
 */
function replicatedRegistry(settings: { application?: { image?: { uri?: string; replicate?: boolean } | { directory?: string } } }): string | undefined {
  const image = settings.application?.image;
  if (!image || !("uri" in image) || !image.uri || image.replicate === false) return undefined;
  const parsed = parseEcrImageUri(image.uri);
  return parsed ? `${parsed.account} ${parsed.region}` : undefined;
}

/**
 * Refuses a stage that would replace another stage's registry replication configuration:
 * `AWS::ECR::ReplicationConfiguration` is one per registry (account and region) and each deploy
 * writes it whole, so two stages replicating from one registry undo each other's rule and the
 * DR region stops receiving one stage's pushes. Judged over the stages of stacks/stages.ts.
 */
export function refuseSharedRegistryReplication(stage: string, perStage: Record<string, unknown>): void {
  const registry = replicatedRegistry((perStage[stage] ?? {}) as Parameters<typeof replicatedRegistry>[0]);
  if (!registry) return;
  const others = Object.entries(perStage).filter(([name, settings]) => name !== stage && replicatedRegistry(settings as Parameters<typeof replicatedRegistry>[0]) === registry).map(([name]) => name);
  if (others.length === 0) return;
  const [account, region] = registry.split(" ");
  throw new ValidationError(
    `stage "${stage}" and ${others.map((o) => `"${o}"`).join(", ")} both set the replication configuration of registry ${account} in ${region} (application.image.replicate): ECR keeps one per registry and each deploy replaces it whole, so the last deploy would stop the other stage's images reaching its DR region. Keep replicate on one stage, set application.image.replicate: false on the others and add their repositories to that registry's rules yourself (docs/deploy.md, "Your own application"); pnpm dr readiness checks each stage's rule.`,
  );
}
