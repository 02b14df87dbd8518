import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { Failover, State } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.stop());

const run = (executionName: string, mode: Failover.Run["mode"] = "failover"): Failover.Run => ({
  mode,
  reason: "r",
  requestedBy: "t",
  incidentId: `inc-${executionName}`,
  options: { switchDns: true, acknowledgeRpoBreach: false },
  executionName,
  startedAt: "t",
});
const now = new Date("2026-01-01T03:00:00Z");

describe("failover lock (dynalite)", () => {
  it("takes the lock once and lets the same execution take it again (a retried task)", async () => {
    const table = await db.createStateTable();
    expect((await Failover.acquireLock(db.doc, table, run("a"), now)).acquired).toBe(true);
    expect((await Failover.acquireLock(db.doc, table, run("a"), now)).acquired).toBe(true);
  });

  it("fails a second execution fast with FailoverLockedError naming the holder", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    const second = Failover.acquireLock(db.doc, table, run("b"), now);
    await expect(second).rejects.toBeInstanceOf(Failover.FailoverLockedError);
    await expect(second).rejects.toThrow(/execution a \(incident inc-a\)/);
  });

  it("takes over an expired lock", async () => {
    const table = await db.createStateTable();
    await db.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.failoverLock(), owner: "old", expiresAt: Math.floor(now.getTime() / 1000) - 1 } }));
    expect((await Failover.acquireLock(db.doc, table, run("new"), now)).acquired).toBe(true);
  });

  it("takes no lock in a dry-run", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect((await Failover.acquireLock(db.doc, table, run("dry", "dry-run"), now)).acquired).toBe(false);
  });

  it("releases only its own lock, and releasing twice is harmless", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect(await Failover.releaseLock(db.doc, table, "b")).toBe(false);
    expect(await Failover.releaseLock(db.doc, table, "a")).toBe(true);
    expect(await Failover.releaseLock(db.doc, table, "a")).toBe(false);
  });
});

describe("promotion fence (dynalite)", () => {
  it("tells compensation a promotion was requested when the marker was written first", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: true, known: true });
  });

  it("stops a promotion once compensation has begun", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: false, known: true });
    await expect(Failover.markPromotionRequested(db.doc, table, "a", now)).rejects.toBeInstanceOf(Failover.PromotionRejectedError);
  });

  it("forgets the marker when RDS refused the promotion", async () => {
    const table = await db.createStateTable();
    await Failover.acquireLock(db.doc, table, run("a"), now);
    await Failover.markPromotionRequested(db.doc, table, "a", now);
    await Failover.clearPromotionRequested(db.doc, table, "a");
    expect((await Failover.beginCompensation(db.doc, table, "a", now)).promotionRequested).toBe(false);
  });

  it("assumes the worst when the lock is no longer held", async () => {
    const table = await db.createStateTable();
    expect(await Failover.beginCompensation(db.doc, table, "a", now)).toEqual({ promotionRequested: true, known: false });
  });
});
