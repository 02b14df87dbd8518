/**
 * The failback's steps run as their synthesized execution roles (stacks/failback/grants.ts), as
 * the failover's do: the world authorises every call against the calling step's role, so a
 * missing permission fails the step with the service's access-denied error, and the run ends
 * compensated with a notification naming the step.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { State } from "@pilot-light/core";
import { allStates, iamOf, taskFunctionId, type AslState, type FunctionRole } from "../../../world/src";
import type { FailbackStepName } from "../../../../stacks/failback/steps";
import { expectInvariants, failoverInput, reachReprotected, reprotectInput, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite, shortLatencies } from "./support";

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

const fast = shortLatencies;

function roleOf(rig: FailbackRig, step: FailbackStepName): FunctionRole {
  const state = allStates(suite.definition).find(([name]) => name === step)?.[1] as AslState;
  const role = iamOf(rig.world).roles.get(taskFunctionId(state) ?? "");
  if (!role) throw new Error(`no role for ${step}`);
  return role;
}

/** The failover (as its own roles) during an outage, then the primary region back. */
async function failedOver(rig: FailbackRig): Promise<void> {
  rig.world.regionsDown.add(rig.ids.primaryRegion);
  rig.world.clock.advance(12 * 60);
  expect((await rig.failover(failoverInput)).status).toBe("SUCCEEDED");
  rig.world.regionsDown.delete(rig.ids.primaryRegion);
}

/** Drops the one statement of a step's role that grants `action`; returns the actions it granted. */
function dropStatement(rig: FailbackRig, step: FailbackStepName, action: string): string[] {
  const role = roleOf(rig, step);
  const index = role.statements.findIndex((s) => [s.Action ?? []].flat().includes(action));
  expect(index, `${step} has no statement granting ${action}`).toBeGreaterThanOrEqual(0);
  return [role.statements.splice(index, 1)[0]?.Action ?? []].flat();
}

describe("failback steps run as their synthesized roles", () => {
  it("authorises every call of a switchback against the calling step's role, denying none", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    const run = await rig.failback(switchbackInput, "iam-switchback");
    expect(run.status, run.cause).toBe("SUCCEEDED");
    const iam = iamOf(rig.world);
    expect(iam.decisions.filter((d) => !d.allowed)).toEqual([]);
    const actions = new Set(iam.decisions.map((d) => d.action));
    for (const action of ["rds:PromoteReadReplica", "rds:ModifyDBInstance", "lambda:InvokeFunction", "ecs:UpdateService", "route53:ChangeResourceRecordSets", "dynamodb:PutItem", "sns:Publish"]) {
      expect(actions, action).toContain(action);
    }
  });

  it("a switchback that finds a failover holding the lock reads who holds it, as its role allows, and stops", async () => {
    const rig = await suite.rig(fast);
    reachReprotected(rig);
    // An operator's failover holds the lock (the test's own write, outside any function).
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: rig.ids.drRegion, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }));
    const nowSeconds = Math.floor(rig.world.clock.nowMs() / 1000);
    await doc.send(new PutCommand({ TableName: rig.table, Item: { pk: State.keys.failoverLock(), owner: "failover-operator", mode: "failover", acquiredAt: new Date(rig.world.clock.nowMs()).toISOString(), expiresAt: nowSeconds + 3600 } }));
    const run = await rig.failback(switchbackInput, "iam-lock-held");
    expect(run.status).toBe("FAILED");
    expect(run.cause).toContain("execution failover-operator");
    const reads = iamOf(rig.world).decisions.filter((d) => d.functionId === roleOf(rig, "AcquireFailbackLock").functionId && d.action === "dynamodb:GetItem");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((d) => d.allowed)).toBe(true);
  });

  it.each([
    ["reprotect", "ReconcileStandbyDatabase", "rds:CreateDBInstanceReadReplica"],
    ["switchback", "PromoteStandby", "rds:PromoteReadReplica"],
    ["switchback", "SealOldServing", "rds:ModifyDBInstance"],
  ] as const)("a %s whose %s role lacks its %s statement ends compensated, naming the step", async (mode, step, action) => {
    const rig = await suite.rig(fast);
    if (mode === "switchback") reachReprotected(rig);
    else await failedOver(rig);
    const dropped = dropStatement(rig, step, action);
    const run = await rig.failback(mode === "switchback" ? switchbackInput : reprotectInput, `iam-deny-${step}`);
    expect(run.status).toBe("FAILED");
    const denial = iamOf(rig.world).decisions.find((d) => !d.allowed);
    expect(denial?.functionId).toBe(roleOf(rig, step).functionId);
    expect(dropped).toContain(denial?.action);
    const last = rig.world.inbox.at(-1);
    expect(last?.kind).toMatch(/\.(failed|needs-operator|not-protected)$/);
    expect(last?.subject).toContain(`at ${step}`);
    // A re-protect that fails before its first rename leaves the old primary writable, as the failover left it.
    await expectInvariants(rig, run, { oldPrimaryUnfenced: mode === "reprotect" });
  });
});
