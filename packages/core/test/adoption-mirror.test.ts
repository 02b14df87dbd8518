/**
 * The DR revision mirrored from a team's task definition (Adoption.mirrorTaskDefinition, pure):
 * what is copied, what is rewritten for the DR region, and what is refused with what to set.
 */
import { describe, expect, it } from "vitest";
import { Adoption } from "@pilot-light/core";

const target = { family: "pilot-light-shop-web-mirror", primaryRegion: "eu-west-1", drRegion: "eu-central-1", endpoints: { primary: "shop.c9akciq32.eu-west-1.rds.amazonaws.com", dr: "replica.efgh5678.eu-central-1.rds.amazonaws.com" } };
const dr = {
  taskDefinitionArn: "arn:aws:ecs:eu-central-1:123456789012:task-definition/pilot-light-shop-Task:3",
  executionRoleArn: "arn:aws:iam::123456789012:role/dr-execution",
  taskRoleArn: "arn:aws:iam::123456789012:role/dr-task",
  containerDefinitions: [{ name: "web", image: "x", logConfiguration: { logDriver: "awslogs" as const, options: { "awslogs-group": "pilot-light-shop-WebLogs" } } }],
};
const team = (over: Record<string, unknown> = {}) => ({
  taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/storefront:8",
  networkMode: "awsvpc" as const,
  cpu: "512",
  memory: "1024",
  executionRoleArn: "arn:aws:iam::123456789012:role/shop-execution",
  containerDefinitions: [
    {
      name: "app",
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront:v8",
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: "DB_HOST", value: target.endpoints.primary },
        { name: "AWS_REGION_NAME", value: "eu-west-1" },
        { name: "MODE", value: "live" },
      ],
      secrets: [
        { name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod/mysql-AbCdEf:password::" },
        { name: "API_KEY", valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key" },
      ],
      logConfiguration: { logDriver: "awslogs" as const, options: { "awslogs-group": "/shop/app", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app" } },
    },
    { name: "sidecar", image: "public.ecr.aws/datadog/agent:7" },
  ],
  ...over,
});
const mirror = (t = team(), port = 8080) => Adoption.mirrorTaskDefinition(t, { containerName: "app", containerPort: 8080 }, dr, { containerName: "web", containerPort: port }, target);

describe("a mirrored task definition", () => {
  it("runs the team's containers from the DR registry, against the replica, with DR logs, secrets and roles", () => {
    const input = mirror();
    const [web, sidecar] = input.containerDefinitions!;
    expect(web).toMatchObject({
      name: "web",
      image: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/storefront:v8",
      environment: [
        { name: "DB_HOST", value: target.endpoints.dr },
        { name: "AWS_REGION_NAME", value: "eu-central-1" },
        { name: "MODE", value: "live" },
      ],
      secrets: [
        { name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop/prod/mysql-AbCdEf:password::" },
        { name: "API_KEY", valueFrom: "arn:aws:ssm:eu-central-1:123456789012:parameter/shop/api-key" },
      ],
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "pilot-light-shop-WebLogs", "awslogs-region": "eu-central-1", "awslogs-stream-prefix": "app" } },
      dockerLabels: { [Adoption.mirrorLabels.source]: team().taskDefinitionArn },
    });
    expect(sidecar).toEqual({ name: "sidecar", image: "public.ecr.aws/datadog/agent:7" });
    expect(input).toMatchObject({ family: target.family, cpu: "512", memory: "1024", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], executionRoleArn: dr.executionRoleArn, taskRoleArn: dr.taskRoleArn });
  });

  it("fingerprints what it registers: the same definition twice, the same fingerprint; a new tag, another", () => {
    const fingerprint = (input: ReturnType<typeof mirror>) => input.containerDefinitions![0]!.dockerLabels![Adoption.mirrorLabels.fingerprint];
    expect(fingerprint(mirror())).toBe(fingerprint(mirror()));
    const retagged = team();
    retagged.containerDefinitions[0]!.image = retagged.containerDefinitions[0]!.image.replace(":v8", ":v9");
    expect(fingerprint(mirror(retagged))).not.toBe(fingerprint(mirror()));
  });

  it.each<[string, ReturnType<typeof team>, number, RegExp]>([
    ["a port the DR load balancer does not send to", team(), 80, /app listens on 8080; the DR service's load balancer sends to 80: set the stage's application\.containerPort to 8080/],
    ["bridge networking", team({ networkMode: "bridge" }), 8080, /network mode bridge; the DR service runs on Fargate, which needs awsvpc/],
    ["no container the load balancer sends to", team({ containerDefinitions: [] }), 8080, /has no container app/],
  ])("refuses %s, saying what to do", (_, t, port, message) => {
    expect(() => mirror(t, port)).toThrow(Adoption.MirrorRefusedError);
    expect(() => mirror(t, port)).toThrow(message);
  });
});

describe("the mirror's old revisions to deregister", () => {
  const arn = (family: string, revision: number) => `arn:aws:ecs:eu-central-1:123456789012:task-definition/${family}:${revision}`;
  const f = "pl-shop-web-mirror";
  it.each<[string, string[], string[], string[]]>([
    ["none while at most the newest 3", [arn(f, 1), arn(f, 2), arn(f, 3)], [], []],
    ["all but the newest 3, in any order listed", [arn(f, 5), arn(f, 1), arn(f, 4), arn(f, 2), arn(f, 3)], [], [arn(f, 2), arn(f, 1)]],
    ["never one the DR service runs or deploys", [arn(f, 1), arn(f, 2), arn(f, 3), arn(f, 4), arn(f, 5)], [arn(f, 1)], [arn(f, 2)]],
    ["never another family the prefix matches", [arn(`${f}2`, 1), arn(f, 2), arn(f, 3), arn(f, 4), arn(f, 5)], [], [arn(f, 2)]],
    ["revision 10 after revision 9 (numbers, not text)", [9, 10, 11, 12].map((r) => arn(f, r)), [], [arn(f, 9)]],
  ])("%s", (_, active, inUse, expected) => {
    expect(Adoption.revisionsToRetire(active, f, Adoption.keptMirrorRevisions, inUse)).toEqual(expected);
  });
});
