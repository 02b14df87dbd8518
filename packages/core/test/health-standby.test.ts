/**
 * The serving region's monitor watches its standby (issue 21: "the second outage"): the watched
 * region's database, a read replica of this region's, answering and replicating. One detection
 * period without it tells the alert topic once, with what to run; its return tells once.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { Health, type Database } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

const primaryId = "pilot-light-prod-primary";
const replicaId = "pilot-light-prod-replica";
const primaryArn = `arn:aws:rds:eu-west-1:123456789012:db:${primaryId}`;
const db = (sourceIdentifier: string | null, status = "available", replication?: Database.ReplicationStatus): Health.LocalDatabase => ({
  found: true,
  state: { identifier: replicaId, status, sourceIdentifier, backupRetentionDays: 7, replication: replication ?? null },
});

describe("whether the watched region holds this region's standby, from RDS there", () => {
  const cases: [string, Health.LocalDatabase, Health.StandbyKind][] = [
    ["a replica of this region's database, replicating", db(primaryArn, "available", { status: "replicating", normal: true, message: null }), "protected"],
    ["a replica backing up", db(primaryArn, "backing-up"), "protected"],
    ["RDS there does not answer", undefined, "no-answer"],
    ["no database under the name", { found: false }, "gone"],
    ["promoted (or the fenced old primary): a move's, which its run tells of", db(null), "standalone"],
    ["a replica of another database", db("arn:aws:rds:eu-west-1:123456789012:db:other"), "not-ours"],
    ["replication broken", db(primaryArn, "available", { status: "error", normal: false, message: "the source cannot be reached" }), "broken"],
    ["a replica stopped", db(primaryArn, "stopped"), "broken"],
    ["a replica being created by re-protect", db(primaryArn, "creating"), "building"],
  ];
  it.each(cases)("%s", (_name, watched, kind) => {
    expect(Health.decideStandby(watched, replicaId, primaryId).kind).toBe(kind);
  });
});

describe("the serving region's monitor tells a lost standby once, and its return once", () => {
  const policy: Health.Policy = { failureThreshold: 3, autoFailover: true, startLeaseMs: 60_000, label: "pilot-light prod" };
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 10, minute)).toISOString();
  const failing: Health.ProbeResult = { ok: false, latencyMs: 5001, failure: "timeout", error: "no complete answer within 5000 ms" };
  const passing: Health.ProbeResult = { ok: true, latencyMs: 12, status: 200 };
  const evidence = (minute: number, ok = false): Health.Evidence => ({ at: at(minute), url: "https://eu-central-1.app.example.com/health.php", ok, probes: ok ? [passing] : [failing, failing, failing] });
  const serving = (watched: Health.LocalDatabase): Health.Arming => ({ kind: "serving", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to this region", standby: Health.decideStandby(watched, replicaId, primaryId) });
  const up = db(primaryArn, "available", { status: "replicating", normal: true, message: null });

  /** Ticks 5 minutes apart; each returns the kinds it told (and "archived"). */
  function run(start: Health.HealthState, arming: (Health.Arming | undefined)[], ok = false) {
    let s = start;
    const told: string[][] = [];
    const notes: Health.Outgoing[] = [];
    arming.forEach((a, i) => {
      const minute = 5 * (i + 1);
      const d = Health.decide(s, { tick: at(minute), evidence: evidence(minute, ok), ...(a ? { arming: a } : {}) }, policy, new Date(Date.parse(at(minute)) + 20_000));
      if (d.kind !== "write") throw new Error("expected a write");
      told.push([...(d.archive ? ["archived"] : []), ...d.notify.map((n) => n.kind)]);
      notes.push(...d.notify);
      expect(d.start).toBeUndefined();
      s = d.next;
    });
    return { state: s, told, notes };
  }
  const fresh: Health.HealthState = { ...Health.emptyState("dr"), version: 1 };

  it("the standby region down: nothing before the threshold, exactly one protection.lost at it, none after; one protection.restored when it replicates again", () => {
    const down = serving(undefined);
    const { told, notes, state } = run(fresh, [serving(up), down, down, down, down, down, serving(up), serving(up)]);
    expect(told).toEqual([[], [], [], ["protection.lost"], [], [], ["protection.restored"], []]);
    expect(state.consecutiveFailures).toBe(0);
    expect(state.incident).toBeUndefined();
    const [lost, restored] = notes;
    expect(lost?.subject).toBe("[pilot-light prod] dr region: protection lost, users not affected");
    expect(lost?.body).toContain("for 3 checks in a row");
    expect(lost?.body).toContain("pilot-light-prod-replica does not answer in its region");
    expect(lost?.body).toContain("Users are served by this region and are not affected");
    expect(lost?.body).toContain("an outage of this region cannot be failed over");
    expect(lost?.body).toContain("Now: nothing to run while the dr region is down");
    expect(lost?.body).toContain("Follow it with: pnpm dr status --stage prod");
    expect(lost?.body).toContain("pnpm dr reprotect --stage prod");
    expect(restored?.subject).toBe("[pilot-light prod] dr region protects again");
    expect(restored?.body).toContain("Nothing to run");
  });

  it("counts from the first tick that reads the standby, as the failover's detection counts from the first failed check", () => {
    const down = serving(undefined);
    expect(run(fresh, [down, down, down]).told).toEqual([[], [], ["protection.lost"]]);
  });

  it("the standby region answering, its replica gone or a replica of another: the message says to re-protect now", () => {
    const { notes } = run(fresh, [serving({ found: false }), serving({ found: false }), serving(db("arn:aws:rds:eu-west-1:123456789012:db:other"))]);
    expect(notes.map((n) => n.kind)).toEqual(["protection.lost"]);
    expect(notes[0]?.body).toContain("Run now: pnpm dr reprotect --stage prod");
    expect(notes[0]?.body).not.toContain("nothing to run while");
  });

  it("replication broken for one detection period is a loss; a replica being created by re-protect is not counted", () => {
    const broken = serving(db(primaryArn, "available", { status: "error", normal: false, message: "the source cannot be reached" }));
    expect(run(fresh, [broken, broken, broken]).told).toEqual([[], [], ["protection.lost"]]);
    const building = serving(db(primaryArn, "creating"));
    expect(run(fresh, [serving({ found: false }), building, serving({ found: false }), building, building, serving(up)]).told.flat()).toEqual([]);
  });

  it("a database there that is no replica (a switchback promoted it, DNS not moved yet; a failover left it fenced) is a move's, not counted", () => {
    const promoted = serving(db(null));
    expect(run(fresh, [promoted, promoted, promoted, promoted]).told.flat()).toEqual([]);
  });

  it("a passing check of the standby's app is no protection: the database decides", () => {
    const down = serving(undefined);
    expect(run(fresh, [down, down, down], true).told).toEqual([[], [], ["protection.lost"]]);
  });

  it("a tick whose arming was not read keeps the count; any other arming than serving ends the watch", () => {
    const down = serving(undefined);
    const a = run(fresh, [down, down, undefined, down], true);
    expect(a.told).toEqual([[], [], [], ["protection.lost"]]);
    const b = run(fresh, [down, down, { kind: "armed", detail: "a replica" }]);
    expect(b.state.standby).toBeUndefined();
  });

  it("after this region's failover (its incident open, re-protect not done) the missing standby is the failover's news: only a new outage of the watched region, once its RDS answered again, is told; re-protect closes the incident", () => {
    const incident: Health.Incident = {
      id: "dr-20261207T090000Z",
      openedAt: at(0),
      action: "failover",
      reason: "r",
      trigger: "consecutive",
      attempt: 1,
      startAttempts: 1,
      history: [],
      resolution: { kind: "failed-over", at: at(1), detail: "succeeded" },
    };
    const failedOver: Health.HealthState = { ...fresh, incident };
    const down = serving(undefined);
    const fenced = serving(db(null));
    // The failed region still down, then back with its fenced old primary: nothing told.
    const before = run(failedOver, [down, down, down, down, fenced, fenced, fenced, fenced]);
    expect(before.told.flat()).toEqual([]);
    expect(before.state.incident?.id).toBe(incident.id);
    // It fails again during re-protect: a new outage, told once at the threshold.
    const again = run(before.state, [down, down, down, down]);
    expect(again.told).toEqual([[], [], ["protection.lost"], []]);
    // Re-protected: the incident is over (archived) and protection restored is told.
    const after = run(again.state, [serving(db(primaryArn, "creating")), serving(up)]);
    expect(after.told).toEqual([[], ["archived", "protection.restored"]]);
    expect(after.state.incident).toBeUndefined();
    // From then on a loss counts like any other.
    expect(run(after.state, [down, down, down]).told).toEqual([[], [], ["protection.lost"]]);
  });

  it("concurrent and retried invocations of one tick tell once: the loser of the version-conditioned write decides again on the winner's state", () => {
    const down = serving(undefined);
    const two = run(fresh, [down, down]).state;
    const tick = at(15);
    const now = new Date(Date.parse(tick) + 20_000);
    const observation: Health.Observation = { tick, evidence: evidence(15), arming: down };
    // Both read `two`; one write wins, the other re-reads and decides again.
    const winner = Health.decide(two, observation, policy, now);
    const loserFirst = Health.decide(two, observation, policy, now);
    expect(winner.kind === "write" && winner.notify.map((n) => n.kind)).toEqual(["protection.lost"]);
    expect(loserFirst.kind === "write" && loserFirst.next.version).toBe(winner.kind === "write" && winner.next.version);
    if (winner.kind !== "write") throw new Error("expected a write");
    expect(Health.decide(winner.next, observation, policy, now)).toMatchObject({ kind: "unchanged" });
    // A later, concurrent tick on the winner's state: still nothing more.
    const later = Health.decide(winner.next, { tick: at(20), evidence: evidence(20), arming: down }, policy, new Date(Date.parse(at(20)) + 20_000));
    expect(later.kind === "write" && later.notify).toEqual([]);
  });
});

describe("the watching monitor reads its standby beside the probe", () => {
  let db: LocalDynamo;
  let server: Server;
  let url = "";
  /** Resolved once the arming reader was called: the stand-in app answers only then. */
  let armingCalled: () => void = () => undefined;
  let called = new Promise<void>((resolve) => (armingCalled = resolve));
  beforeAll(async () => {
    db = await startDynalite();
    server = createServer((_req, res) => void called.then(() => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}')));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health.php`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await db?.stop();
  });

  it("a hung standby region costs the tick its probe's timeout, not that and the bounded read after it: the read starts with the probe", async () => {
    called = new Promise<void>((resolve) => (armingCalled = resolve));
    const store: Health.HealthStore = { db: db.doc, table: await db.createStateTable() };
    // This region serves and already watches its standby (an earlier tick read `serving`).
    await Health.saveState(store, { ...Health.emptyState("dr"), version: 1, lastTick: "2026-12-07T09:55:00Z", standby: { failures: 0 } });
    const arming = (): Promise<Health.Arming> => {
      armingCalled();
      return Promise.resolve({ kind: "serving", detail: "it serves", standby: { kind: "protected", detail: "a replica of ours" } });
    };
    const deps: Health.MonitorDeps = { store, sfn: new SFNClient({ region: "eu-west-1" }), stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:x", sns: new SNSClient({ region: "eu-west-1" }), topicArn: "arn:aws:sns:eu-west-1:123456789012:x", arming };
    const policy: Health.Policy = { failureThreshold: 3, autoFailover: true, startLeaseMs: 60_000, label: "pilot-light prod" };
    // The app answers only once the standby was read: read after the probe, the probe would time out first.
    const report = await Health.runTick(deps, { target: "dr", url, probe: { count: 1, spacingMs: 0, timeoutMs: 3000 }, policy }, "2026-12-07T10:00:00Z");
    expect(report.primary.ok).toBe(true);
    expect(report.arming?.standby?.kind).toBe("protected");
    expect((await Health.loadState(store, "dr")).standby).toMatchObject({ failures: 0, protectedAt: "2026-12-07T10:00:00Z" });
  });
});
