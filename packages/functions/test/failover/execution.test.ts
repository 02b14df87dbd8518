/**
 * Behaviour of the synthesized failover state machine, executed locally against the emulated
 * two-region world: every mode, the guards, and concurrency.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { polling } from "../../../../stacks/failover/steps";
import { failoverInput, startSuite, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

describe("failover execution (extracted synthesized ASL, real handlers, emulated world)", () => {
  it("fails over a regional outage found 12 minutes late: promotes, scales to N healthy, pins DNS to DR, records RTO and RPO", async () => {
    const rig = await suite.rig({ replicaLag: [0.8, 2.5, 1.1] });
    const { world, ids } = rig;
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(12 * 60);
    const result = await rig.run(failoverInput(), "failover-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(world.isWritable(ids.replicaDb)).toBe(true);
    const dr = world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service));
    expect(dr && world.healthyTargets(dr)).toBe(ids.drTaskCount);
    const primaryRecord = world.record(ids.hostedZoneId, ids.recordName, "primary");
    expect(primaryRecord?.AliasTarget?.DNSName).toBe(ids.drAlbDns);
    expect(primaryRecord?.HealthCheckId).toBeUndefined();
    expect(world.inbox.map((m) => m.kind)).toEqual(["failover.started", "failover.succeeded"]);
    const outcome = await rig.outcome("failover-1");
    expect(outcome).toMatchObject({ status: "succeeded", promoted: true, dns: "switched", fenced: false, secretStandalone: true });
    expect(await rig.lockItem()).toBeUndefined();
    console.log(
      `full failover: ${((result.endedAtMs - result.startedAtMs) / 1000).toFixed(0)} s modelled orchestration, RTO ${String(outcome?.rtoSeconds)} s, ${result.wallMs.toFixed(0)} ms wall (definition from ${suite.source})`,
    );
  });

  it("takes the RPO estimate from the last valid ReplicaLag datapoint before the outage and reports its age", async () => {
    const rig = await suite.rig({ replicaLag: [0.8, 2.5, 1.1] });
    const { world, ids } = rig;
    world.clock.advance(30);
    const outageAt = world.clock.nowMs();
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(12 * 60);
    // The last datapoint measured while replication still ran: the minute the outage began in.
    const lastValid = world.replicaLagDatapoints(ids.replicaDb, outageAt - 3600_000, world.clock.nowMs()).filter((p) => p.value >= 0).at(-1);
    expect(lastValid?.timestampMs).toBeLessThanOrEqual(outageAt);
    const result = await rig.run(failoverInput(), "failover-rpo");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const preflight = (result.output as { preflight: { lag: { seconds: number; observedAt: string; ageSeconds: number } } }).preflight.lag;
    expect(preflight).toMatchObject({ seconds: lastValid?.value, observedAt: new Date(lastValid?.timestampMs ?? 0).toISOString() });
    expect(preflight.ageSeconds).toBeGreaterThanOrEqual(12 * 60);
    expect(await rig.outcome("failover-rpo")).toMatchObject({ rpoSeconds: lastValid?.value });
  });

  it("keeps the stage's 7-day backup retention on the promoted database", async () => {
    const rig = await suite.rig();
    const result = await rig.run(failoverInput(), "retention-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.databases.get(rig.ids.replicaDb)?.backupRetentionDays).toBe(7);
    expect(rig.world.callsTo("rds:PromoteReadReplica").map((c) => (c.input as { BackupRetentionPeriod?: number }).BackupRetentionPeriod)).toEqual([7]);
  });

  it("makes the DR copy of the DB secret a standalone secret after the promotion, calling only the DR region", async () => {
    const rig = await suite.rig({ primaryDown: true });
    const result = await rig.run(failoverInput(), "secret-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.findSecret(rig.ids.drRegion, rig.ids.secretName)?.primaryRegion).toBe(rig.ids.drRegion);
    expect(rig.world.callsTo("secretsmanager:StopReplicationToReplica").map((c) => c.region)).toEqual([rig.ids.drRegion]);
    const secretStep = result.states.indexOf("PromoteSecret");
    expect(secretStep).toBeGreaterThan(result.states.indexOf("ReplicaWritable"));
  });

  it.each(["no-response", "black-hole"] as const)(
    "fences within the step's own time bound while the primary region hangs (%s), reporting the fence as not done",
    async (outageShape) => {
      const rig = await suite.rig({ primaryDown: true, outageShape });
      const result = await rig.run(failoverInput(), `fence-hang-${outageShape}`);
      expect(result.status, result.cause).toBe("SUCCEEDED");
      expect((result.output as { fence: unknown }).fence).toMatchObject({ fenced: false, region: rig.ids.primaryRegion, database: { done: false }, service: { done: false } });
      // The fence is tried on every promotion poll; each try: ECS and RDS in parallel, each call 2
      // bounded attempts (RDS: the look at which group the old primary uses).
      const attempts = rig.world.calls.filter((c) => c.region === rig.ids.primaryRegion);
      const tries = rig.invocations.FencePrimary ?? 0;
      expect(tries).toBeGreaterThan(1);
      for (let i = 0; i < tries; i++) {
        const one = attempts.slice(i * 4, i * 4 + 4);
        expect(one.map((c) => `${c.api}:${c.failed}`).sort()).toEqual(["ecs:DescribeServices:TimeoutError", "ecs:DescribeServices:TimeoutError", "rds:DescribeDBInstances:TimeoutError", "rds:DescribeDBInstances:TimeoutError"]);
        expect(((one.at(-1)?.atMs ?? 0) - (one[0]?.atMs ?? 0)) / 1000).toBeLessThanOrEqual(3);
      }
      expect(attempts).toHaveLength(tries * 4);
      expect(await rig.outcome(`fence-hang-${outageShape}`)).toMatchObject({ fenced: false });
    },
  );

  it("waits out the replica's backup (ReplicaNotReadyError is retried) and then fails over", async () => {
    const rig = await suite.rig({ primaryDown: true, replicaBackup: { windowStartMinute: 3 * 60, startOffsetSeconds: 0, durationSeconds: 600 } });
    const result = await rig.run(failoverInput(), "backup-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(result.retries.filter((r) => r === "Preflight").length).toBeGreaterThan(0);
    expect(rig.world.callsTo("rds:PromoteReadReplica").map((c) => c.failed ?? "ok")).toEqual(["ok"]);
    expect((rig.world.callsTo("rds:PromoteReadReplica")[0]?.atMs ?? 0) - rig.world.clock.nowMs()).toBeLessThan(0);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
  });

  it("does not take a modification nobody requested for a promotion: it waits, then rolls back instead of asking an operator", async () => {
    const rig = await suite.rig();
    const replica = rig.world.databases.get(rig.ids.replicaDb);
    if (replica) replica.baseStatus = "modifying";
    const result = await rig.run(failoverInput(), "modifying-1");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("ReplicaNotReadyError");
    expect(result.states.at(-1)).toBe("RolledBack");
    expect(result.retries.filter((r) => r === "Preflight")).toHaveLength(20);
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.inbox.at(-1)?.kind).toBe("failover.failed");
    expect(await rig.lockItem()).toBeUndefined();
  });

  it("completes with DNS left to the health checks while Route 53's control plane hangs, users reaching DR by the data plane", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.impair("route53");
    const result = await rig.run(failoverInput(), "r53-impaired");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(await rig.outcome("r53-impaired")).toMatchObject({ dns: "left-to-health-checks", promoted: true });
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toContain(rig.ids.drAlbDns);
  });

  it("records the run against the stage's targets and names the stage in every subject", async () => {
    const rig = await suite.rig({ primaryDown: true, replicaLag: [1, 1, 1] });
    const result = await rig.run(failoverInput(), "targets-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const outcome = await rig.outcome("targets-1");
    expect(outcome).toMatchObject({
      targets: { rto: { targetSeconds: 600, measuredFrom: "execution-start", met: true }, rpo: { budgetSeconds: 60, actualSeconds: 1, met: true } },
    });
    expect(rig.world.inbox.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[pilot-light test\] Failover/), expect.stringMatching(/^\[pilot-light test\] Failover/)]);
    expect(rig.world.inbox[1]?.message).toMatch(/RTO \d+ s \(from the execution's start; detection not included\), target 600 s: met/);
  });

  it("runs promotion and scaling in parallel, so orchestration takes about the slower of the two", async () => {
    const rig = await suite.rig({ latencies: { promotionSeconds: 240, taskStartSeconds: 200, firstHealthCheckSeconds: 10 } });
    const result = await rig.run(failoverInput(), "parallel-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const seconds = (result.endedAtMs - result.startedAtMs) / 1000;
    // Sequential would be ≥ 450 s; parallel is the slower (240 s) plus polling slack and DNS.
    expect(seconds).toBeLessThan(240 + 15 + 45 + 30);
    expect(seconds).toBeGreaterThanOrEqual(240);
  });

  it("fences the old primary when its region still answers", async () => {
    const rig = await suite.rig();
    const result = await rig.run(failoverInput(), "fence-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const primary = rig.world.services.get(rig.world.serviceKey(rig.ids.primaryRegion, rig.ids.cluster, rig.ids.service));
    expect(primary?.desired).toBe(0);
    expect(await rig.outcome("fence-1")).toMatchObject({ fenced: true });
  });

  it("drills without promoting or touching DNS, and ends at the pilot-light count", async () => {
    const rig = await suite.rig();
    const before = structuredClone(rig.world.zones.get(rig.ids.hostedZoneId));
    const result = await rig.run(failoverInput({ mode: "drill", requestedBy: "ops@example.com", incidentId: undefined }), "drill-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.callsTo("route53:ChangeResourceRecordSets")).toHaveLength(0);
    expect(rig.world.zones.get(rig.ids.hostedZoneId)).toEqual(before);
    expect(rig.world.databases.get(rig.ids.replicaDb)?.sourceIdentifier).toBe(rig.ids.primaryArn);
    const dr = rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service));
    expect(dr?.desired).toBe(rig.ids.drPilotTaskCount);
    expect(rig.world.callsTo("ecs:UpdateService").map((c) => (c.input as { desiredCount: number }).desiredCount)).toEqual([2, 0]);
    expect(await rig.outcome("drill-1")).toMatchObject({ mode: "drill", status: "succeeded", promoted: false, dns: "not-switched" });
    expect(rig.world.inbox.map((m) => m.kind)).toEqual(["drill.started", "drill.succeeded"]);
  });

  it("scales back after a drill whose health check fails", async () => {
    const rig = await suite.rig();
    rig.before.VerifyDrHealth = () => {
      throw Object.assign(new Error("GET /health.php answered 503"), { name: "DrUnhealthyError" });
    };
    const result = await rig.run(failoverInput({ mode: "drill" }), "drill-2");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("DrUnhealthyError");
    const dr = rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service));
    expect(dr?.desired).toBe(rig.ids.drPilotTaskCount);
    expect(rig.world.inbox.at(-1)?.subject).toContain("failed at VerifyDrHealth");
    expect(await rig.lockItem()).toBeUndefined();
  });

  it("dry-runs with no mutating call at all and reports the plan", async () => {
    const rig = await suite.rig();
    const result = await rig.run(failoverInput({ mode: "dry-run" }), "dry-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.mutatingCalls()).toEqual([]);
    expect(await rig.lockItem()).toBeUndefined();
    expect(result.output).toMatchObject({ mode: "dry-run", wouldProceed: true, blockers: [] });
    expect((result.output as { plan: string[] }).plan.join("\n")).toContain("promote replica");
  });

  it("dry-runs a lag breach as a report of the blocker, not a failure", async () => {
    const rig = await suite.rig({ replicaLag: [300] });
    const result = await rig.run(failoverInput({ mode: "dry-run" }), "dry-2");
    expect(result.status).toBe("SUCCEEDED");
    expect(result.output).toMatchObject({ wouldProceed: false });
    expect(rig.world.mutatingCalls()).toEqual([]);
  });

  it.each([
    [{ mode: "failover", requestedBy: "x" }, "reason"],
    [{ mode: "promote", reason: "r", requestedBy: "x" }, "mode"],
    [{ mode: "failover", reason: "r", requestedBy: "x", options: { acknowledgeLag: true } }, "options"],
    [{ mode: "failover", reason: "r", requestedBy: "x", option: { switchDns: false } }, "option"],
    [{ mode: "failover", reason: "r", requestedBy: "x", incidentId: "has spaces" }, "incidentId"],
  ])("rejects bad input %j in its first state, naming the field (%s), touching nothing", async (input, field) => {
    const rig = await suite.rig();
    const result = await rig.run(input, "bad-input");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("ValidationError");
    expect(result.cause).toContain(field);
    expect(result.states).toEqual(["ValidateInput", "InputRejected"]);
    // Only ExecutionEnded (the EventBridge rule) read the history and told people.
    expect(rig.world.calls.map((c) => c.api)).toEqual(["states:GetExecutionHistory", "sns:Publish"]);
    expect(rig.world.inbox.at(-1)?.subject).toContain("failed at ValidateInput");
    expect(await rig.lockItem()).toBeUndefined();
  });

  it("rejects input that is not an object in its first state", async () => {
    const rig = await suite.rig();
    const result = await rig.run("fail over please", "bad-input-string");
    expect(result).toMatchObject({ status: "FAILED", error: "ValidationError", states: ["ValidateInput", "InputRejected"] });
    expect(rig.world.mutatingCalls().map((c) => c.api)).toEqual(["sns:Publish"]);
  });

  it("treats an already-promoted replica as done and completes the failover", async () => {
    const rig = await suite.rig();
    const replica = rig.world.databases.get(rig.ids.replicaDb);
    if (replica) replica.sourceIdentifier = null;
    const result = await rig.run(failoverInput(), "again-1");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.invocations.CheckPromotion).toBeUndefined();
  });

  it("refuses to fail over when replica lag exceeds the RPO budget and nobody acknowledged it", async () => {
    const rig = await suite.rig({ replicaLag: [95] });
    const result = await rig.run(failoverInput(), "lag-1");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("RpoBudgetExceededError");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(rig.world.callsTo("ecs:UpdateService")).toHaveLength(0);
    const failed = rig.world.inbox.at(-1);
    expect(failed?.kind).toBe("failover.failed");
    expect(failed?.message).toContain("acknowledgeRpoBreach");
    expect(await rig.lockItem()).toBeUndefined();
  });

  it("fails over over the RPO budget when the operator acknowledges it, recording the lag as the RPO", async () => {
    const rig = await suite.rig({ replicaLag: [95] });
    const result = await rig.run(failoverInput({ options: { acknowledgeRpoBreach: true } }), "lag-2");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(await rig.outcome("lag-2")).toMatchObject({ rpoSeconds: 95, promoted: true });
  });

  it("treats unknown replica lag as over budget", async () => {
    const rig = await suite.rig({ replicaLag: [-1, -1] });
    const result = await rig.run(failoverInput(), "lag-3");
    expect(result.error).toBe("RpoBudgetExceededError");
    expect(result.cause).toContain("unknown");
  });

  it("fails a concurrent second execution fast with FailoverLockedError, leaving the first to finish", async () => {
    const rig = await suite.rig();
    // Start the second while the first holds the lock: once it has polled the DR service.
    const polling = new Promise<void>((resolve) => {
      rig.after.CheckDrService = () => resolve();
    });
    const first = rig.run(failoverInput(), "first");
    await polling;
    const second = await rig.run(failoverInput({ incidentId: "inc-duplicate" }), "second");
    const firstResult = await first;
    expect(second.status).toBe("FAILED");
    expect(second.error).toBe("FailoverLockedError");
    expect(second.cause).toContain("first");
    expect(second.states).toEqual(["ValidateInput", "AcquireLock", "FailoverAlreadyRunning"]);
    expect(firstResult.status, firstResult.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(1);
  });

  it("does not report a failover done whose promoted database still reads read-only: VerifyDrHealth is retried, then an operator is told", async () => {
    const rig = await suite.rig({ primaryDown: true });
    const { world, ids } = rig;
    // read_only on in the replica's own group: RDS keeps the group through the promotion.
    const group = world.parameterGroups.get(ids.replicaParameterGroup)!;
    group.parameters.set("read_only", "1");
    const result = await rig.run(failoverInput(), "read-only-1");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("NeedsOperator");
    // Promoted and no longer a replica, but MySQL refuses writes: the verify's Retry (1 + 6 tries).
    expect(world.dbView(world.databases.get(ids.replicaDb)!).sourceIdentifier).toBeNull();
    expect(rig.invocations.VerifyDrHealth).toBe(7);
    expect(world.inbox.map((m) => m.kind)).not.toContain("failover.succeeded");
    const told = world.inbox.at(-1);
    expect(told?.kind).toBe("failover.needs-operator");
    expect(`${told?.subject}\n${told?.message}`).toMatch(/VerifyDrHealth[\s\S]*read-only database \(readOnly: true\)/);
    expect(await rig.outcome("read-only-1")).toMatchObject({ status: "needs-operator" });
    // What the operator does (docs/failover.md): read_only back to its default; the DR region takes writes.
    group.parameters.delete("read_only");
    expect(world.isWritable(ids.replicaDb)).toBe(true);
  });

  it("retries VerifyDrHealth while the promoted database still reads read-only, and completes once it takes writes", async () => {
    const rig = await suite.rig({ primaryDown: true });
    const group = rig.world.parameterGroups.get(rig.ids.replicaParameterGroup)!;
    group.parameters.set("read_only", "1");
    rig.before.VerifyDrHealth = (n) => {
      if (n === 3) group.parameters.delete("read_only");
    };
    const result = await rig.run(failoverInput(), "read-only-lifts");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.invocations.VerifyDrHealth).toBe(3);
    expect((result.output as { health: { readOnly: boolean } }).health.readOnly).toBe(false);
  });

  it("ends in NeedsOperator, without undoing anything, when the promotion never completes", async () => {
    const rig = await suite.rig();
    const replica = rig.world.databases.get(rig.ids.replicaDb);
    if (replica) replica.promotionStalls = true;
    const result = await rig.run(failoverInput(), "stall-1");
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("NeedsOperator");
    expect(rig.invocations.CheckPromotion).toBe(polling.promotion.maxAttempts);
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
    const message = rig.world.inbox.at(-1);
    expect(message?.kind).toBe("failover.needs-operator");
    expect(message?.subject).toContain("CheckPromotion");
    expect(await rig.outcome("stall-1")).toMatchObject({ status: "needs-operator" });
  });
});
