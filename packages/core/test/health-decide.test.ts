import { describe, expect, it } from "vitest";
import { Failover, Health } from "@pilot-light/core";

const policy: Health.Policy = { failureThreshold: 3, autoFailover: true, startLeaseMs: 60_000, label: "pilot-light test" };
const now = new Date("2026-11-28T06:00:30Z");
const tick = "2026-11-28T06:00:00Z";
const earlier = "2026-11-28T05:55:00Z";

const failing: Health.ProbeResult = { ok: false, latencyMs: 5001, failure: "timeout", error: "no complete answer within 5000 ms" };
const passing: Health.ProbeResult = { ok: true, latencyMs: 12, status: 200, region: "eu-west-1" };
const evidence = (ok: boolean): Health.Evidence => ({
  at: tick,
  url: "http://primary.example/health.php",
  ok,
  probes: ok ? [passing, passing, failing] : [failing, failing, passing],
});
const state = (over: Partial<Health.HealthState> = {}): Health.HealthState => ({
  ...Health.emptyState("primary"),
  version: 4,
  lastTick: earlier,
  ...over,
});
const openIncident = (over: Partial<Health.Incident> = {}): Health.Incident => ({
  id: "primary-20261128T055000Z",
  openedAt: "2026-11-28T05:50:00Z",
  action: "failover",
  reason: "r",
  execution: {
    name: "failover-primary-20261128T055000Z",
    input: { mode: "failover", reason: "r", requestedBy: "health-monitor", incidentId: "primary-20261128T055000Z" },
  },
  startAttempts: 1,
  ...over,
});

const run = (s: Health.HealthState, ok: boolean, p: Partial<Health.Policy> = {}, t = tick) =>
  Health.decide(s, { tick: t, evidence: evidence(ok) }, { ...policy, ...p }, now);

const written = (d: Health.Decision) => {
  if (d.kind !== "write") throw new Error(`expected a write, got ${d.kind}`);
  return d;
};

describe("health decision", () => {
  it.each([
    // name, before, check ok, policy, failures after, notification kinds, starts, incident action
    ["a first failure marks the target degraded", state(), false, {}, 1, ["health.degraded"], false, undefined],
    ["a second failure only counts", state({ consecutiveFailures: 1 }), false, {}, 2, [], false, undefined],
    ["the third failure opens an incident and starts the failover", state({ consecutiveFailures: 2 }), false, {}, 3, [], true, "failover"],
    ["the threshold with autoFailover off recommends instead", state({ consecutiveFailures: 2 }), false, { autoFailover: false }, 3, ["failover.recommended"], false, "recommend"],
    ["a threshold of one degrades and fails over on the first failure", state(), false, { failureThreshold: 1 }, 1, ["health.degraded"], true, "failover"],
    ["a success after failures resets the count and reports recovery", state({ consecutiveFailures: 2 }), true, {}, 0, ["health.recovered"], false, undefined],
    ["a success while healthy stays silent", state(), true, {}, 0, [], false, undefined],
    ["the very first check of a new table counts", Health.emptyState("primary"), false, {}, 1, ["health.degraded"], false, undefined],
    ["failures past the threshold with an incident open start nothing new", state({ consecutiveFailures: 5, incident: openIncident({ startedAt: earlier }) }), false, {}, 6, [], false, "failover"],
    ["an open recommendation blocks a second one", state({ consecutiveFailures: 3, incident: openIncident({ action: "recommend", execution: undefined }) }), false, { autoFailover: false }, 4, [], false, "recommend"],
    ["recovery with an incident open keeps the incident", state({ consecutiveFailures: 4, incident: openIncident({ startedAt: earlier }) }), true, {}, 0, ["health.recovered"], false, "failover"],
  ] as const)("%s", (_name, before, ok, p, failures, kinds, starts, action) => {
    const d = written(run(before, ok, p));
    expect(d.counted).toBe(true);
    expect(d.next.version).toBe(before.version + 1);
    expect(d.next.consecutiveFailures).toBe(failures);
    expect(d.notify.map((n) => n.kind)).toEqual(kinds);
    expect(d.next.outbox.map((n) => n.kind)).toEqual(kinds);
    expect(d.start !== undefined).toBe(starts);
    expect(d.next.incident?.action).toBe(action);
  });

  it("names the execution after the incident and sends the orchestrator's input with evidence", () => {
    const d = written(run(state({ consecutiveFailures: 2 }), false));
    expect(d.start).toEqual({
      incidentId: "primary-20261128T060000Z",
      name: "failover-primary-20261128T060000Z",
      input: {
        mode: "failover",
        requestedBy: "health-monitor",
        incidentId: "primary-20261128T060000Z",
        reason: expect.stringMatching(/failed 3 consecutive checks \(threshold 3\).*2\/3 probes failed: no complete answer within 5000 ms \(5001 ms\)/),
      },
    });
    expect(Health.FailoverRequest.parse(d.start?.input)).toEqual(d.start?.input);
  });

  it("sends an input the failover state machine's own contract accepts, even with long evidence", () => {
    const noisy: Health.ProbeResult = { ...failing, error: `connection reset ${"x".repeat(300)}` };
    const d = written(
      Health.decide(state({ consecutiveFailures: 2 }), { tick, evidence: { ...evidence(false), probes: [noisy, noisy, noisy, noisy, noisy] } }, policy, now),
    );
    expect(d.start?.input.reason.length).toBeLessThanOrEqual(500);
    expect(Failover.FailoverInput.safeParse(d.start?.input).success).toBe(true);
  });

  it("claims the start for the lease in the same write that opens the incident", () => {
    const d = written(run(state({ consecutiveFailures: 2 }), false));
    expect(d.next.incident).toMatchObject({ startAttempts: 1, startClaimUntil: "2026-11-28T06:01:30.000Z" });
  });

  it.each([
    ["the same tick delivered twice", tick],
    ["an older tick retried late", earlier],
  ])("does not count %s", (_name, t) => {
    expect(run(state({ lastTick: tick, consecutiveFailures: 2 }), false, {}, t)).toEqual({
      kind: "unchanged",
      reason: "tick already counted and nothing to repair",
    });
  });

  it("repairs a start that failed, even from a duplicate tick", () => {
    const before = state({ lastTick: tick, consecutiveFailures: 3, incident: openIncident({ lastStartError: "boom" }) });
    const d = written(run(before, false, {}, tick));
    expect(d.counted).toBe(false);
    expect(d.next.consecutiveFailures).toBe(3);
    expect(d.start?.name).toBe("failover-primary-20261128T055000Z");
    expect(d.next.incident?.startAttempts).toBe(2);
  });

  it("repairs with the name and input fixed at opening, not new ones", () => {
    const d = written(run(state({ consecutiveFailures: 3, incident: openIncident() }), false));
    expect(d.start?.input).toEqual(openIncident().execution?.input);
  });

  it("leaves a start alone while another invocation holds the claim", () => {
    const held = openIncident({ startClaimUntil: "2026-11-28T06:01:00Z" });
    expect(run(state({ lastTick: tick, consecutiveFailures: 3, incident: held }), false, {}, tick).kind).toBe("unchanged");
    expect(written(run(state({ consecutiveFailures: 3, incident: held }), false)).start).toBeUndefined();
  });

  it("takes over a claim that expired (its holder died)", () => {
    const expired = openIncident({ startClaimUntil: "2026-11-28T06:00:00Z" });
    expect(written(run(state({ consecutiveFailures: 3, incident: expired }), false)).start).toBeDefined();
  });

  it("rejects a tick that is not a time", () => {
    expect(() => run(state(), false, {}, "yesterday")).toThrow(/not an ISO time/);
  });

  it("keeps subjects within the SNS limit of 100 characters", () => {
    const d = written(run(state(), false, { label: "x".repeat(120) }));
    expect(d.notify[0]?.subject.length).toBeLessThanOrEqual(100);
  });

  it("puts every probe's status, latency and error in the degraded message", () => {
    const body = written(run(state(), false)).notify[0]?.body ?? "";
    expect(body).toContain("probe 1: FAILED (timeout), no complete answer within 5000 ms, 5001 ms");
    expect(body).toContain("probe 3: ok, HTTP 200, 12 ms, region eu-west-1");
  });
});

describe("recording a start", () => {
  const request = { incidentId: "primary-20261128T055000Z", ...openIncident().execution! };
  const claimed = state({ consecutiveFailures: 3, incident: openIncident({ startClaimUntil: "2026-11-28T06:01:00Z" }) });

  it("marks the incident started and sends nothing: the state machine's NotifyStarted is the one 'failover started'", () => {
    const r = Health.recordStart(claimed, request, { ok: true, executionArn: "arn:x", alreadyExisted: false }, now);
    expect(r?.next.incident).toMatchObject({ startedAt: now.toISOString(), executionArn: "arn:x" });
    expect(r?.next.incident?.startClaimUntil).toBeUndefined();
    expect(r?.notify).toEqual([]);
    expect(r?.next.outbox).toEqual(claimed.outbox);
  });

  it("releases the claim and keeps the error when the start failed", () => {
    const r = Health.recordStart(claimed, request, { ok: false, error: "ServiceUnavailable: down" }, now);
    expect(r?.next.incident).toMatchObject({ lastStartError: "ServiceUnavailable: down" });
    expect(r?.next.incident?.startClaimUntil).toBeUndefined();
    expect(r?.notify).toEqual([]);
  });

  it.each([
    ["already recorded as started", state({ incident: openIncident({ startedAt: earlier }) })],
    ["closed meanwhile", state()],
    ["replaced by another incident", state({ incident: openIncident({ id: "primary-other" }) })],
  ])("changes nothing when the incident was %s", (_name, s) => {
    expect(Health.recordStart(s, request, { ok: true, executionArn: "arn:x", alreadyExisted: true }, now)).toBeUndefined();
  });
});

describe("outbox and closing", () => {
  const note = (id: string, createdAt: string): Health.Outgoing => ({ id, createdAt, kind: "k", subject: "s", body: "b" });

  it("drops acknowledged notifications and nothing else", () => {
    const s = state({ outbox: [note("a", tick), note("b", tick)] });
    expect(Health.acknowledge(s, ["a"])?.outbox.map((n) => n.id)).toEqual(["b"]);
    expect(Health.acknowledge(s, ["zzz"])).toBeUndefined();
  });

  it("treats only notifications older than the lease as orphaned", () => {
    const s = state({ outbox: [note("old", "2026-11-28T05:59:00Z"), note("fresh", "2026-11-28T06:00:10Z")] });
    expect(Health.orphanedNotifications(s, now, 60_000).map((n) => n.id)).toEqual(["old"]);
  });

  it("closing archives the incident and resets the count so a new one needs fresh failures", () => {
    const s = state({ consecutiveFailures: 7, incident: openIncident({ startedAt: earlier }) });
    const { next, archived } = Health.decideClose(s, { incidentId: "primary-20261128T055000Z", closedBy: "alice" }, now);
    expect(next.incident).toBeUndefined();
    expect(next.consecutiveFailures).toBe(0);
    expect(archived).toMatchObject({ id: "primary-20261128T055000Z", closedBy: "alice", failuresAtClose: 7, closedAt: now.toISOString() });
  });

  it.each([
    ["no incident is open", state()],
    ["another incident is open", state({ incident: openIncident({ id: "primary-other" }) })],
  ])("refuses to close when %s", (_name, s) => {
    expect(() => Health.decideClose(s, { incidentId: "primary-20261128T055000Z", closedBy: "alice" }, now)).toThrow(
      Health.IncidentNotOpenError,
    );
  });
});
