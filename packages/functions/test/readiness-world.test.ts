/**
 * Readiness against the world: the scheduled EvaluateReadiness handler, as its synthesized role
 * (stacks/readiness/grants.ts), reads a world seeded as a stage's stacks leave the account
 * (packages/world/src/account.ts) and judges it. A healthy world is ready; each problem seeded
 * in it (one at a time) is that check failing, with what to do, and only that check. The adopted
 * world (the team's names) is judged under the stage's `adopt` names.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { App, Stack } from "aws-cdk-lib";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { Adoption, Readiness, Stage } from "@pilot-light/core";
import {
  accountState,
  adoptedPrimaryWorld,
  deployStackRoles,
  ecrImageUri,
  executionRoleName,
  failbackWorld,
  fargateVcpuQuota,
  iamOf,
  installApis,
  lambdaContext,
  parameterKey,
  quotaKey,
  resolveValue,
  partition,
  seededImageTag,
  setAppFault,
  startDynalite,
  startHealthServer,
  type HealthServer,
  type LocalDynamo,
  type PilotLightIds,
  type PolicyStatement,
  type WorldState,
} from "../../world/src";
import { readinessStatements } from "../../../stacks/readiness/grants";
import { shopPrimary } from "../../core/test/support/adopted";
import { handler } from "../src/evaluate-readiness";

const account = "123456789012";

let dynamo: LocalDynamo;
let table: string;
/** Each region's health path, answered from the world the test evaluates (`current`). */
let health: HealthServer;
let current: WorldState | undefined;
beforeAll(async () => {
  dynamo = await startDynalite();
  table = await dynamo.createStateTable();
  health = await startHealthServer(() => current!);
});
afterAll(async () => Promise.all([dynamo.stop(), health.close()]));

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

interface Target {
  app: string;
  stage: string;
  adopt?: Stage.AdoptConfig;
}

/** The evaluation's role as the Operations stack grants it in `account`, bound to the stage's names. */
function evaluationRole(ids: PilotLightIds, target: Target): PolicyStatement[] {
  const stack = new Stack(new App(), "Operations", { env: { account, region: ids.drRegion } });
  const names = Stage.resourceNames(target);
  const statements = readinessStatements(stack, {
    names,
    primaryRegion: ids.primaryRegion,
    drRegion: ids.drRegion,
    tableArn: `arn:aws:dynamodb:${ids.drRegion}:${account}:table/${table}`,
    healthCheckId: ids.primaryHealthCheckId,
    hostedZoneId: ids.dns ? ids.hostedZoneId : undefined,
    prebuiltImage: true,
    stackNames: [Readiness.stackName(target, "Failover"), Readiness.stackName(target, "Failback")],
    adopted: target.adopt !== undefined,
  });
  return statements.map((s) => resolveValue(stack.resolve(s.toStatementJson()), { region: ids.drRegion, account }) as PolicyStatement);
}

/** What the steps' catalogue is bound to for `target` in the world (as the Operations stack sets it). */
function permissionTarget(ids: PilotLightIds, target: Target): Readiness.PermissionTarget {
  const a = target.adopt;
  return Readiness.permissionTargetOf({
    app: target.app,
    stage: target.stage,
    primaryRegion: ids.primaryRegion,
    drRegion: ids.drRegion,
    dns: ids.dns ? { hostedZoneId: ids.hostedZoneId, recordName: ids.recordName, hostedZoneName: "example.com" } : undefined,
    adopt: a,
  } as Parameters<typeof Readiness.permissionTargetOf>[0]);
}

/**
 * The DR region's Failover and Failback stacks as deployed: each step's role with its grants (the
 * catalogue bound to the world's names, encrypted topic and reverse replication role), and the
 * failback's ReverseReplicationRole. Done once per world (a test may change a role after).
 */
function deployStepRoles(world: WorldState, ids: PilotLightIds, target: Target): void {
  const t = permissionTarget(ids, target);
  if (accountState(world).stacks.has(`${ids.drRegion}/${Readiness.stackName(t, "Failover")}`)) return;
  const topicArn = `arn:aws:sns:${ids.drRegion}:${account}:${Stage.resourceNames(target).topic}`;
  const topicKeyArn = `arn:aws:kms:${ids.drRegion}:${account}:key/0b6a1c2e-7d4f-4e8a-9c1b-3f5e6d7a8b9c`;
  iamOf(world).topicKeys.set(topicArn, topicKeyArn);
  const { prefix, rolePath } = Stage.resourceNames(target);
  const reverseRole = `${prefix}-failback-replication`;
  const refs = Readiness.catalogueRefs(t, account, topicKeyArn, `arn:aws:iam::${account}:role${rolePath}${reverseRole}`);
  const hasDns = t.dns !== undefined;
  const roles = (steps: Map<string, Readiness.CatalogueStatement[]>) =>
    [...steps].filter(([, statements]) => statements.length > 0).map(([step, statements]) => ({ functionId: `${step}0A1B2C3D`, roleName: `${step}ServiceRole0A1B2C3D`, statements: statements as PolicyStatement[] }));
  deployStackRoles(world, ids.drRegion, Readiness.stackName(t, "Failover"), roles(Readiness.bindCatalogue(t.adopted ? Readiness.stepCatalogue.adoptedFailover : Readiness.stepCatalogue.failover, refs, hasDns)), rolePath);
  const failback = Readiness.stackName(t, "Failback");
  deployStackRoles(world, ids.drRegion, failback, roles(Readiness.bindCatalogue(t.adopted ? Readiness.stepCatalogue.adoptedFailback : Readiness.stepCatalogue.failback, refs, hasDns)), rolePath);
  accountState(world).stacks.get(`${ids.drRegion}/${failback}`)!.push({ LogicalResourceId: "ReverseReplicationRole4E5F6A7B", PhysicalResourceId: reverseRole, ResourceType: "AWS::IAM::Role" });
}

/** A deployed step role's statements (`deployStepRoles`), to change. */
function stepRole(world: WorldState, ids: PilotLightIds, stack: "Failover" | "Failback", step: string, target: Target = { app: "pilot-light", stage: "test" }): PolicyStatement[] {
  const physical = accountState(world).stacks.get(`${ids.drRegion}/${Readiness.stackName(target, stack)}`)!.find((r) => r.LogicalResourceId === `${step}ServiceRole0A1B2C3D`)!.PhysicalResourceId;
  return accountState(world).rolePolicies.get(physical)!;
}

/** Runs the scheduled evaluation once in `world`, as its role, and returns what READINESS#last holds. */
async function evaluate(world: WorldState, ids: PilotLightIds, target: Target = { app: "pilot-light", stage: "test" }, settings: Record<string, string> = {}) {
  uninstall = installApis(world);
  current = world;
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(world.clock.now());
  const names = Stage.resourceNames(target);
  const env: Record<string, string> = {
    APP: target.app,
    STAGE: target.stage,
    PRIMARY_REGION: ids.primaryRegion,
    DR_REGION: ids.drRegion,
    HAS_DNS: String(ids.dns),
    DR_TASK_COUNT: String(ids.drTaskCount),
    TASK_CPU: "512",
    TABLE_NAME: table,
    ACCOUNT: account,
    IMAGE_URI: ecrImageUri(account, ids.primaryRegion, names.repository, seededImageTag),
    // As the Operations stack sets it for an adopting stage.
    ...(target.adopt ? { PRIMARY_DB: names.primaryDb } : {}),
    ...(ids.dns ? { HOSTED_ZONE_ID: ids.hostedZoneId, RECORD_NAME: ids.recordName } : {}),
    ...(permissionTarget(ids, target).adopted ? { ADOPTED_NAMES: JSON.stringify(permissionTarget(ids, target).adopted) } : {}),
    // The regions' own names, as the Operations stack sets them, are the world's health server.
    HEALTH_PATH: "/health.php",
    ...(ids.dns ? { HEALTH_URLS: JSON.stringify({ [ids.primaryRegion]: health.url(ids.primaryRegion), [ids.drRegion]: health.url(ids.drRegion) }) } : {}),
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    ...settings,
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  deployStepRoles(world, ids, target);
  const iam = iamOf(world);
  iam.addRoles([{ functionId: "EvaluateReadiness", roleName: "EvaluateReadinessServiceRole", statements: evaluationRole(ids, target) }]);
  const answer = (await iam.runAs("EvaluateReadiness", () => handler({}, lambdaContext(`${names.prefix}-EvaluateReadiness`)))) as { ready: boolean; failing: string[] };
  const denied = iam.decisions.filter((d) => !d.allowed).map((d) => `${d.action} on ${d.resource}`);
  const stored = await iam.outsideFunctions(() => Readiness.loadEvaluation(DynamoDBDocumentClient.from(new DynamoDBClient({ region: ids.drRegion })), table));
  return { answer, stored: stored!, denied };
}

const names = Stage.resourceNames({ app: "pilot-light", stage: "test" });
const topic = (ids: PilotLightIds, region: string) => `arn:aws:sns:${region}:${account}:${names.topic}`;

/** Each seeded problem: what it breaks in a healthy world, the check that must fail, and what its finding must say. */
const problems: { problem: string; check: Readiness.Check; also?: Readiness.Check[]; seed: (world: WorldState, ids: PilotLightIds) => void; detail: RegExp; action: RegExp; settings?: Record<string, string> }[] = [
  // Without the replica, the switchback's seal has no database either.
  { problem: "the replica is missing", check: "replica", also: ["seal-parameter-group"], seed: (w, ids) => void w.databases.delete(ids.replicaDb), detail: /no DR database in eu-central-1/, action: /pnpm deploy:all --stage test/ },
  {
    problem: "the replica has no backup yet",
    check: "replica-backups",
    seed: (w, ids) => void accountState(w).firstBackupAtMs.delete(w.databases.get(ids.replicaDb)!),
    detail: /no backup yet/,
    action: /wait for its first automated backup/,
  },
  { problem: "the replica's backups are off", check: "replica-backups", seed: (w, ids) => void (w.databases.get(ids.replicaDb)!.backupRetentionDays = 0), detail: /automated backups are off/, action: /turn them on/ },
  {
    problem: "the DR image is missing from the DR registry",
    check: "dr-image",
    seed: (w, ids) => void accountState(w).images.get(`${ids.drRegion}/${names.repository}`)!.delete(seededImageTag),
    detail: /pilot-light-test-web:1\.0\.0 is not in eu-central-1's registry/,
    action: /push the image again/,
  },
  {
    problem: "the primary registry no longer replicates the repository",
    check: "image-replication",
    seed: (w, ids) => void accountState(w).registryReplication.set(ids.primaryRegion, []),
    detail: /no replication rule sending pilot-light-test-web to eu-central-1/,
    action: /put-replication-configuration --region eu-west-1/,
  },
  {
    problem: "the DR task definition is inactive",
    check: "dr-task-definition",
    seed: (w, ids) => void (accountState(w).taskDefinitions.get(ids.taskDefinition)!.status = "INACTIVE"),
    detail: /is INACTIVE: ECS starts no new task from it/,
    action: /pnpm deploy:all --stage test/,
  },
  {
    problem: "the DR task definition's execution role is gone",
    check: "dr-task-definition",
    seed: (w, ids) => void accountState(w).roles.delete(executionRoleName(names.prefix, ids.drRegion)),
    detail: /execution role arn:aws:iam::123456789012:role\/pilot-light\/test\/test-pilot-light-Compute-TaskExecutionRole250D2532-\w{13} does not exist/,
    action: /registers the task definition and its execution role/,
  },
  {
    problem: "the DR region's Fargate quota is below the scale-up (AWS's default)",
    check: "dr-quota",
    seed: () => undefined,
    settings: { DR_TASK_COUNT: "16", TASK_CPU: "1024" },
    detail: /16 vCPU\) but the Fargate On-Demand vCPU quota in eu-central-1 is 6/,
    action: /request-service-quota-increase --region eu-central-1 --service-code fargate --quota-code L-3032A538 --desired-value 16/,
  },
  {
    problem: "the DR region's Fargate quota was lowered",
    check: "dr-quota",
    seed: (w, ids) => void (accountState(w).quotas.get(quotaKey(ids.drRegion, fargateVcpuQuota.serviceCode, fargateVcpuQuota.quotaCode))!.applied = 0.5),
    detail: /\(1 vCPU\) but the Fargate On-Demand vCPU quota in eu-central-1 is 0\.5/,
    action: /--desired-value 1/,
  },
  {
    problem: "the primary region's subscription is unconfirmed",
    check: "alerts",
    seed: (w, ids) => void (accountState(w).topics.get(topic(ids, ids.primaryRegion))![0]!.confirmed = false),
    detail: /eu-west-1: nobody is told \(1 pending confirmation: oncall@example\.com\)/,
    action: /confirm the "AWS Notification - Subscription Confirmation" e-mail from eu-west-1/,
  },
  {
    problem: "the DR region's subscription is unconfirmed",
    check: "alerts",
    seed: (w, ids) => void (accountState(w).topics.get(topic(ids, ids.drRegion))![0]!.confirmed = false),
    detail: /eu-central-1: nobody is told/,
    action: /e-mail from eu-central-1/,
  },
  {
    problem: "the health check is missing",
    check: "health-check",
    seed: (w, ids) => void accountState(w).parameters.delete(parameterKey(ids.drRegion, Stage.primaryHealthCheckParameter(names))),
    detail: /no Route 53 health check on the primary/,
    action: /its Dns stack creates it/,
  },
  {
    // Its health path answers 503 too: the contract is not answered either.
    problem: "the serving primary's tasks are gone (Route 53's checkers see it unhealthy)",
    check: "health-check",
    also: ["health-contract"],
    seed: (w, ids) => w.setDesired(w.services.get(w.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService))!, 0),
    detail: /^health check hc-primary-0001: 8 checkers reporting, 0 see the primary healthy, while the primary serves/,
    action: /aws route53 get-health-check-status --health-check-id hc-primary-0001/,
  },
  {
    problem: "the database secret has no replica in the DR region",
    check: "secret-replica",
    seed: (w, ids) => void w.secrets.delete(w.secretKey(ids.drRegion, ids.secretName)),
    detail: /secret pilot-light-test\/db-credentials has no replica in eu-central-1/,
    action: /aws secretsmanager replicate-secret-to-regions --region eu-west-1 --secret-id pilot-light-test\/db-credentials --add-replica-regions Region=eu-central-1,KmsKeyId=alias\/aws\/secretsmanager/,
  },
  {
    problem: "the database secret's replication to the DR region failed",
    check: "secret-replica",
    seed: (w, ids) => {
      w.secrets.delete(w.secretKey(ids.drRegion, ids.secretName));
      w.findSecret(ids.primaryRegion, ids.secretName)!.pendingReplicas = { [ids.drRegion]: { status: "Failed", message: "Secret with this name already exists in this region" } };
    },
    detail: /replication to eu-central-1 is Failed \(Secret with this name already exists in this region\)/,
    action: /--force-overwrite-replica-secret/,
  },
  {
    problem: "the primary's KMS key is disabled",
    check: "kms-keys",
    seed: (w, ids) => void (accountState(w).kmsKeys.get(`arn:aws:kms:${ids.primaryRegion}:${account}:key/primary-db-key`)!.state = "Disabled"),
    detail: /key\/primary-db-key \(eu-west-1\): Disabled/,
    action: /aws kms enable-key/,
  },
  {
    problem: "the replica's KMS key is pending deletion",
    check: "kms-keys",
    seed: (w, ids) => void (accountState(w).kmsKeys.get(`arn:aws:kms:${ids.drRegion}:${account}:key/dr-db-key`)!.state = "PendingDeletion"),
    detail: /key\/dr-db-key \(eu-central-1\): PendingDeletion/,
    action: /cancel-key-deletion/,
  },
  {
    problem: "the serving primary's health path answers readOnly as a string",
    check: "health-contract",
    seed: (w, ids) => setAppFault(w, ids.primaryRegion, { kind: "read-only-breach", readOnly: "string" }),
    detail: /^GET http:\/\/127\.0\.0\.1:\d+\/eu-west-1\/health\.php answered 200 without the health contract's boolean readOnly \(readOnly: "false"; docs\/health-contract\.md\): a failover's VerifyDrHealth .* require "readOnly": false/,
    action: /^make the health path answer the contract: .*"readOnly" is the boolean @@global\.read_only .*docs\/health-contract\.md.*pnpm dr readiness --stage test$/,
  },
  {
    problem: "the serving primary's health path leaves readOnly out",
    check: "health-contract",
    seed: (w, ids) => setAppFault(w, ids.primaryRegion, { kind: "read-only-breach", readOnly: "absent" }),
    detail: /answered 200 without the health contract's boolean readOnly \(readOnly: absent;/,
    action: /^make the health path answer the contract/,
  },
];

describe("the scheduled readiness evaluation against the world", () => {
  it("reports a healthy stage as ready, every check passing, every call allowed by its role", async () => {
    const { world, ids } = failbackWorld();
    const { answer, stored, denied } = await evaluate(world, ids);
    expect(stored.failing).toEqual([]);
    expect(answer).toEqual({ ready: true, failing: [] });
    // Every check ran: both regions' alerts count twice; the task definition mirror is an adopting stage's only.
    expect(stored.checks).toBe(Readiness.checks.length);
    expect(denied).toEqual([]);
    // Each failover and failback step's deployed role was simulated (19 + 21 on a stage with DNS).
    expect(new Set(world.callsTo("iam:SimulatePrincipalPolicy").map((c) => (c.input as { PolicySourceArn: string }).PolicySourceArn)).size).toBe(40);
  });

  it("reports a stage with a name of the longest length allowed as ready: CloudFormation cut the stack's name out of its roles' names, the stage's IAM path holds them all", async () => {
    const target: Target = { app: "pilot-light", stage: "payments-eu-staging-2" };
    const { world, ids } = failbackWorld({ prefix: Stage.resourceNames(target).prefix });
    const { answer, denied } = await evaluate(world, ids, target);
    expect(answer).toEqual({ ready: true, failing: [] });
    expect(denied).toEqual([]);
    const simulated = new Set(world.callsTo("iam:SimulatePrincipalPolicy").map((c) => (c.input as { PolicySourceArn: string }).PolicySourceArn));
    expect(simulated.size).toBe(40);
    expect([...simulated].filter((arn) => !arn.startsWith("arn:aws:iam::123456789012:role/pilot-light/payments-eu-staging-2/payments-eu-staging-2-pil-"))).toEqual([]);
  });

  it("reports a step's role that lost an action: the step, the role, the action and the resource, and what to do", async () => {
    const { world, ids } = failbackWorld();
    deployStepRoles(world, ids, { app: "pilot-light", stage: "test" });
    const role = stepRole(world, ids, "Failover", "PromoteReplica");
    const kept = role.filter((s) => ![s.Action ?? []].flat().includes("rds:PromoteReadReplica"));
    expect(kept.length).toBeLessThan(role.length);
    role.splice(0, role.length, ...kept);
    const { answer, stored, denied } = await evaluate(world, ids);
    expect(answer).toEqual({ ready: false, failing: ["permissions"] });
    expect(stored.failing[0]!.detail).toMatch(/^step PromoteReplica, role arn:aws:iam::123456789012:role\/pilot-light\/test\/test-pilot-light-Failover-PromoteReplicaServiceRol.*, would be refused .*rds:PromoteReadReplica on arn:aws:rds:eu-central-1:123456789012:db:pilot-light-test-replica: implicitDeny$/);
    expect(stored.failing[0]!.action).toMatch(/^a failover stops at PromoteReplica: .*deploy the stage again if the role lost its grants \(stacks\/failover\/grants\.ts\)/);
    expect(denied).toEqual([]);
  });

  it("reports a Deny on a failback step's role and a step whose role is not in its stack", async () => {
    const { world, ids } = failbackWorld();
    deployStepRoles(world, ids, { app: "pilot-light", stage: "test" });
    stepRole(world, ids, "Failback", "ReverseReplication").push({ Sid: "NoPassRole", Effect: "Deny", Action: "iam:PassRole", Resource: "*" });
    const failover = accountState(world).stacks.get(`${ids.drRegion}/test-pilot-light-Failover`)!;
    failover.splice(failover.findIndex((r) => r.LogicalResourceId.startsWith("ScaleDrServiceServiceRole")), 1);
    const { stored } = await evaluate(world, ids);
    expect(stored.failing.map((f) => f.detail)).toEqual([
      "step ScaleDrService: no execution role in the deployed Failover stack",
      expect.stringMatching(/^step ReverseReplication, role .*, would be refused iam:PassRole on arn:aws:iam::123456789012:role\/pilot-light\/test\/pilot-light-test-failback-replication: explicitDeny \(a Deny in NoPassRole\)$/),
    ]);
  });

  it.each(problems)("reports $problem as $check failing, with what to do, and nothing else", async ({ check, also, seed, detail, action, settings }) => {
    const { world, ids } = failbackWorld();
    seed(world, ids);
    const { answer, stored, denied } = await evaluate(world, ids, undefined, settings);
    expect(answer.ready).toBe(false);
    expect(stored.failing.map((f) => f.check)).toEqual([check, ...(also ?? [])]);
    expect(stored.failing[0]!.detail).toMatch(detail);
    expect(stored.failing[0]!.action).toMatch(action);
    expect(denied).toEqual([]);
  });

  it("does not report the primary's failing health check once re-protected (state C): the primary region holds the replica at its pilot light", async () => {
    const { world, ids } = failbackWorld();
    const primary = world.databases.get(ids.primaryDb)!;
    const dr = world.databases.get(ids.replicaDb)!;
    dr.sourceIdentifier = null;
    primary.sourceIdentifier = dr.arn;
    world.setDesired(world.services.get(world.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService))!, 0);
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, ids.drTaskCount);
    const { stored } = await evaluate(world, ids);
    expect(world.callsTo("route53:GetHealthCheckStatus").length).toBeGreaterThan(0);
    expect(stored.failing.map((f) => f.check)).not.toContain("health-check");
  });

  it("judges the health contract of the region that serves: the DR region's once re-protected (state C), not the primary's at its pilot light", async () => {
    const { world, ids } = failbackWorld();
    const primary = world.databases.get(ids.primaryDb)!;
    const dr = world.databases.get(ids.replicaDb)!;
    dr.sourceIdentifier = null;
    primary.sourceIdentifier = dr.arn;
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, ids.drTaskCount);
    world.clock.advance(600);
    setAppFault(world, ids.primaryRegion, { kind: "read-only-breach", readOnly: "absent" });
    setAppFault(world, ids.drRegion, { kind: "read-only-breach", readOnly: "absent" });
    const { stored } = await evaluate(world, ids);
    const findings = stored.failing.filter((f) => f.check === "health-contract");
    expect(findings).toHaveLength(1);
    expect(findings[0]!.detail).toMatch(/^GET \S+\/eu-central-1\/health\.php answered 200 without the health contract's boolean readOnly/);
  });

  it("reports a serving health path that does not answer as could not read, not as a breach of the contract", async () => {
    const { world, ids } = failbackWorld();
    partition(world, ids.primaryRegion, ids.drRegion);
    const { stored } = await evaluate(world, ids);
    const finding = stored.failing.find((f) => f.check === "health-contract");
    expect(finding?.detail).toMatch(/^could not read the serving region's \(eu-west-1\) health path at \S+: /);
    expect(finding?.action).toMatch(/^if the region is down, that is the monitor's \(pnpm dr status --stage test\)/);
  });

  it("reports a replica that stopped replicating (its source's region down, not answering) and the reads that region leaves unanswered, not a hung run", async () => {
    const { world, ids } = failbackWorld();
    world.regionsDown.add(ids.primaryRegion);
    const { stored } = await evaluate(world, ids);
    const failing = new Map(stored.failing.map((f) => [f.check, f]));
    expect(failing.get("replica-replicating")?.detail).toMatch(/read replication: error \(Replication from .* is not running/);
    expect(failing.get("replica-replicating")?.action).toMatch(/read the replica's RDS events/);
    // The primary region's reads end at the clients' timeouts, each a finding of its own.
    expect(failing.get("fence-parameter-group")?.detail).toMatch(/could not read the database in eu-west-1/);
  });

  it("judges the adopted primary under the team's names: only the fence's default.* group and the simple record fail, with the commands that fix them", async () => {
    const { world, ids } = adoptedPrimaryWorld();
    const target: Target = { app: "pilot-light", stage: "shop", adopt: Stage.AdoptConfig.parse(shopPrimary) };
    await teamDeploys(world, ids, target, { release: "v1" });
    await mirror(world, ids, target);
    const { stored, denied } = await evaluate(world, ids, target);
    // Before the adoption: the team's simple record cannot move users (a failover's Preflight refuses it).
    expect(stored.failing.map((f) => f.check)).toEqual(["fence-parameter-group", "dns-record"]);
    expect(stored.failing[1]!.detail).toMatch(/^app\.example\.com in zone .* is not a failover pair/);
    expect(stored.failing[1]!.action).toMatch(/pnpm deploy:all --stage shop --apply-adoption/);
    // The task definition mirror was judged too, and passed: the DR service runs a mirror of what the team runs.
    expect(stored.checks).toBe(Readiness.checks.length + 1);
    expect(stored.failing[0]!.detail).toMatch(/shop-mysql-prod uses default\.mysql8\.4 parameter group/);
    expect(stored.failing[0]!.action).toMatch(/aws rds create-db-parameter-group --region eu-west-1 .*aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-mysql-prod/);
    expect(denied).toEqual([]);
    // The team's key was read in the primary region.
    expect(world.callsTo("kms:DescribeKey").map((c) => (c.input as { KeyId: string }).KeyId)).toContain(`arn:aws:kms:${ids.primaryRegion}:${account}:key/5f1c2b7e-shop-db`);
  });

  it("reports an adopting stage's ScaleDrService whose role may not read the mirror's latest revision (the grant only an adopting stage has)", async () => {
    const { world, ids } = adoptedPrimaryWorld();
    const target: Target = { app: "pilot-light", stage: "shop", adopt: Stage.AdoptConfig.parse(shopPrimary) };
    await teamDeploys(world, ids, target, { release: "v1" });
    await mirror(world, ids, target);
    deployStepRoles(world, ids, target);
    const role = stepRole(world, ids, "Failover", "ScaleDrService", target);
    const kept = role.filter((s) => ![s.Action ?? []].flat().includes("ecs:DescribeTaskDefinition"));
    expect(kept.length).toBeLessThan(role.length);
    role.splice(0, role.length, ...kept);
    const { stored, denied } = await evaluate(world, ids, target);
    const permissions = stored.failing.filter((f) => f.check === "permissions");
    expect(permissions.map((f) => f.detail)).toEqual([expect.stringMatching(/^step ScaleDrService, role arn:aws:iam::123456789012:role\/pilot-light\/shop\/shop-pilot-light-Failover-ScaleDrServiceServiceRol.*, would be refused ecs:DescribeTaskDefinition on \*: implicitDeny$/)]);
    expect(permissions[0]!.action).toMatch(/^a failover stops at ScaleDrService: /);
    expect(denied).toEqual([]);
  });

  describe("the secrets the DR task definition names (a mirror copies the team's)", () => {
    const target: Target = { app: "pilot-light", stage: "shop", adopt: Stage.AdoptConfig.parse(shopPrimary) };
    const secretArn = (region: string, name: string, suffix: string) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
    const addSecret = (world: WorldState, ids: PilotLightIds, name: string, regions: string[]) => {
      for (const region of regions) world.secrets.set(world.secretKey(region, name), { name, region, arn: secretArn(region, name, "Zx12Yw"), primaryRegion: ids.primaryRegion, secretString: "s3cret" });
    };
    const secretsFinding = async (world: WorldState, ids: PilotLightIds) => {
      const { stored, denied } = await evaluate(world, ids, target);
      expect(denied).toEqual([]);
      return stored.failing.filter((f) => f.check === "dr-task-secrets");
    };
    /** The failover's scale-up, as ECS would start it: whether the DR tasks run. */
    const drTasksRun = (world: WorldState, ids: PilotLightIds) => {
      const n = Stage.resourceNames(target);
      const svc = world.services.get(world.serviceKey(ids.drRegion, n.cluster, n.service))!;
      world.setDesired(svc, ids.drTaskCount);
      world.clock.advance(600);
      return world.running(svc) === ids.drTaskCount;
    };

    it("passes the database secret's replica, which the DR execution role is granted (and the DR tasks start)", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1", secrets: [{ name: "DB_PASSWORD", valueFrom: `${secretArn(ids.primaryRegion, ids.secretName, "AbCdEf")}:password::` }] });
      await mirror(world, ids, target);
      expect(await secretsFinding(world, ids)).toEqual([]);
      expect(drTasksRun(world, ids)).toBe(true);
    });

    it("reports a secret named only in the team's task definition that is not in the DR region, with the command that replicates it (and the DR tasks would not start)", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      addSecret(world, ids, "shop/prod/stripe", [ids.primaryRegion]);
      await teamDeploys(world, ids, target, { release: "v1", secrets: [{ name: "STRIPE_KEY", valueFrom: secretArn(ids.primaryRegion, "shop/prod/stripe", "Zx12Yw") }] });
      await mirror(world, ids, target);
      const [finding, ...more] = await secretsFinding(world, ids);
      expect(more).toEqual([]);
      expect(finding?.detail).toMatch(/^web's STRIPE_KEY \(arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop\/prod\/stripe-Zx12Yw\) is not in eu-central-1: a failover's DR tasks would stop before they run/);
      expect(finding?.action).toMatch(/^replicate it to the DR region: aws secretsmanager replicate-secret-to-regions --region eu-west-1 --secret-id shop\/prod\/stripe --add-replica-regions Region=eu-central-1/);
      expect(drTasksRun(world, ids)).toBe(false);
    });

    it("reports a secret in the DR region the DR execution role may not read, with the stage setting that grants it (and the DR tasks would not start)", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      addSecret(world, ids, "shop/prod/stripe", [ids.primaryRegion, ids.drRegion]);
      await teamDeploys(world, ids, target, { release: "v1", secrets: [{ name: "STRIPE_KEY", valueFrom: secretArn(ids.primaryRegion, "shop/prod/stripe", "Zx12Yw") }] });
      await mirror(world, ids, target);
      const [finding, ...more] = await secretsFinding(world, ids);
      expect(more).toEqual([]);
      expect(finding?.detail).toMatch(
        /^web's STRIPE_KEY .*: the DR execution role arn:aws:iam::123456789012:role\/pilot-light\/shop\/shop-pilot-light-Compute-TaskExecutionRole250D2532-\w{13} would be refused secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop\/prod\/stripe-Zx12Yw: implicitDeny/,
      );
      expect(finding?.action).toMatch(/^add it to the stage's application\.secrets \("STRIPE_KEY": \{ "secretName": "shop\/prod\/stripe" \}\) and deploy \(pnpm deploy:all --stage shop\)/);
      expect(drTasksRun(world, ids)).toBe(false);
    });

    it("reports a Parameter Store parameter that is not in the DR region, with the command that creates it (and the DR tasks would not start)", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      accountState(world).parameters.set(parameterKey(ids.primaryRegion, "/shop/prod/api-key"), "k3y");
      await teamDeploys(world, ids, target, { release: "v1", secrets: [{ name: "API_KEY", valueFrom: "/shop/prod/api-key" }] });
      await mirror(world, ids, target);
      const [finding, ...more] = await secretsFinding(world, ids);
      expect(more).toEqual([]);
      expect(finding?.detail).toMatch(/^web's API_KEY \(\/shop\/prod\/api-key\) is not in eu-central-1: a failover's DR tasks would stop before they run/);
      expect(finding?.action).toMatch(/^create it in the DR region \(aws ssm put-parameter --region eu-central-1 --name \/shop\/prod\/api-key --type SecureString/);
      expect(drTasksRun(world, ids)).toBe(false);
    });

    it("passes a Parameter Store parameter in the DR region that the DR execution role may read, found by its ARN (and the DR tasks start)", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      const arn = `arn:aws:ssm:${ids.drRegion}:${account}:parameter/shop/prod/api-key`;
      accountState(world).parameters.set(parameterKey(ids.drRegion, "/shop/prod/api-key"), "k3y");
      accountState(world).rolePolicies.get(executionRoleName(Stage.resourceNames(target).prefix, ids.drRegion))!.push({ Effect: "Allow", Action: "ssm:GetParameters", Resource: arn });
      await teamDeploys(world, ids, target, { release: "v1", secrets: [{ name: "API_KEY", valueFrom: arn }] });
      await mirror(world, ids, target);
      expect(await secretsFinding(world, ids)).toEqual([]);
      // Found on the second page: the first stopped at an internal limit (best-effort results).
      expect(world.callsTo("ssm:DescribeParameters").map((c) => c.input)).toEqual([
        { ParameterFilters: [{ Key: "Name", Option: "Equals", Values: ["/shop/prod/api-key"] }] },
        { ParameterFilters: [{ Key: "Name", Option: "Equals", Values: ["/shop/prod/api-key"] }], NextToken: "world-internal-limit" },
      ]);
      expect(drTasksRun(world, ids)).toBe(true);
    });
  });

  describe("an adopting stage's task definition mirror", () => {
    const target: Target = { app: "pilot-light", stage: "shop", adopt: Stage.AdoptConfig.parse(shopPrimary) };
    const mirrorFinding = async (world: WorldState, ids: PilotLightIds) => {
      const { stored, denied } = await evaluate(world, ids, target);
      expect(denied).toEqual([]);
      return { finding: stored.failing.find((f) => f.check === "task-definition-mirror") };
    };

    it("reports a DR service that never ran a mirror of the team's task definition, with the command that runs the mirror", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1" });
      const { finding } = await mirrorFinding(world, ids);
      expect(finding?.detail).toMatch(/^never mirrored: pilot-light-shop-web-mirror has no revision, so a failover would start .*pilot-light-shop-web:\d+, pilot-light's own definition/);
      expect(finding?.action).toMatch(/aws lambda invoke --region eu-central-1 .*--rule pilot-light-shop-mirror-task-definition/);
    });

    it("judges what a failover starts, the mirror's latest revision, also after a deploy of the stage set the DR service back to pilot-light's own", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1" });
      await mirror(world, ids, target);
      const n = Stage.resourceNames(target);
      // CloudFormation's update of the DR service sends the template's definition (the failover's ScaleDrService sets the mirror's back).
      world.services.get(world.serviceKey(ids.drRegion, n.cluster, n.service))!.taskDefinition = ids.taskDefinition;
      const { finding } = await mirrorFinding(world, ids);
      expect(finding).toBeUndefined();
    });

    it("reports a mirror that is behind the team's deploy: what the team deployed and what the DR service runs", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1" });
      await mirror(world, ids, target);
      const deployed = await teamDeploys(world, ids, target, { release: "v2" });
      const { finding } = await mirrorFinding(world, ids);
      expect(finding?.detail).toMatch(new RegExp(`^mirror stale: you deployed ${deployed}.*a failover starts .*pilot-light-shop-web-mirror:1, a mirror of `));
      expect(finding?.action).toMatch(/run the mirror \(aws lambda invoke .*\) or wait for its next pass/);
    });

    it("reports a team deploy the mirror refuses as a failing mirror, with the mirror's reason", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1" });
      await mirror(world, ids, target);
      await teamDeploys(world, ids, target, { release: "v2", networkMode: "bridge" });
      const { finding } = await mirrorFinding(world, ids);
      expect(finding?.detail).toMatch(/^mirror failing: your task definition .* uses network mode bridge/);
    });

    it("judges the last mirror, without failing, when the primary region does not answer", async () => {
      const { world, ids } = adoptedPrimaryWorld();
      await teamDeploys(world, ids, target, { release: "v1" });
      await mirror(world, ids, target);
      await teamDeploys(world, ids, target, { release: "v2" });
      world.clock.advance(45 * 60);
      world.regionsDown.add(ids.primaryRegion);
      const { stored } = await evaluate(world, ids, target);
      expect(stored.failing.map((f) => f.check)).not.toContain("task-definition-mirror");
      // Passing, so not stored: the same read and judgement, outside the handler, name the DR revision's age.
      const n = Stage.resourceNames(target);
      const readTarget = { app: target.app, stage: target.stage, primaryRegion: ids.primaryRegion, drRegion: ids.drRegion, hasDns: false, drTaskCount: ids.drTaskCount, taskCpu: 512, teamService: { cluster: n.primaryCluster, service: n.primaryService } };
      const observed = await Readiness.observeReadiness(Readiness.readinessClients(readTarget), readTarget, account);
      const judged = Readiness.judgeReadiness(observed, world.clock.now()).findings.find((f) => f.check === "task-definition-mirror");
      expect(judged?.detail).toMatch(/^a failover starts .*pilot-light-shop-web-mirror:1, a mirror of .*, registered 45 minutes ago; your service could not be read/);
    });
  });
});

/** One MirrorTaskDefinition pass, as the operator's credentials run it (its own grants are tested in mirror-task-definition.test.ts). */
async function mirror(world: WorldState, ids: PilotLightIds, target: Target) {
  const n = Stage.resourceNames(target);
  const off = installApis(world);
  try {
    await Adoption.mirrorTeamTaskDefinition(
      { primary: new ECSClient({ region: ids.primaryRegion }), dr: new ECSClient({ region: ids.drRegion }) },
      { team: { cluster: n.primaryCluster, service: n.primaryService }, dr: { cluster: n.cluster, service: n.service }, pilotCount: ids.drPilotTaskCount },
      { family: n.mirrorFamily, primaryRegion: ids.primaryRegion, drRegion: ids.drRegion, endpoints: { primary: shopPrimary.database.endpoint, dr: "pilot-light-shop-replica.eu-central-1.rds.amazonaws.com" } },
      world.clock.now(),
    );
  } finally {
    off();
  }
}

/** The team's pipeline registers a new revision of their family (the image the DR registry holds, a new release) and points their service at it; its ARN. */
async function teamDeploys(world: WorldState, ids: PilotLightIds, target: Target, o: { release: string; networkMode?: "bridge"; secrets?: { name: string; valueFrom: string }[] }) {
  const n = Stage.resourceNames(target);
  const off = installApis(world);
  try {
    const ecs = new ECSClient({ region: ids.primaryRegion });
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "storefront",
        containerDefinitions: [{ name: "web", image: ecrImageUri(account, ids.primaryRegion, n.repository, seededImageTag), essential: true, portMappings: [{ containerPort: 80 }], environment: [{ name: "RELEASE", value: o.release }], ...(o.secrets ? { secrets: o.secrets } : {}) }],
        ...(o.networkMode ? { networkMode: o.networkMode } : { networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "512", memory: "1024" }),
      }),
    );
    const arn = out.taskDefinition!.taskDefinitionArn!;
    await ecs.send(new UpdateServiceCommand({ cluster: n.primaryCluster, service: n.primaryService, taskDefinition: arn }));
    return arn;
  } finally {
    off();
  }
}
