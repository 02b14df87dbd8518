import { AsyncLocalStorage, createHook } from "node:async_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import { DescribeServicesCommand, ECSClient, TagResourceCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { DescribeDBParametersCommand, DescribeEventsCommand, ModifyDBParameterGroupCommand } from "@aws-sdk/client-rds";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { ChangeResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetChangeCommand, Route53Client } from "@aws-sdk/client-route-53";
import { DescribeSecretCommand, SecretsManagerClient, StopReplicationToReplicaCommand } from "@aws-sdk/client-secrets-manager";
import {
  executeLocally,
  failedSteps,
  installApis,
  invariantViolations,
  mirrorIds,
  pilotLightWorld,
  retryPauseSeconds,
  Scheduler,
  startHealthServer,
  VirtualClock,
  type AslDefinition,
  type PilotLightOptions,
} from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function setup(options: PilotLightOptions = {}) {
  const { world, ids } = pilotLightWorld({ latencies: { promotionSeconds: 120, promotionRaceSeconds: 10, taskStartSeconds: 60, firstHealthCheckSeconds: 10 }, ...options });
  restore = installApis(world);
  return { world, ids, rds: new RDSClient({ region: ids.drRegion }), ecs: new ECSClient({ region: ids.drRegion }) };
}

/** A test that hangs would otherwise wait for vitest's 4-minute timeout. */
const quick = 15_000;

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

  it("records a promotion in the replica's RDS events while its status still hides it, and refuses a source identifier without its type", async () => {
    const { world, ids, rds } = setup();
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(60);
    const events = async () => (await rds.send(new DescribeEventsCommand({ SourceType: "db-instance", SourceIdentifier: ids.replicaDb }))).Events?.map((e) => e.Message);
    expect(await events()).toEqual(["Replication has stopped."]);
    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    world.clock.advance(6);
    expect(await events()).toEqual(["Replication has stopped.", "Replication streaming has been terminated."]);
    world.clock.advance(130);
    expect(await events()).toEqual(["Replication has stopped.", "Replication streaming has been terminated.", "DB instance shutdown.", "DB instance restarted."]);
    await expect(rds.send(new DescribeEventsCommand({ SourceIdentifier: ids.replicaDb }))).rejects.toMatchObject({ name: "InvalidParameterCombination" });
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

  it("answers the stage's own health path, and nothing on another path", async () => {
    const { world, ids, ecs } = setup();
    const health = await startHealthServer(world, "/healthz");
    try {
      await ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, desiredCount: 2 }));
      world.clock.advance(70);
      expect(health.url(ids.drRegion)).toMatch(/\/eu-central-1\/healthz$/);
      expect((await fetch(health.url(ids.drRegion))).status).toBe(200);
      expect((await fetch(health.url(ids.drRegion).replace(/healthz$/, "health.php"))).status).toBe(404);
    } finally {
      await health.close();
    }
  });

  it("fails exactly as many attempts as an injected fault says, and logs every attempt", async () => {
    const { world, ids } = setup();
    world.inject({ api: "rds:DescribeDBInstances", error: "ThrottlingException", times: 1 });
    const once = new RDSClient({ region: ids.drRegion, maxAttempts: 1 });
    const call = () => once.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }));
    await expect(call()).rejects.toMatchObject({ name: "ThrottlingException" });
    await expect(call()).resolves.toBeDefined();
    expect(world.callsTo("rds:DescribeDBInstances").map((c) => c.failed ?? "ok")).toEqual(["ThrottlingException", "ok"]);
  });

  it("retries as the SDK does: a throttled attempt is repeated up to the client's maxAttempts", async () => {
    const { world, ids, rds } = setup();
    world.inject({ api: "rds:DescribeDBInstances", error: "ThrottlingException", times: 2 });
    await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).resolves.toBeDefined();
    expect(world.callsTo("rds:DescribeDBInstances").map((c) => c.attempt)).toEqual([1, 2, 3]);
    world.inject({ api: "rds:DescribeDBInstances", error: "ThrottlingException", times: 3 });
    await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).rejects.toMatchObject({ name: "ThrottlingException", $metadata: { attempts: 3 } });
  });
});

describe("a region that is down", () => {
  const primaryEcs = (ids: { primaryRegion: string }, config: Record<string, unknown>) => new ECSClient({ region: ids.primaryRegion, ...config });
  const describeCommand = (ids: { cluster: string; service: string }) => new DescribeServicesCommand({ cluster: ids.cluster, services: [ids.service] });

  it("does not answer: an attempt waits, in virtual time, until the client's request timeout, then the SDK retries", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const started = world.clock.nowMs();
    const ecs = primaryEcs(ids, { maxAttempts: 2, requestHandler: { requestTimeout: 3000, throwOnRequestTimeout: true } });
    await expect(ecs.send(describeCommand(ids))).rejects.toMatchObject({ name: "TimeoutError", $metadata: { attempts: 2 } });
    expect(world.clock.since(started)).toBe(6);
    expect(world.callsTo("ecs:DescribeServices").map((c) => c.failed)).toEqual(["TimeoutError", "TimeoutError"]);
  }, quick);

  it("is not bounded by a requestTimeout without throwOnRequestTimeout (the SDK only warns), nor by connectionTimeout once connected", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const ecs = primaryEcs(ids, { maxAttempts: 1, requestHandler: { connectionTimeout: 2000, requestTimeout: 3000 } });
    const outcome = await Promise.race([ecs.send(describeCommand(ids)).then(() => "answered", () => "failed"), new Promise((r) => setTimeout(() => r("still waiting"), 300))]);
    expect(outcome).toBe("still waiting");
  }, quick);

  it("drops packets in the black-hole shape: connectionTimeout ends an attempt, else Linux's 127 s connect timeout", async () => {
    const { world, ids } = setup({ outageShape: "black-hole" });
    world.regionsDown.add(ids.primaryRegion);
    let started = world.clock.nowMs();
    await expect(primaryEcs(ids, { maxAttempts: 1, requestHandler: { connectionTimeout: 2000 } }).send(describeCommand(ids))).rejects.toMatchObject({ name: "TimeoutError" });
    expect(world.clock.since(started)).toBe(2);
    started = world.clock.nowMs();
    await expect(primaryEcs(ids, { maxAttempts: 1 }).send(describeCommand(ids))).rejects.toMatchObject({ code: "ETIMEDOUT" });
    expect(world.clock.since(started)).toBe(127);
  }, quick);

  it("refuses at once only in the refused shape a test asks for", async () => {
    const { world, ids } = setup({ outageShape: "refused" });
    world.regionsDown.add(ids.primaryRegion);
    const started = world.clock.nowMs();
    await expect(primaryEcs(ids, { maxAttempts: 1 }).send(describeCommand(ids))).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(world.clock.nowMs()).toBe(started);
  }, quick);

  it("turns its replica's ReplicaLag to -1 and then stops publishing; datapoints carry their minute and honour the time range", async () => {
    const { world, ids } = setup({ replicaLag: [2], replicaLagMinusOneMinutes: 3 });
    const cw = new CloudWatchClient({ region: ids.drRegion });
    const lag = async (minutes: number) => {
      const out = await cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(world.clock.nowMs() - minutes * 60_000),
          EndTime: world.clock.now(),
          MetricDataQueries: [{ Id: "lag", MetricStat: { Metric: { Namespace: "AWS/RDS", MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: ids.replicaDb }] }, Period: 60, Stat: "Maximum" } }],
        }),
      );
      const r = out.MetricDataResults?.[0];
      return (r?.Values ?? []).map((v, i) => [Math.round((world.clock.nowMs() - (r?.Timestamps?.[i]?.getTime() ?? 0)) / 60_000), v]);
    };
    expect(await lag(3)).toEqual([[1, 2], [2, 2], [3, 2]]);
    world.regionsDown.add(ids.primaryRegion);
    world.clock.advance(10 * 60);
    expect(await lag(12)).toEqual([[8, -1], [9, -1], [10, -1], [11, 2], [12, 2]]);
    expect(await lag(5)).toEqual([]);
  }, quick);

  it("shows its replica's read replication in error (StatusInfos) while the instance itself stays available", async () => {
    const { world, ids, rds } = setup();
    const look = async () => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).DBInstances?.[0];
    expect((await look())?.StatusInfos).toEqual([{ StatusType: "read replication", Normal: true, Status: "replicating" }]);
    world.regionsDown.add(ids.primaryRegion);
    expect(await look()).toMatchObject({ DBInstanceStatus: "available", StatusInfos: [{ StatusType: "read replication", Normal: false, Status: "error" }] });
  }, quick);
});

describe("RDS as documented", () => {
  it("reports the replica backing-up during its daily backup, and refuses to promote it then", async () => {
    const { world, ids, rds } = setup({ replicaBackup: { windowStartMinute: 3 * 60 + 10, startOffsetSeconds: 60, durationSeconds: 300 } });
    const status = async () => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ids.replicaDb }))).DBInstances?.[0]?.DBInstanceStatus;
    expect(await status()).toBe("available");
    world.clock.advance(11 * 60);
    expect(await status()).toBe("backing-up");
    await expect(rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }))).rejects.toMatchObject({ name: "InvalidDBInstanceStateFault" });
    world.clock.advance(5 * 60);
    expect(await status()).toBe("available");
  }, quick);

  it("drops backup retention to 1 day when PromoteReadReplica is called without BackupRetentionPeriod", async () => {
    const { world, ids, rds } = setup();
    expect(world.databases.get(ids.replicaDb)?.backupRetentionDays).toBe(7);
    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb }));
    expect(world.databases.get(ids.replicaDb)?.backupRetentionDays).toBe(1);
  }, quick);

  it("can apply a call and lose its response: the SDK retries and gets InvalidDBInstanceStateFault", async () => {
    const { world, ids, rds } = setup();
    world.inject({ api: "rds:PromoteReadReplica", error: "InternalFailure", applied: true, times: 1 });
    await expect(rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ids.replicaDb, BackupRetentionPeriod: 7 }))).rejects.toMatchObject({ name: "InvalidDBInstanceStateFault" });
    expect(world.databases.get(ids.replicaDb)?.promotionRequestedAtMs).not.toBeNull();
    expect(world.callsTo("rds:PromoteReadReplica").map((c) => [c.failed, c.applied ?? false])).toEqual([
      ["InternalFailure", true],
      ["InvalidDBInstanceStateFault", false],
    ]);
  }, quick);

  it("can lose a response with a connection reset after the call applied (a single attempt sees only the reset)", async () => {
    const { world, ids } = setup();
    world.inject({ api: "ecs:UpdateService", error: "ECONNRESET", applied: true, times: 1 });
    const ecs = new ECSClient({ region: ids.drRegion, maxAttempts: 1 });
    await expect(ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, desiredCount: 2 }))).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))?.desired).toBe(2);
  }, quick);
});

describe("Route 53 and Secrets Manager", () => {
  it("keeps answering DNS by health check while its control plane (us-east-1) is impaired", async () => {
    const { world, ids } = setup();
    world.impair("route53");
    world.regionsDown.add(ids.primaryRegion);
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.SetIdentifier).toBe("secondary");
    const r53 = new Route53Client({ region: ids.drRegion, maxAttempts: 1, requestHandler: { socketTimeout: 5000 } });
    const started = world.clock.nowMs();
    await expect(r53.send(new GetChangeCommand({ Id: "C000001" }))).rejects.toMatchObject({ name: "TimeoutError" });
    expect(world.clock.since(started)).toBe(5);
  }, quick);

  it("promotes the DR replica of a secret to standalone, in the DR region, while the primary region is down", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const sm = new SecretsManagerClient({ region: ids.drRegion });
    expect((await sm.send(new DescribeSecretCommand({ SecretId: ids.secretName }))).PrimaryRegion).toBe(ids.primaryRegion);
    await sm.send(new StopReplicationToReplicaCommand({ SecretId: ids.secretName }));
    expect((await sm.send(new DescribeSecretCommand({ SecretId: ids.secretName }))).PrimaryRegion).toBe(ids.drRegion);
    await expect(sm.send(new StopReplicationToReplicaCommand({ SecretId: ids.secretName }))).rejects.toMatchObject({ name: "InvalidRequestException" });
  }, quick);
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

  /** Resolves after `n` turns of the event loop. */
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it("jumps once the event loop is quiet, waiting on no real-time timer", async () => {
    // No setTimeout ever fires: a step that waited real milliseconds would never come.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const clock = new VirtualClock(0);
      const scheduler = new Scheduler(clock);
      let woke = false;
      void Promise.all([scheduler.sleep(15), scheduler.sleep(15)]).then(() => (woke = true));
      await turns(50);
      expect(woke).toBe(true);
      expect(clock.nowMs()).toBe(15_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not jump while the other branch is still on its way to its sleep (promise continuations, a turn of the event loop)", async () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const woke: string[] = [];
    const late = async () => {
      for (let i = 0; i < 1000; i++) await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      await scheduler.sleep(5);
      woke.push(`late ${clock.nowMs()}`);
    };
    await Promise.all([scheduler.sleep(20).then(() => woke.push(`early ${clock.nowMs()}`)), late()]);
    expect(woke).toEqual(["late 5000", "early 20000"]);
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

  const hanging: AslDefinition = {
    StartAt: "Fence",
    States: { Fence: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:fence", TimeoutSeconds: 30, End: true } },
  };

  it("fails a Task still waiting on a region that is down with States.Timeout at its TimeoutSeconds", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const ecs = new ECSClient({ region: ids.primaryRegion });
    const result = await executeLocally(hanging, {}, { clock: world.clock, executionName: "t", handlers: { Fence: async () => ecs.send(new DescribeServicesCommand({ cluster: ids.cluster, services: [ids.service] })) } });
    expect(result).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect((result.endedAtMs - result.startedAtMs) / 1000).toBe(30);
  }, quick);

  it("fails it with Lambda.Unknown when the function's own timeout comes first, and stops the invocation", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    const ecs = new ECSClient({ region: ids.primaryRegion, maxAttempts: 3, requestHandler: { socketTimeout: 20_000 } });
    const result = await executeLocally(hanging, {}, {
      clock: world.clock,
      executionName: "t",
      lambdaTimeoutSeconds: () => 25,
      handlers: { Fence: async () => ecs.send(new DescribeServicesCommand({ cluster: ids.cluster, services: [ids.service] })) },
    });
    expect(result).toMatchObject({ status: "FAILED", error: "Lambda.Unknown" });
    expect(result.cause).toContain("Task timed out after 25.00 seconds");
    expect((result.endedAtMs - result.startedAtMs) / 1000).toBe(25);
    // The second attempt was cut off with the Lambda: no third attempt ever starts.
    await new Promise((r) => setTimeout(r, 100));
    expect(world.callsTo("ecs:DescribeServices")).toHaveLength(2);
  }, quick);

  it("refuses a definition Step Functions would refuse, at every run of it (only an accepted definition skips the check)", async () => {
    const broken: AslDefinition = { StartAt: "Poll", States: { Poll: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:poll", Next: "Nowhere" } } };
    const run = () => executeLocally(broken, {}, { clock: new VirtualClock(0), executionName: "t", handlers: { Poll: async () => ({}) } });
    await expect(run()).rejects.toThrow(/definition is invalid/);
    await expect(run()).rejects.toThrow(/definition is invalid/);
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

  it("jitters a Retry pause only for JitterStrategy FULL (ASL's default is NONE: the full computed pause)", async () => {
    const pausedFor = async (jitterStrategy?: string) => {
      const clock = new VirtualClock(0);
      let calls = 0;
      const flaky = { ...definition.States.Flaky, Retry: [{ ...(definition.States.Flaky?.Retry as Record<string, unknown>[])[0], ...(jitterStrategy ? { JitterStrategy: jitterStrategy } : {}) }] };
      const result = await executeLocally({ ...definition, States: { ...definition.States, Flaky: flaky } } as AslDefinition, {}, {
        clock,
        executionName: "t",
        retryJitter: () => 0.5,
        handlers: {
          Flaky: async () => {
            calls += 1;
            if (calls < 3) throw Object.assign(new Error("busy"), { name: "Busy" });
            return { ok: true };
          },
          Poll: async () => ({ at: clock.nowMs() }),
        },
      });
      return result.output;
    };
    expect(await pausedFor()).toEqual({ at: 37_000 });
    expect(await pausedFor("NONE")).toEqual({ at: 37_000 });
    expect(await pausedFor("FULL")).toEqual({ at: 24_500 });
  });

  it("waits until a Wait's TimestampPath (read to the second), and not at all for a timestamp already past", async () => {
    const clock = new VirtualClock(0);
    const looks: number[] = [];
    const untilNext: AslDefinition = {
      StartAt: "Look",
      States: {
        Look: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:look", Next: "Enough" },
        Enough: { Type: "Choice", Choices: [{ Variable: "$.looks", NumericGreaterThanEquals: 3, Next: "Done" }], Default: "Slow" },
        Slow: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:slow", ResultPath: null, Next: "Until" },
        Until: { Type: "Wait", TimestampPath: "$.next", Next: "Look" },
        Done: { Type: "Succeed" },
      },
    };
    const result = await executeLocally(untilNext, {}, {
      clock,
      executionName: "until",
      // Slow takes 6 s, then 9 s (past the next look's time).
      taskSeconds: (state) => (state === "Slow" ? (looks.length === 1 ? 6 : 9) : 0),
      handlers: {
        Look: async () => {
          looks.push(clock.nowMs());
          return { looks: looks.length, next: new Date(clock.nowMs() + 8_400).toISOString() };
        },
        Slow: async () => ({}),
      },
    });
    expect(result.status, result.cause).toBe("SUCCEEDED");
    // 8.4 s is read as 8 s: the second look 8 s after the first, whatever Slow took; the third at once after a 9 s Slow.
    expect(looks).toEqual([0, 8_000, 17_000]);
  });

  const polling: AslDefinition = {
    StartAt: "Look",
    States: {
      Look: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:look", Next: "Enough" },
      Enough: { Type: "Choice", Choices: [{ Variable: "$.looks", NumericGreaterThanEquals: 1000, Next: "Done" }], Default: "Pause" },
      Pause: { Type: "Wait", Seconds: 15, Next: "Look" },
      Done: { Type: "Succeed" },
    },
  };

  it("stops an execution by StopExecution between its states: ABORTED, no further Task, its history kept, its end told to the listeners", async () => {
    const { world, ids } = setup();
    const ended: string[] = [];
    world.onExecutionStatusChange(async (e) => void ended.push(`${e.name}:${e.status}`));
    let looks = 0;
    const sfn = new SFNClient({ region: ids.drRegion });
    const arn = `${ids.stateMachineArn.replace(":stateMachine:", ":execution:")}:loop`;
    const result = await executeLocally(polling, {}, {
      clock: world.clock,
      executionName: "loop",
      world,
      stateMachineArn: ids.stateMachineArn,
      handlers: {
        Look: async () => {
          looks += 1;
          if (looks === 2) await sfn.send(new StopExecutionCommand({ executionArn: arn, error: "PreemptedByFailover" }));
          return { looks };
        },
      },
    });
    expect(result).toMatchObject({ status: "ABORTED", error: "PreemptedByFailover", executionArn: arn });
    await new Promise((r) => setTimeout(r, 100));
    expect(looks).toBe(2);
    expect(ended).toEqual(["loop:ABORTED"]);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe("ABORTED");
    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }))).events ?? [];
    expect(history.map((e) => e.type).slice(0, 4)).toEqual(["ExecutionStarted", "TaskStateEntered", "TaskSucceeded", "TaskStateExited"]);
    expect(history.at(-1)?.type).toBe("ExecutionAborted");
    expect(failedSteps(history)).toEqual(["Look"]);
  }, quick);

  it("leaves no real-time timer behind for a Task still running when its execution ends (the process may exit after the report)", async () => {
    const { world } = setup();
    // Only this execution's timers: other tests' worlds may still be stepping their own clocks.
    const mine = new AsyncLocalStorage<true>();
    const live = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === "Timeout" && mine.getStore() && live.add(id)),
      destroy: (id) => void live.delete(id),
    }).enable();
    const hanging: AslDefinition = {
      StartAt: "Hang",
      TimeoutSeconds: 60,
      States: { Hang: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:hang", TimeoutSeconds: 3600, End: true } },
    };
    try {
      const result = await mine.run(true, () =>
        executeLocally(hanging, {}, {
          clock: world.clock,
          executionName: "hang",
          handlers: { Hang: async () => Scheduler.of(world.clock).hang(7200) },
        }),
      );
      expect(result.status).toBe("TIMED_OUT");
      await new Promise((r) => setImmediate(r));
      expect(live.size).toBe(0);
    } finally {
      hook.disable();
    }
  }, quick);

  it("holds virtual time while the status-change listeners work, and ends the execution when it ended", async () => {
    const { world } = setup();
    const scheduler = Scheduler.of(world.clock);
    // Something else waits on the clock meanwhile, as the monitor's next tick does.
    let tickAtMs: number | undefined;
    const tick = scheduler.sleep(300).then(() => (tickAtMs = world.clock.nowMs()));
    const seen: number[] = [];
    world.onExecutionStatusChange(async () => {
      seen.push(world.clock.nowMs());
      // ExecutionEnded's DynamoDB calls: real time on a local socket, far longer than the scheduler's settle.
      await new Promise((r) => setTimeout(r, 80));
      seen.push(world.clock.nowMs());
    });
    const result = await executeLocally({ StartAt: "Look", States: { Look: { Type: "Task", Resource: "arn:aws:lambda:eu-central-1:000000000000:function:look", End: true } } }, {}, { clock: world.clock, executionName: "once", world, handlers: { Look: async () => ({ looks: 1 }) } });
    expect(result.status).toBe("SUCCEEDED");
    expect(seen).toEqual([result.startedAtMs, result.startedAtMs]);
    expect(result.endedAtMs).toBe(result.startedAtMs);
    await tick;
    expect(tickAtMs).toBe(result.startedAtMs + 300_000);
  }, quick);

  it("ends an execution TIMED_OUT at its TimeoutSeconds, in virtual time", async () => {
    const { world } = setup();
    const result = await executeLocally({ ...polling, TimeoutSeconds: 100 }, {}, { clock: world.clock, executionName: "slow", world, handlers: { Look: async () => ({ looks: 0 }) } });
    expect(result.status).toBe("TIMED_OUT");
    expect((result.endedAtMs - result.startedAtMs) / 1000).toBe(100);
  }, quick);

  /** Takes the region down `from` seconds from now and brings it back `to` seconds from now, in virtual time. */
  const outage = (world: ReturnType<typeof setup>["world"], region: string, from: number, to: number) => {
    const scheduler = Scheduler.of(world.clock);
    void scheduler.sleep(from).then(() => world.regionsDown.add(region));
    void scheduler.sleep(to).then(() => world.regionsDown.delete(region));
  };

  it("makes no progress while its region is down (no Task, the Wait does not end) and resumes from its last state when the region answers", async () => {
    const { world, ids } = setup();
    const looks: number[] = [];
    const startMs = world.clock.nowMs();
    outage(world, ids.drRegion, 20, 620);
    const result = await executeLocally(polling, {}, {
      clock: world.clock,
      executionName: "paused",
      world,
      stateMachineArn: ids.stateMachineArn,
      handlers: { Look: async () => ({ looks: looks.push((world.clock.nowMs() - startMs) / 1000) >= 3 ? 1000 : looks.length }) },
    });
    expect(result.status).toBe("SUCCEEDED");
    // (The world waits the Wait's 15 s before every entry of Look, the first too.) The Wait after
    // the look at 15 s would end at 30 s: the region is down from 20 s to 620 s.
    expect(looks).toEqual([15, 620, 635]);
  }, quick);

  it("loses the answer of a Task whose region fails while its function runs: the effect applied, the Task ends at its timeout once the region answers", async () => {
    const { world, ids } = setup();
    let applied = 0;
    outage(world, ids.drRegion, 5, 300);
    const result = await executeLocally(hanging, {}, {
      clock: world.clock,
      executionName: "lost",
      world,
      stateMachineArn: ids.stateMachineArn,
      lambdaTimeoutSeconds: () => 25,
      handlers: {
        Fence: async () => {
          await Scheduler.of(world.clock).hang(10);
          applied += 1;
          return {};
        },
      },
    });
    expect(applied).toBe(1);
    expect(result).toMatchObject({ status: "FAILED", error: "Lambda.Unknown" });
    expect((result.endedAtMs - result.startedAtMs) / 1000).toBe(300);
  }, quick);

  it("counts an outage of its region in its TimeoutSeconds: an execution whose timeout passed meanwhile ends TIMED_OUT when the region answers", async () => {
    const { world, ids } = setup();
    let looks = 0;
    outage(world, ids.drRegion, 20, 600);
    const result = await executeLocally({ ...polling, TimeoutSeconds: 100 }, {}, {
      clock: world.clock,
      executionName: "slow",
      world,
      stateMachineArn: ids.stateMachineArn,
      handlers: { Look: async () => ({ looks: ++looks }) },
    });
    expect(result.status).toBe("TIMED_OUT");
    expect(looks).toBe(1);
    expect((result.endedAtMs - result.startedAtMs) / 1000).toBe(600);
  }, quick);

  it("hangs Step Functions API calls into a region that is down until the caller's timeouts end them", async () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.drRegion);
    const sfn = new SFNClient({ region: ids.drRegion, maxAttempts: 2, requestHandler: { socketTimeout: 3_000 } });
    const startMs = world.clock.nowMs();
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: ids.stateMachineArn, name: "failover-x", input: "{}" }))).rejects.toMatchObject({ name: "TimeoutError" });
    expect((world.clock.nowMs() - startMs) / 1000).toBe(6);
    expect(world.executions.size).toBe(0);
  }, quick);

  it("answers StartExecution again for the same name and input while it runs, and refuses another input", async () => {
    const { ids } = setup();
    const sfn = new SFNClient({ region: ids.drRegion });
    const start = (input: string) => sfn.send(new StartExecutionCommand({ stateMachineArn: ids.stateMachineArn, name: "failover-x", input }));
    const first = await start('{"a":1}');
    expect((await start('{"a":1}')).executionArn).toBe(first.executionArn);
    await expect(start('{"a":2}')).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
  });

  it("makes a database unwritable by read_only = 1 in its parameter group, and tags a service", async () => {
    const { world, ids } = setup();
    const rds = new RDSClient({ region: ids.primaryRegion });
    expect(world.isWritable(ids.primaryDb)).toBe(true);
    await rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: ids.primaryParameterGroup, Parameters: [{ ParameterName: "read_only", ParameterValue: "1", ApplyMethod: "immediate" }] }));
    expect(world.isWritable(ids.primaryDb)).toBe(false);
    expect((await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: ids.primaryParameterGroup, Source: "user" }))).Parameters).toEqual([expect.objectContaining({ ParameterName: "read_only", ParameterValue: "1" })]);
    const ecs = new ECSClient({ region: ids.primaryRegion });
    const arn = (await ecs.send(new DescribeServicesCommand({ cluster: ids.cluster, services: [ids.service] }))).services?.[0]?.serviceArn;
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "pilot-light:fenced", value: "x" }] }));
    expect((await ecs.send(new DescribeServicesCommand({ cluster: ids.cluster, services: [ids.service], include: ["TAGS"] }))).services?.[0]?.tags).toContainEqual({ key: "pilot-light:fenced", value: "x" });
  });

  it("can leave an applied call unanswered (NoResponse): the change is made, the caller waits for its own timeout", async () => {
    const { world, ids } = setup();
    world.inject({ api: "route53:ChangeResourceRecordSets", error: "NoResponse", applied: true, times: 1 });
    const r53 = new Route53Client({ region: "us-east-1", maxAttempts: 1, requestHandler: { requestTimeout: 3000, throwOnRequestTimeout: true } });
    const change = { Action: "UPSERT" as const, ResourceRecordSet: { Name: `${ids.recordName}.`, Type: "A" as const, SetIdentifier: "primary", Failover: "PRIMARY" as const, AliasTarget: { DNSName: ids.drAlbDns, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: false } } };
    const before = world.clock.nowMs();
    await expect(r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ids.hostedZoneId, ChangeBatch: { Changes: [change] } }))).rejects.toMatchObject({ name: "TimeoutError" });
    expect((world.clock.nowMs() - before) / 1000).toBe(3);
    expect(world.record(ids.hostedZoneId, ids.recordName, "primary")?.AliasTarget?.DNSName).toBe(ids.drAlbDns);
  }, quick);

  it("names what breaks its invariants: two writable databases, users sent to a region without one, a lock nobody runs", () => {
    const { world, ids } = setup();
    world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
    world.regionsDown.add(ids.primaryRegion);
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, ids.drTaskCount);
    world.clock.advance(120);
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual([]);
    world.regionsDown.delete(ids.primaryRegion);
    expect(invariantViolations(world, ids, { lock: { owner: "gone" } })).toEqual([
      "2 writable databases: pilot-light-test-primary, pilot-light-test-replica",
      "the failover lock is held by gone, which is not running, and no reason was given",
    ]);
    world.databases.get(ids.replicaDb)!.sourceIdentifier = ids.primaryArn;
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, 0);
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual(["users resolve to eu-west-1, which answers with database pilot-light-test-primary not writable"]);
  });

  it("excuses users on a database that is not writable only while its promotion still runs, not once it finished read-only", () => {
    const { world, ids } = setup();
    world.regionsDown.add(ids.primaryRegion);
    world.databases.get(ids.replicaDb)!.promotionRequestedAtMs = world.clock.nowMs();
    world.parameterGroups.get(ids.replicaParameterGroup)!.parameters.set("read_only", "1");
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, ids.drTaskCount);
    world.clock.advance(180);
    expect(world.dbView(world.databases.get(ids.replicaDb)!).sourceIdentifier).toBeNull();
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual(["users resolve to eu-central-1, which answers with database pilot-light-test-replica not writable"]);
  });

  it("judges each region's service by what its database shows, after a failover in either direction, whichever copy's ids it is given", () => {
    const { world, ids } = setup();
    const service = (region: string) => [...world.services.values()].find((s) => s.region === region)!;
    const primary = world.databases.get(ids.primaryDb)!;
    const replica = world.databases.get(ids.replicaDb)!;
    // The first failover: the DR copy promoted its replica, fenced the primary and scaled its service to 0.
    replica.promotionRequestedAtMs = world.clock.nowMs();
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    world.setDesired(service(ids.primaryRegion), 0);
    world.setDesired(service(ids.drRegion), ids.drTaskCount);
    world.clock.advance(180);
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual([]);
    // Re-protect: the primary region's database replicates from DR's (its own group, read_only off).
    primary.sourceIdentifier = ids.replicaArn;
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "0");
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual([]);
    // Then DR fails and the primary region's copy fails over back: the primary region's replica
    // promoted and serving, the DR region's promoted database fenced, its service at 0.
    primary.promotionRequestedAtMs = world.clock.nowMs();
    world.parameterGroups.get(ids.replicaParameterGroup)!.parameters.set("read_only", "1");
    world.setDesired(service(ids.drRegion), 0);
    world.setDesired(service(ids.primaryRegion), ids.drTaskCount);
    world.clock.advance(180);
    expect([...world.databases.keys()].filter((id) => world.isWritable(id))).toEqual([ids.primaryDb]);
    expect(invariantViolations(world, ids, { lock: undefined })).toEqual([]);
    expect(invariantViolations(world, mirrorIds(ids), { lock: undefined })).toEqual([]);
    // The primary region's copy promoted but left its service at 0: wrong, seen from either copy.
    world.setDesired(service(ids.primaryRegion), 0);
    const wrong = `the eu-west-1 database pilot-light-test-primary is promoted but its service wants 0 tasks, not ${ids.drTaskCount}`;
    expect(invariantViolations(world, ids, { lock: undefined })).toContain(wrong);
    expect(invariantViolations(world, mirrorIds(ids), { lock: undefined })).toContain(wrong);
  });
});
