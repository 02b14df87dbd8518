/**
 * The failover's steps run as their synthesized execution roles: the world authorises every
 * call against the step's role (packages/world/src/iam.ts), so a missing permission shows up
 * here as it would on the day: the step fails with the service's access-denied error and the
 * failover compensates and says which step failed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allStates, iamOf, taskFunctionId, type AslState, type FunctionRole } from "../../../world/src";
import type { StepName } from "../../../../stacks/failover/steps";
import { failoverInput, startSuite, type Rig, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

/** The role the world holds for a step's function. */
function roleOf(rig: Rig, step: StepName): FunctionRole {
  const state = allStates(suite.definition).find(([name]) => name === step)?.[1] as AslState;
  const role = iamOf(rig.world).roles.get(taskFunctionId(state) ?? "");
  if (!role) throw new Error(`no role for ${step}`);
  return role;
}

/** Drops the one statement of a step's role that grants `action`; returns the actions it granted. */
function dropStatement(rig: Rig, step: StepName, action: string): string[] {
  const role = roleOf(rig, step);
  const index = role.statements.findIndex((s) => [s.Action ?? []].flat().includes(action));
  expect(index, `${step} has no statement granting ${action}`).toBeGreaterThanOrEqual(0);
  return [role.statements.splice(index, 1)[0]?.Action ?? []].flat();
}

describe("failover steps run as their synthesized roles", () => {
  it("authorises every call of a full failover against the calling step's role, denying none", async () => {
    const rig = await suite.rig({ primaryDown: true });
    const result = await rig.run(failoverInput(), "iam-full");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const decisions = iamOf(rig.world).decisions;
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
    const actions = new Set(decisions.map((d) => d.action));
    for (const action of ["rds:PromoteReadReplica", "ecs:UpdateService", "route53:ChangeResourceRecordSets", "dynamodb:PutItem", "sns:Publish", "kms:GenerateDataKey", "secretsmanager:StopReplicationToReplica"]) {
      expect(actions, action).toContain(action);
    }
  });

  it("names the function's role session and the resource in the denial, as AWS words it", async () => {
    const rig = await suite.rig();
    dropStatement(rig, "Preflight", "cloudwatch:GetMetricData");
    await rig.run(failoverInput(), "iam-message");
    const denied = rig.world.calls.find((c) => c.api === "cloudwatch:GetMetricData" && c.failed);
    expect(denied?.failed).toBe("AccessDenied");
    const role = roleOf(rig, "Preflight");
    const record = iamOf(rig.world).decisions.find((d) => !d.allowed);
    expect(record).toMatchObject({ functionId: role.functionId, action: "cloudwatch:GetMetricData", resource: "*" });
    // AWS: "User: <assumed-role session> is not authorized to perform: <action> because no identity-based policy allows the <action> action".
    const outcome = await rig.outcome("iam-message");
    expect(JSON.stringify(outcome)).toContain(
      `User: arn:aws:sts::123456789012:assumed-role/${role.roleName}/${role.functionId} is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action`,
    );
  });

  it.each([
    ["Preflight", "cloudwatch:GetMetricData"],
    ["PromoteReplica", "rds:PromoteReadReplica"],
    ["ScaleDrService", "ecs:UpdateService"],
  ] as const)("a %s role without its %s statement ends the failover compensated, naming the step", async (step, action) => {
    const rig = await suite.rig({ primaryDown: true });
    const dropped = dropStatement(rig, step, action);
    const result = await rig.run(failoverInput(), `iam-deny-${step}`);
    expect(result.status).toBe("FAILED");
    expect(["RolledBack", "NeedsOperator"]).toContain(result.states.at(-1) === "RolledBack" ? "RolledBack" : result.error);
    const denial = iamOf(rig.world).decisions.find((d) => !d.allowed);
    expect(denial?.functionId).toBe(roleOf(rig, step).functionId);
    expect(dropped).toContain(denial?.action);
    const last = rig.world.inbox.at(-1);
    expect(last?.kind).toMatch(/\.(failed|needs-operator)$/);
    expect(last?.subject).toContain(`at ${step}`);
  });
});
