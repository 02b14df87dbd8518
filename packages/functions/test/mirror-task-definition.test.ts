/**
 * The DR task definition of an adopting stage follows the team's (docs/adopt.md): the scheduled
 * MirrorTaskDefinition, as its synthesized grants allow (stacks/adoption/mirror-grants.ts), reads
 * the team's service and task definition in the primary region of the adopted world and sets the
 * DR service to a mirror of it; the failover's ScaleDrService then starts what the team runs.
 * In an outage the mirror fails (bounded) and the last mirror stays.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { App, Stack } from "aws-cdk-lib";
import { DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand, type ContainerDefinition } from "@aws-sdk/client-ecs";
import { Stage } from "@pilot-light/core";
import { accountState, adoptedPrimaryWorld, executionRoleArn, executionRoleName, iamOf, installApis, lambdaContext, resolveValue, type AdoptedIds, type PolicyStatement, type WorldState } from "../../world/src";
import { mirrorStatements } from "../../../stacks/adoption/mirror-grants";
import { stepStatements } from "../../../stacks/failover/grants";
import { shopPrimary } from "../../core/test/support/adopted";
import { handler as mirror } from "../src/mirror-task-definition";
import { handler as scaleDr } from "../src/scale-dr-service";

const account = "123456789012";
const names = Stage.resourceNames({ app: "pilot-light", stage: "shop", adopt: { ...shopPrimary, database: { ...shopPrimary.database, port: 3306 } } });
const replicaEndpoint = "pilot-light-shop-replica.efgh5678.eu-central-1.rds.amazonaws.com";
const executionRole = (region: string) => executionRoleArn(account, names.prefix, region);

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
  vi.unstubAllEnvs();
});

function adoptedWorld() {
  const { world, ids } = adoptedPrimaryWorld({ prefix: names.prefix });
  uninstall = installApis(world);
  const stack = new Stack(new App(), "Compute", { env: { account, region: ids.drRegion } });
  const statements = mirrorStatements(stack, { names, primaryRegion: ids.primaryRegion, drRegion: ids.drRegion, roleArns: [executionRole(ids.drRegion)] });
  // ScaleDrService as the DR copy of an adopting stage's Failover stack grants it (stacks/failover/grants.ts).
  const drService = world.services.get(world.serviceKey(ids.drRegion, names.cluster, names.service))!;
  const scale = stepStatements("ScaleDrService", { tableArn: "", replicaArn: "", drServiceArn: drService.arn, primaryServiceArn: "", primaryDbArn: "", primaryParameterGroupArns: [], executionsArn: "", drSecretArn: "", hostedZoneId: undefined, recordName: undefined, mirrorFamily: names.mirrorFamily, grantPublish: () => undefined }, stack);
  const resolved = (list: typeof statements) => list.map((s) => resolveValue(stack.resolve(s.toStatementJson()), { region: ids.drRegion, account }) as PolicyStatement);
  iamOf(world).addRoles([
    { functionId: "MirrorTaskDefinition", roleName: "MirrorTaskDefinitionRole", statements: resolved(statements) },
    { functionId: "ScaleDrService", roleName: "ScaleDrServiceRole", statements: resolved(scale) },
  ]);
  const env: Record<string, string> = {
    PRIMARY_REGION: ids.primaryRegion,
    DR_REGION: ids.drRegion,
    PRIMARY_CLUSTER: names.primaryCluster,
    PRIMARY_SERVICE: names.primaryService,
    DR_CLUSTER: names.cluster,
    DR_SERVICE: names.service,
    DR_PILOT_TASK_COUNT: String(ids.drPilotTaskCount),
    DR_TASK_COUNT: String(ids.drTaskCount),
    // The mirror's family (both MirrorTaskDefinition's and the DR Failover copy's ScaleDrService's setting).
    MIRROR_FAMILY: names.mirrorFamily,
    PRIMARY_DB_ENDPOINT: shopPrimary.database.endpoint,
    DR_DB_ENDPOINT: replicaEndpoint,
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return { world, ids };
}

const teamContainer = (tag: string, environment: Record<string, string>): ContainerDefinition => ({
  // The container the team's load balancer sends to (the world's services name it `web`).
  name: "web",
  image: `${account}.dkr.ecr.eu-west-1.amazonaws.com/shop/storefront:${tag}`,
  essential: true,
  portMappings: [{ containerPort: 80 }],
  environment: Object.entries({ DB_HOST: shopPrimary.database.endpoint, ...environment }).map(([name, value]) => ({ name, value })),
  secrets: [{ name: "DB_PASSWORD", valueFrom: `arn:aws:secretsmanager:eu-west-1:${account}:secret:shop/prod/mysql-AbCdEf:password::` }],
  logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/shop/storefront", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web" } },
});

/** The team deploys a new revision of their own family and points their service at it (their pipeline, not pilot-light). */
async function teamDeploys(ids: AdoptedIds, tag: string, environment: Record<string, string>) {
  const ecs = new ECSClient({ region: ids.primaryRegion });
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "storefront",
      containerDefinitions: [teamContainer(tag, environment), { name: "log-router", image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", essential: false }],
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "512",
      memory: "1024",
      executionRoleArn: `arn:aws:iam::${account}:role/shop-ecs-execution`,
      taskRoleArn: `arn:aws:iam::${account}:role/shop-storefront-task`,
    }),
  );
  await ecs.send(new UpdateServiceCommand({ cluster: names.primaryCluster, service: names.primaryService, taskDefinition: out.taskDefinition!.taskDefinitionArn! }));
}

const failoverRun = (world: WorldState) => ({ mode: "failover", reason: "primary region outage", requestedBy: "health-monitor", incidentId: "inc-1", options: { switchDns: true, acknowledgeRpoBreach: false }, executionName: "failover-inc-1", startedAt: world.clock.now().toISOString() });
const runScale = (world: WorldState) => iamOf(world).runAs("ScaleDrService", () => scaleDr({ run: failoverRun(world) }, lambdaContext(`${names.prefix}-ScaleDrService`)));

/** A deploy of the stage: CloudFormation's update of the DR service sets its template's definition, pilot-light's own, back. */
const stageDeploy = (ids: AdoptedIds) =>
  new ECSClient({ region: ids.drRegion }).send(new UpdateServiceCommand({ cluster: names.cluster, service: names.service, taskDefinition: ids.taskDefinition }));

const runMirror = (world: WorldState) => iamOf(world).runAs("MirrorTaskDefinition", () => mirror({}, lambdaContext(`${names.prefix}-MirrorTaskDefinition`)));

/** What the DR service runs, as DescribeTaskDefinition shows it. */
async function drDefinition(world: WorldState, ids: AdoptedIds) {
  const svc = world.services.get(world.serviceKey(ids.drRegion, names.cluster, names.service))!;
  const out = await new ECSClient({ region: ids.drRegion }).send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
  return { svc, definition: out.taskDefinition! };
}

describe("the DR task definition of an adopting stage", () => {
  it("follows the team's: after they deploy a new image and variable, the DR service a failover starts runs them, from the DR registry", async () => {
    const { world, ids } = adoptedWorld();
    await teamDeploys(ids, "2026-11-30", { FEATURE_CHECKOUT: "v1" });
    await runMirror(world);
    await teamDeploys(ids, "2026-12-07", { FEATURE_CHECKOUT: "v2" });
    await runMirror(world);

    // The primary region fails; the failover's ScaleDrService starts the DR service (it reads nothing in the primary).
    world.regionsDown.add(ids.primaryRegion);
    const run = { mode: "failover", reason: "primary region outage", requestedBy: "health-monitor", incidentId: "inc-1", options: { switchDns: true, acknowledgeRpoBreach: false }, executionName: "failover-inc-1", startedAt: world.clock.now().toISOString() };
    await scaleDr({ run }, lambdaContext(`${names.prefix}-ScaleDrService`));
    const { svc, definition } = await drDefinition(world, ids);
    expect(svc.desired).toBe(ids.drTaskCount);
    const web = definition.containerDefinitions!.find((c) => c.name === "web")!;
    expect(web.image).toBe(`${account}.dkr.ecr.eu-central-1.amazonaws.com/shop/storefront:2026-12-07`);
    expect(web.environment).toEqual([
      { name: "DB_HOST", value: replicaEndpoint },
      { name: "FEATURE_CHECKOUT", value: "v2" },
    ]);
    expect(web.secrets).toEqual([{ name: "DB_PASSWORD", valueFrom: `arn:aws:secretsmanager:eu-central-1:${account}:secret:shop/prod/mysql-AbCdEf:password::` }]);
    expect(web.logConfiguration?.options).toMatchObject({ "awslogs-region": "eu-central-1" });
    expect(definition).toMatchObject({ family: names.mirrorFamily, executionRoleArn: executionRole(ids.drRegion), cpu: "512", memory: "1024" });
    // Its execution role reads the database secret's replica: the tasks start.
    world.clock.advance(600);
    expect(world.running(svc)).toBe(ids.drTaskCount);
  });

  it("starts no DR task when the team's definition names a secret the DR execution role may not read (ECS's ResourceInitializationError): a failover would fail; once started, a task keeps running and only new ones are refused", async () => {
    const { world, ids } = adoptedWorld();
    // The team's payment key, replicated to the DR region, but named only in their task definition (not in the stage's application.secrets).
    for (const region of [ids.primaryRegion, ids.drRegion])
      world.secrets.set(world.secretKey(region, "shop/prod/stripe"), { name: "shop/prod/stripe", region, arn: `arn:aws:secretsmanager:${region}:${account}:secret:shop/prod/stripe-Zx12Yw`, primaryRegion: ids.primaryRegion, secretString: "sk_live" });
    const ecs = new ECSClient({ region: ids.primaryRegion });
    const container = teamContainer("2026-12-07", {});
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "storefront",
        containerDefinitions: [{ ...container, secrets: [...container.secrets!, { name: "STRIPE_KEY", valueFrom: `arn:aws:secretsmanager:eu-west-1:${account}:secret:shop/prod/stripe-Zx12Yw` }] }],
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "512",
        memory: "1024",
        executionRoleArn: `arn:aws:iam::${account}:role/shop-ecs-execution`,
      }),
    );
    await ecs.send(new UpdateServiceCommand({ cluster: names.primaryCluster, service: names.primaryService, taskDefinition: out.taskDefinition!.taskDefinitionArn! }));
    await runMirror(world);
    world.regionsDown.add(ids.primaryRegion);
    const run = { mode: "failover", reason: "primary region outage", requestedBy: "health-monitor", incidentId: "inc-1", options: { switchDns: true, acknowledgeRpoBreach: false }, executionName: "failover-inc-1", startedAt: world.clock.now().toISOString() };
    await scaleDr({ run }, lambdaContext(`${names.prefix}-ScaleDrService`));
    world.clock.advance(600);
    const { svc } = await drDefinition(world, ids);
    expect(svc.desired).toBe(ids.drTaskCount);
    expect(world.running(svc)).toBe(0);
    expect(world.taskStartRefusal(svc, svc.taskDefinition)).toMatch(/^ResourceInitializationError: .*AccessDeniedException: .*secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop\/prod\/stripe-Zx12Yw/);
    // Granted the secret, ECS's next launches start; revoked, the running tasks keep running (their
    // secrets were read when they started) and only a new task is refused.
    const grants = accountState(world).rolePolicies.get(executionRoleName(names.prefix, ids.drRegion))!;
    grants.push({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:${ids.drRegion}:${account}:secret:shop/prod/stripe-Zx12Yw` });
    expect(world.running(svc)).toBe(ids.drTaskCount);
    grants.pop();
    world.setDesired(svc, ids.drTaskCount + 1);
    world.clock.advance(600);
    expect(world.running(svc)).toBe(ids.drTaskCount);
    expect(world.healthyTargets(svc)).toBe(ids.drTaskCount);
  });

  it("registers nothing new while the team's definition is unchanged, also after registrations whose answers were lost", async () => {
    const { world, ids } = adoptedWorld();
    await teamDeploys(ids, "2026-11-30", {});
    // Every attempt registers, and its answer is lost (the SDK's retries register again, as ECS would).
    world.inject({ api: "ecs:RegisterTaskDefinition", error: "ECONNRESET", applied: true, times: 3 });
    await expect(runMirror(world)).rejects.toThrow();
    const registered = () => [...world.taskDefinitions].filter((arn) => arn.includes(`task-definition/${names.mirrorFamily}:`)).sort();
    const afterLoss = registered();
    expect(afterLoss.length).toBeGreaterThan(0);
    await runMirror(world);
    await runMirror(world);
    expect(registered()).toEqual(afterLoss);
    expect((await drDefinition(world, ids)).svc.taskDefinition).toBe(afterLoss.at(-1));
  });

  it("in an outage of the primary region, fails and leaves the last mirror in place", async () => {
    const { world, ids } = adoptedWorld();
    await teamDeploys(ids, "2026-11-30", {});
    await runMirror(world);
    const before = (await drDefinition(world, ids)).svc.taskDefinition;
    world.regionsDown.add(ids.primaryRegion);
    await expect(runMirror(world)).rejects.toThrow();
    expect((await drDefinition(world, ids)).svc.taskDefinition).toBe(before);
  });

  it("refuses a team definition whose served port the DR service does not send to, saying what to set", async () => {
    const { world, ids } = adoptedWorld();
    await teamDeploys(ids, "2026-11-30", {});
    const team = world.services.get(world.serviceKey(ids.primaryRegion, names.primaryCluster, names.primaryService))!;
    const before = (await drDefinition(world, ids)).svc.taskDefinition;
    // The team's container now listens on 8080 (their own load balancer too; the world's services name port 80).
    const ecs = new ECSClient({ region: ids.primaryRegion });
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "storefront", containerDefinitions: [{ ...teamContainer("2026-12-07", {}), portMappings: [{ containerPort: 8080 }] }], networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "512", memory: "1024", executionRoleArn: `arn:aws:iam::${account}:role/shop-ecs-execution` }),
    );
    team.taskDefinition = out.taskDefinition!.taskDefinitionArn!;
    await expect(runMirror(world)).rejects.toThrow(/listens on 8080; the DR service's load balancer sends to 80: set the stage's application\.containerPort to 8080/);
    expect((await drDefinition(world, ids)).svc.taskDefinition).toBe(before);
  });

  it("starts the mirror's revision in a failover after a deploy of the stage set the DR service back to pilot-light's own, in the scale-up's one UpdateService, read again after a lost answer", async () => {
    const { world, ids } = adoptedWorld();
    await teamDeploys(ids, "2026-12-07", { FEATURE_CHECKOUT: "v2" });
    await runMirror(world);
    const mirrored = (await drDefinition(world, ids)).svc.taskDefinition;
    await stageDeploy(ids);
    expect((await drDefinition(world, ids)).svc.taskDefinition).toBe(ids.taskDefinition);

    world.regionsDown.add(ids.primaryRegion);
    const since = world.calls.length;
    const failoverCalls = (api: string) => world.calls.slice(since).filter((c) => c.api === api);
    // Every attempt of the scale-up applies and loses its answer; the state machine's retry reads the world again.
    world.inject({ api: "ecs:UpdateService", error: "ECONNRESET", applied: true, times: 3 });
    await expect(runScale(world)).rejects.toThrow();
    const updates = failoverCalls("ecs:UpdateService").length;
    const result = await runScale(world);
    expect(failoverCalls("ecs:UpdateService").length, "found set: no second change").toBe(updates);
    expect(result.application).toEqual({ family: names.mirrorFamily, taskDefinition: mirrored, mirrored: true, replaced: null });
    expect(failoverCalls("ecs:UpdateService")[0]?.input).toEqual({ cluster: names.cluster, service: names.service, desiredCount: ids.drTaskCount, taskDefinition: mirrored });
    expect(failoverCalls("ecs:DescribeTaskDefinition").map((c) => c.region)).toEqual([ids.drRegion, ids.drRegion]);
    const { svc, definition } = await drDefinition(world, ids);
    expect(svc).toMatchObject({ desired: ids.drTaskCount, taskDefinition: mirrored });
    expect(definition.containerDefinitions!.find((c) => c.name === "web")!.image).toBe(`${account}.dkr.ecr.eu-central-1.amazonaws.com/shop/storefront:2026-12-07`);
    world.clock.advance(600);
    expect(world.running(svc)).toBe(ids.drTaskCount);
  });

  it("starts the DR service's own definition when no mirror was ever registered, and says so (the failover's message names it)", async () => {
    const { world, ids } = adoptedWorld();
    world.regionsDown.add(ids.primaryRegion);
    const result = await runScale(world);
    expect(result.application).toEqual({ family: names.mirrorFamily, taskDefinition: ids.taskDefinition, mirrored: false, replaced: null });
    expect((await drDefinition(world, ids)).svc).toMatchObject({ desired: ids.drTaskCount, taskDefinition: ids.taskDefinition });
  });

  it("deregisters the family's revisions beyond the newest 3, never the one the DR service runs; a refused deregistration leaves the pass succeeding and the next pass does it", async () => {
    const { world, ids } = adoptedWorld();
    const dr = new ECSClient({ region: ids.drRegion });
    const active = async () => (await dr.send(new ListTaskDefinitionsCommand({ familyPrefix: names.mirrorFamily }))).taskDefinitionArns!.map((arn) => Number(arn.split(":").pop()));
    await teamDeploys(ids, "r1", {});
    await runMirror(world);
    // The DR service serves (a failover): later passes register mirrors but leave it on revision 1.
    const svc = (await drDefinition(world, ids)).svc;
    world.setDesired(svc, ids.drTaskCount);
    for (const tag of ["r2", "r3", "r4"]) {
      await teamDeploys(ids, tag, {});
      await runMirror(world);
    }
    expect(await active(), "the newest 3 and the one the DR service runs").toEqual([1, 2, 3, 4]);
    await teamDeploys(ids, "r5", {});
    world.inject({ api: "ecs:DeregisterTaskDefinition", error: "AccessDeniedException", times: 1 });
    const refused = await runMirror(world);
    expect(refused.retired).toEqual({ deregistered: [], failed: expect.stringMatching(/^AccessDeniedException/) });
    expect(await active()).toEqual([1, 2, 3, 4, 5]);
    const next = await runMirror(world);
    expect(next.retired).toEqual({ deregistered: [expect.stringMatching(/:2$/)], failed: null });
    expect(await active(), "the newest 3, and the one the serving DR service runs").toEqual([1, 3, 4, 5]);
    // Back at its pilot light, the service is set to the newest; revision 1 is then retired, and `family` names the newest ACTIVE one.
    world.setDesired(svc, ids.drPilotTaskCount);
    await runMirror(world);
    await runMirror(world);
    expect(await active()).toEqual([3, 4, 5]);
    expect((await dr.send(new DescribeTaskDefinitionCommand({ taskDefinition: names.mirrorFamily }))).taskDefinition?.revision).toBe(5);
    expect((await dr.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${names.mirrorFamily}:1` }))).taskDefinition?.status).toBe("INACTIVE");
  });
});
