/**
 * The DR task definition of an adopting stage, mirrored from the one the team's service runs
 * (docs/adopt.md, "The DR task definition follows yours"). Scheduled in the DR region before any
 * outage, since the primary region is down when a failover needs it: read the team's service and
 * its task definition in the primary region, register the same containers in the DR region (image
 * from the DR registry's replica, the DR log group, roles, secrets' replicas and the replica's
 * endpoint) and set the DR service to it, so the failover's ScaleDrService starts what the team
 * runs. Idempotent: a revision carrying the same fingerprint is reused, found by what ECS shows
 * (a lost RegisterTaskDefinition answer is not registered twice), and the DR service is updated
 * only while it idles at its pilot count (never while it serves). Old revisions of the mirror's
 * family are deregistered beyond the newest few, never one the DR service runs or deploys; a
 * failure there is reported in the result, never fails the pass.
 */
import { createHash } from "node:crypto";
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import * as z from "zod";
import { latestRevision } from "../compute";
import { callAws, ConfigurationError, TerminalError } from "../errors";

/** The team's task definition cannot run as the DR service: what differs and what to do. */
export class MirrorRefusedError extends TerminalError {
  override readonly name = "MirrorRefusedError";
}

/** Docker labels on the mirrored container: the team's definition it copies, and the fingerprint of the copy. */
export const mirrorLabels = { source: "pilot-light.mirror-of", fingerprint: "pilot-light.mirror-fingerprint" } as const;

export interface LoadBalancerTarget {
  containerName: string;
  containerPort: number;
}

export interface MirrorTarget {
  /** The DR family the mirrored revisions are registered in (never CloudFormation's). */
  family: string;
  primaryRegion: string;
  drRegion: string;
  /** The team's database endpoint and the DR replica's: an environment value naming the first names the second in DR. */
  endpoints: { primary: string; dr: string };
}

const ecrIn = (region: string) => new RegExp(`^(\\d{12})\\.dkr\\.ecr\\.${region.replace(/-/g, "\\-")}\\.amazonaws\\.com/`);
const inDr = (t: MirrorTarget, arn: string | undefined) => arn?.replace(new RegExp(`^(arn:aws[a-z-]*:(secretsmanager|ssm|kms):)${t.primaryRegion}:`), `$1${t.drRegion}:`);

/**
 * The DR revision for the team's definition (pure): the team's containers and task size; the DR
 * definition's roles and log group; an image from the primary region's ECR read from the DR
 * registry's replica (other registries are left as they are); secrets' ARNs in the DR region
 * (replicated secrets keep their ARN but the region); environment values naming the primary's
 * database endpoint or region name the replica's and the DR region; the container the team's
 * load balancer sends to renamed to the one the DR service's sends to.
 */
export function mirrorTaskDefinition(team: TaskDefinition, teamTarget: LoadBalancerTarget, dr: TaskDefinition, drTarget: LoadBalancerTarget, t: MirrorTarget): RegisterTaskDefinitionCommandInput {
  const containers = team.containerDefinitions ?? [];
  const served = containers.find((c) => c.name === teamTarget.containerName);
  if (!served) throw new MirrorRefusedError(`your task definition ${team.taskDefinitionArn} has no container ${teamTarget.containerName}, the one your service's load balancer sends to`);
  const ports = (served.portMappings ?? []).map((p) => p.containerPort);
  if (!ports.includes(drTarget.containerPort))
    throw new MirrorRefusedError(
      `your container ${teamTarget.containerName} listens on ${ports.join(", ") || "no port"}; the DR service's load balancer sends to ${drTarget.containerPort}: set the stage's application.containerPort to ${ports[0] ?? teamTarget.containerPort} and deploy`,
    );
  if (team.networkMode !== "awsvpc")
    throw new MirrorRefusedError(`your task definition ${team.taskDefinitionArn} uses network mode ${team.networkMode ?? "bridge"}; the DR service runs on Fargate, which needs awsvpc`);
  const drLogGroup = dr.containerDefinitions?.find((c) => c.name === drTarget.containerName)?.logConfiguration?.options?.["awslogs-group"];
  const mirrorContainer = (c: ContainerDefinition): ContainerDefinition => {
    const { dockerLabels, ...rest } = c;
    const labels = Object.fromEntries(Object.entries(dockerLabels ?? {}).filter(([k]) => k !== mirrorLabels.source && k !== mirrorLabels.fingerprint));
    return {
      ...rest,
      name: c.name === teamTarget.containerName ? drTarget.containerName : c.name,
      image: c.image?.replace(ecrIn(t.primaryRegion), `$1.dkr.ecr.${t.drRegion}.amazonaws.com/`),
      environment: c.environment?.map((e) => ({ ...e, value: e.value === t.endpoints.primary ? t.endpoints.dr : e.value === t.primaryRegion ? t.drRegion : e.value })),
      secrets: c.secrets?.map((s) => ({ ...s, valueFrom: inDr(t, s.valueFrom) })),
      ...(c.logConfiguration?.logDriver === "awslogs"
        ? {
            logConfiguration: {
              ...c.logConfiguration,
              options: { ...c.logConfiguration.options, "awslogs-region": t.drRegion, ...(drLogGroup ? { "awslogs-group": drLogGroup } : {}) },
            },
          }
        : {}),
      ...(Object.keys(labels).length > 0 ? { dockerLabels: labels } : {}),
    };
  };
  const input: RegisterTaskDefinitionCommandInput = {
    family: t.family,
    containerDefinitions: containers.map(mirrorContainer),
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    ...(team.cpu ? { cpu: team.cpu } : {}),
    ...(team.memory ? { memory: team.memory } : {}),
    ...(team.runtimePlatform ? { runtimePlatform: team.runtimePlatform } : {}),
    ...(dr.executionRoleArn ? { executionRoleArn: dr.executionRoleArn } : {}),
    ...(dr.taskRoleArn ? { taskRoleArn: dr.taskRoleArn } : {}),
  };
  const fingerprint = createHash("sha256").update(JSON.stringify(input)).digest("hex").slice(0, 16);
  return {
    ...input,
    containerDefinitions: input.containerDefinitions!.map((c) =>
      c.name === drTarget.containerName ? { ...c, dockerLabels: { ...c.dockerLabels, [mirrorLabels.source]: team.taskDefinitionArn ?? "", [mirrorLabels.fingerprint]: fingerprint } } : c,
    ),
  };
}

const fingerprintOf = (d: { containerDefinitions?: ContainerDefinition[] | undefined } | undefined) =>
  d?.containerDefinitions?.map((c) => c.dockerLabels?.[mirrorLabels.fingerprint]).find((f) => f !== undefined);

export interface ServiceRef {
  cluster: string;
  service: string;
}

export interface MirrorResult {
  /** The team's task definition read in the primary region. */
  teamTaskDefinition: string;
  /** The DR revision that mirrors it. */
  drTaskDefinition: string;
  registered: boolean;
  /** The DR service runs it (false: it was serving, so it was left alone this time). */
  drServiceRuns: boolean;
  /** Old revisions of the family made INACTIVE this pass, and why the rest could not be (null: none failed). */
  retired: { deregistered: string[]; failed: string | null };
  at: string;
}

/** How many ACTIVE revisions of the mirror's family a pass keeps (the newest), beside any the DR service runs or deploys. */
export const keptMirrorRevisions = 3;

const revisionOf = (arn: string) => Number(arn.slice(arn.lastIndexOf(":") + 1));
const familyOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1, arn.lastIndexOf(":"));

/**
 * The family's ACTIVE revisions to deregister (pure): all but the newest `keep`, never one in
 * `inUse` (the DR service's current and deploying revisions: ECS lets a service keep running and
 * scaling an INACTIVE one, but never be set to it again). Other families a prefix also matches are left.
 */
export function revisionsToRetire(active: readonly string[], family: string, keep: number, inUse: readonly string[]): string[] {
  return active
    .filter((arn) => familyOf(arn) === family)
    .sort((a, b) => revisionOf(b) - revisionOf(a))
    .slice(keep)
    .filter((arn) => !inUse.includes(arn));
}

/** Deregisters what revisionsToRetire names, from ListTaskDefinitions (ACTIVE) now; a refusal is returned, not thrown. */
async function retireOldRevisions(ecs: ECSClient, family: string, inUse: readonly string[]): Promise<MirrorResult["retired"]> {
  const deregistered: string[] = [];
  try {
    const active: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await callAws("ecs:ListTaskDefinitions", () => ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE", ...(nextToken ? { nextToken } : {}) })));
      active.push(...(page.taskDefinitionArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const arn of revisionsToRetire(active, family, keptMirrorRevisions, inUse)) {
      await callAws("ecs:DeregisterTaskDefinition", () => ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })));
      deregistered.push(arn);
    }
    return { deregistered, failed: null };
  } catch (error) {
    return { deregistered, failed: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

async function describeService(ecs: ECSClient, ref: ServiceRef, where: string) {
  const out = await callAws("ecs:DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] })));
  const svc = out.services?.[0];
  const lb = svc?.loadBalancers?.[0];
  if (!svc?.taskDefinition || !lb?.containerName || lb.containerPort === undefined)
    throw new MirrorRefusedError(`${where} service ${ref.service} in cluster ${ref.cluster} was not found, or sends no load balancer traffic to a container`);
  const deploying = (svc.deployments ?? []).flatMap((d) => (d.taskDefinition ? [d.taskDefinition] : []));
  return { taskDefinition: svc.taskDefinition, deploying, desired: svc.desiredCount ?? 0, target: { containerName: lb.containerName, containerPort: lb.containerPort } };
}

async function describeDefinition(ecs: ECSClient, ref: string): Promise<TaskDefinition> {
  const out = await callAws("ecs:DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref })));
  return out.taskDefinition ?? {};
}

/**
 * One mirror pass (./mirror.ts's role, above): `primary` is the primary region's ECS client (bounded:
 * an outage fails the pass, the DR service keeps the last mirror), `dr` the DR region's.
 */
export async function mirrorTeamTaskDefinition(
  clients: { primary: ECSClient; dr: ECSClient },
  refs: { team: ServiceRef; dr: ServiceRef; pilotCount: number },
  target: MirrorTarget,
  now: Date,
): Promise<MirrorResult> {
  const team = await describeService(clients.primary, refs.team, "your");
  const teamDefinition = await describeDefinition(clients.primary, team.taskDefinition);
  const dr = await describeService(clients.dr, refs.dr, "the DR");
  const drDefinition = await describeDefinition(clients.dr, dr.taskDefinition);
  const input = mirrorTaskDefinition(teamDefinition, team.target, drDefinition, dr.target, target);
  const latest = await latestRevision(clients.dr, target.family);
  let arn = latest?.taskDefinitionArn;
  const registered = !arn || fingerprintOf(latest) !== fingerprintOf(input);
  if (registered) {
    const out = await callAws("ecs:RegisterTaskDefinition", () => clients.dr.send(new RegisterTaskDefinitionCommand(input)));
    arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new MirrorRefusedError(`ECS registered no revision of ${target.family}`);
  }
  const serving = dr.desired > refs.pilotCount;
  if (dr.taskDefinition !== arn && !serving) {
    await callAws("ecs:UpdateService", () => clients.dr.send(new UpdateServiceCommand({ cluster: refs.dr.cluster, service: refs.dr.service, taskDefinition: arn })));
  }
  const retired = await retireOldRevisions(clients.dr, target.family, [arn!, dr.taskDefinition, ...dr.deploying]);
  return { teamTaskDefinition: team.taskDefinition, drTaskDefinition: arn!, registered, drServiceRuns: dr.taskDefinition === arn || !serving, retired, at: now.toISOString() };
}

/** MirrorTaskDefinition's environment (stacks/Operations.ts sets it for an adopting stage). */
export const MirrorSettings = z.object({
  PRIMARY_REGION: z.string().min(1),
  DR_REGION: z.string().min(1),
  PRIMARY_CLUSTER: z.string().min(1),
  PRIMARY_SERVICE: z.string().min(1),
  DR_CLUSTER: z.string().min(1),
  DR_SERVICE: z.string().min(1),
  DR_PILOT_TASK_COUNT: z.coerce.number().int().min(0),
  MIRROR_FAMILY: z.string().min(1),
  PRIMARY_DB_ENDPOINT: z.string().min(1),
  DR_DB_ENDPOINT: z.string().min(1),
});

/** Reads MirrorSettings; a missing or malformed variable is a ConfigurationError naming it. */
export function readMirrorSettings(env: Record<string, string | undefined>) {
  const parsed = MirrorSettings.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(`MirrorTaskDefinition: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const s = parsed.data;
  return {
    refs: { team: { cluster: s.PRIMARY_CLUSTER, service: s.PRIMARY_SERVICE }, dr: { cluster: s.DR_CLUSTER, service: s.DR_SERVICE }, pilotCount: s.DR_PILOT_TASK_COUNT },
    target: { family: s.MIRROR_FAMILY, primaryRegion: s.PRIMARY_REGION, drRegion: s.DR_REGION, endpoints: { primary: s.PRIMARY_DB_ENDPOINT, dr: s.DR_DB_ENDPOINT } } satisfies MirrorTarget,
  };
}
