/**
 * The failback's fault matrix, generated from the Task states of the synthesized definition: for
 * every Task, (1) a transient failure (Lambda's service error) is retried and the run ends as it
 * would have without it, and (2) a permanent failure leads to the documented reaction
 * (docs/failback.md) with the invariants holding and a notification naming the step. And (3) past
 * the point of no return, and in compensation, a step whose answer was lost after its work applied
 * is asked again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allStates, lostWrites } from "../../../world/src";
import { failbackStepNames, type FailbackStepName } from "../../../../stacks/failback/steps";
import { lambdaServiceError, lambdaTimeout, permanentError } from "../failover/support";
import { expectInvariants, failoverInput, reachReprotected, reprotectInput, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite, shortestLatencies } from "./support";

type Scenario = "reprotect" | "switchback" | "switchback-refused";
type Reaction = "input-rejected" | "lock-not-acquired" | "rolled-back" | "needs-operator" | "not-protected" | "continues";

const matrix: Record<FailbackStepName, { scenario: Scenario; permanent: Reaction }> = {
  ValidateFailbackInput: { scenario: "switchback", permanent: "input-rejected" },
  AcquireFailbackLock: { scenario: "switchback", permanent: "lock-not-acquired" },
  AssessTopology: { scenario: "switchback", permanent: "rolled-back" },
  NotifyFailbackStarted: { scenario: "switchback", permanent: "continues" },
  PrepareStandbyService: { scenario: "switchback", permanent: "rolled-back" },
  CheckStandbyService: { scenario: "switchback", permanent: "rolled-back" },
  StopWrites: { scenario: "switchback", permanent: "rolled-back" },
  CheckCatchUp: { scenario: "switchback", permanent: "rolled-back" },
  SealOldServing: { scenario: "switchback", permanent: "rolled-back" },
  PromoteStandby: { scenario: "switchback", permanent: "rolled-back" },
  CheckStandbyPromotion: { scenario: "switchback", permanent: "needs-operator" },
  VerifyNewPrimary: { scenario: "switchback", permanent: "needs-operator" },
  RestoreDns: { scenario: "switchback", permanent: "needs-operator" },
  CheckDnsRestore: { scenario: "switchback", permanent: "needs-operator" },
  ReconcileStandbyDatabase: { scenario: "reprotect", permanent: "not-protected" },
  ReverseReplication: { scenario: "reprotect", permanent: "not-protected" },
  SetStandbyPilotLight: { scenario: "reprotect", permanent: "not-protected" },
  RecordFailback: { scenario: "reprotect", permanent: "continues" },
  NotifyFailbackSucceeded: { scenario: "reprotect", permanent: "continues" },
  AssessFailbackFailure: { scenario: "switchback-refused", permanent: "needs-operator" },
  RestoreServing: { scenario: "switchback-refused", permanent: "rolled-back" },
  RecordFailbackFailure: { scenario: "switchback-refused", permanent: "rolled-back" },
  NotifyFailbackFailed: { scenario: "switchback-refused", permanent: "rolled-back" },
};

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

const fast = shortestLatencies;

async function scenarioRig(scenario: Scenario): Promise<{ rig: FailbackRig; input: Record<string, unknown> }> {
  const rig = await suite.rig(fast);
  if (scenario !== "reprotect") {
    reachReprotected(rig);
    // Refused: the primary replica has no backups, so AssessTopology stops it and compensation runs.
    if (scenario === "switchback-refused") rig.world.databases.get(rig.ids.primaryDb)!.backupRetentionDays = 0;
    return { rig, input: switchbackInput };
  }
  // A failover that has happened, the primary region back.
  rig.world.regionsDown.add(rig.ids.primaryRegion);
  rig.world.clock.advance(12 * 60);
  const failover = await rig.failover(failoverInput);
  expect(failover.status, failover.cause).toBe("SUCCEEDED");
  rig.world.regionsDown.delete(rig.ids.primaryRegion);
  return { rig, input: reprotectInput };
}

const expectedEnd: Record<Scenario, { status: string; end: string }> = {
  reprotect: { status: "SUCCEEDED", end: "FailbackDone" },
  switchback: { status: "SUCCEEDED", end: "FailbackDone" },
  "switchback-refused": { status: "FAILED", end: "RolledBack" },
};

const svc = (rig: FailbackRig, region: string) => [...rig.world.services.values()].find((s) => s.region === region)!;

describe("failback fault matrix", () => {
  it("covers exactly the Task states of the synthesized definition", () => {
    const tasks = allStates(suite.definition)
      .filter(([, s]) => s.Type === "Task")
      .map(([n]) => n)
      .sort();
    expect(tasks).toEqual([...failbackStepNames].sort());
    expect(Object.keys(matrix).sort()).toEqual(tasks);
  });

  describe.each(failbackStepNames.map((s) => [s, matrix[s]] as const))("%s", (step, c) => {
    it("retries a transient failure (Lambda.ServiceException) and ends as without it", async () => {
      const { rig, input } = await scenarioRig(c.scenario);
      rig.before[step] = (n) => {
        if (n === 1) throw lambdaServiceError(step);
      };
      const result = await rig.failback(input, `transient-${step}`);
      expect(result.retries).toContain(step);
      expect({ status: result.status, end: result.states.at(-1) }, result.cause).toEqual(expectedEnd[c.scenario]);
      await expectInvariants(rig, result);
    });

    it(`reacts to a permanent failure: ${c.permanent}`, async () => {
      const { rig, input } = await scenarioRig(c.scenario);
      rig.before[step] = () => {
        throw permanentError(step);
      };
      const result = await rig.failback(input, `permanent-${step}`);
      const last = rig.world.inbox.at(-1);
      const named = c.scenario === "switchback-refused" ? "AssessTopology" : step;
      const promoted = rig.world.callsTo("rds:PromoteReadReplica").some((call) => call.region === rig.ids.primaryRegion && (!call.failed || call.applied));
      switch (c.permanent) {
        case "input-rejected":
        case "lock-not-acquired":
          expect(result.states.at(-1)).toBe(c.permanent === "input-rejected" ? "FailbackInputRejected" : "FailbackLockNotAcquired");
          expect(rig.world.mutatingCalls()).toEqual([]);
          break;
        case "rolled-back":
          expect(result.status).toBe("FAILED");
          expect(result.states.at(-1)).toBe("RolledBack");
          expect(promoted).toBe(false);
          // A DR database sealed before the failure is renamed back: it serves once RDS has done so.
          rig.world.clock.advance(fast.failbackLatencies.renameSeconds);
          expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
          if (step !== "RestoreServing") {
            expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
            expect(svc(rig, rig.ids.primaryRegion).desired).toBe(0);
          }
          if (step === "NotifyFailbackFailed") expect(rig.world.inbox.some((m) => m.kind === "switchback.failed")).toBe(false);
          else expect(last?.subject).toContain(`at ${named}`);
          // RecordFailbackFailure releases the lock; when it cannot, the lock expires (failbackLockTtlSeconds).
          if (step !== "RecordFailbackFailure") expect(await rig.lockItem()).toBeUndefined();
          else expect(await rig.lockItem()).toMatchObject({ owner: `permanent-${step}`, mode: "switchback" });
          break;
        case "needs-operator":
          expect(result.states.at(-1)).toBe("NeedsOperator");
          expect(rig.invocations.RestoreServing).toBeUndefined();
          expect(last?.kind).toBe("switchback.needs-operator");
          expect(last?.subject).toContain(`at ${named}`);
          expect(await rig.lockItem()).toBeUndefined();
          break;
        case "not-protected":
          expect(result.states.at(-1)).toBe("ProtectionNotRestored");
          // The serving side is untouched.
          expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
          expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
          expect(last?.kind).toBe("reprotect.not-protected");
          expect(last?.subject).toContain(`at ${named}`);
          expect(await rig.lockItem()).toBeUndefined();
          break;
        case "continues":
          expect(result.status, result.cause).toBe("SUCCEEDED");
          break;
      }
      // A re-protect that fails before its first rename leaves the returned old primary writable
      // under its name, as the failover left it (its database fence is the split-brain issue's).
      const unfenced = c.scenario === "reprotect" && step === "ReconcileStandbyDatabase";
      await expectInvariants(rig, step === "NotifyFailbackFailed" ? undefined : result, { oldPrimaryUnfenced: unfenced });
    });
  });
});

describe("past the point of no return", () => {
  // Every step from the promote call to the end, each losing its first answer after its work applied
  // (its Lambda timed out, or the machine's region failed while it ran): one run for all of them.
  const fromPromotion = failbackStepNames.slice(failbackStepNames.indexOf("PromoteStandby"), failbackStepNames.indexOf("NotifyFailbackSucceeded") + 1);

  it("asks each step again whose answer was lost after it applied, PromoteStandby first: FailbackDone, users on the primary, 0 writes lost", async () => {
    const { rig, input } = await scenarioRig("switchback");
    for (const step of fromPromotion) {
      rig.after[step] = (n) => {
        if (n === 1) throw lambdaTimeout();
      };
    }
    const result = await rig.failback(input, "lost-after-promotion");
    expect(result.states.at(-1), `${result.error ?? ""} ${result.cause ?? ""}`).toBe("FailbackDone");
    // Each was asked again (CheckDnsRestore runs only when RestoreDns's second answer leaves a change to wait for).
    expect(fromPromotion.filter((step) => rig.invocations[step] === 1)).toEqual([]);
    expect(rig.invocations.PromoteStandby).toBe(2);
    // The second PromoteStandby read the promotion under way: RDS was asked once.
    expect(rig.world.callsTo("rds:PromoteReadReplica").filter((c) => c.region === rig.ids.primaryRegion)).toHaveLength(1);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(true);
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toContain(rig.ids.primaryRegion);
    const old = [...rig.world.databases.values()].find((d) => d.identifier.startsWith(`${rig.ids.replicaDb}-r`))!;
    expect(lostWrites(rig.world, old, rig.world.databases.get(rig.ids.primaryDb)!)).toBe(0);
    await expectInvariants(rig, result);
  });
});

describe("compensation", () => {
  const compensation = ["AssessFailbackFailure", "RestoreServing", "RecordFailbackFailure", "NotifyFailbackFailed"] as const;

  it("asks each compensation step again whose answer was lost after it applied: a switchback refused before any promotion still ends RolledBack, not NeedsOperator", async () => {
    const { rig, input } = await scenarioRig("switchback-refused");
    for (const step of compensation) {
      rig.after[step] = (n) => {
        if (n === 1) throw lambdaTimeout();
      };
    }
    const result = await rig.failback(input, "lost-in-compensation");
    expect(result.states.at(-1), `${result.error ?? ""} ${result.cause ?? ""}`).toBe("RolledBack");
    expect(compensation.map((step) => rig.invocations[step])).toEqual([2, 2, 2, 2]);
    expect(svc(rig, rig.ids.drRegion).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    // The lock released by the first RecordFailbackFailure; the message sent by both NotifyFailbackFailed (a standard topic does not deduplicate).
    expect(await rig.lockItem()).toBeUndefined();
    expect(rig.world.inbox.filter((m) => m.kind === "switchback.failed").map((m) => m.subject)).toEqual([expect.stringContaining("at AssessTopology"), expect.stringContaining("at AssessTopology")]);
    await expectInvariants(rig, result);
  });
});
