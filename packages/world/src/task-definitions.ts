/**
 * ECS task definitions as ECS keeps them (docs/aws-behaviour.md, "Task definitions"): a family's
 * revisions numbered from 1 in each region, named by ARN, `family:revision` or `family` (its
 * latest ACTIVE revision); RegisterTaskDefinition refuses what ECS refuses (a bad family name, no
 * container, a container without a name or image, Fargate without awsvpc, task-level cpu and
 * memory, or an execution role for awslogs); UpdateService refuses a definition it cannot
 * describe, an INACTIVE one, and one without the container and port its load balancer names.
 */
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { accountState } from "./account";
import type { EcsService, WorldState } from "./model";

const clientError = (message: string) => Object.assign(new Error(message), { name: "ClientException", $metadata: { httpStatusCode: 400 } });
const invalid = (message: string) => Object.assign(new Error(message), { name: "InvalidParameterException", $metadata: { httpStatusCode: 400 } });

const familyOf = (arn: string) => (arn.split("/").pop() ?? "").split(":")[0] ?? "";
const revisionOf = (arn: string) => Number((arn.split("/").pop() ?? "").split(":")[1] ?? 0);

/** The ARN a reference names in `region` (ARN, `family:revision`, or `family`: its latest ACTIVE revision); undefined when ECS knows none. */
export function resolveTaskDefinition(world: WorldState, region: string, ref: string): string | undefined {
  if (ref.startsWith("arn:")) return ref.split(":")[3] === region && world.taskDefinitions.has(ref) ? ref : undefined;
  const inRegion = [...world.taskDefinitions].filter((arn) => arn.split(":")[3] === region);
  if (ref.includes(":")) return inRegion.find((arn) => arn.endsWith(`/${ref}`));
  const details = accountState(world).taskDefinitions;
  return inRegion
    .filter((arn) => familyOf(arn) === ref && (details.get(arn)?.status ?? "ACTIVE") === "ACTIVE")
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
}

/** DescribeTaskDefinition's answer: a registered definition in full, else the seeded one `web` container. */
export function describeTaskDefinition(world: WorldState, region: string, ref: string) {
  const arn = resolveTaskDefinition(world, region, ref);
  if (!arn) throw clientError("Unable to describe task definition.");
  const detail = accountState(world).taskDefinitions.get(arn);
  const registered = detail?.registered;
  return {
    taskDefinition: {
      taskDefinitionArn: arn,
      family: familyOf(arn),
      revision: revisionOf(arn),
      ...(detail
        ? {
            status: detail.status,
            ...(detail.executionRoleArn ? { executionRoleArn: detail.executionRoleArn } : {}),
            containerDefinitions: registered ? structuredClone(registered.containerDefinitions) : [{ name: "web", image: detail.image, portMappings: [{ containerPort: 80 }] }],
            ...(registered ? { registeredAt: new Date(registered.registeredAt) } : {}),
            ...(registered?.taskRoleArn ? { taskRoleArn: registered.taskRoleArn } : {}),
            ...(registered?.cpu ? { cpu: registered.cpu } : {}),
            ...(registered?.memory ? { memory: registered.memory } : {}),
            ...(registered?.networkMode ? { networkMode: registered.networkMode } : {}),
            ...(registered?.requiresCompatibilities ? { requiresCompatibilities: [...registered.requiresCompatibilities] } : {}),
          }
        : {}),
    },
  };
}

/** The revision a family's next registration gets in `region` (revisions are never reused, deregistered ones count). */
export function nextRevision(world: WorldState, region: string, family: string): number {
  return 1 + Math.max(0, ...[...world.taskDefinitions].filter((arn) => arn.split(":")[3] === region && familyOf(arn) === family).map(revisionOf));
}

/** RegisterTaskDefinition: the family's next revision in `region`, ACTIVE; refused as ECS refuses it. */
export function registerTaskDefinition(world: WorldState, region: string, input: RegisterTaskDefinitionCommandInput) {
  const family = input.family ?? "";
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) throw clientError("Family name can have up to 255 characters, and can only contain letters, numbers, underscores, and hyphens.");
  const containers = input.containerDefinitions ?? [];
  if (containers.length === 0) throw clientError("Container list cannot be empty.");
  for (const c of containers) {
    if (!c.name) throw clientError("Container.name should not be null or empty.");
    if (!c.image) throw clientError("Container.image should not be null or empty.");
  }
  if (input.requiresCompatibilities?.includes("FARGATE")) {
    if (input.networkMode !== "awsvpc") throw clientError("Fargate only supports network mode 'awsvpc'.");
    if (!input.cpu || !input.memory) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
    if (!input.executionRoleArn && containers.some((c) => c.logConfiguration?.logDriver === "awslogs"))
      throw clientError("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
  }
  const account = accountState(world).account;
  const revision = nextRevision(world, region, family);
  const arn = `arn:aws:ecs:${region}:${account}:task-definition/${family}:${revision}`;
  world.taskDefinitions.add(arn);
  const web = containers.find((c) => c.essential !== false) ?? containers[0]!;
  accountState(world).taskDefinitions.set(arn, {
    status: "ACTIVE",
    ...(input.executionRoleArn ? { executionRoleArn: input.executionRoleArn } : {}),
    image: web.image!,
    registered: {
      family,
      revision,
      registeredAt: world.clock.now(),
      containerDefinitions: structuredClone(containers) as ContainerDefinition[],
      ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
      ...(input.cpu ? { cpu: input.cpu } : {}),
      ...(input.memory ? { memory: input.memory } : {}),
      ...(input.networkMode ? { networkMode: input.networkMode } : {}),
      ...(input.requiresCompatibilities ? { requiresCompatibilities: [...input.requiresCompatibilities] } : {}),
    },
  });
  return describeTaskDefinition(world, region, arn);
}

/** The container and port a service's load balancer sends to (the world's services: `web` on 80). */
export const serviceTarget = { containerName: "web", containerPort: 80 } as const;

/** UpdateService's taskDefinition: the service runs `ref` from its next deployment; refused as ECS refuses it. */
export function setServiceTaskDefinition(world: WorldState, svc: EcsService, ref: string): void {
  const arn = resolveTaskDefinition(world, svc.region, ref);
  if (!arn) throw invalid("TaskDefinition not found.");
  const described = describeTaskDefinition(world, svc.region, arn).taskDefinition;
  if (described.status !== undefined && described.status !== "ACTIVE") throw invalid(`TaskDefinition is inactive`);
  const container = described.containerDefinitions?.find((c) => c.name === serviceTarget.containerName);
  if (!container) throw invalid(`The container ${serviceTarget.containerName} does not exist in the task definition.`);
  if (!(container.portMappings ?? []).some((p) => p.containerPort === serviceTarget.containerPort))
    throw invalid(`The container ${serviceTarget.containerName} did not have a container port ${serviceTarget.containerPort} defined.`);
  svc.taskDefinition = arn;
}
