/**
 * The failover tried as an adversarial operator and an unlucky day would (issue 20), executed
 * like execution.test.ts: the synthesized definition, real handlers, the harsh emulated world.
 * Permissions that fail, Lambdas that time out after their effect applied, a finished run's
 * lock, inputs made of invisible characters. After every test the world's invariants are
 * checked (after one pass of the monitor's fence completion).
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { failoverInput, startSuite, type Rig, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

const drService = (rig: Rig) => rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service))!;
const lambdaTimeout = () => Object.assign(new Error(JSON.stringify({ errorMessage: "Task timed out after 25.00 seconds" })), { name: "Lambda.Unknown" });

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
