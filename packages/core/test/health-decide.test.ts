import { describe, expect, it } from "vitest";
import { Failover, Health } from "@pilot-light/core";

const policy: Health.Policy = { failureThreshold: 3, autoFailover: true, startLeaseMs: 60_000, label: "pilot-light test" };
const now = new Date("2026-11-28T06:00:30Z");
const tick = "2026-11-28T06:00:00Z";
const earlier = "2026-11-28T05:55:00Z";

const failing: Health.ProbeResult = { ok: false, latencyMs: 5001, failure: "timeout", error: "no complete answer within 5000 ms" };
const passing: Health.ProbeResult = { ok: true, latencyMs: 12, status: 200, region: "eu-west-1" };
const evidence = (ok: boolean, at = tick): Health.Evidence => ({
  at,
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
  trigger: "consecutive",
  attempt: 1,
  history: [],
  execution: {
    name: "failover-primary-20261128T055000Z",
    input: { mode: "failover", reason: "r", requestedBy: "health-monitor", incidentId: "primary-20261128T055000Z" },
  },
  startAttempts: 1,
  ...over,
});
/** An incident whose next attempt has not been fixed yet (just opened, withheld, or waiting to re-drive). */
const pendingIncident = (over: Partial<Health.Incident> = {}) => openIncident({ execution: undefined, startAttempts: 0, ...over });

const confirms: Health.SecondOpinion = { verdict: "confirms", detail: "Route 53 health checkers confirm: 0 of 8 locations see the primary healthy (Failure: timeout)" };
const disagrees: Health.SecondOpinion = { verdict: "disagrees", detail: "Route 53 health checkers see the primary healthy from 8 of 8 locations (us-east-1, ...)" };
const unreachable = Health.unavailable("GetHealthCheckStatus hc-1: TimeoutError: socket hang up");

/** `opinion` null: no second opinion was asked. */
const run = (s: Health.HealthState, ok: boolean, p: Partial<Health.Policy> = {}, t = tick, opinion: Health.SecondOpinion | null = confirms) =>
  Health.decide(s, { tick: t, evidence: evidence(ok, t), secondOpinion: opinion ?? undefined }, { ...policy, ...p }, now);

const written = (d: Health.Decision) => {
  if (d.kind !== "write") throw new Error(`expected a write, got ${d.kind}`);
  return d;
};

/** Checks five minutes apart ending at `tick`'s predecessor, oldest first, from a pattern such as "DDU" repeated. */
const history = (pattern: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    tick: new Date(Date.parse(tick) - (count - i) * 300_000).toISOString(),
    ok: pattern[i % pattern.length] === "U",
  }));
const watched = (recent: Health.HealthState["recent"], over: Partial<Health.HealthState> = {}) =>
  state({ recent, windowSince: recent[0]?.tick, lastTick: recent.at(-1)?.tick ?? earlier, ...over });

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
        reason: expect.stringMatching(/^Route 53 health checkers confirm: 0 of 8.*failed 3 consecutive checks \(threshold 3\).*2\/3 probes failed: no complete answer within 5000 ms \(5001 ms\)/),
      },
    });
    expect(Health.FailoverRequest.parse(d.start?.input)).toEqual(d.start?.input);
  });

  it("sends an input the failover state machine's own contract accepts, even with long evidence", () => {
    const noisy: Health.ProbeResult = { ...failing, error: `connection reset ${"x".repeat(300)}` };
    const d = written(
      Health.decide(state({ consecutiveFailures: 2 }), { tick, evidence: { ...evidence(false), probes: [noisy, noisy, noisy, noisy, noisy] }, secondOpinion: confirms }, policy, now),
    );
    expect(d.start?.input.reason.length).toBeLessThanOrEqual(500);
    expect(Failover.FailoverInput.safeParse(d.start?.input).success).toBe(true);
  });

  it("claims the start for the lease in the same write that opens the incident", () => {
    const d = written(run(state({ consecutiveFailures: 2 }), false));
    expect(d.next.incident).toMatchObject({ startAttempts: 1, startClaimUntil: "2026-11-28T06:01:30.000Z" });
  });

  it("counts a tick dated a day ahead (a skewed clock, a hand-written event) at the time it was received, and the ticks after it", () => {
    const dayAhead = new Date(now.getTime() + 86_400_000).toISOString();
    const first = written(run(state({ consecutiveFailures: 0 }), false, {}, dayAhead));
    expect(first.counted).toBe(true);
    expect(first.next.lastTick).toBe(now.toISOString());
    // The next check, correctly dated five minutes later, counts too: the monitor is not blinded.
    const later = new Date(now.getTime() + 300_000);
    const t = later.toISOString();
    const second = written(Health.decide(first.next, { tick: t, evidence: evidence(false, t), secondOpinion: confirms }, policy, later));
    expect(second.counted).toBe(true);
    expect(second.next.consecutiveFailures).toBe(2);
  });

  it("is not blinded by a last tick already stored in the future", () => {
    const d = written(run(state({ lastTick: "2026-11-29T06:00:00Z", consecutiveFailures: 1 }), false));
    expect(d.counted).toBe(true);
    expect(d.next.consecutiveFailures).toBe(2);
  });

  it("still counts a tick dated a few seconds ahead at its own date (EventBridge's time, a clock within tolerance)", () => {
    const soon = new Date(now.getTime() + 5_000).toISOString();
    expect(written(run(state(), false, {}, soon)).next.lastTick).toBe(soon);
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

  it("repairs with the name and input fixed when the attempt was claimed, not new ones", () => {
    const d = written(run(state({ consecutiveFailures: 3, incident: openIncident() }), false, {}, tick, unreachable));
    expect(d.start?.input).toEqual(openIncident().execution?.input);
    expect(d.usedSecondOpinion).toBe(false);
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

describe("the second opinion before a start", () => {
  it.each([
    ["confirms the outage: starts, saying so in the run's reason", confirms, true, /^Route 53 health checkers confirm: 0 of 8/],
    ["is unavailable: starts on the monitor's own view, saying so in the run's reason", unreachable, true, /^Second opinion unavailable \(GetHealthCheckStatus hc-1: TimeoutError.*going on the monitor's own checks/],
    ["disagrees: starts nothing", disagrees, false, undefined],
  ] as const)("when it %s", (_name, opinion, starts, reason) => {
    const d = written(run(state({ consecutiveFailures: 2 }), false, {}, tick, opinion));
    expect(d.usedSecondOpinion).toBe(true);
    expect(d.start !== undefined).toBe(starts);
    if (reason) expect(d.start?.input.reason).toMatch(reason);
    expect(d.next.incident?.confirmation).toEqual({ verdict: opinion.verdict, detail: opinion.detail, at: now.toISOString() });
    expect(Failover.FailoverInput.safeParse(d.start?.input ?? { mode: "failover", reason: "x", requestedBy: "y" }).success).toBe(true);
  });

  it("tells people once that a failover was withheld, and why", () => {
    const first = written(run(state({ consecutiveFailures: 2 }), false, {}, tick, disagrees));
    expect(first.notify.map((n) => n.kind)).toEqual(["failover.withheld"]);
    expect(first.notify[0]?.subject).toBe("[pilot-light test] primary unreachable but healthy to Route 53: no failover");
    expect(first.notify[0]?.body).toContain(disagrees.detail);
    expect(first.notify[0]?.body).toContain("cannot be undone");
    const later = "2026-11-28T06:05:00Z";
    const second = written(run({ ...first.next, outbox: [] }, false, {}, later, disagrees));
    expect(second.notify).toEqual([]);
    expect(second.start).toBeUndefined();
    expect(second.next.incident?.withheldAt).toBe(first.next.incident?.withheldAt);
  });

  it("fails over at a later failed check once the checkers agree", () => {
    const withheld = state({ consecutiveFailures: 4, incident: pendingIncident({ withheldAt: earlier }) });
    expect(written(run(withheld, false)).start?.name).toBe("failover-primary-20261128T055000Z");
  });

  it("starts nothing without a second opinion to read", () => {
    const d = written(run(state({ consecutiveFailures: 2 }), false, {}, tick, null));
    expect(d.start).toBeUndefined();
    expect(d.next.incident).toMatchObject({ action: "failover" });
    expect(d.next.incident?.execution).toBeUndefined();
  });

  const resolution: Health.Resolution = { kind: "failed-over", at: earlier, detail: "done" };
  it.each([
    ["a first failure", state(), false, {}, tick, false],
    ["the failure that opens the incident", state({ consecutiveFailures: 2 }), false, {}, tick, true],
    ["a passing check", state({ consecutiveFailures: 2 }), true, {}, tick, false],
    ["autoFailover off", state({ consecutiveFailures: 2 }), false, { autoFailover: false }, tick, false],
    ["a re-drive due after autoFailover was turned off (DR now active)", state({ consecutiveFailures: 3, incident: pendingIncident({ attempt: 2, nextAttemptAt: earlier }) }), false, { autoFailover: false }, tick, false],
    ["an attempt already claimed (a repair)", state({ consecutiveFailures: 3, incident: openIncident() }), false, {}, tick, false],
    ["a running attempt", state({ consecutiveFailures: 3, incident: openIncident({ startedAt: earlier }) }), false, {}, tick, false],
    ["a withheld incident at its next failed check", state({ consecutiveFailures: 3, incident: pendingIncident({ withheldAt: earlier }) }), false, {}, tick, true],
    ["a re-drive before its time", state({ consecutiveFailures: 3, incident: pendingIncident({ attempt: 2, nextAttemptAt: "2026-11-28T06:05:00Z" }) }), false, {}, tick, false],
    ["a re-drive once due", state({ consecutiveFailures: 3, incident: pendingIncident({ attempt: 2, nextAttemptAt: "2026-11-28T06:00:00Z" }) }), false, {}, tick, true],
    ["an incident the monitor stood down from", state({ consecutiveFailures: 3, incident: openIncident({ startedAt: earlier, resolution }) }), false, {}, tick, false],
    ["a duplicate delivery of a counted tick", state({ lastTick: tick, consecutiveFailures: 2 }), false, {}, tick, false],
  ] as const)("is asked only when a start is due: %s → %s", (_name, s, ok, p, t, expected) => {
    expect(Health.needsSecondOpinion(s, { tick: t, evidence: evidence(ok, t) }, { ...policy, ...p }, now)).toBe(expected);
  });
});

describe("a primary that stays mostly down", () => {
  it.each([
    // name, earlier checks (5 min apart), how many, this check, policy, trigger of the incident opened
    ["down two checks in three over the last hour opens an incident", "DDU", 12, false, {}, "availability"],
    ["down two checks in four (50 %, not below) does not", "DDUU", 12, false, {}, undefined],
    ["a window not watched for its whole length yet does not", "DDU", 6, false, {}, undefined],
    ["the rule turned off (minPercent 0) does not", "DDU", 12, false, { availability: { windowMinutes: 60, minPercent: 0 } }, undefined],
    ["a 30-minute window at 50 % opens one on down two in three", "DDU", 6, false, { availability: { windowMinutes: 30, minPercent: 50 } }, "availability"],
    ["a passing check never opens one", "DDU", 12, true, {}, undefined],
  ] as const)("%s", (_name, pattern, count, ok, p, trigger) => {
    const d = written(run(watched(history(pattern, count)), ok, p));
    expect(d.next.incident?.trigger).toBe(trigger);
    expect(d.next.recent.length).toBeLessThanOrEqual(12);
  });

  it("says what it measured in the incident's reason", () => {
    const d = written(run(watched(history("DDU", 12)), false));
    expect(d.next.incident?.reason).toMatch(/^primary \/health.php passed 33 % of 12 checks in the last 60 min \(floor 50 %\)/);
    expect(d.start?.name).toBe("failover-primary-20261128T060000Z");
  });

  it("names the stage's own health path in the incident's reason", () => {
    const own = { ...evidence(false), url: "https://eu-west-1.shop.io/healthz" };
    const d = written(Health.decide(watched(history("DDU", 12)), { tick, evidence: own, secondOpinion: confirms }, policy, now));
    expect(d.next.incident?.reason).toMatch(/^primary \/healthz passed 33 % of 12 checks/);
  });
});

describe("notifications that do not flood", () => {
  it("mails at most noticesPerHour health changes per rolling hour and counts the rest", () => {
    const d = written(run(state({ noticesAt: ["2026-11-28T05:20:00Z", "2026-11-28T05:40:00Z"] }), false));
    expect(d.notify).toEqual([]);
    expect(d.next.unmailed).toEqual({ count: 1, since: tick });
  });

  it("says how many changes were not mailed in the next message it may send", () => {
    const s = state({ noticesAt: ["2026-11-28T04:50:00Z", "2026-11-28T05:10:00Z"], unmailed: { count: 5, since: "2026-11-28T05:15:00Z" } });
    const d = written(run(s, false));
    expect(d.notify.map((n) => n.kind)).toEqual(["health.degraded"]);
    expect(d.notify[0]?.body).toContain("5 earlier change(s) of the primary's health since 2026-11-28T05:15:00Z were not mailed (at most 2 such messages per hour)");
    expect(d.notify[0]?.body).toMatch(/Availability over the last 60 min: 0 % \(1 of 1 checks failed; an incident opens below 50 %\)/);
    expect(d.next.unmailed).toBeUndefined();
    expect(d.next.noticesAt).toEqual(["2026-11-28T05:10:00Z", now.toISOString()]);
  });

  it.each([
    ["degraded", state({ incident: openIncident({ startedAt: earlier, resolution: { kind: "failed-over", at: earlier, detail: "done" } }) }), false],
    ["recovered", state({ consecutiveFailures: 3, incident: openIncident({ startedAt: earlier, resolution: { kind: "needs-operator", at: earlier, detail: "NeedsOperator" } }) }), true],
  ] as const)("sends no '%s' for the old primary once the monitor stood down", (_name, s, ok) => {
    expect(written(run(s, ok)).notify).toEqual([]);
  });

  /** Six hours of a primary down two checks in three (5-minute ticks): every message and when. */
  const sixHours = (opinion: Health.SecondOpinion, p: Partial<Health.Policy> = {}) => {
    let s = Health.emptyState("primary");
    const sent: { at: number; kind: string }[] = [];
    const t0 = Date.parse(tick);
    for (let n = 0; n < 72; n++) {
      const t = new Date(t0 + n * 300_000).toISOString();
      const at = new Date(Date.parse(t) + 30_000);
      const d = Health.decide(s, { tick: t, evidence: evidence("DDU"[n % 3] === "U", t), secondOpinion: opinion }, { ...policy, ...p }, at);
      if (d.kind !== "write") continue;
      sent.push(...d.notify.map((x) => ({ at: at.getTime(), kind: x.kind })));
      s = { ...d.next, outbox: [] };
      // The second opinion confirmed and a run started: let it be refused, so the monitor keeps watching.
      if (d.start) s = { ...s, incident: { ...s.incident!, startedAt: at.toISOString(), executionArn: `arn:${d.start.name}` } };
    }
    const inAnyHour = (kinds: string[]) => {
      const some = sent.filter((m) => kinds.includes(m.kind));
      return Math.max(0, ...some.map((m) => some.filter((o) => o.at > m.at - 3_600_000 && o.at <= m.at).length));
    };
    return { sent, perHour: inAnyHour(["health.degraded", "health.recovered"]), allPerHour: inAnyHour(sent.map((m) => m.kind)), state: s };
  };

  it("sends at most 2 health messages in any hour about a primary down two checks in three for six hours (the second opinion disagreeing)", () => {
    const { sent, perHour, allPerHour, state: after } = sixHours(disagrees);
    expect(perHour).toBeLessThanOrEqual(2);
    // The one "failover withheld" of the incident comes on top, never held back.
    expect(sent.filter((m) => m.kind === "failover.withheld")).toHaveLength(1);
    expect(allPerHour).toBeLessThanOrEqual(3);
    expect(after.incident).toMatchObject({ trigger: "availability", action: "failover" });
    expect(after.incident?.execution).toBeUndefined();
    // Without the limit the same six hours would send 8 an hour.
    expect(sixHours(disagrees, { noticesPerHour: 12 }).perHour).toBe(8);
  });

  it("fails that primary over once an hour's availability is below the floor, when the second opinion agrees", () => {
    const { state: after } = sixHours(confirms);
    expect(after.incident).toMatchObject({ trigger: "availability", openedAt: "2026-11-28T07:00:30.000Z" });
    expect(after.incident?.startedAt).toBe("2026-11-28T07:00:30.000Z");
  });
});

describe("an incident the monitor closes itself", () => {
  const refused: Health.AttemptRecord = { attempt: 1, name: "failover-primary-20261128T055000Z", status: "FAILED", error: "FailoverLockedError", endedAt: earlier };
  it.each([
    ["withheld, and the primary healthy again", pendingIncident({ withheldAt: earlier }), "U", true],
    ["withheld, but availability still below the floor", pendingIncident({ withheldAt: earlier }), "DDU", false],
    ["refused and waiting to re-drive, the primary healthy again", pendingIncident({ attempt: 2, nextAttemptAt: "2026-11-28T06:05:00Z", history: [refused] }), "U", true],
    ["with a running execution", openIncident({ startedAt: earlier }), "U", false],
    ["a recommendation", pendingIncident({ action: "recommend" }), "U", false],
    ["resolved", openIncident({ startedAt: earlier, resolution: { kind: "failed-over", at: earlier, detail: "done" } }), "U", false],
  ] as const)("%s: closed %s", (_name, incident, pattern, closes) => {
    const d = written(run(watched(history(pattern, 11), { consecutiveFailures: 2, incident }), true));
    expect(d.archive !== undefined).toBe(closes);
    expect(d.next.incident === undefined).toBe(closes);
    if (closes) expect(d.archive).toMatchObject({ id: incident.id, closedBy: "health-monitor", closedAt: now.toISOString(), failuresAtClose: 2 });
  });
});

describe("following the incident's execution", () => {
  const arn = "arn:aws:states:eu-central-1:123456789012:execution:pilot-light-test-failover:failover-primary-20261128T055000Z";
  const running = (over: Partial<Health.Incident> = {}) => state({ consecutiveFailures: 5, incident: openIncident({ startedAt: earlier, executionArn: arn, ...over }) });
  const view = (status: string, error?: string): Health.ExecutionView => ({ executionArn: arn, status, ...(error ? { error, cause: `${error}: why` } : {}) });
  const follow = (s: Health.HealthState, v: Health.ExecutionView, lock?: Health.LockView, p: Partial<Health.Policy> = {}) => Health.followExecution(s, v, lock, { ...policy, ...p }, now);
  const future = Math.floor(now.getTime() / 1000) + 3600;

  it.each([
    ["succeeded: the failover is done", "SUCCEEDED", undefined, "failed-over"],
    ["timed out (it may have promoted)", "TIMED_OUT", undefined, "needs-operator"],
    ["had its input rejected", "FAILED", "ValidationError", "needs-operator"],
    ["was aborted by a person", "ABORTED", undefined, "aborted"],
  ] as const)("stands down without a message of its own when the execution %s", (_name, status, error, kind) => {
    const r = follow(running(), view(status, error));
    expect(r?.next.incident?.resolution?.kind).toBe(kind);
    expect(r?.next.incident?.history).toEqual([{ attempt: 1, name: "failover-primary-20261128T055000Z", status, ...(error ? { error } : {}), endedAt: now.toISOString() }]);
    expect(r?.notify).toEqual([]);
  });

  it.each([
    ["refused: a drill holds the lock", "FailoverLockedError", { owner: "drill-test-20261128T055500Z", mode: "drill", expiresAt: future }],
    ["refused: the lock left by a failover whose lock expired", "FailoverLockedError", { owner: "failover-old", mode: "failover", expiresAt: future - 7200 }],
    ["refused: the lock still held by its own earlier attempt", "FailoverLockedError", { owner: "failover-primary-20261128T055000Z", mode: "failover", expiresAt: future }],
    ["refused: the lock free again by the time the monitor looked", "FailoverLockedError", undefined],
    ["refused: replica lag over the RPO budget", "RpoBudgetExceededError", undefined],
    ["refused: the replica not ready past the retry cap", "ReplicaNotReadyError", undefined],
    ["refused: the lock could not be taken (throttled)", "AwsTransientError", undefined],
    ["rolled back: DR never got healthy", "DrUnhealthyError", undefined],
  ] as const)("re-drives after a run %s", (_name, error, lock) => {
    const r = follow(running(), view("FAILED", error), lock);
    expect(r?.next.incident).toMatchObject({ attempt: 2, nextAttemptAt: "2026-11-28T06:05:30.000Z", executionArn: arn, startAttempts: 0 });
    expect(r?.next.incident?.history).toEqual([expect.objectContaining({ attempt: 1, status: "FAILED", error })]);
    expect(r?.next.incident?.execution).toBeUndefined();
    expect(r?.next.incident?.startedAt).toBeUndefined();
    expect(r?.next.incident?.resolution).toBeUndefined();
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.redrive"]);
    expect(r?.notify[0]?.subject).toBe("[pilot-light test] failover attempt 1 ended before promotion: retry 2/4");
    expect(r?.notify[0]?.body).toContain("starts attempt 2 of 4 at the first failed check from 2026-11-28T06:05:30.000Z (in 5 min)");
    expect(r?.next.outbox.map((n) => n.kind)).toEqual(["failover.redrive"]);
  });

  it("keeps owning the incident when a run promoted but ended NeedsOperator (users not served): re-drives it, saying so", () => {
    const r = follow(running(), view("FAILED", "NeedsOperator"));
    expect(r?.next.incident).toMatchObject({ attempt: 2, nextAttemptAt: "2026-11-28T06:05:30.000Z", startAttempts: 0 });
    expect(r?.next.incident?.resolution).toBeUndefined();
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.redrive"]);
    expect(r?.notify[0]?.subject).toBe("[pilot-light test] failover attempt 1 promoted but does not serve yet: retry 2/4");
    expect(r?.notify[0]?.body).toContain("finds the database promoted, skips the promotion and finishes serving");
  });

  it("re-drives a run that ended NeedsOperator once only: the second NeedsOperator stands down with one message naming the commands to run", () => {
    const first = follow(running(), view("FAILED", "NeedsOperator"));
    expect(first?.notify.map((n) => n.kind)).toEqual(["failover.redrive"]);
    expect(first?.notify[0]?.body).toContain("if that run ends NeedsOperator too, the monitor stops");
    // Attempt 2 started, then ended NeedsOperator too.
    const arn2 = `${arn}-2`;
    const second = { ...first!.next, incident: { ...first!.next.incident!, execution: { ...openIncident().execution!, name: "failover-primary-20261128T055000Z-2" }, startedAt: now.toISOString(), executionArn: arn2 } };
    const r = follow(second, { ...view("FAILED", "NeedsOperator"), executionArn: arn2 });
    expect(r?.next.incident?.resolution?.kind).toBe("needs-operator");
    expect(r?.next.incident?.attempt).toBe(2);
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.abandoned"]);
    expect(r?.notify[0]?.subject).toBe("[pilot-light test] failover promoted but still not serving after a re-drive: operator needed");
    expect(r?.notify[0]?.body).toContain("pnpm dr status --stage test");
    expect(r?.notify[0]?.body).toContain('pnpm dr failover --stage test --reason "finish after NeedsOperator" --yes');
    // Stood down: the incident's later ends are not followed again.
    expect(follow(r!.next, { ...view("FAILED", "NeedsOperator"), executionArn: arn2 })).toBeUndefined();
  });

  it("re-drives a NeedsOperator after runs that ended before any promotion (a refusal is no sign a re-drive cannot finish serving)", () => {
    const history: Health.AttemptRecord[] = [{ attempt: 1, name: "failover-primary-20261128T055000Z", status: "FAILED", error: "RpoBudgetExceededError", endedAt: earlier }];
    const r = follow(running({ attempt: 2, history }), view("FAILED", "NeedsOperator"));
    expect(r?.next.incident).toMatchObject({ attempt: 3 });
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.redrive"]);
  });

  it("gives up, telling people, when the last attempt also ended NeedsOperator", () => {
    const r = follow(running({ attempt: 4 }), view("FAILED", "NeedsOperator"));
    expect(r?.next.incident?.resolution?.kind).toBe("gave-up");
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.abandoned"]);
  });

  it.each([
    [1, {}, 5],
    [2, {}, 10],
    [3, {}, 20],
    [2, { redriveBackoffMs: 20 * 60_000, maxAttempts: 10 }, 30],
  ] as const)("waits longer before each re-drive: after attempt %i (%j), %i minutes", (attempt, p, minutes) => {
    const r = follow(running({ attempt }), view("FAILED", "RpoBudgetExceededError"), undefined, p);
    expect(Date.parse(r?.next.incident?.nextAttemptAt ?? "") - now.getTime()).toBe(minutes * 60_000);
  });

  it("gives up after the last attempt and says so, once", () => {
    const history: Health.AttemptRecord[] = [1, 2, 3].map((n) => ({ attempt: n, name: Health.attemptName("primary-20261128T055000Z", n), status: "FAILED", error: "RpoBudgetExceededError", endedAt: earlier }));
    const r = follow(running({ attempt: 4, history, execution: { ...openIncident().execution!, name: "failover-primary-20261128T055000Z-4" } }), view("FAILED", "RpoBudgetExceededError"));
    expect(r?.next.incident?.resolution?.kind).toBe("gave-up");
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.abandoned"]);
    expect(r?.notify[0]?.body).toContain("attempt 4: failover-primary-20261128T055000Z-4 FAILED (RpoBudgetExceededError)");
    expect(follow(r!.next, view("FAILED", "RpoBudgetExceededError"))).toBeUndefined();
  });

  it("follows another failover that holds the lock instead of fighting it, and stands down when it succeeds", () => {
    const lock: Health.LockView = { owner: "failover-test-20261128T055900Z", mode: "failover", expiresAt: future };
    const r = follow(running(), view("FAILED", "FailoverLockedError"), lock);
    const otherArn = arn.replace(/:failover-primary-20261128T055000Z$/, ":failover-test-20261128T055900Z");
    expect(r?.next.incident).toMatchObject({ followed: "failover-test-20261128T055900Z", executionArn: otherArn, attempt: 1 });
    expect(r?.notify.map((n) => n.kind)).toEqual(["failover.following"]);
    expect(Health.needsSecondOpinion(r!.next, { tick, evidence: evidence(false) }, policy, now)).toBe(false);
    const done = follow(r!.next, { executionArn: otherArn, status: "SUCCEEDED" });
    expect(done?.next.incident?.resolution).toMatchObject({ kind: "failed-over", detail: "execution failover-test-20261128T055900Z succeeded" });
  });

  it.each([
    ["still running", running(), view("RUNNING")],
    ["about another execution", running(), { ...view("SUCCEEDED"), executionArn: `${arn}-other` }],
    ["for an incident already resolved", running({ resolution: { kind: "failed-over", at: earlier, detail: "done" } }), view("FAILED", "X")],
    ["for an attempt not started", state({ incident: pendingIncident({ executionArn: arn }) }), view("FAILED", "X")],
    ["with no incident open", state(), view("FAILED", "X")],
  ] as const)("changes nothing when the view is %s", (_name, s, v) => {
    expect(follow(s, v)).toBeUndefined();
  });
});

describe("re-driving", () => {
  const refused: Health.AttemptRecord = { attempt: 1, name: "failover-primary-20261128T055000Z", status: "FAILED", error: "RpoBudgetExceededError", endedAt: earlier };
  const waiting = (over: Partial<Health.Incident> = {}) =>
    state({ consecutiveFailures: 6, incident: pendingIncident({ attempt: 2, nextAttemptAt: "2026-11-28T06:00:00Z", history: [refused], lastHealthyAt: "2026-11-28T05:40:00Z", ...over }) });

  it("starts the next attempt under its own deterministic name at the first failed check once due", () => {
    const d = written(run(waiting(), false));
    expect(d.start?.name).toBe("failover-primary-20261128T055000Z-2");
    expect(d.start?.input.reason).toMatch(/^Route 53 health checkers confirm.*\. Attempt 2 of 4 \(attempt 1 ended FAILED RpoBudgetExceededError\)\. r$/);
    expect(d.start?.input.lastHealthyAt).toBe("2026-11-28T05:40:00Z");
    expect(d.next.incident).toMatchObject({ startAttempts: 1, execution: { name: "failover-primary-20261128T055000Z-2" } });
    expect(d.next.incident?.nextAttemptAt).toBeUndefined();
    expect(Failover.FailoverInput.safeParse(d.start?.input).success).toBe(true);
  });

  it.each([
    ["before its time", waiting({ nextAttemptAt: "2026-11-28T06:10:00Z" }), false],
    ["at a passing check", waiting(), true],
  ] as const)("starts nothing %s", (_name, s, ok) => {
    expect(written(run(s, ok)).start).toBeUndefined();
  });

  it("repairs a re-drive's start with that attempt's name, not the first one's", () => {
    const claimed = written(run(waiting(), false)).next;
    const failedStart = Health.recordStart(claimed, { incidentId: "primary-20261128T055000Z", ...claimed.incident!.execution! }, { ok: false, error: "ThrottlingException: slow down" }, now);
    const repair = written(run(failedStart!.next, false, {}, tick, null));
    expect(repair.start?.name).toBe("failover-primary-20261128T055000Z-2");
    expect(repair.start?.input).toEqual(claimed.incident?.execution?.input);
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
    ["moved on to its next attempt", state({ incident: openIncident({ attempt: 2, execution: { ...openIncident().execution!, name: "failover-primary-20261128T055000Z-2" } }) })],
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

  it("closing archives the incident and resets the count and the window so a new one needs fresh failures", () => {
    const s = state({ consecutiveFailures: 7, incident: openIncident({ startedAt: earlier }), recent: history("D", 7), windowSince: earlier });
    const { next, archived } = Health.decideClose(s, { incidentId: "primary-20261128T055000Z", closedBy: "alice" }, now);
    expect(next.incident).toBeUndefined();
    expect(next.consecutiveFailures).toBe(0);
    expect(next.recent).toEqual([]);
    expect(next.windowSince).toBeUndefined();
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
