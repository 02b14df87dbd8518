import { afterEach, describe, expect, it } from "vitest";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { executeLocally, installApis, pilotLightWorld, retryPauseSeconds, Scheduler, startHealthServer, VirtualClock, type AslDefinition } from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function setup() {
  const { world, ids } = pilotLightWorld({ latencies: { promotionSeconds: 120, promotionRaceSeconds: 10, taskStartSeconds: 60, firstHealthCheckSeconds: 10 } });
  restore = installApis(world);
  return { world, ids, rds: new RDSClient({ region: ids.drRegion }), ecs: new ECSClient({ region: ids.drRegion }) };
}

describe("emulated world", () => {
  it("reproduces the promotion race: available with its source first, writable only later", async () => {
    const { world, ids, rds } = setup();
    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    const look = async () => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).DBInstances?.[0];
    expect(await look()).toMatchObject({ DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: ids.primaryArn });
    world.clock.advance(30);
    expect((await look())?.DBInstanceStatus).toBe("modifying");
    world.clock.advance(90);
    expect(await look()).toMatchObject({ DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: undefined });
  });

  it("starts tasks and passes health checks on the latency model's schedule, visible on /health.php", async () => {
    const { world, ids, ecs } = setup();
    const health = await startHealthServer(world);
    try {
      await ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, desiredCount: 2 }));
      const status = async () => (await fetch(health.url(ids.drRegion))).status;
      expect(await status()).toBe(503);
      world.clock.advance(65);
      expect(await status()).toBe(503);
      world.clock.advance(5);
      expect(await status()).toBe(200);
    } finally {
      await health.close();
    }
  });

  it("fails calls to a region that is down like a network timeout", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const primary = new ECSClient({ region: ids.primaryRegion, maxAttempts: 1 });
    await expect(primary.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, desiredCount: 0 }))).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("fails exactly as many calls as an injected fault says, and logs every call", async () => {
    const { world, ids, rds } = setup();
    world.inject({ api: "rds:DescribeDBInstances", error: "ThrottlingException", times: 1 });
    const call = () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }));
    const slow = new RDSClient({ region: ids.drRegion, maxAttempts: 1 });
    await expect(slow.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).rejects.toMatchObject({ name: "ThrottlingException" });
    await expect(call()).resolves.toBeDefined();
    expect(world.callsTo("rds:DescribeDBInstances").map((c) => c.failed ?? "ok")).toEqual(["ThrottlingException", "ok"]);
  });
});

describe("virtual-time scheduler", () => {
  it("overlaps concurrent sleeps: two 15 s sleeps take 15 virtual seconds, not 30", async () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    await Promise.all([scheduler.sleep(15), scheduler.sleep(15)]);
    expect(clock.nowMs()).toBe(15_000);
  });

  it("wakes sleepers in time order", async () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const woke: number[] = [];
    await Promise.all([scheduler.sleep(20).then(() => woke.push(clock.nowMs())), scheduler.sleep(5).then(() => woke.push(clock.nowMs()))]);
    expect(woke).toEqual([5_000, 20_000]);
  });
});

describe("local execution on the virtual clock", () => {
  const definition: AslDefinition = {
    StartAt: "Flaky",
    States: {
      Flaky: {
        Type: "Task",
        Resource: "arn:aws:lambda:eu-central-1:000000000000:function:flaky",
        Retry: [{ ErrorEquals: ["Busy"], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3, MaxDelaySeconds: 15 }],
        Next: "Pause",
      },
      Pause: { Type: "Wait", Seconds: 12, Next: "Poll" },
      Poll: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:poll", End: true },
    },
  };

  it("computes Retry pauses with backoff and the cap", () => {
    const flaky = definition.States.Flaky;
    expect([0, 1, 2].map((n) => retryPauseSeconds(flaky as never, "Busy", n))).toEqual([10, 15, 15]);
    expect(retryPauseSeconds(flaky as never, "Other", 0)).toBe(0);
  });

  it("spends Wait seconds and Retry pauses in virtual time, not wall time", async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const result = await executeLocally(definition, {}, {
      clock,
      executionName: "t",
      retryJitter: () => 1,
      handlers: {
        Flaky: async () => {
          calls += 1;
          if (calls < 3) throw Object.assign(new Error("busy"), { name: "Busy" });
          return { ok: true };
        },
        Poll: async () => ({ at: clock.nowMs() }),
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    // Two retries (10 s, then 15 s capped) and one 12 s Wait.
    expect(result.output).toEqual({ at: 37_000 });
    expect(result.retries).toEqual(["Flaky", "Flaky"]);
  });
});
