/**
 * Fault matrix, generated from the Task states of the synthesized definition: for every Task,
 * (1) a transient failure is retried and the execution ends as it would have without it, and
 * (2) a permanent failure leads to the documented reaction (compensation, NeedsOperator, or
 * carrying on for best-effort steps) with a consistent world and a notification naming the step.
 * And (3) a compensation step whose answer was lost after its work applied is asked again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allStates } from "../../../world/src";
import { stepAliases, stepNames, type StepName } from "../../../../stacks/failover/steps";
import { failoverInput, lambdaServiceError, lambdaTimeout, permanentError, startSuite, type Rig, type Suite } from "./support";

type Scenario = "failover" | "drill" | "lag-breach" | "scale-refused-once";
type Reaction = "input-rejected" | "lock-not-acquired" | "rolled-back" | "needs-operator" | "rolled-back-or-needs-operator" | "continues";

interface FaultCase {
  scenario: Scenario;
  /** The AWS API the step calls first (throttled on every SDK attempt of one call), or "lambda" for a Lambda service error. */
  transient: string;
  permanent: Reaction;
}

const matrix: Record<StepName, FaultCase> = {
  ValidateInput: { scenario: "failover", transient: "lambda", permanent: "input-rejected" },
  AcquireLock: { scenario: "failover", transient: "lambda", permanent: "lock-not-acquired" },
  Preflight: { scenario: "failover", transient: "cloudwatch:GetMetricData", permanent: "rolled-back" },
  NotifyStarted: { scenario: "failover", transient: "sns:Publish", permanent: "continues" },
  PromoteReplica: { scenario: "failover", transient: "rds:PromoteReadReplica", permanent: "rolled-back" },
  CheckPromotion: { scenario: "failover", transient: "rds:DescribeDBInstances", permanent: "needs-operator" },
  ScaleDrService: { scenario: "failover", transient: "ecs:UpdateService", permanent: "rolled-back-or-needs-operator" },
  CheckDrService: { scenario: "failover", transient: "elasticloadbalancing:DescribeTargetHealth", permanent: "rolled-back-or-needs-operator" },
  // Reached only after a failed scale step: ECS refuses the first UpdateService.
  RetryServing: { scenario: "scale-refused-once", transient: "lambda", permanent: "rolled-back-or-needs-operator" },
  VerifyDrHealth: { scenario: "failover", transient: "lambda", permanent: "needs-operator" },
  SwitchDns: { scenario: "failover", transient: "route53:ChangeResourceRecordSets", permanent: "continues" },
  CheckDnsChange: { scenario: "failover", transient: "route53:GetChange", permanent: "continues" },
  PromoteSecret: { scenario: "failover", transient: "secretsmanager:StopReplicationToReplica", permanent: "continues" },
  FencePrimary: { scenario: "failover", transient: "lambda", permanent: "continues" },
  EndDrill: { scenario: "drill", transient: "ecs:UpdateService", permanent: "rolled-back" },
  RecordOutcome: { scenario: "failover", transient: "lambda", permanent: "continues" },
  NotifySucceeded: { scenario: "failover", transient: "sns:Publish", permanent: "continues" },
  AssessFailure: { scenario: "lag-breach", transient: "rds:DescribeDBInstances", permanent: "needs-operator" },
  RestorePilotLight: { scenario: "lag-breach", transient: "ecs:DescribeServices", permanent: "rolled-back" },
  RecordFailure: { scenario: "lag-breach", transient: "lambda", permanent: "rolled-back" },
  NotifyFailed: { scenario: "lag-breach", transient: "sns:Publish", permanent: "rolled-back" },
};

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
// The world's invariants after every case (after one pass of the monitor's fence completion).
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

const sdkAttempts = 3;
const fast = { latencies: { promotionSeconds: 60, taskStartSeconds: 30, firstHealthCheckSeconds: 5, dnsInsyncSeconds: 20 } };

async function scenarioRig(scenario: Scenario): Promise<{ rig: Rig; input: Record<string, unknown> }> {
  const rig = await suite.rig({ ...fast, replicaLag: scenario === "lag-breach" ? [400] : [1] });
  if (scenario === "scale-refused-once") rig.world.inject({ api: "ecs:UpdateService", error: "AccessDeniedException", region: rig.ids.drRegion, times: 1 });
  return { rig, input: failoverInput(scenario === "drill" ? { mode: "drill" } : {}) };
}

const expectedEnd: Record<Scenario, { status: string; error?: string }> = {
  failover: { status: "SUCCEEDED" },
  drill: { status: "SUCCEEDED" },
  "lag-breach": { status: "FAILED", error: "RpoBudgetExceededError" },
  "scale-refused-once": { status: "SUCCEEDED" },
};

function drDesired(rig: Rig): number | undefined {
  return rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service))?.desired;
}

describe("fault matrix", () => {
  it("covers exactly the Task states of the synthesized definition", () => {
    const tasks = allStates(suite.definition)
      .filter(([, s]) => s.Type === "Task")
      .map(([n]) => n)
      .sort();
    // Compensation's pin and fence, and the fence of a replica found writable, run SwitchDns's and FencePrimary's Lambdas (and their faults) under their own names.
    const aliases: string[] = Object.values(stepAliases).map((a) => a.state);
    expect(tasks).toEqual([...stepNames, ...aliases].sort());
    expect(Object.keys(matrix).sort()).toEqual(tasks.filter((t) => !aliases.includes(t)));
  });

  describe.each(stepNames.map((s) => [s, matrix[s]] as const))("%s", (step, c) => {
    it(`retries a transient failure (${c.transient === "lambda" ? "Lambda.ServiceException" : `${c.transient} throttled`}) and ends as without it`, async () => {
      const { rig, input } = await scenarioRig(c.scenario);
      rig.before[step] = (n) => {
        if (n !== 1) return;
        if (c.transient === "lambda") throw lambdaServiceError(step);
        // The SDK retries a throttled call itself (3 attempts by default): fail them all.
        rig.world.inject({ api: c.transient, error: "ThrottlingException", times: sdkAttempts });
      };
      const result = await rig.run(input, `transient-${step}`);
      expect(result.retries).toContain(step);
      expect({ status: result.status, error: result.error }).toEqual(expectedEnd[c.scenario]);
      if (expectedEnd[c.scenario].status === "SUCCEEDED" && c.scenario !== "drill") expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
      if (c.scenario === "drill" || c.scenario === "lag-breach") expect(drDesired(rig)).toBe(rig.ids.drPilotTaskCount);
    });

    it(`reacts to a permanent failure: ${c.permanent}`, async () => {
      const { rig, input } = await scenarioRig(c.scenario);
      rig.before[step] = () => {
        throw permanentError(step);
      };
      const zoneBefore = structuredClone(rig.world.zones.get(rig.ids.hostedZoneId));
      const result = await rig.run(input, `permanent-${step}`);
      // RetryServing failing ends the branch with the scale step's own failure.
      const namedStep = c.scenario === "lag-breach" ? "Preflight" : c.scenario === "scale-refused-once" ? "ScaleDrService" : step;
      const last = rig.world.inbox.at(-1);
      const promotionStarted = rig.world.databases.get(rig.ids.replicaDb)?.promotionRequestedAtMs !== null;
      let reaction = c.permanent;
      if (reaction === "rolled-back-or-needs-operator") reaction = promotionStarted ? "needs-operator" : "rolled-back";
      switch (reaction) {
        case "input-rejected":
        case "lock-not-acquired":
          expect(result.status).toBe("FAILED");
          expect(result.states.at(-1)).toBe(reaction === "input-rejected" ? "InputRejected" : "LockNotAcquired");
          // Nothing touched: only ExecutionEnded read the history and told people.
          expect(rig.world.calls.map((c) => c.api)).toEqual(["states:GetExecutionHistory", "sns:Publish"]);
          expect(last?.subject).toContain(`at ${step}`);
          break;
        case "rolled-back":
          expect(result.status).toBe("FAILED");
          expect(result.states.at(-1)).toBe("RolledBack");
          expect(result.error).toBe(c.scenario === "lag-breach" ? "RpoBudgetExceededError" : "AccessDeniedException");
          expect(promotionStarted).toBe(false);
          expect(drDesired(rig)).toBe(rig.ids.drPilotTaskCount);
          expect(rig.world.zones.get(rig.ids.hostedZoneId)).toEqual(zoneBefore);
          // NotifyFailed's own message, or (when it cannot publish) ExecutionEnded's: the step is named either way.
          expect(last?.kind).toMatch(/\.failed$/);
          expect(last?.subject).toContain(`at ${namedStep}`);
          if (step === "NotifyFailed") expect(last?.message).toContain("ended without its own failure notification");
          // RecordFailure releases the lock; when it cannot, ExecutionEnded does (the execution ended FAILED).
          expect(await rig.lockItem()).toBeUndefined();
          break;
        case "needs-operator":
          expect(result.status).toBe("FAILED");
          expect(result.error).toBe("NeedsOperator");
          expect(rig.invocations.RestorePilotLight).toBeUndefined();
          expect(last?.kind).toBe("failover.needs-operator");
          expect(last?.subject).toContain(`at ${namedStep}`);
          expect(last?.message).toContain("cannot be undone");
          expect(await rig.lockItem()).toBeUndefined();
          break;
        case "continues": {
          expect(result.status, result.cause).toBe("SUCCEEDED");
          expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
          expect(drDesired(rig)).toBe(rig.ids.drTaskCount);
          const outcome = await rig.outcome(`permanent-${step}`);
          if (step === "SwitchDns") expect(outcome?.dns).toBe("left-to-health-checks");
          // The pin was accepted before the poll failed: the record is switched, INSYNC unconfirmed.
          if (step === "CheckDnsChange") expect(outcome?.dns).toBe("switched-pending");
          if (step === "FencePrimary") expect(outcome?.fenced).toBeNull();
          if (step === "PromoteSecret") expect(outcome?.secretStandalone).toBeNull();
          if (step === "RecordOutcome") expect(outcome).toBeUndefined();
          const kinds = rig.world.inbox.map((m) => m.kind);
          expect(kinds.includes("failover.started")).toBe(step !== "NotifyStarted");
          expect(kinds.includes("failover.succeeded")).toBe(step !== "NotifySucceeded");
          break;
        }
      }
    });
  });
});

describe("compensation", () => {
  const compensation = ["AssessFailure", "RestorePilotLight", "RecordFailure", "NotifyFailed"] as const;

  it("asks each compensation step again whose answer was lost after it applied: a failover refused before any promotion still ends RolledBack, the primary neither pinned away from nor fenced", async () => {
    const { rig, input } = await scenarioRig("lag-breach");
    for (const step of compensation) {
      rig.after[step] = (n) => {
        if (n === 1) throw lambdaTimeout();
      };
    }
    const zoneBefore = structuredClone(rig.world.zones.get(rig.ids.hostedZoneId));
    const result = await rig.run(input, "lost-in-compensation");
    expect({ end: result.states.at(-1), error: result.error }, result.cause).toEqual({ end: "RolledBack", error: "RpoBudgetExceededError" });
    expect(compensation.map((step) => rig.invocations[step])).toEqual([2, 2, 2, 2]);
    expect(result.states).not.toContain("FenceAfterFailure");
    expect(rig.world.zones.get(rig.ids.hostedZoneId)).toEqual(zoneBefore);
    expect(drDesired(rig)).toBe(rig.ids.drPilotTaskCount);
    expect(await rig.lockItem()).toBeUndefined();
    // Both NotifyFailed published (a standard topic does not deduplicate): one message too many rather than none.
    expect(rig.world.inbox.filter((m) => m.kind === "failover.failed").map((m) => m.subject)).toEqual([expect.stringContaining("at Preflight"), expect.stringContaining("at Preflight")]);
  });
});
