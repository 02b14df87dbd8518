/**
 * What a CloudFormation stack update does to an ECS service's task count, as the AWS
 * documentation for `AWS::ECS::Service` DesiredCount states: when the template has a
 * DesiredCount, the update calls UpdateService with it; without one, a new service starts with
 * 1 and an existing service keeps its count. A DesiredCount taken from a custom resource
 * (`Fn::GetAtt`) is whatever that resource's handler answered during this update, so the
 * handler runs first, as CloudFormation orders a resource before the ones that reference it.
 * The call goes through the SDK, so the world (installApis) answers it like any other.
 */
import { UpdateServiceCommand, ECSClient } from "@aws-sdk/client-ecs";

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CustomResourceHandlers {
  /** Custom resource type ("Custom::DesiredCount") → its onEvent handler, given CloudFormation's event. */
  [type: string]: (event: { RequestType: "Create" | "Update"; ResourceProperties: Record<string, unknown>; PhysicalResourceId?: string }) => Promise<{ Data?: Record<string, unknown> }>;
}

/** CloudFormation hands custom resources every scalar property as a string. */
function asCloudFormationSends(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(asCloudFormationSends);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asCloudFormationSends(v)]));
  return value;
}

export interface ServiceUpdate {
  service: string;
  /** The count CloudFormation sent in UpdateService; undefined when the template has none. */
  desiredCount: number | undefined;
}

/**
 * Updates every ECS service of a synthesized template in `region` as CloudFormation would on a
 * stack update (the services exist). Returns what was sent to each.
 */
export async function updateEcsServices(template: { Resources?: Record<string, Resource> }, region: string, handlers: CustomResourceHandlers): Promise<ServiceUpdate[]> {
  const resources = template.Resources ?? {};
  const ecs = new ECSClient({ region });
  const updates: ServiceUpdate[] = [];
  try {
    for (const service of Object.values(resources).filter((r) => r.Type === "AWS::ECS::Service")) {
      const props = service.Properties ?? {};
      const name = String(props.ServiceName);
      const cluster = typeof props.Cluster === "string" ? props.Cluster : undefined;
      const desired = await resolveCount(props.DesiredCount, resources, handlers);
      await ecs.send(new UpdateServiceCommand({ cluster: cluster ?? clusterOf(resources, name), service: name, ...(desired === undefined ? {} : { desiredCount: desired }) }));
      updates.push({ service: name, desiredCount: desired });
    }
  } finally {
    ecs.destroy();
  }
  return updates;
}

async function resolveCount(value: unknown, resources: Record<string, Resource>, handlers: CustomResourceHandlers): Promise<number | undefined> {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  const getAtt = (value as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
  if (!getAtt) throw new Error(`cannot resolve DesiredCount ${JSON.stringify(value)}`);
  const [id, attribute] = getAtt;
  const resource = resources[id];
  const handler = resource && handlers[resource.Type];
  if (!resource || !handler) throw new Error(`DesiredCount comes from ${id} (${resource?.Type ?? "missing"}), which has no handler here`);
  const { ServiceToken: _token, ...properties } = resource.Properties ?? {};
  const answer = await handler({ RequestType: "Update", ResourceProperties: asCloudFormationSends(properties) as Record<string, unknown>, PhysicalResourceId: id });
  const count = answer.Data?.[attribute];
  if (typeof count !== "number") throw new Error(`${id} answered no number for ${attribute}: ${JSON.stringify(answer)}`);
  return count;
}

/** The cluster name of a template's only ECS cluster (services name theirs by Ref). */
function clusterOf(resources: Record<string, Resource>, service: string): string {
  const clusters = Object.values(resources).filter((r) => r.Type === "AWS::ECS::Cluster");
  const name = clusters[0]?.Properties?.ClusterName;
  if (clusters.length !== 1 || typeof name !== "string") throw new Error(`cannot tell the cluster of service ${service}`);
  return name;
}
