/**
 * The failover tried as an adversarial operator and an unlucky day would (issue 20), executed
 * like execution.test.ts: the synthesized definition, real handlers, the harsh emulated world.
 * Permissions that fail, Lambdas that time out after their effect applied, a finished run's
 * lock, inputs made of invisible characters. After every test the world's invariants are
 * checked (after one pass of the monitor's fence completion).
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Failover } from "@pilot-light/core";
import { failoverInput, lambdaTimeout, startSuite, type Rig, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

const drService = (rig: Rig) => rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service))!;

describe("end states that match the world", () => {
  it("rolls back (not NeedsOperator) when RDS cannot be read at all and nothing was promoted", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.inject({ api: "rds:DescribeDBInstances", error: "AccessDenied", region: rig.ids.drRegion });
    const result = await rig.run(failoverInput(), "rds-denied");
    expect(result.states.at(-1), result.cause).toBe("RolledBack");
    expect(rig.world.callsTo("rds:PromoteReadReplica")).toHaveLength(0);
    expect(drService(rig).desired).toBe(rig.ids.drPilotTaskCount);
    expect(await rig.outcome("rds-denied")).toMatchObject({ status: "rolled-back" });
    expect(rig.world.inbox.at(-1)?.subject).toContain("failed at Preflight");
    // The permission is granted again before the fence completion's next tick reads RDS.
    rig.world.faults.length = 0;
  });

  it("tells a failed run through an OpsCenter OpsItem naming the step when sns:Publish is denied for good", async () => {
    const rig = await suite.rig({ replicaLag: [400] });
    rig.world.inject({ api: "sns:Publish", error: "AuthorizationError", httpStatusCode: 403 });
    const result = await rig.run(failoverInput(), "sns-denied");
    expect(result.states.at(-1)).toBe("RolledBack");
    expect(rig.world.inbox).toEqual([]);
    expect(rig.world.opsItems.map((o) => o.title)).toEqual([expect.stringContaining("failed at Preflight")]);
    expect(rig.world.opsItems[0]?.description).toContain("RpoBudgetExceededError");
  });

  it("reports DNS as pinned when SwitchDns's Lambda timed out after the pin applied (not left to health checks)", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.after.SwitchDns = (n) => {
      if (n === 1) throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "pin-timed-out");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(rig.world.record(rig.ids.hostedZoneId, rig.ids.recordName, "primary")?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    expect((await rig.outcome("pin-timed-out"))?.dns).toMatch(/^(switched|already-pinned)$/);
    expect(rig.world.inbox.at(-1)?.message).not.toContain("left to health checks");
  });

  it("reports DNS as Route 53 shows it when every SwitchDns attempt timed out after its pin applied", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.after.SwitchDns = () => {
      throw lambdaTimeout();
    };
    const result = await rig.run(failoverInput(), "pin-always-timed-out");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(result.states).toContain("DnsLeftToHealthChecks");
    expect(rig.world.record(rig.ids.hostedZoneId, rig.ids.recordName, "primary")?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
    expect((await rig.outcome("pin-always-timed-out"))?.dns).toBe("switched-pending");
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "failover.succeeded" });
    expect(rig.world.inbox.at(-1)?.message).toContain("DNS: the PRIMARY record now points at the DR load balancer");
  });
});

describe("a finished run's lock", () => {
  it.each([
    ["the next drill", "drill"],
    ["the next failover", "failover"],
  ] as const)("is taken over by %s when every release of it was lost: AcquireLock asks Step Functions and records the takeover", async (_what, mode) => {
    const rig = await suite.rig({ replicaLag: [400] });
    let left: Record<string, unknown> | undefined;
    rig.after.AcquireLock = () => {
      void rig.lockItem().then((item) => (left = item));
    };
    // A failover that ends RolledBack (lag over budget) whose RecordFailure, ExecutionEnded and
    // their retries all failed to release the lock: the item stays as the run wrote it.
    const first = await rig.run(failoverInput({ incidentId: "first" }), "first-run");
    expect(first.states.at(-1), first.cause).toBe("RolledBack");
    expect(left).toMatchObject({ owner: "first-run" });
    await rig.dynamo.doc.send(new PutCommand({ TableName: rig.table, Item: left }));
    const result = await rig.run(failoverInput({ mode, incidentId: "second", options: { acknowledgeRpoBreach: true } }), `second-${mode}`);
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect((result.output as { lock: unknown }).lock).toMatchObject({ acquired: true, takenOver: { owner: "first-run", status: "FAILED", executionArn: first.executionArn } });
    expect(rig.world.callsTo("states:DescribeExecution").length).toBeGreaterThan(0);
  });
});

describe("a run that could still serve", () => {
  const notices = (rig: Rig) => rig.world.inbox.filter((m) => (m.kind ?? "").startsWith("failover.serving-"));

  it("keeps scaling the DR service when ECS refuses UpdateService twice after the promotion, telling people each time, and serves", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.inject({ api: "ecs:UpdateService", error: "AccessDeniedException", region: rig.ids.drRegion, times: 2 });
    const result = await rig.run(failoverInput(), "denied-twice");
    expect(result.status, result.cause).toBe("SUCCEEDED");
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.healthStatus(rig.ids.drRegion)).toBe(200);
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    expect(notices(rig).map((m) => m.kind)).toEqual(["failover.serving-retry", "failover.serving-retry"]);
    expect(notices(rig)[1]?.subject).toContain("ScaleDrService failed (attempt 2)");
    expect(notices(rig)[1]?.message).toMatch(/AccessDeniedException[\s\S]*Next attempt at .*; the run gives up at /);
  });

  it("keeps trying for a bounded time when ECS refuses for good, tells each attempt, then asks an operator with the database promoted", async () => {
    const rig = await suite.rig({ primaryDown: true });
    rig.world.inject({ api: "ecs:UpdateService", error: "AccessDeniedException", region: rig.ids.drRegion });
    const result = await rig.run(failoverInput(), "denied-for-good");
    expect(result.error).toBe("NeedsOperator");
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
    const told = notices(rig);
    expect(told.length).toBeGreaterThanOrEqual(5);
    expect(told.at(-1)?.kind).toBe("failover.serving-abandoned");
    const first = rig.world.callsTo("ecs:UpdateService")[0]?.atMs ?? 0;
    const last = rig.world.callsTo("ecs:UpdateService").at(-1)?.atMs ?? 0;
    // Kept trying for most of the bound (30 min), never past it.
    expect((last - first) / 1000).toBeGreaterThan(Failover.servingRetrySeconds - 600);
    expect((last - first) / 1000).toBeLessThanOrEqual(Failover.servingRetrySeconds);
    expect(rig.world.inbox.at(-1)).toMatchObject({ kind: "failover.needs-operator" });
    expect(rig.world.inbox.at(-1)?.subject).toContain("at ScaleDrService");
    rig.world.faults.length = 0;
  });

  it("gives up at once in a drill (nothing to serve): rolled back", async () => {
    const rig = await suite.rig();
    rig.world.inject({ api: "ecs:UpdateService", error: "AccessDeniedException", region: rig.ids.drRegion, times: 1 });
    const result = await rig.run(failoverInput({ mode: "drill" }), "drill-denied");
    expect(result.states.at(-1)).toBe("RolledBack");
    expect(notices(rig)).toEqual([]);
    expect(rig.world.inbox.at(-1)?.subject).toContain("at ScaleDrService");
  });
});

describe("every mutating call whose answer was lost after it applied", () => {
  // The SDK retries a 5xx or a socket error itself: its retry meets the call's own effect.
  const lost = ["InternalFailure", "ECONNRESET"] as const;
  const failoverCalls = [
    ["rds:PromoteReadReplica", undefined],
    ["ecs:UpdateService", "dr"],
    ["ecs:UpdateService", "primary"],
    ["ecs:TagResource", "primary"],
    ["rds:ModifyDBParameterGroup", "primary"],
    ["route53:ChangeResourceRecordSets", undefined],
    ["secretsmanager:StopReplicationToReplica", undefined],
    ["sns:Publish", undefined],
  ] as const;

  it("covers every mutating API a failover calls", async () => {
    const rig = await suite.rig();
    expect((await rig.run(failoverInput(), "clean")).status).toBe("SUCCEEDED");
    const called = new Set(rig.world.mutatingCalls().map((c) => `${c.api}@${c.region === rig.ids.drRegion ? "dr" : c.region === rig.ids.primaryRegion ? "primary" : "global"}`));
    for (const key of called) {
      const [api, where] = key.split("@");
      expect(failoverCalls.some(([a, w]) => a === api && (w === undefined || w === where)), key).toBe(true);
    }
  });

  describe.each(lost)("(%s, then the SDK's own retry)", (error) => {
    it.each(failoverCalls)("%s (%s): the failover completes, its outcome as the world shows", async (api, where) => {
      const rig = await suite.rig({ latencies: { promotionRaceSeconds: 60 } });
      const region = where === "dr" ? rig.ids.drRegion : where === "primary" ? rig.ids.primaryRegion : undefined;
      rig.world.inject({ api, error, applied: true, times: 1, ...(region ? { region } : {}) });
      const result = await rig.run(failoverInput(), `lost-${api.replace(/:/g, "-")}-${where ?? "any"}`);
      expect(result.status, result.cause).toBe("SUCCEEDED");
      expect(rig.world.callsTo(api).some((c) => c.failed === error && c.applied)).toBe(true);
      expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
      expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(false);
      expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
      expect(rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName).toBe(rig.ids.drAlbDns);
      const outcome = await rig.outcome(result.executionArn.split(":").at(-1) ?? "");
      expect(outcome).toMatchObject({ fenced: true, secretStandalone: true });
      expect(outcome?.dns).toMatch(/^(switched|already-pinned|switched-pending)$/);
    });
  });
});
