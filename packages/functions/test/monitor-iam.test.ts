/**
 * The health monitor and ExecutionEnded run as their synthesized roles (stacks/failover/
 * monitor-grants.ts) in the world: every call they make is authorised against them, so a grant
 * taken away fails the monitor's tick with the service's access-denied error (a failed run, which
 * the MonitorErrors alarm counts), not a silent success.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functionIdOf, iamOf, type WorldState } from "../../world/src";
import { startMonitorWorld, type MonitorWorldSuite } from "./support/monitor-world";

let suite: MonitorWorldSuite;
beforeAll(async () => {
  suite = await startMonitorWorld();
});
afterAll(async () => suite?.close());

const primaryRegionDown = (world: WorldState) => world.regionsDown.add("eu-west-1");

describe("the monitor and ExecutionEnded run as their synthesized roles", () => {
  it("authorises every call of the monitor and of ExecutionEnded through a failover, denying none", async () => {
    const w = await suite.stage();
    await w.play({ ticks: 8, changes: [{ atSeconds: 0, apply: primaryRegionDown }] });
    await w.settle();
    expect(w.executions.map((e) => e.record?.status)).toEqual(["SUCCEEDED"]);
    const iam = iamOf(w.world);
    expect(iam.decisions.filter((d) => !d.allowed)).toEqual([]);
    const actionsOf = (name: string) => new Set(iam.decisions.filter((d) => d.functionId === functionIdOf(w.world, name)).map((d) => d.action));
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "route53:GetHealthCheckStatus", "states:StartExecution", "states:DescribeExecution"]) expect(actionsOf("HealthMonitor"), action).toContain(action);
    expect(actionsOf("ExecutionEnded")).toContain("dynamodb:DeleteItem");
  });

  it("a monitor whose role lacks states:StartExecution fails its tick with AccessDeniedException and starts nothing", async () => {
    const w = await suite.stage();
    const role = iamOf(w.world).roles.get(functionIdOf(w.world, "HealthMonitor"))!;
    const index = role.statements.findIndex((s) => [s.Action ?? []].flat().includes("states:StartExecution"));
    expect(index).toBeGreaterThanOrEqual(0);
    role.statements.splice(index, 1);
    const ticks = await w.play({ ticks: 4, changes: [{ atSeconds: 0, apply: primaryRegionDown }] });
    await w.settle();
    expect(w.executions).toEqual([]);
    expect(w.world.executions.size).toBe(0);
    const failed = ticks.filter((t) => t.error);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.error).toMatch(/^AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role\/.+ is not authorized to perform: states:StartExecution on resource: arn:aws:states:eu-central-1:123456789012:stateMachine:/);
    expect(iamOf(w.world).decisions.find((d) => !d.allowed)).toMatchObject({ functionId: functionIdOf(w.world, "HealthMonitor"), action: "states:StartExecution" });
  });
});
