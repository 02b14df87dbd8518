/**
 * The DR web tier in the runbook: check the ECS service exists, scale it, tell when it is
 * stable with N healthy targets (setting the count again if something lowered it), verify the
 * DR ALB's /health.php, and fence the old primary's service.
 * Scaling sets an absolute desired count, so repeating it is harmless; every step looks first.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { callAws } from "../errors";
import { tagValue } from "../tags";
import { DrUnhealthyError, NewPrimaryUnhealthyError, PreflightFailedError } from "../workflow/errors";

export interface ServiceRef {
  cluster: string;
  service: string;
}

export interface ServiceState {
  cluster: string;
  service: string;
  status: string;
  desired: number;
  running: number;
  pending: number;
  taskDefinition: string;
  /** Deployments still rolling out; 1 means settled. */
  deployments: number;
}

function toServiceState(ref: ServiceRef, s: Service): ServiceState {
  return {
    cluster: ref.cluster,
    service: ref.service,
    status: s.status ?? "UNKNOWN",
    desired: s.desiredCount ?? 0,
    running: s.runningCount ?? 0,
    pending: s.pendingCount ?? 0,
    taskDefinition: s.taskDefinition ?? "",
    deployments: s.deployments?.length ?? 0,
  };
}

/** Describes an ECS service; missing or inactive is a failed precondition. */
export async function describeService(ecs: ECSClient, ref: ServiceRef): Promise<ServiceState> {
  const out = await callAws("ecs:DescribeServices", () =>
    ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] })),
  );
  const s = out.services?.[0];
  if (!s || s.status !== "ACTIVE") {
    throw new PreflightFailedError(`ECS service ${ref.service} in cluster ${ref.cluster} not found or not ACTIVE`);
  }
  return toServiceState(ref, s);
}

/** Confirms the service's task definition and the target group exist (preflight). */
export async function checkServiceResources(
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  service: ServiceState,
  targetGroupArn: string,
): Promise<string[]> {
  const problems: string[] = [];
  try {
    await callAws("ecs:DescribeTaskDefinition", () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition })),
    );
  } catch (error) {
    if (error instanceof Error && error.name === "ClientException") problems.push(`task definition ${service.taskDefinition} not found`);
    else throw error;
  }
  try {
    const out = await callAws("elasticloadbalancing:DescribeTargetGroups", () =>
      elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })),
    );
    if (!out.TargetGroups?.length) problems.push(`target group ${targetGroupArn} not found`);
  } catch (error) {
    if (error instanceof Error && error.name === "TargetGroupNotFoundException") problems.push(`target group ${targetGroupArn} not found`);
    else throw error;
  }
  return problems;
}

/**
 * The task definition a scale-up started (an adopting stage's DR service, docs/adopt.md): the
 * mirror family's latest ACTIVE revision when it has one, set in the scale-up's own UpdateService
 * when the service ran another (a deploy of the stage sets pilot-light's own back); `mirrored`
 * false when the family has none (never mirrored), so the service's own definition started.
 */
export interface ApplicationStart {
  family: string;
  taskDefinition: string;
  mirrored: boolean;
  /** The revision the service ran before this scale-up set the mirror's (null: it ran it already). */
  replaced: string | null;
}

export interface ScaleStatus {
  cluster: string;
  service: string;
  targetCount: number;
  previousDesired: number;
  desired: number;
  running: number;
  healthyTargets: number;
  stable: boolean;
  requestedAt: string;
  stableAt: string | null;
  attempts: number;
  reasserted?: number;
  application?: ApplicationStart;
}

/** The family's latest ACTIVE revision (DescribeTaskDefinition by family), or undefined when it has none (ECS answers ClientException). */
export async function latestRevision(ecs: ECSClient, family: string): Promise<TaskDefinition | undefined> {
  try {
    const out = await callAws("ecs:DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })));
    return out.taskDefinition;
  } catch (error) {
    if (error instanceof Error && error.name === "ClientException") return undefined;
    throw error;
  }
}

/**
 * Sets the desired count unless it already is that count (no call at all then). With `family`
 * (an adopting stage's DR service), the service is also set to that family's latest ACTIVE
 * revision in the same UpdateService when it runs another, decided from what ECS shows now (a
 * retry after a lost answer finds it set and calls nothing).
 */
export async function scaleService(ecs: ECSClient, ref: ServiceRef, count: number, now: Date, o: { family?: string } = {}): Promise<ScaleStatus> {
  const before = await describeService(ecs, ref);
  const latest = o.family ? (await latestRevision(ecs, o.family))?.taskDefinitionArn : undefined;
  const replace = latest !== undefined && latest !== before.taskDefinition;
  if (before.desired !== count || replace) {
    await callAws("ecs:UpdateService", () =>
      ecs.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, desiredCount: count, ...(replace ? { taskDefinition: latest } : {}) })),
    );
  }
  return {
    cluster: ref.cluster,
    service: ref.service,
    targetCount: count,
    previousDesired: before.desired,
    desired: count,
    running: before.running,
    healthyTargets: 0,
    stable: false,
    requestedAt: now.toISOString(),
    stableAt: null,
    attempts: 0,
    ...(o.family ? { application: { family: o.family, taskDefinition: latest ?? before.taskDefinition, mirrored: latest !== undefined, replaced: replace ? before.taskDefinition : null } } : {}),
  };
}

/** Stable: desired and running equal the target, one deployment, and that many healthy targets. */
export function isStable(service: ServiceState, healthyTargets: number, targetCount: number): boolean {
  return (
    service.desired === targetCount &&
    service.running === targetCount &&
    service.pending === 0 &&
    service.deployments <= 1 &&
    healthyTargets >= targetCount
  );
}

export async function countHealthyTargets(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<number> {
  const out = await callAws("elasticloadbalancing:DescribeTargetHealth", () =>
    elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  );
  return (out.TargetHealthDescriptions ?? []).filter((t) => t.TargetHealth?.State === "healthy").length;
}

/**
 * One poll of the scale loop. A desired count found below the target (a pre-empted drill's
 * EndDrill still finishing, a person) is set back to the target: the loop waits for the count
 * the failover needs, never for one someone else chose.
 */
export async function checkService(
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  previous: ScaleStatus,
  now: Date,
): Promise<ScaleStatus> {
  const service = await describeService(ecs, previous);
  const lowered = service.desired < previous.targetCount;
  if (lowered) {
    await callAws("ecs:UpdateService", () => ecs.send(new UpdateServiceCommand({ cluster: previous.cluster, service: previous.service, desiredCount: previous.targetCount })));
  }
  const healthyTargets = await countHealthyTargets(elb, targetGroupArn);
  const stable = !lowered && isStable(service, healthyTargets, previous.targetCount);
  return {
    ...previous,
    desired: lowered ? previous.targetCount : service.desired,
    running: service.running,
    healthyTargets,
    stable,
    stableAt: stable ? (previous.stableAt ?? now.toISOString()) : null,
    attempts: previous.attempts + 1,
    ...(lowered ? { reasserted: (previous.reasserted ?? 0) + 1 } : {}),
  };
}

export interface HealthProbe {
  url: string;
  status: number;
  verifiedAt: string;
  latencyMs: number;
  /** What the answer said of its database (the health contract's `readOnly`), when it said it. */
  readOnly?: boolean;
}

export interface VerifyOptions {
  /**
   * The database behind the service must take writes (`"readOnly": false`): the new primary of a
   * move, in either machine. Not asked where it cannot hold: a drill's target is still a read replica.
   */
  writable: boolean;
  /** The error the state machine retries (its name is the Retry's ErrorEquals). */
  unhealthy: (message: string, options?: ErrorOptions) => Error;
  timeoutMs?: number;
}

/**
 * The two verifies of a move, each raising its own retried error. Written as `new X(` here so
 * the raise is where `pnpm check:aws` (error-equals.ts) looks for every ErrorEquals name.
 */
export const verifyAs = {
  /**
   * VerifyDrHealth of a failover: the promoted database must take writes. RDS keeps a replica's
   * parameter group through the promotion, so `read_only` on in it leaves the new primary
   * read-only (docs/aws-behaviour.md, "A promoted replica keeps its parameter group").
   */
  failover: { writable: true, unhealthy: (message, options) => new DrUnhealthyError(message, options) },
  /** VerifyDrHealth of a drill: the contract's boolean readOnly, writability not asked (the drill's target is still a read replica). */
  drill: { writable: false, unhealthy: (message, options) => new DrUnhealthyError(message, options) },
  /** VerifyNewPrimary: the switchback's new primary must take writes. */
  switchback: { writable: true, unhealthy: (message, options) => new NewPrimaryUnhealthyError(message, options) },
} as const satisfies Record<string, VerifyOptions>;

/**
 * The verify of a move's target (docs/health-contract.md): GETs its /health.php with a hard
 * timeout. Anything but 2xx, or (`writable`) an answer from a read-only database, is `unhealthy`
 * (retryable: a freshly started service can need another health-check interval, its tasks a
 * reconnect). The failover's VerifyDrHealth (DrUnhealthyError; writable except in a drill) and
 * the switchback's VerifyNewPrimary (NewPrimaryUnhealthyError, writable) are this function.
 */
export async function verifyHealth(url: string, now: () => Date, o: VerifyOptions): Promise<HealthProbe> {
  const started = now().getTime();
  let answer: HealthAnswer;
  try {
    answer = await readHealthAnswer(url, o.timeoutMs ?? 5000);
  } catch (error) {
    throw o.unhealthy(`GET ${url} failed: ${(error as Error).message}`, { cause: error });
  }
  const breach = healthContractBreach(url, answer, o.writable);
  if (breach) throw o.unhealthy(breach);
  const end = now();
  return { url, status: answer.status, verifiedAt: end.toISOString(), latencyMs: end.getTime() - started, readOnly: answer.readOnly as boolean };
}

/** A health path's answer: its status and what its body says of `readOnly` (undefined: not said, or no JSON object). */
export interface HealthAnswer {
  status: number;
  readOnly: unknown;
}

/** One GET of a health path, bounded by `timeoutMs` (rejects when nothing answered in time); redirects are not followed. */
export async function readHealthAnswer(url: string, timeoutMs: number): Promise<HealthAnswer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
  const body: unknown = await response.json().catch(() => null);
  return { status: response.status, readOnly: body !== null && typeof body === "object" ? (body as { readOnly?: unknown }).readOnly : undefined };
}

/**
 * What a move's verify (and readiness's `health-contract` check) refuses in an answer, in words;
 * null when it passes: a 2xx whose body carries the contract's boolean `readOnly`, false when
 * the database must take writes (`writable`).
 */
export function healthContractBreach(url: string, answer: HealthAnswer, writable: boolean): string | null {
  const { status, readOnly } = answer;
  if (status < 200 || status > 299) return `GET ${url} answered ${status}`;
  // Not the contract's boolean (a default page, an app that omits it): writability not shown. A
  // drill asks it too, so an app a real failover could never verify fails its drill, not the outage.
  if (typeof readOnly !== "boolean") return `GET ${url} answered ${status} without the health contract's boolean readOnly (readOnly: ${JSON.stringify(readOnly) ?? "absent"}; docs/health-contract.md)`;
  if (writable && readOnly) return `GET ${url} answered from a read-only database (readOnly: true)`;
  return null;
}

/**
 * The tag a fence puts on the old primary's ECS service. Deploys read it (Custom::DesiredCount,
 * ./deploy-count.ts) and keep a fenced service at 0 whatever the stage's settings say, until
 * the switchback removes it before the primary serves again (liftServiceFence).
 */
export const fenceTagKey = "pilot-light:fenced";

export interface FencePart {
  done: boolean;
  detail: string;
  /** This call changed something (false: it found it already so). */
  changed?: boolean;
}

/**
 * Fences the old primary's service: tags it (the durable intent, read by every later deploy),
 * then sets it to desired 0. Reads first: tagged and at 0 is done with no call. Throws when the
 * region does not answer (the caller gives a client with short timeouts).
 */
export async function fenceService(ecs: ECSClient, ref: ServiceRef, reason: string): Promise<FencePart> {
  const out = await callAws("ecs:DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service], include: ["TAGS"] })));
  const s = out.services?.[0];
  if (!s || s.status !== "ACTIVE") return { done: true, detail: `service ${ref.service} not active` };
  const tagged = (s.tags ?? []).some((t) => t.key === fenceTagKey);
  const desired = s.desiredCount ?? 0;
  if (tagged && desired === 0) return { done: true, changed: false, detail: "already fenced (tagged, desired 0)" };
  if (!tagged && s.serviceArn) {
    const arn = s.serviceArn;
    await callAws("ecs:TagResource", () => ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: fenceTagKey, value: tagValue(reason) }] })));
  }
  if (desired !== 0) await callAws("ecs:UpdateService", () => ecs.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, desiredCount: 0 })));
  return { done: true, changed: true, detail: `tagged ${fenceTagKey}${desired !== 0 ? `, desired ${desired} -> 0` : ""}` };
}

/**
 * Lifts the service half of the fence when the region is to serve again (the switchback, before
 * it scales the service up): removes the tag that makes every deploy keep the service at 0.
 * Looks first; no tag is done.
 */
export async function liftServiceFence(ecs: ECSClient, ref: ServiceRef): Promise<FencePart> {
  const out = await callAws("ecs:DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service], include: ["TAGS"] })));
  const s = out.services?.find((x) => x.status === "ACTIVE");
  if (!s?.serviceArn || !(s.tags ?? []).some((t) => t.key === fenceTagKey)) return { done: true, detail: `service ${ref.service} not fenced` };
  const arn = s.serviceArn;
  await callAws("ecs:UntagResource", () => ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [fenceTagKey] })));
  return { done: true, detail: `removed ${fenceTagKey} from ${ref.service}: deploys follow its settings again` };
}

export { answerDeployCount, deployCount, liveService, DeployCountEvent, DeployCountProperties, type DeployCountInput, type DeployCountResponse } from "./deploy-count";
