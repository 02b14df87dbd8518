import { describe, expect, it } from "vitest";
import { Failback, Failover, Health } from "@pilot-light/core";
import type { Database, Compute } from "@pilot-light/core";

const run = (over: Partial<Failover.Run> = {}): Failover.Run => ({
  mode: "failover",
  reason: "primary down",
  requestedBy: "health-monitor",
  incidentId: "inc-1",
  options: { switchDns: true, acknowledgeRpoBreach: false },
  executionName: "exec-1",
  startedAt: "2026-01-01T03:00:00.000Z",
  ...over,
});
const primary = { identifier: "app-primary", arn: "arn:aws:rds:eu-west-1:1:db:app-primary" };
const replica = (over: Partial<Database.ReplicaState> = {}): Database.ReplicaState => ({
  identifier: "app-replica",
  status: "available",
  sourceIdentifier: primary.arn,
  backupRetentionDays: 1,
  ...over,
});
const service: Compute.ServiceState = { cluster: "c", service: "s", status: "ACTIVE", desired: 0, running: 0, pending: 0, taskDefinition: "td", deployments: 1 };
const settings = { primary, rpoBudgetSeconds: 60, drTaskCount: 2, pilotTaskCount: 0, dnsConfigured: true };
const now = new Date("2026-01-01T03:00:05Z");
const assess = (r: Failover.Run, obs: Partial<Failover.PreflightObservations>) =>
  Failover.assessPreflight(r, { replica: replica(), lagSeconds: 1, service, problems: [], ...obs }, settings, now);

describe("failover input", () => {
  it("accepts the health monitor's input and fills the option defaults", () => {
    const parsed = Failover.FailoverInput.parse({ mode: "failover", reason: "3 strikes", requestedBy: "health-monitor", incidentId: "inc-42" });
    expect(parsed.options).toEqual({ switchDns: true, acknowledgeRpoBreach: false });
  });

  it.each([
    [{ reason: "r", requestedBy: "x" }, "mode"],
    [{ mode: "failover", reason: " ", requestedBy: "x" }, "reason"],
    [{ mode: "drill", reason: "r" }, "requestedBy"],
    [{ mode: "drill", reason: "r", requestedBy: "x", options: { ackRpo: true } }, "options"],
    [{ mode: "failover", reason: "r", requestedBy: "x", option: { acknowledgeRpoBreach: true } }, "option"],
    [{ mode: "failover", reason: "r", requestedBy: "x", acknowledgeRpoBreach: true }, "acknowledgeRpoBreach"],
    [{ mode: "drill", reason: "r", requestedBy: "x", incidentId: "a/b" }, "incidentId"],
  ])("rejects %j naming %s", (input, field) => {
    const result = Failover.FailoverInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join(".") || i.message).join(" ")).toContain(field);
  });

  it.each([
    ["zero-width spaces", "\u200B\u200B\u200B"],
    ["a BOM and joiners", "\uFEFF\u200D\u200C\u2060"],
    ["bidi marks and a no-break space", "\u200E\u200F\u00A0"],
    ["a Hangul filler and a Braille blank", "\u3164\u2800"],
    ["a lone combining mark", "\u0301"],
  ])("rejects a reason or requestedBy made only of invisible characters (%s), in both state machines' inputs", (_what, text) => {
    for (const field of ["reason", "requestedBy"]) {
      const failover = Failover.FailoverInput.safeParse({ mode: "failover", reason: "r", requestedBy: "x", [field]: text });
      expect(failover.success, `failover ${field}`).toBe(false);
      expect(failover.error?.issues.map((i) => i.path.join(".")).join(" ")).toContain(field);
      const failback = Failback.FailbackInput.safeParse({ mode: "switchback", reason: "r", requestedBy: "x", [field]: text });
      expect(failback.success, `failback ${field}`).toBe(false);
      expect(failback.error?.issues.map((i) => i.path.join(".")).join(" ")).toContain(field);
    }
  });

  it("accepts text with visible characters among invisible ones, in any script", () => {
    expect(Failover.FailoverInput.safeParse({ mode: "drill", reason: "\u200Bmonthly drill\u200B", requestedBy: "Zoë 王" }).success).toBe(true);
    expect(Failback.FailbackInput.safeParse({ mode: "switchback", reason: "planned", requestedBy: "オペレーター" }).success).toBe(true);
  });

  it("accepts every input the health monitor can send (longest reason, its incident id format)", () => {
    const request: Health.FailoverRequest = {
      mode: "failover",
      reason: "x".repeat(500),
      requestedBy: "health-monitor",
      incidentId: Health.incidentIdFor("primary", "2026-11-28T06:00:00.000Z"),
    };
    expect(Health.FailoverRequest.parse(request)).toEqual(request);
    expect(Failover.FailoverInput.safeParse(request).success).toBe(true);
  });

  it("derives the incident id from the execution when none is given", () => {
    const r = Failover.normalizeRun({ input: Failover.FailoverInput.parse({ mode: "drill", reason: "r", requestedBy: "me" }), executionName: "drill-7", startedAt: "t" });
    expect(r.incidentId).toBe("drill-drill-7");
  });
});

describe("preflight decision", () => {
  it("goes when the replica is available, replicating from the primary, and lag is within budget", () => {
    const report = assess(run(), {});
    expect(report.blockers).toEqual([]);
    expect(report.wouldProceed).toBe(true);
    expect(report.dns.willSwitch).toBe(true);
  });

  it.each([
    ["backing-up", "RDS refuses to promote during a backup"],
    ["modifying", "not available"],
  ])("blocks a replica in %s", (status, text) => {
    expect(assess(run(), { replica: replica({ status }) }).blockers.join()).toContain(text);
  });

  it("blocks a replica of another primary", () => {
    expect(assess(run(), { replica: replica({ sourceIdentifier: "arn:aws:rds:eu-west-1:1:db:other" }) }).blockers.join()).toContain("not the configured primary");
  });

  it("accepts the primary named by identifier instead of ARN", () => {
    expect(assess(run(), { replica: replica({ sourceIdentifier: "app-primary" }) }).blockers).toEqual([]);
  });

  it("does not promote when replica lag exceeds the budget", () => {
    expect(() => Failover.enforcePreflight(assess(run(), { lagSeconds: 61 }))).toThrow(Failover.RpoBudgetExceededError);
  });

  it("proceeds over budget when the breach is acknowledged", () => {
    const report = assess(run({ options: { switchDns: true, acknowledgeRpoBreach: true } }), { lagSeconds: 600 });
    expect(report.blockers).toEqual([]);
    expect(report.lag).toMatchObject({ seconds: 600, withinBudget: false, acknowledged: true });
  });

  it("treats unknown lag as over budget", () => {
    expect(assess(run(), { lagSeconds: null }).blockers.join()).toContain("unknown");
  });

  it("ignores lag in a drill (nothing is promoted)", () => {
    expect(assess(run({ mode: "drill" }), { lagSeconds: 900 }).blockers).toEqual([]);
  });

  it("refuses a drill once the database is promoted", () => {
    const report = assess(run({ mode: "drill" }), { replica: replica({ sourceIdentifier: null }) });
    expect(() => Failover.enforcePreflight(report)).toThrow(Failover.PreflightFailedError);
  });

  it("treats an already-promoted database as nothing to promote in a failover, whatever the lag", () => {
    const report = assess(run(), { replica: replica({ sourceIdentifier: null }), lagSeconds: null });
    expect(report.blockers).toEqual([]);
    expect(report.alreadyPromoted).toBe(true);
    expect(report.plan[0]).toContain("already promoted");
  });

  it("reports missing resources as blockers and fails with PreflightFailedError", () => {
    const report = assess(run(), { service: null, problems: ["ECS service s not found"] });
    expect(() => Failover.enforcePreflight(report)).toThrow(Failover.PreflightFailedError);
  });

  it("returns blockers in a dry-run instead of throwing", () => {
    const report = Failover.enforcePreflight(assess(run({ mode: "dry-run" }), { lagSeconds: 999 }));
    expect(report.wouldProceed).toBe(false);
  });

  it("refuses a failover on a record that is not a failover pair with RecordNotFailoverPairError, before anything changes, also while the replica is only backing up", () => {
    const notPair = "no PRIMARY failover record app.example.com (SetIdentifier \"primary\") in zone Z1: ... --apply-adoption";
    for (const obs of [{}, { replica: replica({ status: "backing-up" }) }]) {
      const report = assess(run(), { ...obs, recordNotPair: notPair });
      expect(report.blockers[0]).toBe(`DNS: ${notPair}`);
      expect(() => Failover.enforcePreflight(report)).toThrow(Failover.RecordNotFailoverPairError);
    }
    // A dry-run reports it as its first blocker.
    const dryRun = Failover.enforcePreflight(assess(run({ mode: "dry-run" }), { recordNotPair: notPair }));
    expect(dryRun).toMatchObject({ wouldProceed: false, blockers: [`DNS: ${notPair}`] });
  });

  it.each(["backing-up", "modifying", "rebooting"])("waits (ReplicaNotReadyError, retryable) while the replica is only %s", (status) => {
    const report = assess(run(), { replica: replica({ status }) });
    expect(report.notReady).toEqual(report.blockers);
    expect(() => Failover.enforcePreflight(report)).toThrow(Failover.ReplicaNotReadyError);
  });

  it.each(["stopped", "storage-full", "incompatible-parameters"])("fails (terminal) for a replica that is %s: a person must act", (status) => {
    expect(() => Failover.enforcePreflight(assess(run(), { replica: replica({ status }) }))).toThrow(Failover.PreflightFailedError);
  });

  it("fails a backing-up replica terminally when something else is also wrong", () => {
    const report = assess(run(), { replica: replica({ status: "backing-up" }), service: null, problems: ["ECS service s not found"] });
    expect(() => Failover.enforcePreflight(report)).toThrow(Failover.PreflightFailedError);
  });

  it("asks for an acknowledgement (not a wait) when the lag breaches the budget during a backup", () => {
    expect(() => Failover.enforcePreflight(assess(run(), { replica: replica({ status: "backing-up" }), lagSeconds: 300 }))).toThrow(Failover.RpoBudgetExceededError);
  });

  it("proceeds on the last valid lag measured 12 minutes ago (replication stopped with the outage), reporting its age", () => {
    const observedAt = new Date(now.getTime() - 12 * 60_000).toISOString();
    const report = assess(run(), { lagSeconds: 1.5, lagObservedAt: observedAt });
    expect(report.blockers).toEqual([]);
    expect(report.lag).toMatchObject({ seconds: 1.5, observedAt, ageSeconds: 720, withinBudget: true });
  });

  it("refuses when the last known lag itself breaches the budget, naming its age", () => {
    const report = assess(run(), { lagSeconds: 75, lagObservedAt: new Date(now.getTime() - 600_000).toISOString() });
    expect(report.blockers.join()).toContain("75 s (measured 600 s ago) is above the RPO budget");
  });

  it("names the lookback when no valid lag datapoint exists in it", () => {
    const report = Failover.assessPreflight(run(), { replica: replica(), lagSeconds: null, service, problems: [] }, { ...settings, lagLookbackSeconds: 3664 }, now);
    expect(report.blockers.join()).toContain("no valid ReplicaLag datapoint in the last 61 minutes");
  });

  it("looks back far enough for detection, a backup wait and a margin, and at least an hour", () => {
    expect(Failover.retryBudgetSeconds(Failover.notReadyRetry)).toBe(2164);
    expect(Failover.lagLookbackSeconds({ periodSeconds: 300, failureThreshold: 3 })).toBe(4 * 300 + 2164 + 300);
    expect(Failover.lagLookbackSeconds({ periodSeconds: 60, failureThreshold: 4 })).toBe(3600);
    expect(Failover.lagLookbackSeconds({ periodSeconds: 3600, failureThreshold: 3 })).toBe(4 * 3600 + 2164 + 300);
  });

  it("does not plan a DNS switch when the operator opts out", () => {
    expect(assess(run({ options: { switchDns: false, acknowledgeRpoBreach: false } }), {}).dns.willSwitch).toBe(false);
  });
});

describe("outcome and notifications", () => {
  const objectives: Failover.Objectives = { rtoTargetSeconds: 600, rpoBudgetSeconds: 60, drPilotTaskCount: 0 };
  const state: Failover.FailoverState = {
    run: run(),
    preflight: assess(run(), { lagSeconds: 2 }),
    recovery: {
      promotion: { identifier: "r", status: "available", writable: true, alreadyPromoted: false, requestedAt: "2026-01-01T03:00:10.000Z", writableAt: "2026-01-01T03:05:10.000Z", attempts: 20 },
      service: { cluster: "c", service: "s", targetCount: 2, previousDesired: 0, desired: 2, running: 2, healthyTargets: 2, stable: true, requestedAt: "2026-01-01T03:00:10.000Z", stableAt: "2026-01-01T03:01:25.000Z", attempts: 5 },
    },
    health: { url: "u", status: 200, verifiedAt: "2026-01-01T03:05:12.000Z", latencyMs: 20 },
    dns: { leftToHealthChecks: true, detail: "AwsTransientError: route53 down" },
    fence: { fenced: false, region: "eu-west-1", detail: "unreachable", at: "2026-01-01T03:05:13.000Z" },
  };

  it("measures RTO from execution start to DR healthy and takes the decision-time lag as RPO", () => {
    const o = Failover.summarizeOutcome(state, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives);
    expect(o.rtoSeconds).toBe(312);
    expect(o.rpoSeconds).toBe(2);
    expect(o.dns).toBe("left-to-health-checks");
    expect(o.phases.map((p) => p.name)).toEqual(["Preflight", "PromoteReplica", "ScaleDrService", "VerifyDrHealth", "FencePrimary"]);
  });

  it("judges RTO and RPO against the stage's targets, from the execution's start when the outage start is unknown", () => {
    const o = Failover.summarizeOutcome(state, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives);
    expect(o.targets).toEqual({
      rto: { targetSeconds: 600, actualSeconds: 312, measuredFrom: "execution-start", met: true },
      rpo: { budgetSeconds: 60, actualSeconds: 2, met: true },
    });
    expect(o.orchestrationSeconds).toBe(314);
  });

  it("measures RTO from the monitor's last passing check when it sent one, and says what dominates", () => {
    const monitored = { ...state, run: { ...state.run, lastHealthyAt: "2026-01-01T02:48:00.000Z" } };
    const o = Failover.summarizeOutcome(monitored, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives);
    expect(o.rtoSeconds).toBe(1032);
    expect(o.targets.rto).toMatchObject({ measuredFrom: "last-healthy-check", met: false });
    expect(o.advice[0]).toMatch(/^detection is 70 % of RTO \(12 min\): a faster health profile/);
    expect(o.advice[1]).toMatch(/^promotion is 29 % of RTO/);
  });

  it.each([
    ["the fast profile (rate(1 minute), 4 strikes): no faster profile to name", { scheduleMinutes: 1, failureThreshold: 4 }, null],
    ["rate(2 minutes) with 3 strikes: the faster profile, against its own 4-6 minutes", { scheduleMinutes: 2, failureThreshold: 3 }, /a faster health profile .* instead of 4-6$/],
    ["the default profile: the faster profile, against 10-15 minutes", { scheduleMinutes: 5, failureThreshold: 3 }, /a faster health profile .* instead of 10-15$/],
  ] as const)("advises on detection from the profile the stage runs: %s", (_what, detectionProfile, named) => {
    const monitored = { ...state, run: { ...state.run, lastHealthyAt: "2026-01-01T02:48:00.000Z" } };
    const o = Failover.summarizeOutcome(monitored, "succeeded", new Date("2026-01-01T03:05:14Z"), { ...objectives, detectionProfile });
    const detection = o.advice.find((line) => line.startsWith("detection is"));
    if (named === null) expect(detection).toBeUndefined();
    else expect(detection).toMatch(named);
  });

  it("reads the stage's health profile from the step Lambdas' settings: the detection period with its strikes, or not at all (FAILURE_THRESHOLD alone is the monitor's)", () => {
    const env = { RTO_TARGET_SECONDS: "600", RPO_BUDGET_SECONDS: "60", DR_PILOT_TASK_COUNT: "0" };
    expect(Failover.readObjectives({ ...env, DETECTION_PERIOD_SECONDS: "120", FAILURE_THRESHOLD: "3" }).detectionProfile).toEqual({ scheduleMinutes: 2, failureThreshold: 3 });
    expect(Failover.readObjectives(env).detectionProfile).toBeUndefined();
    expect(Failover.readObjectives({ ...env, FAILURE_THRESHOLD: "3" }).detectionProfile).toBeUndefined();
    expect(() => Failover.readObjectives({ ...env, DETECTION_PERIOD_SECONDS: "120" })).toThrow(/FAILURE_THRESHOLD/);
  });

  it("puts the stage in every subject and the targets in the body", () => {
    const o = Failover.summarizeOutcome(state, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives);
    const assessment = { promotionStarted: false, needsOperator: false, detail: "nothing promoted" };
    const failedState = { ...state, preflight: assess(run(), { lagSeconds: 300 }), failure: { step: "Preflight", error: "RpoBudgetExceededError", cause: "lag 300 s" } };
    const messages = [
      Failover.Notifications.started(state, "prod"),
      Failover.Notifications.succeeded(state, o, "prod"),
      Failover.Notifications.failed(failedState, assessment, "prod", Failover.summarizeOutcome(failedState, "rolled-back", new Date(), objectives)),
    ];
    for (const m of messages) expect(m.subject).toMatch(/^\[pilot-light prod\] /);
    expect(messages[1]!.body).toContain("RTO 312 s (from the execution's start; detection not included), target 600 s: met");
    expect(messages[2]!.body).toMatch(/What to change:\n {2}- preflight refused: lag 300 s; or find the write burst/);
  });

  it("names the health path the drill verified (the stage's own), not a fixed one", () => {
    const drill = { ...state, run: { ...state.run, mode: "drill" as const }, health: { url: "https://eu-central-1.shop.io/healthz", status: 200, verifiedAt: "2026-01-01T03:05:12.000Z", latencyMs: 40 } };
    const body = Failover.Notifications.succeeded(drill, Failover.summarizeOutcome(drill, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives), "prod").body;
    expect(body).toContain("reached its full size and answered /healthz, then went back to pilot light");
  });

  it("starts verification when the slower of promotion and scaling finished", () => {
    const o = Failover.summarizeOutcome(state, "succeeded", new Date("2026-01-01T03:05:14Z"), objectives);
    expect(o.phases.find((p) => p.name === "VerifyDrHealth")).toEqual({ name: "VerifyDrHealth", startedAt: "2026-01-01T03:05:10.000Z", endedAt: "2026-01-01T03:05:12.000Z" });
  });

  it("names the inner step of a failed Parallel branch", () => {
    expect(Failover.Notifications.failedStep({ step: "PromoteAndScale", error: "AccessDeniedException", cause: "CheckDrService: denied" })).toBe("CheckDrService");
    expect(Failover.Notifications.failedStep({ step: "Preflight", error: "X", cause: "lag too high" })).toBe("Preflight");
  });

  it("shows a Lambda error's message, not Step Functions' JSON envelope", () => {
    const cause = `CheckDrService: ${JSON.stringify({ errorType: "AccessDeniedException", errorMessage: "not authorized", trace: ["at x"] })}`;
    expect(Failover.Notifications.describeCause(cause)).toBe("not authorized");
    expect(Failover.Notifications.describeCause("plain words")).toBe("plain words");
  });

  it("tells the operator what to do after a failover that could not switch DNS or fence", () => {
    const body = Failover.Notifications.succeeded(state, Failover.summarizeOutcome(state, "succeeded", new Date(), objectives), "prod").body;
    expect(body).toContain("NOT switched");
    expect(body).toContain("NOT fully fenced (unreachable)");
    expect(body).toContain("health monitor completes the fence");
    expect(body).toContain("activeRegion");
  });

  it("tells an adopting stage's team when the DR service started pilot-light's own definition, never a mirror of theirs, and which mirror it started otherwise", () => {
    const withApp = (application: NonNullable<Failover.FailoverState["recovery"]>["service"]["application"]) => ({
      ...state,
      recovery: { ...state.recovery!, service: { ...state.recovery!.service, application } },
    });
    const notMirrored = withApp({ family: "pl-shop-web-mirror", taskDefinition: "arn:td/pl-shop-web:1", mirrored: false, replaced: null });
    const success = Failover.Notifications.succeeded(notMirrored, Failover.summarizeOutcome(notMirrored, "succeeded", new Date(), objectives), "shop").body;
    expect(success).toContain("Application: NOT YOURS. The DR service started arn:td/pl-shop-web:1, pilot-light's own task definition: pl-shop-web-mirror has no revision in this region");
    expect(success).toContain("pnpm dr readiness --stage shop");
    const stuck = Failover.Notifications.failed({ ...notMirrored, failure: { step: "VerifyDrHealth", error: "DrUnhealthyError", cause: "503" } }, { promotionStarted: true, needsOperator: true, detail: "promoted" }, "shop").body;
    expect(stuck).toContain("Application: NOT YOURS.");
    const mirrored = withApp({ family: "pl-shop-web-mirror", taskDefinition: "arn:td/pl-shop-web-mirror:4", mirrored: true, replaced: "arn:td/pl-shop-web:1" });
    const body = Failover.Notifications.succeeded(mirrored, Failover.summarizeOutcome(mirrored, "succeeded", new Date(), objectives), "shop").body;
    expect(body).toContain("Application: the DR service runs arn:td/pl-shop-web-mirror:4, the mirror of your task definition (it ran arn:td/pl-shop-web:1, as a deploy of the stage leaves it: set in the scale-up).");
    expect(Failover.Notifications.succeeded(state, Failover.summarizeOutcome(state, "succeeded", new Date(), objectives), "prod").body).not.toContain("Application:");
  });

  it("says a promotion cannot be undone when an operator is needed", () => {
    const n = Failover.Notifications.failed({ ...state, failure: { step: "VerifyDrHealth", error: "DrUnhealthyError", cause: "503" } }, { promotionStarted: true, needsOperator: true, detail: "promoted" }, "prod");
    expect(n.kind).toBe("failover.needs-operator");
    expect(n.subject).toContain("VerifyDrHealth");
    expect(n.body).toContain("cannot be undone");
  });

  it("tells people a failover stood down when the primary answered again, and that nothing was promoted", () => {
    const failure = { step: "PromoteAndScale", error: "PrimaryRecoveredError", cause: "PromoteReplica: the primary answered again" };
    const assessment = { promotionStarted: false, needsOperator: false, detail: "no promotion was requested" };
    expect(Failover.failureStatus({ assessment, failure })).toBe("stood-down");
    const n = Failover.Notifications.failed({ ...state, failure }, assessment, "prod");
    expect(n.kind).toBe("failover.stood-down");
    expect(n.subject).toContain("stood down at PromoteReplica");
    expect(n.body).toContain("Nothing was promoted");
  });

  it("names a pre-empted drill in the start notice", () => {
    const preempted = { ...state, lock: { acquired: true, owner: "exec-1", at: "t", preempted: { owner: "drill-7", executionArn: null, at: "t", status: "RUNNING" } } };
    expect(Failover.Notifications.started(preempted, "prod").body).toContain("Pre-empted drill drill-7");
  });
});

describe("compensation's judgement of a promotion", () => {
  const at = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
  it.each([
    ["no marker, still a replica: roll back", { promotionRequested: false, known: true }, replica(), false, true],
    ["no source any more: started", { promotionRequested: false, known: true }, replica({ sourceIdentifier: null }), true, true],
    ["the lock is not ours: assume started", { promotionRequested: true, known: false }, replica(), true, true],
    ["a marker and RDS modifying: started", { promotionRequested: true, known: true, lastRequestedAt: at(30) }, replica({ status: "modifying" }), true, true],
    ["a marker 30 s old, replica untouched: not settled, look again", { promotionRequested: true, known: true, lastRequestedAt: at(30) }, replica(), true, false],
    ["a marker 130 s old, replica untouched: RDS did not accept it, roll back", { promotionRequested: true, known: true, lastRequestedAt: at(130) }, replica(), false, true],
  ] as const)("%s", (_why, fence, state, started, settled) => {
    expect(Failover.judgeFailure(fence, state, now, 120, 1)).toMatchObject({ promotionStarted: started, needsOperator: started, settled });
  });

  it("leaves a replica RDS is modifying to a person in a later attempt that requested no promotion (the earlier attempt's may be under way)", () => {
    const judged = Failover.judgeFailure({ promotionRequested: false, known: true }, replica({ status: "modifying" }), now, 120, 1, true);
    expect(judged).toMatchObject({ promotionStarted: false, needsOperator: true, settled: true });
    expect(judged.detail).toMatch(/nothing is rolled back/);
  });

  it("leaves a replica to a person in a later attempt when RDS's events show an earlier promotion the status still hides", () => {
    const events = [{ at: new Date(now.getTime() - 40_000).toISOString(), message: "Replication streaming has been terminated." }];
    const judged = Failover.judgeFailure({ promotionRequested: false, known: true }, replica({ status: "available", events }), now, 120, 1, true);
    expect(judged).toMatchObject({ promotionStarted: false, needsOperator: true, settled: true });
    expect(judged.detail).toMatch(/Replication streaming has been terminated/);
  });

  it("rolls back a later attempt whose replica shows only the outage's replication error", () => {
    const events = [{ at: new Date(now.getTime() - 600_000).toISOString(), message: "Replication has stopped." }];
    expect(Failover.judgeFailure({ promotionRequested: false, known: true }, replica({ status: "available", events }), now, 120, 1, true)).toMatchObject({ needsOperator: false, settled: true });
  });

  it("judges a marked call accepted from RDS's events after the acceptance window, though the status still shows it replicating", () => {
    const events = [{ at: new Date(now.getTime() - 170_000).toISOString(), message: "Replication streaming has been terminated." }];
    const fence = { promotionRequested: true, known: true, lastRequestedAt: new Date(now.getTime() - 180_000).toISOString() };
    expect(Failover.judgeFailure(fence, replica({ status: "available", events }), now, 120, 1)).toMatchObject({ promotionStarted: true, needsOperator: true, settled: true });
  });

  it("rolls back a first attempt that finds the replica modifying without its own promote call", () => {
    expect(Failover.judgeFailure({ promotionRequested: false, known: true }, replica({ status: "modifying" }), now, 120, 1)).toMatchObject({ promotionStarted: false, needsOperator: false, settled: true });
  });
});

describe("a switchback's preflight with no DR database under its name", () => {
  const side = (role: "primary" | "dr", db: Failback.DbObservation | null): Failback.SideObservation => ({ role, region: role === "dr" ? "eu-central-1" : "eu-west-1", reachable: true, error: null, db, serviceDesired: 0, serviceRunning: 0 });
  const decide = (sealedAside: { identifier: string; name: string } | null) =>
    Failback.decideTopology("switchback", { primary: side("primary", null), dr: side("dr", null) }, { dnsConfigured: true, switchDns: true, positions: null, rpoBudgetSeconds: 60, sealedAside }).blockers[0];

  it("names the copy renamed aside and what to do to serve from it again (a rolled-back switchback may have left it sealed)", () => {
    const blocker = decide({ identifier: "app-replica-r20260101030000", name: "app-replica" });
    expect(blocker).toContain("no database is named app-replica");
    expect(blocker).toContain("--db-instance-identifier app-replica-r20260101030000 --new-db-instance-identifier app-replica");
    expect(blocker).toContain("reset read_only");
  });

  it("says only that the DR region is not serving when nothing was renamed aside", () => {
    expect(decide(null)).toBe("the DR region is not serving (a writable database and a running service): there is nothing to switch back");
  });
});

describe("the message of a rollback that could not set things back", () => {
  it("names the sealed DR database and how to rename it back and lift read_only, not only the services", () => {
    const state = Failback.FailbackState.parse({
      run: { mode: "switchback", reason: "r", requestedBy: "x", options: { switchDns: true }, executionName: "sb-1", startedAt: "2026-01-01T03:00:00.000Z" },
      seal: { retired: "app-replica-r20260101030000", dataLoss: { caughtUpPosition: "f:1", positionAfterPromotion: "f:1", lostBytes: 0, verdict: "none" }, at: "2026-01-01T03:05:00.000Z" },
      failure: { step: "PromoteStandby", error: "AwsTransientError", cause: "timeout" },
      restore: { Error: "RenameInProgressError", Cause: "still renaming" },
    });
    const body = Failback.failedMessage(state, { kind: "rolled-back", promotionStarted: false, rollBack: true, detail: "not promoted", settled: true }, "prod").body;
    expect(body).toContain("still sealed as app-replica-r20260101030000");
    expect(body).toContain("--new-db-instance-identifier app-replica --apply-immediately");
    expect(body).toContain("reset read_only");
    // The one command to run once the cause is fixed, with the stage.
    expect(body).toContain("then start again: pnpm dr switchback --stage prod");
  });
});
