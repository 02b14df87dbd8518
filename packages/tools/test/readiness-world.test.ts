/**
 * `pnpm dr readiness`'s core (checkReadiness) against the world, with the operator's
 * credentials: the world's account seeded as a stage's stacks leave it (packages/world/src/account.ts),
 * the Failover stack's step roles deployed from the standalone template (the roles the world
 * authorises the steps' calls with), and IAM's policy simulator answering from those very roles.
 * A healthy stage is ready with every step's grants simulated; a step's role that lost an action
 * or gained a Deny is that step's finding, naming the role, the action and what refused it.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { STSClient } from "@aws-sdk/client-sts";
import { Readiness, Stage } from "@pilot-light/core";
import { accountState, adoptedPrimaryWorld, answerHealth, deployStackRoles, ecrImageUri, enforceFailbackRoles, enforceFailoverRoles, failbackWorld, iamOf, installApis, seededImageTag, type FailbackIds, type PolicyStatement, type WorldState } from "../../world/src";
import { shopPrimary } from "../../core/test/support/adopted";
import { standaloneFailbackTemplate } from "../../../stacks/failback/standalone";
import { standaloneFailoverTemplate } from "../../../stacks/failover/standalone";
import { checkReadiness, formatReadiness, readinessClients } from "../src/cli/readiness";
import { catalogueOf, formatCatalogue, renderTemplates } from "../src/cli/permissions";
import { drClients, stackName } from "../src/cli/aws";

const account = "123456789012";

let template: object;
let failbackTemplate: object;
beforeAll(() => {
  // One synthesis each for the world's roles (the grants as the stacks give them).
  template = standaloneFailoverTemplate("eu-central-1", "app.example.com").toJSON();
  failbackTemplate = standaloneFailbackTemplate("eu-central-1", "app.example.com").toJSON();
});

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Stage "test" as the world deploys it: DNS, a prebuilt image in the primary region's registry. */
const config = Stage.resolveStageConfig("test", {
  test: {
    primaryRegion: "eu-west-1",
    drRegion: "eu-central-1",
    dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" },
    application: { image: { uri: ecrImageUri(account, "eu-west-1", "pilot-light-test-web", seededImageTag) } },
  },
});

/** A healthy world with the DR region's Failover and Failback stacks' step roles deployed (and the failback's reverse replication role). */
function deployedWorld(made: { world: WorldState; ids: FailbackIds } = failbackWorld(), stage = config, templates = { failover: template, failback: failbackTemplate }): { world: WorldState; ids: FailbackIds } {
  const { world, ids } = made;
  const config = stage;
  const template = templates.failover;
  const failbackTemplate = templates.failback;
  const table = Stage.resourceNames(stage).stateTable;
  const roles = iamOf(world).roles;
  enforceFailoverRoles(world, template as never, ids, table);
  const failover = [...roles.values()];
  const path = Stage.resourceNames(stage).rolePath;
  deployStackRoles(world, ids.drRegion, stackName(config, "Failover"), failover, path);
  enforceFailbackRoles(world, failbackTemplate as never, ids, table);
  deployStackRoles(world, ids.drRegion, stackName(config, "Failback"), [...roles.values()].filter((r) => !failover.includes(r)), path);
  const reverseRole = ids.reverseReplicationRoleArn.split("/").pop()!;
  accountState(world).stacks.get(`${ids.drRegion}/${stackName(config, "Failback")}`)!.push({ LogicalResourceId: "ReverseReplicationRole4E5F6A7B", PhysicalResourceId: reverseRole, ResourceType: "AWS::IAM::Role" });
  return { world, ids };
}

async function readiness(world: WorldState, stage = config, sts = new STSClient({ region: stage.drRegion })) {
  uninstall = installApis(world);
  // Each region's own name (https://<region>.app.example.com/health.php) answered by the world's app.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
    const answer = answerHealth(world, new URL(String(url)).hostname.split(".")[0]!);
    if (!answer.reached) throw new TypeError("fetch failed");
    return new Response(answer.body, { status: answer.status });
  });
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(world.clock.now());
  return checkReadiness(stage, readinessClients(stage), sts, () => new Date());
}

/** `promise`'s outcome, or "still waiting" after a few seconds: a hung command shows as that, not as the suite's timeout. */
const settled = <T>(promise: Promise<T>) =>
  Promise.race([promise.then((value) => ({ ended: true as const, value }), (error: unknown) => ({ ended: true as const, error })), new Promise<{ ended: false }>((r) => setTimeout(() => r({ ended: false }), 5_000))]);

/** The role of a step (its functionId without CDK's hash) in the world. */
const roleOf = (world: WorldState, step: string) => [...iamOf(world).roles.values()].find((r) => r.functionId.replace(/[0-9A-F]{8}$/, "") === step)!;

describe("the steps' permission catalogue", () => {
  it("is the grants as the standalone templates render them: packages/core/src/readiness/step-catalogue.json is not stale (pnpm catalogue writes it)", () => {
    const rendered = catalogueOf(renderTemplates());
    expect(formatCatalogue(rendered)).toBe(formatCatalogue(Readiness.stepCatalogue));
  });
});

describe("pnpm dr readiness against the world", () => {
  it("reports a healthy stage as ready, each failover step's grants simulated against its deployed role", async () => {
    const { world } = deployedWorld();
    const report = await readiness(world);
    expect(report.findings.filter((f) => !f.ok)).toEqual([]);
    expect(report.ready).toBe(true);
    const permissions = report.findings.find((f) => f.check === "permissions")!;
    expect(permissions.detail).toMatch(/^19 failover and 21 failback steps' roles are allowed every action their grants name \(186 action-resource pairs simulated\)$/);
    expect(formatReadiness(report)).toMatch(/Readiness of stage test at .*: READY/);
    // Read-only: nothing changed.
    expect(world.mutatingCalls()).toEqual([]);
  });

  it("reports a step whose role lost an action: the step, its role, the action and the resource", async () => {
    const { world } = deployedWorld();
    const role = roleOf(world, "PromoteReplica");
    const kept = role.statements.filter((s) => ![s.Action ?? []].flat().includes("rds:PromoteReadReplica"));
    expect(kept.length).toBeLessThan(role.statements.length);
    role.statements.splice(0, role.statements.length, ...kept);
    const report = await readiness(world);
    const failing = report.findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.check)).toEqual(["permissions"]);
    expect(failing[0]!.detail).toMatch(/^step PromoteReplica, role arn:aws:iam::123456789012:role\/pilot-light\/test\/test-pilot-light-Failover-PromoteReplicaServiceRol.*, would be refused .*rds:PromoteReadReplica on arn:aws:rds:eu-central-1:123456789012:db:pilot-light-test-replica: implicitDeny$/);
    expect(failing[0]!.action).toMatch(/a failover stops at PromoteReplica/);
  });

  it("reports a Deny attached to a step's role, naming it", async () => {
    const { world } = deployedWorld();
    const deny: PolicyStatement = { Sid: "NoDnsChanges", Effect: "Deny", Action: "route53:ChangeResourceRecordSets", Resource: "*" };
    roleOf(world, "SwitchDns").statements.push(deny);
    const report = await readiness(world);
    const failing = report.findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.check)).toEqual(["permissions"]);
    expect(failing[0]!.detail).toMatch(/step SwitchDns, .*route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone\/Z0123456789EXAMPLE: explicitDeny \(a Deny in NoDnsChanges\)/);
  });

  it("reports a failback step whose role may no longer pass the reverse replication role", async () => {
    const { world, ids } = deployedWorld();
    const role = roleOf(world, "ReverseReplication");
    role.statements.push({ Sid: "NoPassRole", Effect: "Deny", Action: "iam:PassRole", Resource: "*" });
    const report = await readiness(world);
    const failing = report.findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.check)).toEqual(["permissions"]);
    expect(failing[0]!.detail).toMatch(new RegExp(`^step ReverseReplication, role arn:aws:iam::123456789012:role/pilot-light/test/test-pilot-light-Failback-ReverseReplicationServic.*, would be refused iam:PassRole on ${ids.reverseReplicationRoleArn.replace(/[/.]/g, "\\$&")}: explicitDeny \\(a Deny in NoPassRole\\)$`));
    expect(failing[0]!.action).toMatch(/^a failback \(re-protect or switchback\) stops at ReverseReplication: .*stacks\/failback\/grants\.ts/);
  });

  it("reports a step whose role is not in the deployed stack", async () => {
    const { world, ids } = deployedWorld();
    const stack = accountState(world).stacks.get(`${ids.drRegion}/${stackName(config, "Failover")}`)!;
    stack.splice(stack.findIndex((r) => r.LogicalResourceId.startsWith("ScaleDrServiceServiceRole")), 1);
    const report = await readiness(world);
    const failing = report.findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.detail)).toEqual(["step ScaleDrService: no execution role in the deployed Failover stack"]);
  });

  it("ends when the DR region's CloudFormation does not answer: the steps' roles are a finding, not a hung command", async () => {
    const { world, ids } = deployedWorld();
    world.impair("cloudformation", { region: ids.drRegion });
    const outcome = await settled(readiness(world));
    expect(outcome.ended).toBe(true);
    const report = (outcome as { value: Awaited<ReturnType<typeof readiness>> }).value;
    const failing = report.findings.filter((f) => !f.ok);
    expect(failing.map((f) => f.check)).toEqual(["permissions"]);
    expect(failing[0]!.detail).toMatch(/could not read .*TimeoutError/);
  });

  it("ends when STS does not answer in the DR region (the CLI's bounded STS client): the error names the region", async () => {
    const { world, ids } = deployedWorld();
    world.impair("sts", { region: ids.drRegion });
    const outcome = await settled(readiness(world, config, drClients(config).sts));
    expect(outcome.ended).toBe(true);
    expect(String((outcome as { error: unknown }).error)).toMatch(/STS GetCallerIdentity.*eu-central-1/);
  });

});

describe("pnpm dr readiness against the adopted world (the team's names)", () => {
  /** Stage "shop", adopting the world's team primary. */
  const shop = Stage.resolveStageConfig("shop", {
    shop: {
      primaryRegion: "eu-west-1",
      drRegion: "eu-central-1",
      dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" },
      application: { image: { uri: ecrImageUri(account, "eu-west-1", "pilot-light-shop-web", seededImageTag) } },
      adopt: shopPrimary,
    },
  });
  /** The step roles as an adopting stage's Failover and Failback stacks grant them. */
  let adopted: { failover: object; failback: object };
  beforeAll(() => {
    adopted = {
      failover: standaloneFailoverTemplate("eu-central-1", "app.example.com", { adopted: true }).toJSON(),
      failback: standaloneFailbackTemplate("eu-central-1", "app.example.com", { adopted: true }).toJSON(),
    };
  });

  it("judges an adopted primary under the team's names: the fence's default.* group and a team definition the mirror refuses fail, every step's grants allowed", async () => {
    const { world } = deployedWorld(adoptedPrimaryWorld(), shop, adopted);
    const report = await readiness(world, shop);
    const failing = report.findings.filter((f) => !f.ok);
    // And the team's simple record, before the adoption makes it a failover pair.
    expect(failing.map((f) => f.check)).toEqual(["fence-parameter-group", "task-definition-mirror", "dns-record"]);
    expect(failing[0]!.detail).toMatch(/^shop-mysql-prod uses default\.mysql8\.4 parameter group/);
    // The world's team service runs a seeded definition without awsvpc: the mirror refuses it, and says why.
    expect(failing[1]!.detail).toMatch(/^mirror failing: your task definition .*pilot-light-shop-web:1 uses network mode bridge/);
    // ScaleDrService's mirror lookup (ecs:DescribeTaskDefinition) is one pair more than the failover of a stage that creates its primary.
    expect(report.findings.find((f) => f.check === "permissions")?.detail).toMatch(/^19 failover and 21 failback steps' roles are allowed every action their grants name \(212 action-resource pairs simulated\)$/);
  });

  it("reports an adopting stage's ScaleDrService whose role may not read the mirror's latest revision (granted as a stage that creates its primary)", async () => {
    const { world } = deployedWorld(adoptedPrimaryWorld(), shop, { failover: template, failback: adopted.failback });
    const report = await readiness(world, shop);
    const permissions = report.findings.filter((f) => !f.ok && f.check === "permissions");
    expect(permissions.map((f) => f.detail)).toEqual([expect.stringMatching(/^step ScaleDrService, role arn:aws:iam::123456789012:role\/pilot-light\/shop\/shop-pilot-light-Failover-ScaleDrServiceServiceRol.*, would be refused ecs:DescribeTaskDefinition on \*: implicitDeny$/)]);
    expect(permissions[0]!.action).toMatch(/a failover stops at ScaleDrService/);
  });
});
