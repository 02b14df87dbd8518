/**
 * Never a silent or split-brain outcome (issue 12), executed like execution.test.ts: the
 * synthesized definition, real handlers, the harsh emulated world. Lost responses (a call that
 * applied and whose answer was lost), a dead execution's lock, an outage during a drill, a
 * primary that comes back, and the fence that must hold. After every test the world's
 * invariants are checked (after one pass of the monitor's fence completion).
 */
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Failback, Failover } from "@pilot-light/core";
import { lostWrites, startTraffic } from "../../../world/src";
import { automaticInput, failoverInput, lambdaTimeout, permanentError, startSuite, type Rig, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

const drService = (rig: Rig) => rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service))!;
const primaryService = (rig: Rig) => rig.world.services.get(rig.world.serviceKey(rig.ids.primaryRegion, rig.ids.cluster, rig.ids.service))!;
/** Real (wall-clock) milliseconds, so a concurrent execution can reach its own waits. */
/** Resolves when the rig's first CheckDrService has answered (in virtual time, not after real milliseconds). */
const firstLook = (rig: Rig) =>
  new Promise<void>((resolve) => {
    rig.after.CheckDrService = () => resolve();
  });

describe("a promote call whose answer was lost", () => {
  it.each([
    ["a 500 after the call applied", "InternalFailure"],
    ["a socket reset after the call applied", "ECONNRESET"],
  ])("is never rolled back under (%s; the SDK's retry meets InvalidDBInstanceStateFault): the run completes", async (_what, error) => {
    // The race at its bad case: the accepted replica still shows `available` with its source for a minute.
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 60 } });
    rig.world.inject({ api: "rds:PromoteReadReplica", error, applied: true, times: 1 });
    const result = await rig.run(failoverInput(), "lost-promote");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica").map((c) => c.failed ?? "ok")).toEqual([error, "InvalidDBInstanceStateFault"]);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
  });

  it("is never re-sent nor rolled back while RDS's status hides it for longer than the acceptance window: its events show the promotion", async () => {
    // AWS bounds the status race nowhere: here it outlasts the 120 s window and all three calls'
    // windows. RDS's events record the promotion from the moment it accepted the call.
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 400, promotionSeconds: 600 } });
    rig.world.inject({ api: "rds:PromoteReadReplica", error: "InternalFailure", applied: true, times: 1 });
    const result = await rig.run(failoverInput(), "race-outlasts-window");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica").map((c) => c.failed ?? "ok")).toEqual(["InternalFailure", "InvalidDBInstanceStateFault"]);
    expect(rig.world.callsTo("rds:DescribeEvents").length).toBeGreaterThan(0);
    expect(rig.invocations.PromoteReplica).toBe(1);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
  });

  it("follows a promotion someone else started moments before (RDS refuses the call, the status still shows a replica): never rolled back", async () => {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 300, promotionSeconds: 600 } });
    // A person promoted the replica at the console just before the run reached PromoteReplica.
    rig.before.PromoteReplica = (n) => {
      const replica = rig.world.databases.get(rig.ids.replicaDb)!;
      if (n === 1) replica.promotionRequestedAtMs = rig.world.clock.nowMs() - 20_000;
    };
    const result = await rig.run(failoverInput(), "promoted-by-someone");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.callsTo("rds:PromoteReadReplica").map((c) => c.failed ?? "ok")).toEqual(["InvalidDBInstanceStateFault"]);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
  });

  it("is judged by what RDS shows when the run fails right after it: compensation reads the promotion in RDS's events at its first look and asks an operator", async () => {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 60 } });
    rig.after.PromoteReplica = (n) => {
      if (n === 1) throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "lost-promote-events");
    expect(result.error).toBe("NeedsOperator");
    expect(result.states).not.toContain("WaitForPromotionEvidence");
    expect(result.states.filter((s) => s === "AssessFailure")).toHaveLength(1);
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
    expect(rig.world.callsTo("rds:DescribeEvents").length).toBeGreaterThan(0);
  });

  it("is judged by what RDS shows when the run fails right after it and RDS has published no event yet: compensation waits for the evidence and asks an operator, never rolling back", async () => {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 60, rdsEventDelaySeconds: 600 } });
    // The call applied; the Lambda then timed out before it could answer.
    rig.after.PromoteReplica = (n) => {
      if (n === 1) throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "lost-promote-fails");
    expect(result.error).toBe("NeedsOperator");
    expect(result.states).toContain("WaitForPromotionEvidence");
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
    expect((result.states.filter((s) => s === "AssessFailure")).length).toBeGreaterThan(1);
  });

  it("keeps users off the old primary when the run fails right after its promote call applied: compensation pins DNS and fences it", async () => {
    const rig = await suite.rig({ latencies: { promotionRaceSeconds: 60 } });
    rig.after.PromoteReplica = (n) => {
      if (n === 1) throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "lost-promote-isolated");
    expect(result.error).toBe("NeedsOperator");
    expect(result.states).toEqual(expect.arrayContaining(["PinDnsAfterFailure", "FenceAfterFailure"]));
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
    expect(primaryService(rig).desired).toBe(0);
  });

  it("rolls back (not NeedsOperator) when RDS never showed a sign of any promote call: throttled throughout", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.inject({ api: "rds:PromoteReadReplica", error: "ThrottlingException" });
    const result = await rig.run(failoverInput(), "never-accepted");
    expect(result.states.at(-1), result.cause).toBe("RolledBack");
    expect(result.error).toBe("PromotionRejectedError");
    expect(rig.world.databases.get(rig.ids.replicaDb)?.promotionRequestedAtMs).toBeNull();
    expect(drService(rig).desired).toBe(rig.ids.drPilotTaskCount);
    expect(rig.world.inbox.at(-1)?.subject).toContain("failed at PromoteReplica");
  });
});

describe("other steps whose answer was lost", () => {
  it("keeps the lock its own when AcquireLock timed out after its write applied, and completes", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.after.AcquireLock = (n) => {
      if (n === 1) throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "lost-lock");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(result.retries).toContain("AcquireLock");
    expect((result.output as { lock: unknown }).lock).toMatchObject({ acquired: true, alreadyHeld: true, owner: "lost-lock" });
    expect(await rig.lockItem()).toBeUndefined();
  });

  it("reports DNS as switched when the pin applied and its answer never came (the record shows it pinned)", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.inject({ api: "route53:ChangeResourceRecordSets", error: "NoResponse", applied: true, times: 1 });
    const result = await rig.run(failoverInput(), "lost-pin");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.record(rig.ids.hostedZoneId, rig.ids.recordName, "primary")?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    expect((await rig.outcome("lost-pin"))?.dns).toMatch(/^(switched|already-pinned)$/);
  });

  it("keeps a pin Route 53 accepted when the INSYNC poll cannot be answered: switched, not left to health checks", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.before.CheckDnsChange = () => rig.world.impair("route53");
    const result = await rig.run(failoverInput(), "pin-unconfirmed");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(result.states).toContain("DnsChangeNotConfirmed");
    expect(await rig.outcome("pin-unconfirmed")).toMatchObject({ dns: "switched-pending" });
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
  });

  it("sets the DR desired count again when something lowers it while the scale branch waits", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.before.CheckDrService = (n) => {
      if (n === 2) rig.world.setDesired(drService(rig), 0);
    };
    const result = await rig.run(failoverInput(), "lowered");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect((result.output as { recovery: { service: { reasserted?: number } } }).recovery.service.reasserted).toBe(1);
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
  });
});

describe("the lock of an execution that died", () => {
  it("is released by ExecutionEnded when an execution is stopped by hand, conditional on its owner", async () => {
    const rig = await suite.rig();
    const sfn = new SFNClient({ region: rig.ids.drRegion });
    let stopped = false;
    rig.before.CheckDrService = (n) => {
      if (n !== 2 || stopped) return;
      stopped = true;
      void sfn.send(new StopExecutionCommand({ executionArn: `${rig.ids.stateMachineArn.replace(":stateMachine:", ":execution:")}:drill-stopped` }));
    };
    const result = await rig.run(failoverInput({ mode: "drill" }), "drill-stopped");
    expect(result.status).toBe("ABORTED");
    expect(await rig.lockItem()).toBeUndefined();
    expect(rig.world.inbox.at(-1)?.message).toMatch(/was aborted while in CheckDrService[\s\S]*lock it still held is released/);
    // A stopped drill does not scale back: a person (or the next drill) does; the invariants accept no half-way DR.
    rig.world.setDesired(drService(rig), rig.ids.drPilotTaskCount);
  });

  it("is released by ExecutionEnded when an execution times out at the state machine's limit", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.before.CheckPromotion = (n) => {
      if (n === 2) rig.world.clock.advance(91 * 60);
    };
    const result = await rig.run(failoverInput(), "timed-out");
    expect(result.status).toBe("TIMED_OUT");
    expect(await rig.lockItem()).toBeUndefined();
    expect(rig.world.inbox.at(-1)?.subject).toContain("timed out");
  });
});

describe("a real outage during a drill", () => {
  it("pre-empts the drill: stops it, takes the lock over, keeps its scale-up and fails over at once", async () => {
    const rig = await suite.rig({ latencies: { taskStartSeconds: 120 } });
    const polling = firstLook(rig);
    const drill = rig.run(failoverInput({ mode: "drill", requestedBy: "ops@example.com", incidentId: "drill-1" }), "drill-during-outage");
    // Let the drill scale DR up and start polling, then the primary region fails.
    await polling;
    rig.world.regionsDown.add(rig.ids.primaryRegion);
    const startedAtMs = rig.world.clock.nowMs();
    let lockedAtMs: number | undefined;
    rig.after.AcquireLock = () => {
      lockedAtMs ??= rig.world.clock.nowMs();
    };
    const failover = await rig.run(automaticInput({ incidentId: "outage-1" }), "failover-during-drill");
    const drillResult = await drill;
    expect(failover.status, failover.cause).toBe("SUCCEEDED");
    expect(drillResult.status).toBe("ABORTED");
    expect((failover.output as { lock: unknown }).lock).toMatchObject({ acquired: true, preempted: { owner: "drill-during-outage", status: "RUNNING" } });
    const delay = ((lockedAtMs ?? Infinity) - startedAtMs) / 1000;
    expect(delay).toBeLessThan(5);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.inbox.find((m) => m.kind === "failover.started")?.message).toContain("Pre-empted drill drill-during-outage");
    const status = await new SFNClient({ region: rig.ids.drRegion }).send(new DescribeExecutionCommand({ executionArn: drillResult.executionArn }));
    expect(status.status).toBe("ABORTED");
    console.log(`drill pre-empted: the failover held the lock ${delay.toFixed(1)} s (virtual) after it started; RTO ${String((await rig.outcome("failover-during-drill"))?.rtoSeconds)} s`);
  });

  it("leaves a drill alone when another drill asks for the lock", async () => {
    const rig = await suite.rig();
    const polling = firstLook(rig);
    const first = rig.run(failoverInput({ mode: "drill", incidentId: "d1" }), "drill-a");
    await polling;
    const second = await rig.run(failoverInput({ mode: "drill", incidentId: "d2" }), "drill-b");
    expect(second.states.at(-1)).toBe("FailoverAlreadyRunning");
    expect((await first).status).toBe("SUCCEEDED");
  });
});

describe("a primary region that comes back while the DR database is being promoted", () => {
  /**
   * Users write through DNS once a second; the primary region returns `returnAfterSeconds` after
   * the promote call (Route 53's health check sees it healthy at once). Every virtual moment
   * after the call is watched: which region users reach, how many databases are writable.
   */
  async function returnMidPromotion(returnAfterSeconds: number, name: string) {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionRaceSeconds: 60 } });
    startTraffic(rig.world, { writesPerSecond: 1, dns: { zoneId: rig.ids.hostedZoneId, recordName: rig.ids.recordName } });
    const seen = { staleAnswers: [] as number[], twoWritable: [] as number[] };
    rig.world.clock.onAdvance((nowMs) => {
      const requestedAt = rig.world.databases.get(rig.ids.replicaDb)?.promotionRequestedAtMs ?? null;
      if (requestedAt === null) return;
      if (rig.world.regionsDown.has(rig.ids.primaryRegion) && nowMs >= requestedAt + returnAfterSeconds * 1000) rig.world.regionsDown.delete(rig.ids.primaryRegion);
      const answer = rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName ?? "";
      if (answer.includes(rig.ids.primaryRegion) && rig.world.healthStatus(rig.ids.primaryRegion) === 200) seen.staleAnswers.push((nowMs - requestedAt) / 1000);
      if ([rig.ids.primaryDb, rig.ids.replicaDb].filter((id) => rig.world.isWritable(id)).length > 1) seen.twoWritable.push((nowMs - requestedAt) / 1000);
    });
    const result = await rig.run(failoverInput(), name);
    return { rig, result, seen };
  }

  it.each([0, 60, 200])("answers no user from the old primary and never leaves two databases writable (region back %i s after the promote call)", async (after) => {
    const { rig, result, seen } = await returnMidPromotion(after, `back-after-${after}`);
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.regionsDown.has(rig.ids.primaryRegion)).toBe(false);
    expect(seen.staleAnswers).toEqual([]);
    expect(seen.twoWritable).toEqual([]);
    const primary = rig.world.databases.get(rig.ids.primaryDb)!;
    const replica = rig.world.databases.get(rig.ids.replicaDb)!;
    expect(lostWrites(rig.world, primary, replica)).toBe(0);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
  });

  it("pins DNS and starts the fence before the promotion completes", async () => {
    const { rig, result } = await returnMidPromotion(60, "isolated-early");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    const states = result.states;
    expect(states.indexOf("SwitchDns")).toBeGreaterThan(states.indexOf("PromoteReplica"));
    expect(states.indexOf("SwitchDns")).toBeLessThan(states.indexOf("ReplicaWritable"));
    expect(states.indexOf("FencePrimary")).toBeLessThan(states.indexOf("ReplicaWritable"));
    expect(await rig.outcome("isolated-early")).toMatchObject({ fenced: true });
  });
});

describe("the loops on the critical path look on time", () => {
  it("tries the fence between every two looks in a dead region without spacing the looks further apart: one every 8 s", async () => {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionSeconds: 120 } });
    const looks: number[] = [];
    const fences: number[] = [];
    rig.before.CheckPromotion = () => void looks.push(rig.world.clock.nowMs());
    rig.before.FencePrimary = () => void fences.push(rig.world.clock.nowMs());
    const result = await rig.run(failoverInput(), "look-every-8");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(await rig.outcome("look-every-8")).toMatchObject({ fenced: false });
    expect(looks.length).toBeGreaterThan(5);
    // Each fence attempt waits out the dead region's bounded timeouts (seconds), between two looks.
    for (let i = 1; i < looks.length; i++) expect(fences.some((f) => f >= looks[i - 1]! && f < looks[i]!), `a fence between looks ${i} and ${i + 1}`).toBe(true);
    // The next look is due 8 s after the last (to the whole second), whatever the fence took.
    const gaps = looks.slice(1).map((at, i) => (at - looks[i]!) / 1000);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(Failover.promotionLookSeconds + 1);
  });

  it("looks at the DNS pin's change at once after the promotion when the pin was made minutes before", async () => {
    const rig = await suite.rig({ primaryDown: true, latencies: { promotionSeconds: 120, dnsInsyncSeconds: 30 } });
    const verified: number[] = [];
    const looks: number[] = [];
    rig.before.VerifyDrHealth = () => void verified.push(rig.world.clock.nowMs());
    rig.before.CheckDnsChange = () => void looks.push(rig.world.clock.nowMs());
    const result = await rig.run(failoverInput(), "dns-at-once");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(looks.map((at) => (at - verified[0]!) / 1000)).toEqual([0]);
  });
});

describe("a primary that comes back", () => {
  it("stands an automatic run down cleanly when the primary answers again just before the promotion", async () => {
    const rig = await suite.rig({ primaryDown: true, replicaBackup: { windowStartMinute: 3 * 60, startOffsetSeconds: 0, durationSeconds: 300 } });
    // The primary returns while Preflight waits out the replica's backup.
    rig.before.Preflight = (n) => {
      if (n === 2) rig.world.regionsDown.delete(rig.ids.primaryRegion);
    };
    const result = await rig.run(automaticInput(), "recovered");
    expect(result.states.at(-1)).toBe("PrimaryRecovered");
    expect(result.error).toBe("PrimaryRecoveredError");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(drService(rig).desired).toBe(rig.ids.drPilotTaskCount);
    expect(await rig.lockItem()).toBeUndefined();
    expect(await rig.outcome("recovered")).toMatchObject({ status: "stood-down", promoted: false });
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "failover.stood-down" });
    expect(rig.world.inbox.at(-1)?.subject).toContain("stood down at PromoteReplica");
  });

  it("does not second-guess a person's failover of a primary that answers", async () => {
    const rig = await suite.rig();
    const result = await rig.run(failoverInput(), "by-hand");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
  });

  it("is fenced by FencePrimary itself when it answers: read-only, at 0, and tagged with a value ECS accepts (no brackets)", async () => {
    const rig = await suite.rig();
    const result = await rig.run(failoverInput(), "fence-reachable");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(await rig.outcome("fence-reachable")).toMatchObject({ fenced: true });
    expect(rig.world.callsTo("ecs:TagResource").map((c) => c.failed ?? "ok")).toEqual(["ok"]);
    expect(primaryService(rig).tags.get("pilot-light:fenced")).toBe("failover fence-reachable incident inc-20260101-0300");
    expect(primaryService(rig)).toMatchObject({ desired: 0 });
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
  });

  it("cannot take writes or users once its region returns: the fence completion makes its database read-only and its service 0", async () => {
    const rig = await suite.rig({ primaryDown: true });
    const result = await rig.run(failoverInput(), "unfenced");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(await rig.outcome("unfenced")).toMatchObject({ fenced: false });
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    // The region is back with its old tasks and its database writable: split brain until fenced.
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(true);
    const completion = await rig.completeFence();
    expect(completion).toMatchObject({ needed: true, complete: true, database: { done: true }, service: { done: true }, dns: { done: true } });
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
    expect(primaryService(rig)).toMatchObject({ desired: 0 });
    expect(primaryService(rig).tags.has("pilot-light:fenced")).toBe(true);
    expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    // People are told, once.
    expect(rig.world.inbox.filter((m) => m.kind === "fence.completed").map((m) => m.subject)).toEqual([`[pilot-light test] Old primary in ${rig.ids.primaryRegion} fenced on its return`]);
    // Idempotent: the next tick changes nothing and tells nobody.
    const mutating = rig.world.mutatingCalls().length;
    expect(await rig.completeFence()).toMatchObject({ complete: true, changed: false });
    expect(rig.world.mutatingCalls()).toHaveLength(mutating);
    expect(rig.world.inbox.filter((m) => m.kind === "fence.completed")).toHaveLength(1);
  });

  it("leaves a re-protected primary region alone while a switchback holds the lock: its pre-warmed service is not scaled back down", async () => {
    const rig = await suite.rig({ primaryDown: true });
    expect((await rig.run(failoverInput(), "reprotected")).status).toBe("SUCCEEDED");
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    expect(await rig.completeFence()).toMatchObject({ needed: true, complete: true });
    // What re-protect leaves: the fenced old primary renamed aside, a replica of the DR database
    // under its name; then a switchback starts the primary service against that replica.
    const old = rig.world.databases.get(rig.ids.primaryDb)!;
    rig.world.databases.delete(old.identifier);
    rig.world.databases.set(`${old.identifier}-r1`, { ...old, identifier: `${old.identifier}-r1`, arn: `${old.arn}-r1` });
    rig.world.databases.set(old.identifier, { ...old, sourceIdentifier: rig.ids.replicaArn, parameterGroup: undefined });
    rig.world.setDesired(primaryService(rig), 2);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: rig.ids.drRegion, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }));
    const run = Failback.normalizeFailbackRun({ input: { mode: "switchback", reason: "test", requestedBy: "test", options: { switchDns: true } }, executionName: "switchback-prewarmed", startedAt: new Date().toISOString() });
    await Failback.acquireFailbackLock(doc, rig.table, run, new Date());
    const mutating = rig.world.mutatingCalls().length;
    expect(await rig.completeFence()).toMatchObject({ needed: false, detail: expect.stringContaining("re-protected") });
    expect(rig.world.mutatingCalls()).toHaveLength(mutating);
    expect(primaryService(rig).desired).toBe(2);
    // The switchback ends (the world's invariants hold no lock of an execution that is not running).
    await Failover.releaseLock(doc, rig.table, run.executionName);
  });

  it("fences nothing it could not read first: an unanswered look at the old primary's name, then a re-protect's new replica under it, stays writable-to-be (no read_only planted)", async () => {
    const rig = await suite.rig({ primaryDown: true });
    expect((await rig.run(failoverInput(), "unread")).status).toBe("SUCCEEDED");
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    expect(await rig.completeFence()).toMatchObject({ needed: true, complete: true });
    // An interrupted re-protect left a new replica, on its own group, under the old primary's name.
    const old = rig.world.databases.get(rig.ids.primaryDb)!;
    rig.world.databases.delete(old.identifier);
    rig.world.databases.set(`${old.identifier}-r1`, { ...old, identifier: `${old.identifier}-r1`, arn: `${old.arn}-r1` });
    const oldGroup = rig.world.parameterGroups.get(old.parameterGroup ?? "")!;
    const group = { ...oldGroup, name: `${oldGroup.name}-g1`, arn: `${oldGroup.arn}-g1`, parameters: new Map<string, string>() };
    rig.world.parameterGroups.set(group.name, group);
    rig.world.databases.set(old.identifier, { ...old, sourceIdentifier: rig.ids.replicaArn, parameterGroup: group.name });
    // The look at it is not answered (both attempts: the region is just coming back); the fence call after it would be.
    rig.world.inject({ api: "rds:DescribeDBInstances", region: rig.ids.primaryRegion, error: "TimeoutError", times: 2 });
    expect(await rig.completeFence()).toMatchObject({ complete: false, database: { done: false } });
    expect(group.parameters.has("read_only")).toBe(false);
    expect(await rig.completeFence()).toMatchObject({ needed: false, detail: expect.stringContaining("re-protected") });
  });

  it("is not fenced while no failover happened: the completion needs one DR-region look", async () => {
    const rig = await suite.rig();
    expect(await rig.completeFence()).toMatchObject({ needed: false });
    expect(rig.world.calls.map((c) => `${c.api}@${c.region}`)).toEqual([`rds:DescribeDBInstances@${rig.ids.drRegion}`]);
  });

  it("pins DNS on a later tick when Route 53's control plane answers again", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.impair("route53");
    const result = await rig.run(failoverInput(), "pin-later");
    expect(await rig.outcome("pin-later")).toMatchObject({ dns: "left-to-health-checks" });
    expect(result.status).toBe("SUCCEEDED");
    expect(await rig.completeFence()).toMatchObject({ complete: false, dns: { done: false } });
    rig.world.impairments.length = 0;
    expect(await rig.completeFence()).toMatchObject({ dns: { done: true } });
    expect(rig.world.record(rig.ids.hostedZoneId, rig.ids.recordName, "primary")?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
  });
});

describe("a stage without DNS", () => {
  it("never stops the only region users reach: the old primary's service keeps running, its database is made read-only", async () => {
    const rig = await suite.rig({ dns: false });
    const result = await rig.run(failoverInput(), "no-dns");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect((result.output as { fence: unknown }).fence).toMatchObject({ fenced: true, service: { skipped: true }, database: { done: true } });
    expect(primaryService(rig).desired).toBe(2);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
    expect(rig.world.inbox.at(-1)?.message).toContain("users still reach only the old primary");
  });
});

describe("a failure notification for every failure", () => {
  it("names the step even when the run's own NotifyFailed cannot publish (ExecutionEnded tells instead)", async () => {
    const rig = await suite.rig({ replicaLag: [400] });
    rig.before.NotifyFailed = () => {
      throw permanentError("NotifyFailed");
    };
    const result = await rig.run(failoverInput(), "untold");
    expect(result.states.at(-1)).toBe("RolledBack");
    expect(rig.world.inbox.at(-1)?.subject).toContain("failed at Preflight");
    expect(rig.world.inbox.at(-1)?.kind).toBe("failover.failed");
  });
});
