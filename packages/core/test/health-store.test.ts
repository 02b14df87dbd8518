import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { Health, State } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

describe("health state store (dynalite)", () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db.stop());

  const storeFor = async (): Promise<Health.HealthStore> => ({ db: db.doc, table: await db.createStateTable() });

  it("reads a target that was never written as the empty state", async () => {
    const store = await storeFor();
    expect(await Health.loadState(store, "primary")).toEqual(Health.emptyState("primary"));
  });

  it("refuses a write based on a version someone else already replaced", async () => {
    const store = await storeFor();
    const first = { ...Health.emptyState("primary"), version: 1, consecutiveFailures: 1 };
    expect(await Health.saveState(store, first)).toBe(true);
    expect(await Health.saveState(store, { ...first, consecutiveFailures: 9 })).toBe(false);
    expect((await Health.loadState(store, "primary")).consecutiveFailures).toBe(1);
  });

  it("counts 20 concurrent increments exactly once each", async () => {
    const store = await storeFor();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        Health.transact(store, "primary", (s) => ({
          next: { ...s, version: s.version + 1, consecutiveFailures: s.consecutiveFailures + 1 },
          result: undefined,
        })),
      ),
    );
    expect(await Health.loadState(store, "primary")).toMatchObject({ version: 20, consecutiveFailures: 20 });
  });

  it("reads an item written before incidents had attempts, with the defaults for what it lacks", async () => {
    const store = await storeFor();
    const old = {
      pk: "HEALTH#primary",
      target: "primary",
      version: 7,
      consecutiveFailures: 4,
      outbox: [],
      incident: { id: "primary-20261128T060000Z", openedAt: "2026-11-28T06:00:00Z", action: "failover", reason: "r", startAttempts: 1, startedAt: "2026-11-28T06:00:01Z" },
    };
    await db.doc.send(new PutCommand({ TableName: store.table, Item: old }));
    const state = await Health.loadState(store, "primary");
    expect(state).toMatchObject({ recent: [], noticesAt: [], incident: { attempt: 1, trigger: "consecutive", history: [] } });
  });

  it("reads the failover lock's holder, and nothing when it is free", async () => {
    const store = await storeFor();
    expect(await Health.readFailoverLock(store)).toBeUndefined();
    await db.doc.send(
      new PutCommand({ TableName: store.table, Item: { pk: State.keys.failoverLock(), owner: "drill-prod-20261128T055500Z", mode: "drill", incidentId: "drill-1", acquiredAt: "2026-11-28T05:55:00Z", expiresAt: 1_800_000_000 } }),
    );
    expect(await Health.readFailoverLock(store)).toEqual({ owner: "drill-prod-20261128T055500Z", mode: "drill", expiresAt: 1_800_000_000 });
  });

  describe("closing an incident (the operator action)", () => {
    const incident: Health.Incident = {
      id: "primary-20261128T060000Z",
      openedAt: "2026-11-28T06:00:00Z",
      action: "failover",
      reason: "primary down",
      trigger: "consecutive",
      attempt: 1,
      startAttempts: 1,
      startedAt: "2026-11-28T06:00:01Z",
      history: [],
    };
    const seed = async () => {
      const store = await storeFor();
      await Health.saveState(store, { ...Health.emptyState("primary"), version: 1, consecutiveFailures: 6, incident });
      return store;
    };
    const close = (store: Health.HealthStore) =>
      Health.closeIncident(store, { target: "primary", incidentId: incident.id, closedBy: "alice", note: "primary back" }, () => new Date("2026-11-28T08:00:00Z"));

    it("clears the incident, the strike count and the availability window", async () => {
      const store = await seed();
      await Health.transact(store, "primary", (s) => ({
        next: { ...s, version: s.version + 1, recent: [{ tick: "2026-11-28T07:55:00Z", ok: false }], windowSince: "2026-11-28T06:00:00Z" },
        result: undefined,
      }));
      await close(store);
      const after = await Health.loadState(store, "primary");
      expect(after.incident).toBeUndefined();
      expect(after.consecutiveFailures).toBe(0);
      expect(after.recent).toEqual([]);
      expect(after.windowSince).toBeUndefined();
    });

    it("archives it as INCIDENT#<id> with who closed it", async () => {
      const store = await seed();
      await close(store);
      const got = await db.doc.send(new GetCommand({ TableName: store.table, Key: { pk: State.keys.incident(incident.id) } }));
      expect(got.Item).toMatchObject({ id: incident.id, closedBy: "alice", note: "primary back", failuresAtClose: 6, closedAt: "2026-11-28T08:00:00.000Z" });
    });

    it("is idempotent for the monitor's own archive of the same incident", async () => {
      const store = await seed();
      const archived = { ...incident, closedAt: "2026-11-28T07:00:00.000Z", closedBy: "health-monitor", failuresAtClose: 0 };
      await Health.archiveIncident(store, archived);
      await Health.archiveIncident(store, { ...archived, closedAt: "2026-11-28T07:05:00.000Z" });
      const got = await db.doc.send(new GetCommand({ TableName: store.table, Key: { pk: State.keys.incident(incident.id) } }));
      expect(got.Item).toMatchObject({ closedBy: "health-monitor", closedAt: "2026-11-28T07:00:00.000Z" });
    });

    it("refuses to close it twice", async () => {
      const store = await seed();
      await close(store);
      await expect(close(store)).rejects.toBeInstanceOf(Health.IncidentNotOpenError);
    });
  });
});
