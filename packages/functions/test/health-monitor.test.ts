import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { Failover, Health } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "../../core/test/support/dynalite";
import { refusedUrl, startPrimaryServer, type Behaviour, type PrimaryServer } from "./support/primary-server";

const stateMachineArn = "arn:aws:states:eu-central-1:123456789012:stateMachine:pilot-light-test-failover";
const topicArn = "arn:aws:sns:eu-central-1:123456789012:pilot-light-test-alerts";
const context = {
  functionName: "health-monitor",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:health-monitor",
  memoryLimitInMB: "256",
  awsRequestId: "00000000-0000-0000-0000-000000000000",
  logGroupName: "/aws/lambda/health-monitor",
  logStreamName: "stream",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** An EventBridge scheduled event for the n-th tick (5 minutes apart). */
const tick = (n: number) => ({
  version: "0",
  id: `event-${n}`,
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: new Date(Date.UTC(2026, 10, 28, 6, 0, 0) + n * 300_000).toISOString().replace(".000Z", "Z"),
  region: "eu-central-1",
  resources: ["arn:aws:events:eu-central-1:123456789012:rule/health"],
  detail: {},
});

interface Summary {
  healthy: boolean;
  drHealthy?: boolean;
  counted: boolean;
  consecutiveFailures: number;
  incidentId?: string;
  execution?: { name: string; started: boolean };
  published: string[];
}

const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
let db: LocalDynamo;
let primary: PrimaryServer;
let table: string;
/** The core module the freshly loaded handler uses (vi.resetModules gives it its own error classes). */
let core: typeof import("@pilot-light/core");

/** SFN's own idempotency: same name + same input → same execution; same name, other input → ExecutionAlreadyExists. */
function emulateStepFunctions() {
  const started = new Map<string, string>();
  sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
    const name = input.name ?? "";
    const seen = started.get(name);
    if (seen !== undefined && seen !== input.input) {
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
    }
    started.set(name, input.input ?? "");
    return { executionArn: Health.executionArnFor(stateMachineArn, name), startDate: new Date() };
  });
  // Every execution these tests start is still running (the world test follows them to their end).
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn?: string }) => ({ executionArn: input.executionArn, status: "RUNNING", startDate: new Date() }));
  return started;
}

async function loadMonitor(env: Record<string, string> = {}) {
  vi.resetModules();
  delete process.env.DR_HEALTH_URL;
  Object.assign(process.env, {
    AWS_REGION: "eu-central-1",
    STATE_TABLE: table,
    TOPIC_ARN: topicArn,
    STATE_MACHINE_ARN: stateMachineArn,
    PRIMARY_HEALTH_URL: primary.url,
    FAILURE_THRESHOLD: "3",
    PROBE_TIMEOUT_MS: "300",
    PROBES_PER_CHECK: "3",
    PROBE_SPACING_MS: "10",
    AUTO_FAILOVER: "true",
    START_LEASE_MS: "120000",
    STAGE_LABEL: "pilot-light test",
    ...env,
  });
  const mod = await import("../src/health-monitor");
  core = await import("@pilot-light/core");
  return (event: unknown) => mod.handler(event, context) as Promise<Summary>;
}

const starts = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
const publishedKinds = () =>
  sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.kind?.StringValue);
const stored = () => Health.loadState({ db: db.doc, table }, "primary");

beforeAll(async () => {
  db = await startDynalite();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
  primary = await startPrimaryServer();
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await primary.stop();
  await db.stop();
});
beforeEach(async () => {
  sfn.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  emulateStepFunctions();
  table = await db.createStateTable();
  primary.behaviour = "healthy";
  primary.requests = 0;
});
afterEach(() => {
  primary.behaviour = "healthy";
});

describe("health monitor: what counts as a failed check", () => {
  it.each<[string, Behaviour | "refused", boolean, Health.FailureKind | undefined, RegExp | undefined]>([
    ["a healthy primary passes", "healthy", true, undefined, undefined],
    ["a slow answer within the timeout passes", { slowMs: 100 }, true, undefined, undefined],
    ["HTTP 500 fails", "http-500", false, "http-status", /^HTTP 500$/],
    ["HTTP 503 with the app's database error fails", "http-503", false, "http-status", /HTTP 503 \(status "error", db "error"\)/],
    ["a primary that hangs past the timeout fails", "hang", false, "timeout", /no complete answer within 300 ms/],
    ["a refused connection fails", "refused", false, "connection", /ECONNREFUSED/],
    ["a 200 that breaks the /health.php contract fails", "wrong-body", false, "contract", /body is not the \/health.php JSON/],
  ])("%s", async (_name, behaviour, healthy, failure, error) => {
    const env: Record<string, string> = behaviour === "refused" ? { PRIMARY_HEALTH_URL: await refusedUrl() } : {};
    if (behaviour !== "refused") primary.behaviour = behaviour;
    const monitor = await loadMonitor(env);
    const out = await monitor(tick(0));
    expect(out).toMatchObject({ healthy, counted: true, consecutiveFailures: healthy ? 0 : 1 });
    const state = await stored();
    const evidence = healthy ? state.lastSuccess : state.lastFailure;
    expect(evidence?.probes).toHaveLength(3);
    for (const p of evidence?.probes ?? []) {
      expect(p.failure).toBe(failure);
      if (error) expect(p.error).toMatch(error);
    }
  });

  it("rides out one failed probe in a burst of three (majority)", async () => {
    primary.behaviour = { sequence: ["http-503", "healthy", "healthy"] };
    const monitor = await loadMonitor();
    expect(await monitor(tick(0))).toMatchObject({ healthy: true, consecutiveFailures: 0 });
    expect(primary.requests).toBe(3);
  });

  it("fails the check when two of three probes fail", async () => {
    primary.behaviour = { sequence: ["http-503", "hang", "healthy"] };
    const monitor = await loadMonitor();
    expect(await monitor(tick(0))).toMatchObject({ healthy: false, consecutiveFailures: 1 });
  });

  it("probes the DR endpoint and reports it without counting it", async () => {
    const monitor = await loadMonitor({ DR_HEALTH_URL: await refusedUrl() });
    expect(await monitor(tick(0))).toMatchObject({ healthy: true, drHealthy: false, consecutiveFailures: 0 });
    expect(publishedKinds()).toEqual([]);
  });
});

describe("health monitor: exactly one failover per incident", () => {
  it("starts exactly one execution, named after the incident, on the third consecutive failure", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    await monitor(tick(1));
    expect(starts()).toHaveLength(0);
    const out = await monitor(tick(2));
    expect(out).toMatchObject({ incidentId: "primary-20261128T061000Z", execution: { name: "failover-primary-20261128T061000Z", started: true } });
    expect(starts()).toHaveLength(1);
    const call = starts()[0];
    expect(call).toMatchObject({ stateMachineArn, name: "failover-primary-20261128T061000Z" });
    expect(Failover.FailoverInput.safeParse(JSON.parse(call?.input ?? "{}")).success).toBe(true);
    const input = Health.FailoverRequest.parse(JSON.parse(call?.input ?? "{}"));
    expect(input).toMatchObject({ mode: "failover", requestedBy: "health-monitor", incidentId: "primary-20261128T061000Z" });
    // No check passed in this test, so the outage start is unknown to the monitor.
    expect(input.lastHealthyAt).toBeUndefined();
    expect(input.reason).toMatch(/failed 3 consecutive checks.*3\/3 probes failed: HTTP 503/);
  });

  it("resets the count on a success between failures", async () => {
    const monitor = await loadMonitor();
    for (const [n, b] of (["http-503", "http-503", "healthy", "http-503", "http-503"] as const).entries()) {
      primary.behaviour = b;
      await monitor(tick(n));
    }
    expect(starts()).toHaveLength(0);
    expect((await stored()).consecutiveFailures).toBe(2);
  });

  it("counts a retried or duplicated tick once", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    const again = await monitor(tick(0));
    expect(again).toMatchObject({ counted: false, consecutiveFailures: 1 });
    await monitor(tick(1));
    await monitor(tick(1));
    expect(starts()).toHaveLength(0);
  });

  it.each([
    ["20 different ticks", (i: number) => tick(2 + i)],
    ["20 deliveries of the same tick", () => tick(2)],
  ])("starts one execution when %s arrive concurrently at the threshold", async (_name, event) => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    await monitor(tick(1));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => monitor(event(i))));
    expect(starts()).toHaveLength(1);
    expect(results.filter((r) => r.execution?.started)).toHaveLength(1);
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    expect(publishedKinds().filter((k) => k?.startsWith("failover."))).toEqual([]);
  });

  it("repairs a StartExecution that threw on the triggering tick: the next tick starts it, once", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    await monitor(tick(1));
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } }));
    await expect(monitor(tick(2))).rejects.toBeInstanceOf(core.Errors.AwsTransientError);
    expect((await stored()).incident).toMatchObject({ lastStartError: expect.stringMatching(/StartExecution: Service unavailable/) });

    emulateStepFunctions();
    const next = await monitor(tick(3));
    expect(next.execution).toEqual({ name: "failover-primary-20261128T061000Z", started: true, executionArn: expect.any(String) });
    await monitor(tick(4));
    await monitor(tick(5));
    expect(starts()).toHaveLength(2);
    expect(starts()[0]).toEqual(starts()[1]);
    expect((await stored()).incident?.startedAt).toBeDefined();
  });

  it("repairs from the Lambda retry of the triggering tick as well", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    await monitor(tick(1));
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }));
    await expect(monitor(tick(2))).rejects.toThrow(/Rate exceeded/);
    emulateStepFunctions();
    expect((await monitor(tick(2))).execution?.started).toBe(true);
    expect(starts()).toHaveLength(2);
  });

  it("counts ExecutionAlreadyExists as already started", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    await monitor(tick(0));
    await monitor(tick(1));
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "Execution Already Exists", $metadata: {} }));
    const out = await monitor(tick(2));
    expect(out.execution?.started).toBe(true);
    expect((await stored()).incident?.executionArn).toBe(Health.executionArnFor(stateMachineArn, "failover-primary-20261128T061000Z"));
    await monitor(tick(3));
    expect(starts()).toHaveLength(1);
  });

  it("starts nothing new while an incident is open, through recovery and a second outage", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    for (let n = 0; n < 6; n++) await monitor(tick(n));
    primary.behaviour = "healthy";
    await monitor(tick(6));
    primary.behaviour = "hang";
    for (let n = 7; n < 11; n++) await monitor(tick(n));
    expect(starts()).toHaveLength(1);
    expect((await stored()).incident?.id).toBe("primary-20261128T061000Z");
  });

  it("opens a new incident after an operator closes the old one and the primary fails again", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    for (let n = 0; n < 4; n++) await monitor(tick(n));
    vi.resetModules();
    const close = (await import("../src/close-incident")).handler;
    await expect(close({ incidentId: "primary-20261128T061000Z", closedBy: "alice", note: "drill over" }, context)).resolves.toEqual({
      closed: "primary-20261128T061000Z",
      closedBy: "alice",
    });
    expect((await stored()).consecutiveFailures).toBe(0);
    const monitorAgain = await loadMonitor();
    await monitorAgain(tick(4));
    await monitorAgain(tick(5));
    expect(starts()).toHaveLength(1);
    await monitorAgain(tick(6));
    expect(starts().map((s) => s?.name)).toEqual(["failover-primary-20261128T061000Z", "failover-primary-20261128T063000Z"]);
  });

  it("rejects closing an incident that is not open", async () => {
    vi.resetModules();
    Object.assign(process.env, { AWS_REGION: "eu-central-1", STATE_TABLE: table });
    const close = (await import("../src/close-incident")).handler;
    core = await import("@pilot-light/core");
    await expect(close({ incidentId: "primary-20261128T061000Z", closedBy: "alice" }, context)).rejects.toBeInstanceOf(
      core.Health.IncidentNotOpenError,
    );
  });

  it("with autoFailover off, recommends once and starts nothing", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor({ AUTO_FAILOVER: "false" });
    for (let n = 0; n < 8; n++) await monitor(tick(n));
    expect(starts()).toHaveLength(0);
    expect(publishedKinds()).toEqual(["health.degraded", "failover.recommended"]);
    const body = sns.commandCalls(PublishCommand)[1]?.args[0].input.Message ?? "";
    expect(body).toMatch(/probe 1: FAILED \(http-status\), HTTP 503/);
  });
});

describe("health monitor: notifications", () => {
  it("notifies on state changes only, leaving 'failover started' to the state machine: degraded, recovered", async () => {
    const monitor = await loadMonitor();
    const plan: Behaviour[] = ["healthy", "http-503", "http-503", "http-503", "http-503", "healthy", "healthy"];
    for (const [n, b] of plan.entries()) {
      primary.behaviour = b;
      await monitor(tick(n));
    }
    expect(starts()).toHaveLength(1);
    expect(publishedKinds()).toEqual(["health.degraded", "health.recovered"]);
    const degraded = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(degraded?.TopicArn).toBe(topicArn);
    expect(degraded?.Subject).toBe("[pilot-light test] primary degraded: health check failed");
  });

  it("on a stage without a Route 53 health check, fails over on its own view and says so in the run's reason", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    for (let n = 0; n < 3; n++) await monitor(tick(n));
    const input = Health.FailoverRequest.parse(JSON.parse(starts()[0]?.input ?? "{}"));
    expect(input.reason).toMatch(/^Second opinion unavailable \(this stage has no Route 53 health check: it has no DNS records\): going on the monitor's own checks\. primary \/health.php failed 3/);
  });

  it("tells the state machine when the primary last passed, so RTO can be measured from it", async () => {
    const monitor = await loadMonitor();
    const plan: Behaviour[] = ["healthy", "http-503", "http-503", "http-503"];
    for (const [n, b] of plan.entries()) {
      primary.behaviour = b;
      await monitor(tick(n));
    }
    const input = Failover.FailoverInput.parse(JSON.parse(starts()[0]?.input ?? "{}"));
    expect(input.lastHealthyAt).toBe((await stored()).lastSuccess?.at);
    expect(Date.parse(input.lastHealthyAt ?? "")).toBeLessThan(Date.parse((await stored()).lastFailure?.at ?? ""));
  });

  it("counts NotificationFailures (the alarm that does not need SNS) for a publish SNS refused", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor();
    const { metrics } = await import("../src/lib/handler");
    const counted = vi.spyOn(metrics, "addMetric");
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error("KMS key disabled"), { name: "KMSDisabledException", $metadata: { httpStatusCode: 400 } }));
    await expect(monitor(tick(0))).rejects.toThrow(/KMS key disabled/);
    expect(counted).toHaveBeenCalledWith("NotificationFailures", "Count", 1);
    counted.mockClear();
    await monitor(tick(1));
    expect(counted).not.toHaveBeenCalledWith("NotificationFailures", "Count", 1);
    counted.mockRestore();
  });

  it("keeps a notification SNS refused and sends it on a later tick", async () => {
    primary.behaviour = "http-503";
    const monitor = await loadMonitor({ START_LEASE_MS: "1000" });
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error("internal"), { name: "InternalError", $metadata: { httpStatusCode: 500 } }));
    await expect(monitor(tick(0))).rejects.toBeInstanceOf(core.Errors.AwsTransientError);
    expect((await stored()).outbox.map((n) => n.kind)).toEqual(["health.degraded"]);
    sns.on(PublishCommand).resolves({ MessageId: "m-2" });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await monitor(tick(1));
    expect(publishedKinds()).toEqual(["health.degraded", "health.degraded"]);
    expect((await stored()).outbox).toEqual([]);
  });
});

describe("health monitor: configuration", () => {
  it("fails the cold start naming a missing variable", async () => {
    await expect(loadMonitor({ STATE_MACHINE_ARN: "" })).rejects.toThrow(/STATE_MACHINE_ARN/);
  });

  it("rejects an event whose time is not a time", async () => {
    const monitor = await loadMonitor();
    await expect(monitor({ time: "yesterday" })).rejects.toBeInstanceOf(core.Errors.ValidationError);
  });
});
