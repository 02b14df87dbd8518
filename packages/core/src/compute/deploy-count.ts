/**
 * The task count a deploy gives a region's ECS service. CloudFormation applies an
 * `AWS::ECS::Service`'s DesiredCount on every update of the service, so a literal count in the
 * template would scale a DR service that is serving (after a failover, or during a drill) back
 * to its pilot light. The Compute stack's DesiredCount custom resource asks this function,
 * with the live count read just before CloudFormation updates the service. The stage's
 * `activeRegion` may lag what the workflows did (a switchback, a failover from DR back to the
 * primary region), so the live service decides what a deploy may not do:
 * - a fenced service (the `pilot-light:fenced` tag) is the fence's: a deploy neither raises nor
 *   lowers it (at 0 after a fence; running again only once a failover to its region scaled it up,
 *   the tag left from an earlier failover);
 * - a deploy never switches a running service off (a configured 0: the stage says the other
 *   region serves); the workflows (the fence, EndDrill, RestorePilotLight, a failback) or an
 *   operator do;
 * - otherwise the DR service is never lowered: max(configured, live); the primary follows the
 *   configuration, as infrastructure as code does;
 * - a service that does not exist yet is created with the configured count.
 */
import { DescribeServicesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import * as z from "zod";
import { callAws } from "../errors";
import { fenceTagKey, type ServiceRef } from "./index";

export interface DeployCountInput {
  role: "primary" | "dr";
  /** What the stage's settings give this region (the active-region rule, stacks/Compute.ts). */
  configured: number;
  /** The live desired count; undefined when the service does not exist yet (or is not ACTIVE). */
  live: number | undefined;
  /** The live service carries the fence tag (a failover fenced this old primary). */
  fenced?: boolean;
}

export function deployCount({ role, configured, live, fenced }: DeployCountInput): number {
  if (live === undefined) return configured;
  if (fenced || configured === 0) return live;
  return role === "dr" ? Math.max(configured, live) : configured;
}

/** The service's live desired count and fence tag; desired undefined when it does not exist (yet) or is being deleted. */
export async function liveService(ecs: ECSClient, ref: ServiceRef): Promise<{ desired: number | undefined; fenced: boolean }> {
  const out = await callAws("ecs:DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service], include: ["TAGS"] })));
  const s = out.services?.find((x) => x.status === "ACTIVE");
  return { desired: s?.desiredCount, fenced: Boolean(s?.tags?.some((t) => t.key === fenceTagKey)) };
}

/**
 * The custom resource's properties as CloudFormation sends them (every value a string).
 * `ServiceProperties` is the service's own properties, there only so that any change to the
 * service changes this resource too, and it runs again first.
 */
export const DeployCountProperties = z.object({
  Region: z.string().min(1),
  Cluster: z.string().min(1),
  Service: z.string().min(1),
  Role: z.enum(["primary", "dr"]),
  Configured: z.coerce.number().int().min(0),
  ServiceProperties: z.unknown().optional(),
});

/** The Provider framework's onEvent payload for this resource. */
export const DeployCountEvent = z.object({
  RequestType: z.enum(["Create", "Update", "Delete"]),
  ResourceProperties: DeployCountProperties,
  PhysicalResourceId: z.string().optional(),
});
export type DeployCountEvent = z.infer<typeof DeployCountEvent>;

export interface DeployCountResponse {
  PhysicalResourceId: string;
  Data?: { DesiredCount: number; Live: number | null; Fenced: boolean };
}

/** Create and Update: decide from the live service. Delete: nothing to undo (the service goes with its stack). */
export async function answerDeployCount(ecs: ECSClient, event: DeployCountEvent): Promise<DeployCountResponse> {
  const p = event.ResourceProperties;
  const id = `${p.Region}/${p.Cluster}/${p.Service}`;
  if (event.RequestType === "Delete") return { PhysicalResourceId: event.PhysicalResourceId ?? id };
  const live = await liveService(ecs, { cluster: p.Cluster, service: p.Service });
  return {
    PhysicalResourceId: id,
    Data: { DesiredCount: deployCount({ role: p.Role, configured: p.Configured, live: live.desired, fenced: live.fenced }), Live: live.desired ?? null, Fenced: live.fenced },
  };
}
