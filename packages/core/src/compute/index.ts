/**
 * The DR web tier in the runbook: check the ECS service exists, scale it, tell when it is
 * stable with N healthy targets, verify the DR ALB's /health.php, and fence the old primary.
 * Scaling sets an absolute desired count, so repeating it is harmless; every step looks first.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { callAws } from "../errors";
import { DrUnhealthyError, PreflightFailedError } from "../failover/errors";

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
}

/** Sets the desired count unless it already is that count (no call at all then). */
export async function scaleService(ecs: ECSClient, ref: ServiceRef, count: number, now: Date): Promise<ScaleStatus> {
  const before = await describeService(ecs, ref);
  if (before.desired !== count) {
    await callAws("ecs:UpdateService", () =>
      ecs.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, desiredCount: count })),
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

/** One poll of the scale loop. */
export async function checkService(
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  previous: ScaleStatus,
  now: Date,
): Promise<ScaleStatus> {
  const service = await describeService(ecs, previous);
  const healthyTargets = await countHealthyTargets(elb, targetGroupArn);
  const stable = isStable(service, healthyTargets, previous.targetCount);
  return {
    ...previous,
    desired: service.desired,
    running: service.running,
    healthyTargets,
    stable,
    stableAt: stable ? (previous.stableAt ?? now.toISOString()) : null,
    attempts: previous.attempts + 1,
  };
}

export interface HealthProbe {
  url: string;
  status: number;
  verifiedAt: string;
  latencyMs: number;
}

/**
 * GETs the DR ALB's /health.php with a hard timeout. Anything but 2xx is DrUnhealthyError
 * (retryable: a freshly started service can need another health-check interval).
 */
export async function verifyHealth(url: string, now: () => Date, timeoutMs = 5000): Promise<HealthProbe> {
  const started = now().getTime();
  let status: number;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    throw new DrUnhealthyError(`GET ${url} failed: ${(error as Error).message}`, { cause: error });
  }
  if (status < 200 || status > 299) throw new DrUnhealthyError(`GET ${url} answered ${status}`);
  const end = now();
  return { url, status, verifiedAt: end.toISOString(), latencyMs: end.getTime() - started };
}

export interface FenceResult {
  fenced: boolean;
  region: string;
  detail: string;
  at: string;
}

/**
 * Best effort: set the old primary's service to 0 so a recovering region does not serve
 * stale data. Never throws: the primary region is probably unreachable, and that is fine.
 * The caller gives a client with short timeouts so this stays time-bounded.
 */
export async function fenceService(ecs: ECSClient, region: string, ref: ServiceRef, now: Date): Promise<FenceResult> {
  const at = now.toISOString();
  try {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }));
    const s = out.services?.[0];
    if (!s || s.status !== "ACTIVE") return { fenced: true, region, detail: `service ${ref.service} not active`, at };
    if ((s.desiredCount ?? 0) === 0) return { fenced: true, region, detail: "already at desired 0", at };
    await ecs.send(new UpdateServiceCommand({ cluster: ref.cluster, service: ref.service, desiredCount: 0 }));
    return { fenced: true, region, detail: `desired ${s.desiredCount} -> 0`, at };
  } catch (error) {
    return { fenced: false, region, detail: `could not reach ECS in ${region}: ${(error as Error).name}: ${(error as Error).message}`, at };
  }
}

export { answerDeployCount, deployCount, liveDesiredCount, DeployCountEvent, DeployCountProperties, type DeployCountInput, type DeployCountResponse } from "./deploy-count";
