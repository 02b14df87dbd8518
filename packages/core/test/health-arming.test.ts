import { describe, expect, it } from "vitest";
import { Health, type Database } from "@pilot-light/core";

const primary = { identifier: "pilot-light-prod-primary", arn: "arn:aws:rds:eu-west-1:123456789012:db:pilot-light-prod-primary" };
const replica = { identifier: "pilot-light-prod-replica", arn: "arn:aws:rds:eu-central-1:123456789012:db:pilot-light-prod-replica" };
const db = (identifier: string, sourceIdentifier: string | null, status = "available"): Health.LocalDatabase => ({
  found: true,
  state: { identifier, status, sourceIdentifier, backupRetentionDays: 7 } satisfies Database.ReplicaState,
});

describe("a region's orchestrator is armed only when its database is a replica of the watched region's", () => {
  const cases: [string, Health.ArmingView, Health.ArmingKind][] = [
    ["DR, state A: a replica of the primary, DNS on the primary", { local: db(replica.identifier, primary.arn), localId: replica.identifier, watched: primary, dns: "elsewhere" }, "armed"],
    ["DR, state A without DNS: the database alone decides", { local: db(replica.identifier, primary.arn), localId: replica.identifier, watched: primary, dns: "unknown" }, "armed"],
    ["DR, a replica still backing up: armed (Preflight waits for it)", { local: db(replica.identifier, primary.arn, "backing-up"), localId: replica.identifier, watched: primary, dns: "elsewhere" }, "armed"],
    ["primary, state A: it serves, DR is its standby", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "here" }, "serving"],
    ["DR, state B: promoted and serving", { local: db(replica.identifier, null), localId: replica.identifier, watched: primary, dns: "here" }, "serving"],
    ["primary, state B: the old primary, users on DR (item 5)", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "elsewhere" }, "stranded"],
    ["primary, state B, DR's RDS does not answer: stranded", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "elsewhere", watchedDb: undefined }, "stranded"],
    ["primary, state B, no database in DR: stranded", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "elsewhere", watchedDb: { found: false } }, "stranded"],
    ["primary, mid-failover: DR's replica answers, being promoted", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "elsewhere", watchedDb: db(replica.identifier, primary.arn, "modifying") }, "handed-over"],
    ["primary, state B, DR's promoted database answers", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "elsewhere", watchedDb: db(replica.identifier, null) }, "handed-over"],
    ["primary, state C: re-protected, a replica of DR", { local: db(primary.identifier, replica.arn), localId: primary.identifier, watched: replica, dns: "elsewhere" }, "armed"],
    ["DR, state C: it serves", { local: db(replica.identifier, null), localId: replica.identifier, watched: primary, dns: "here" }, "serving"],
    ["a replica while DNS sends users here (a failover to it under way): never armed", { local: db(replica.identifier, primary.arn, "modifying"), localId: replica.identifier, watched: primary, dns: "here" }, "serving"],
    ["a replica of some other database", { local: db(replica.identifier, "arn:aws:rds:eu-west-1:123456789012:db:other"), localId: replica.identifier, watched: primary, dns: "elsewhere" }, "unknown"],
    ["RDS could not be read", { local: undefined, localId: replica.identifier, watched: primary, dns: "elsewhere" }, "unknown"],
    ["no database under the name", { local: { found: false }, localId: replica.identifier, watched: primary, dns: "elsewhere" }, "unknown"],
    ["not a replica, DNS not known", { local: db(primary.identifier, null), localId: primary.identifier, watched: replica, dns: "unknown" }, "unknown"],
  ];
  it.each(cases)("%s", (_name, view, kind) => {
    expect(Health.decideArming(view).kind).toBe(kind);
  });

  it("never arms both regions of one topology, in any state RDS can be in", () => {
    // Every pairing of each region's database: not a replica, a replica of the other, a replica of something else.
    const sources = (other: string) => [null, other, "arn:aws:rds:eu-west-1:123456789012:db:elsewhere"];
    for (const p of sources(replica.arn)) {
      for (const r of sources(primary.arn)) {
        if (p === replica.arn && r === primary.arn) continue; // RDS cannot hold A replicating from B and B from A
        for (const dns of ["here", "elsewhere", "unknown"] as const) {
          const fromPrimary = Health.decideArming({ local: db(primary.identifier, p), localId: primary.identifier, watched: replica, dns }).kind;
          const fromDr = Health.decideArming({ local: db(replica.identifier, r), localId: replica.identifier, watched: primary, dns: dns === "here" ? "elsewhere" : dns === "elsewhere" ? "here" : "unknown" }).kind;
          expect([fromPrimary, fromDr].filter((k) => k === "armed").length).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe("the monitor's incident follows the arming it read", () => {
  const policy: Health.Policy = { failureThreshold: 3, autoFailover: true, startLeaseMs: 60_000, label: "pilot-light prod" };
  const now = new Date("2026-11-28T06:00:30Z");
  const tick = "2026-11-28T06:00:00Z";
  const failing: Health.ProbeResult = { ok: false, latencyMs: 5001, failure: "timeout", error: "no complete answer within 5000 ms" };
  const evidence: Health.Evidence = { at: tick, url: "https://eu-central-1.app.example.com/health.php", ok: false, probes: [failing, failing, failing] };
  const confirms: Health.SecondOpinion = { verdict: "confirms", detail: "Route 53 health checkers confirm" };
  const state: Health.HealthState = { ...Health.emptyState("dr"), version: 2, lastTick: "2026-11-28T05:55:00Z", consecutiveFailures: 2 };
  const decide = (arming: Health.Arming | undefined) => {
    const d = Health.decide(state, { tick, evidence, secondOpinion: confirms, ...(arming ? { arming } : {}) }, policy, now);
    if (d.kind !== "write") throw new Error("expected a write");
    return d;
  };

  it("armed: starts the failover at the threshold", () => {
    const d = decide({ kind: "armed", detail: "a replica" });
    expect(d.start?.name).toBe("failover-dr-20261128T060000Z");
    expect(d.next.incident).toMatchObject({ action: "failover" });
  });

  it("stranded: starts nothing and tells the people on the alert topic what to run, in the tick that reaches the threshold", () => {
    const d = decide({ kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region" });
    expect(d.start).toBeUndefined();
    expect(d.next.incident).toMatchObject({ action: "recommend", notArmed: "stranded" });
    expect(d.notify.map((n) => n.kind)).toEqual(["failover.stranded"]);
    expect(d.notify[0]?.subject).toBe("[pilot-light prod] dr down and no region can take over: act now");
    expect(d.notify[0]?.body).toContain("Run now: pnpm dr status --stage prod");
    expect(d.notify[0]?.body).toContain('docs/runbook.md, "The serving region fails before re-protect"');
  });

  it("stranded: the message never claims this region's database misses writes, since a switchback may have promoted it; it names how to tell and the runbook section of each state", () => {
    const body = decide({ kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region" }).notify[0]?.body ?? "";
    expect(body).not.toMatch(/^This region's database is the one users left/m);
    expect(body).toMatch(/^- "readOnly":false: a switchback promoted this region's database .*point users here: pnpm dr point-users --stage prod --to <this region> \(docs\/runbook\.md, "The DR region fails during a switchback, after the promotion"\)/m);
    expect(body).toMatch(/^- no answer or "readOnly":true: this region's database is the old primary a failover left, fenced; it misses every write made since that failover/m);
  });

  it("stranded, this region's database not fenced (read_only not 1: a switchback promoted it): the Run now line is the one command that points users here", () => {
    const d = decide({ kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region", here: { region: "eu-west-1", readOnly: false } });
    expect(d.notify.map((n) => n.kind)).toEqual(["failover.stranded"]);
    const lines = (d.notify[0]?.body ?? "").split("\n");
    expect(lines.filter((l) => l.startsWith("Run now:"))).toEqual(["Run now: pnpm dr point-users --stage prod --to eu-west-1"]);
    expect(d.notify[0]?.body).toMatch(/a switchback promoted it before the dr region failed, and it holds every write/);
    expect(d.notify[0]?.body).not.toContain("The serving region fails before re-protect");
  });

  it("stranded, this region's database fenced (read_only = 1: the old primary a failover left): the operator's decision, both ways named, no point-users to run now", () => {
    const body = decide({ kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region", here: { region: "eu-west-1", readOnly: true } }).notify[0]?.body ?? "";
    expect(body.split("\n").filter((l) => l.startsWith("Run now:"))).toEqual(["Run now: pnpm dr status --stage prod"]);
    expect(body).toContain('docs/runbook.md, "The serving region fails before re-protect"');
  });

  it("stranded, first failed check: health.degraded promises no failover (none starts by itself) and says the message with what to run comes at the threshold; armed, it promises the failover", () => {
    const first = (arming: Health.Arming) => {
      const d = Health.decide({ ...state, consecutiveFailures: 0 }, { tick, evidence, arming }, policy, now);
      if (d.kind !== "write") throw new Error("expected a write");
      expect(d.notify.map((n) => n.kind)).toEqual(["health.degraded"]);
      return d.notify[0]?.body ?? "";
    };
    const stranded = first({ kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region" });
    expect(stranded).toContain("before the message that no region can take over");
    expect(stranded).toContain("no failover starts by itself: pilot-light-prod-primary is not a replica");
    expect(stranded).not.toContain("automatic failover");
    expect(stranded).toContain("the message at check 3 says what to run");
    // A heads-up, not a telling: the command comes with the incident (one detection period), as the lifecycle judges it.
    expect(stranded).not.toContain("pnpm dr");
    const armed = first({ kind: "armed", detail: "a replica" });
    expect(armed).toContain("1 of 3 before an automatic failover");
    expect(armed).not.toContain("pnpm dr");
  });

  it("serving: the watched region is this region's standby (a pilot light): its failing app is not counted, nothing is told", () => {
    const d = decide({ kind: "serving", detail: "it serves" });
    expect(d.start).toBeUndefined();
    expect(d.notify).toEqual([]);
    expect(d.next.consecutiveFailures).toBe(0);
    expect(d.next.incident).toBeUndefined();
  });

  it("stranded: the incident closes itself once the watched region passes again", () => {
    const d = decide({ kind: "stranded", detail: "not a replica" });
    const passing: Health.Evidence = { ...evidence, at: "2026-11-28T06:05:00Z", ok: true, probes: [{ ok: true, latencyMs: 10, status: 200 }] };
    const after = Health.decide(d.next, { tick: "2026-11-28T06:05:00Z", evidence: passing }, { ...policy, availability: { windowMinutes: 60, minPercent: 0 } }, new Date("2026-11-28T06:05:30Z"));
    expect(after.kind === "write" && after.archive?.id).toBe("dr-20261128T060000Z");
  });

  it("handed-over: a failover to the watched region under way or done: its failed checks are counted, but no incident opens and nothing is started, recommended or called stranded", () => {
    const d = decide({ kind: "handed-over", detail: "its database answers" });
    expect(d.start).toBeUndefined();
    expect(d.next.consecutiveFailures).toBe(3);
    expect(d.next.incident).toBeUndefined();
    expect(d.notify).toEqual([]);
  });

  it("an incident whose failover succeeded is over once re-protects made this region a replica again: archived, and the next outage counts afresh to a failover", () => {
    // The failover this region made long ago (its incident resolved "failed-over"), then two re-protects: armed again.
    const old: Health.Incident = { ...decide({ kind: "armed", detail: "a replica" }).next.incident!, resolution: { kind: "failed-over", at: "2026-11-28T06:20:00Z", detail: "execution failover-dr-20261128T060000Z succeeded" } };
    const later = (minute: number) => `2026-11-29T10:${String(minute).padStart(2, "0")}:00Z`;
    let s: Health.HealthState = { ...Health.emptyState("dr"), version: 9, lastTick: later(0), consecutiveFailures: 0, incident: old };
    const archived: string[] = [];
    const starts: string[] = [];
    for (const minute of [5, 10, 15]) {
      const d = Health.decide(s, { tick: later(minute), evidence: { ...evidence, at: later(minute) }, secondOpinion: confirms, arming: { kind: "armed", detail: "pilot-light-prod-primary is a read replica of pilot-light-prod-replica" } }, policy, new Date(Date.parse(later(minute)) + 30_000));
      if (d.kind !== "write") throw new Error("expected a write");
      if (d.archive) archived.push(`${d.archive.id} by ${d.archive.closedBy}`);
      if (d.start) starts.push(d.start.name);
      s = d.next;
    }
    expect(archived).toEqual(["dr-20261128T060000Z by health-monitor"]);
    expect(starts).toEqual(["failover-dr-20261129T101500Z"]);
  });

  it("an incident whose failover succeeded is over once the other region's copy failed over back (stranded: this region's database the fenced old one): a new outage is told, not left unsaid", () => {
    const old: Health.Incident = { ...decide({ kind: "armed", detail: "a replica" }).next.incident!, resolution: { kind: "failed-over", at: "2026-11-28T06:20:00Z", detail: "succeeded" } };
    const later = (minute: number) => `2026-11-29T10:${String(minute).padStart(2, "0")}:00Z`;
    let s: Health.HealthState = { ...Health.emptyState("dr"), version: 9, lastTick: later(0), consecutiveFailures: 0, incident: old };
    const kinds: string[] = [];
    for (const minute of [5, 10, 15]) {
      const d = Health.decide(s, { tick: later(minute), evidence: { ...evidence, at: later(minute) }, secondOpinion: confirms, arming: { kind: "stranded", detail: "pilot-light-prod-primary is not a replica (available); DNS sends users to the watched region" } }, policy, new Date(Date.parse(later(minute)) + 30_000));
      if (d.kind !== "write") throw new Error("expected a write");
      expect(d.start).toBeUndefined();
      kinds.push(...(d.archive ? ["archived"] : []), ...d.notify.map((n) => n.kind));
      s = d.next;
    }
    expect(kinds).toContain("archived");
    expect(kinds).toContain("failover.stranded");
    expect(s.incident).toMatchObject({ action: "recommend", notArmed: "stranded" });
  });

  it("an incident whose failover succeeded stays open while this region serves (the old primary, its standby, is expected to fail)", () => {
    const old: Health.Incident = { ...decide({ kind: "armed", detail: "a replica" }).next.incident!, resolution: { kind: "failed-over", at: "2026-11-28T06:20:00Z", detail: "succeeded" } };
    const d = Health.decide({ ...state, incident: old }, { tick, evidence, arming: { kind: "serving", detail: "it serves" } }, policy, now);
    expect(d.kind === "write" && d.archive).toBeUndefined();
    expect(d.kind === "write" && d.next.incident?.id).toBe(old.id);
  });

  it("unknown: recommends, naming what it could not tell", () => {
    const d = decide({ kind: "unknown", detail: "pilot-light-prod-replica could not be read from RDS" });
    expect(d.start).toBeUndefined();
    expect(d.notify[0]?.body).toContain("not armed (pilot-light-prod-replica could not be read from RDS)");
  });
});
