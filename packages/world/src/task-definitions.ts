/**
 * ECS task definitions as ECS keeps them (docs/aws-behaviour.md, "Task definitions"): a family's
 * revisions numbered from 1 in each region, named by ARN, `family:revision` or `family` (its
 * latest ACTIVE revision); RegisterTaskDefinition refuses what ECS refuses (a bad family name, no
 * container, a container without a name or image, Fargate without awsvpc, task-level cpu and
 * memory, or an execution role for awslogs); UpdateService refuses a definition it cannot
 * describe, an INACTIVE one, and one without the container and port its load balancer names.
 * DeregisterTaskDefinition makes a revision INACTIVE (named with its revision, never by family
 * alone): a service that runs it keeps running and scaling it, `family` stops naming it, and
 * ListTaskDefinitions lists ACTIVE revisions unless asked for INACTIVE ones.
 * A task starts only when its execution role may read every secret its definition names, in the
 * task's region (`taskStartRefusal`: ECS's ResourceInitializationError).
 */
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { accountState, parameterKey } from "./account";
import { evaluate } from "./iam";
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

/** DeregisterTaskDefinition: the revision becomes INACTIVE; it must be named with its revision (ARN or `family:revision`). */
export function deregisterTaskDefinition(world: WorldState, region: string, ref: string) {
  if (!ref.startsWith("arn:") && !ref.includes(":")) throw clientError("The specified task definition does not include a revision.");
  const arn = resolveTaskDefinition(world, region, ref);
  if (!arn) throw clientError("The specified task definition does not exist.");
  const details = accountState(world).taskDefinitions;
  const detail = details.get(arn);
  // A seeded definition with no detail is ACTIVE: it gets one to carry its new status.
  details.set(arn, { ...(detail ?? { image: "" }), status: "INACTIVE" });
  return describeTaskDefinition(world, region, arn);
}

/**
 * ListTaskDefinitions: the region's revisions whose family starts with `familyPrefix`, of one
 * status (ACTIVE unless asked), by family name then revision (ASC unless `sort` is DESC), at most
 * `maxResults` (1-100, default 100) a page, `nextToken` for the rest.
 */
export function listTaskDefinitions(world: WorldState, region: string, input: { familyPrefix?: string; status?: string; sort?: string; maxResults?: number; nextToken?: string }) {
  const max = input.maxResults ?? 100;
  if (max < 1 || max > 100) throw invalid("maxResults must be between 1 and 100.");
  const status = input.status ?? "ACTIVE";
  const details = accountState(world).taskDefinitions;
  const order = (a: string, b: string) => familyOf(a).localeCompare(familyOf(b)) || revisionOf(a) - revisionOf(b);
  const all = [...world.taskDefinitions]
    .filter((arn) => arn.split(":")[3] === region && familyOf(arn).startsWith(input.familyPrefix ?? "") && (details.get(arn)?.status ?? "ACTIVE") === status)
    .sort((a, b) => (input.sort === "DESC" ? order(b, a) : order(a, b)));
  const start = input.nextToken ? Number(input.nextToken) : 0;
  const page = all.slice(start, start + max);
  return { taskDefinitionArns: page, ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
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

/**
 * Why ECS stops a task of the service's definition before it runs (null: it starts): the agent
 * reads each `secrets[].valueFrom` with the execution role when the task starts, in the task's
 * region: a Secrets Manager secret (full or partial ARN, then `:json-key:version-stage:version-id`)
 * with secretsmanager:GetSecretValue (and kms:Decrypt on its key when it is not the Region's
 * aws/secretsmanager), a Parameter Store parameter (ARN, or a name in the task's region) with
 * ssm:GetParameters. A secret it cannot find or may not read is a ResourceInitializationError and
 * the task stops (docs/aws-behaviour.md, "Task definitions"). Only registered definitions name
 * secrets here; the seeded ones' `web` container reads its credentials as the stacks grant it.
 */
export function taskStartRefusal(world: WorldState, svc: EcsService, taskDefinition = svc.taskDefinition): string | null {
  const s = accountState(world);
  const detail = s.taskDefinitions.get(taskDefinition);
  const secrets = (detail?.registered?.containerDefinitions ?? []).flatMap((c) => c.secrets ?? []);
  if (secrets.length === 0) return null;
  const roleArn = detail?.executionRoleArn ?? "";
  const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
  const statements = s.rolePolicies.get(roleName) ?? [];
  const fail = (what: string) => `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ${what}`;
  const denied = (action: string, resource: string) =>
    `AccessDeniedException: User: arn:aws:sts::${s.account}:assumed-role/${roleName}/task is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
  const may = (action: string, resource: string, context: Record<string, string[]> = {}) => roleName !== "" && evaluate(statements, { action, resource, context }).allowed;
  for (const { valueFrom = "" } of secrets) {
    const parts = valueFrom.split(":");
    if (parts[2] === "secretsmanager") {
      const ref = parts.slice(0, 7).join(":");
      const region = parts[3] ?? "";
      const secret = [...world.secrets.values()].find((x) => x.region === region && (x.arn === ref || x.arn.startsWith(`${ref}-`)));
      const asm = (error: string) => fail(`unable to retrieve secret from asm: service call has been retried 1 time(s): ${error}`);
      if (region !== svc.region || !secret) return asm("ResourceNotFoundException: Secrets Manager can't find the specified secret.");
      if (!may("secretsmanager:GetSecretValue", secret.arn)) return asm(denied("secretsmanager:GetSecretValue", secret.arn));
      const key = secret.kmsKeyId;
      if (key && key !== "alias/aws/secretsmanager" && !may("kms:Decrypt", key, { "kms:ViaService": [`secretsmanager.${region}.amazonaws.com`] })) return asm(denied("kms:Decrypt", key));
    } else {
      const arn = valueFrom.startsWith("arn:") ? valueFrom : `arn:aws:ssm:${svc.region}:${s.account}:parameter/${valueFrom.replace(/^\//, "")}`;
      const region = arn.split(":")[3] ?? "";
      const name = `/${arn.slice(arn.indexOf(":parameter/") + ":parameter/".length)}`;
      const ssm = (error: string) => fail(`unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${error}`);
      if (region !== svc.region || !s.parameters.has(parameterKey(region, name))) return ssm(`InvalidParameters: ${valueFrom}`);
      if (!may("ssm:GetParameters", arn)) return ssm(denied("ssm:GetParameters", arn));
    }
  }
  return null;
}
