/**
 * Who sees what: a partition between the two regions, an app broken inside a live region, and
 * Route 53's health checkers in eight regions seeing the primary as the world does, through
 * the real SDK (GetHealthCheckStatus), including its control plane hanging.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GetHealthCheckStatusCommand, Route53Client } from "@aws-sdk/client-route-53";
import { healPartition, installApis, partition, pilotLightWorld, setAppFault, startHealthServer, type HealthServer } from "../src";

let restore: (() => void) | undefined;
let server: HealthServer | undefined;
afterEach(async () => {
  restore?.();
  await server?.close();
  server = undefined;
});

async function setup() {
  const { world, ids } = pilotLightWorld();
  restore = installApis(world);
  server = await startHealthServer(world);
  const route53 = new Route53Client({ region: ids.drRegion, maxAttempts: 2, requestHandler: { requestTimeout: 2000, throwOnRequestTimeout: true } });
  const statuses = async () =>
    ((await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: "hc-primary-0001" }))).HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? "");
  const healthy = async () => (await statuses()).filter((s) => s.startsWith("Success")).length;
  /** What the DR region's monitor gets from the primary's /health.php. */
  const fromDr = async () => {
    try {
      const res = await fetch(server!.url(ids.primaryRegion));
      return { status: res.status, body: await res.text() };
    } catch (error) {
      return { error: ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).message };
    }
  };
  return { world, ids, statuses, healthy, fromDr };
}

describe("Route 53's health checkers", () => {
  it("report from the eight regions Route 53 checks from, each with a recent check time", async () => {
    const { world, ids } = await setup();
    const route53 = new Route53Client({ region: ids.drRegion });
    const out = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: "hc-primary-0001" }));
    expect(out.HealthCheckObservations?.map((o) => o.Region)).toEqual(["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"]);
    for (const o of out.HealthCheckObservations ?? []) {
      expect(o.StatusReport?.Status).toBe("Success: HTTP Status Code 200, OK");
      expect(world.clock.nowMs() - new Date(o.StatusReport?.CheckedTime ?? 0).getTime()).toBeLessThan(10_000);
    }
  });

  it("see a primary region that is down time out", async () => {
    const { world, ids, statuses } = await setup();
    world.regionsDown.add(ids.primaryRegion);
    expect(new Set(await statuses())).toEqual(new Set([expect.stringMatching(/^Failure: Connection timed out/)]));
  });

  it("see a primary whose database is gone answer 503", async () => {
    const { world, ids, statuses } = await setup();
    world.databases.get(ids.primaryDb)!.baseStatus = "stopped";
    expect(new Set(await statuses())).toEqual(new Set(["Failure: HTTP Status Code 503, Service Unavailable."]));
  });

  it("answer NoSuchHealthCheck for an id no record uses", async () => {
    const { ids } = await setup();
    const route53 = new Route53Client({ region: ids.drRegion });
    await expect(route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: "hc-nope" }))).rejects.toMatchObject({ name: "NoSuchHealthCheck" });
  });

  it("cannot be asked while Route 53's control plane hangs: the call waits for the client's own timeouts", async () => {
    const { world, healthy } = await setup();
    world.impair("route53");
    const started = world.clock.nowMs();
    await expect(healthy()).rejects.toMatchObject({ name: "TimeoutError", $metadata: { attempts: 2 } });
    expect(world.clock.since(started)).toBe(4);
    expect(world.callsTo("route53:GetHealthCheckStatus").map((c) => c.region)).toEqual(["eu-central-1", "eu-central-1"]);
  }, 15_000);
});

describe("a partition between the two regions", () => {
  it("cuts the DR region off the primary while the health checkers still see it healthy, until it heals", async () => {
    const { world, ids, healthy, fromDr } = await setup();
    partition(world, ids.primaryRegion, ids.drRegion);
    expect(await fromDr()).toEqual({ error: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/) });
    expect(await healthy()).toBe(8);
    healPartition(world, ids.drRegion, ids.primaryRegion);
    expect(await fromDr()).toMatchObject({ status: 200 });
  });
});

describe("an app broken inside a live region", () => {
  it("a bad deploy: /health.php answers 200 with a page that is not the contract, which Route 53's status-only check passes", async () => {
    const { world, ids, healthy, fromDr } = await setup();
    setAppFault(world, ids.primaryRegion, { kind: "bad-deploy" });
    expect(await fromDr()).toEqual({ status: 200, body: expect.stringContaining("<html>") });
    expect(await healthy()).toBe(8);
  });

  it("a database at its connection limit refuses exactly its share of requests, evenly, whoever asks", async () => {
    const { world, ids, healthy, fromDr } = await setup();
    setAppFault(world, ids.primaryRegion, { kind: "db-connection-limit", rejectShare: 2 / 3 });
    const answers = await Promise.all(Array.from({ length: 9 }, () => fromDr()));
    expect(answers.filter((a) => "status" in a && a.status === 503)).toHaveLength(6);
    expect(answers.find((a) => "status" in a && a.status === 503)).toMatchObject({ body: expect.stringContaining("1040] Too many connections") });
    // The next eight requests are the checkers': a third of them get through.
    expect([2, 3]).toContain(await healthy());
    setAppFault(world, ids.primaryRegion, null);
    expect(await healthy()).toBe(8);
  });

  it("a health path that breaks the contract's readOnly (left out, or the string \"false\") still answers 200 {\"status\":\"ok\"}, which Route 53 passes", async () => {
    const { world, ids, healthy, fromDr } = await setup();
    setAppFault(world, ids.primaryRegion, { kind: "read-only-breach", readOnly: "string" });
    expect(await fromDr()).toEqual({ status: 200, body: JSON.stringify({ status: "ok", db: "ok", readOnly: "false" }) });
    setAppFault(world, ids.primaryRegion, { kind: "read-only-breach", readOnly: "absent" });
    expect(await fromDr()).toEqual({ status: 200, body: JSON.stringify({ status: "ok", db: "ok" }) });
    expect(await healthy()).toBe(8);
  });
});

describe("a region's health path, as the application's /health.php answers it", () => {
  const get = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("says readOnly as MySQL's @@global.read_only: a replica or read_only on in its group, whatever RDS's status", async () => {
    const { world, ids } = await setup();
    world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, 1);
    world.clock.advance(600);
    expect((await get(server!.url(ids.drRegion))).body).toMatchObject({ status: "ok", readOnly: true });
    // A daily backup changes RDS's status, not MySQL's read_only: the primary still takes writes.
    world.databases.get(ids.primaryDb)!.baseStatus = "backing-up";
    expect(await get(server!.url(ids.primaryRegion))).toEqual({ status: 200, body: { status: "ok", db: "ok", readOnly: false } });
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    expect((await get(server!.url(ids.primaryRegion))).body).toMatchObject({ readOnly: true });
  });

  it("answers the application's error, 503 with db error, when running tasks cannot reach their database", async () => {
    const { world, ids } = await setup();
    world.databases.get(ids.primaryDb)!.baseStatus = "stopped";
    expect(await get(server!.url(ids.primaryRegion))).toEqual({ status: 503, body: { status: "error", db: "error", error: "PDOException" } });
  });
});
