import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
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

  describe("closing an incident (the operator action)", () => {
    const incident: Health.Incident = {
      id: "primary-20261128T060000Z",
      openedAt: "2026-11-28T06:00:00Z",
      action: "failover",
      reason: "primary down",
      startAttempts: 1,
      startedAt: "2026-11-28T06:00:01Z",
    };
    const seed = async () => {
      const store = await storeFor();
      await Health.saveState(store, { ...Health.emptyState("primary"), version: 1, consecutiveFailures: 6, incident });
      return store;
    };
    const close = (store: Health.HealthStore) =>
      Health.closeIncident(store, { target: "primary", incidentId: incident.id, closedBy: "alice", note: "primary back" }, () => new Date("2026-11-28T08:00:00Z"));

    it("clears the incident and the strike count", async () => {
      const store = await seed();
      await close(store);
      const after = await Health.loadState(store, "primary");
      expect(after.incident).toBeUndefined();
      expect(after.consecutiveFailures).toBe(0);
    });

    it("archives it as INCIDENT#<id> with who closed it", async () => {
      const store = await seed();
      await close(store);
      const got = await db.doc.send(new GetCommand({ TableName: store.table, Key: { pk: State.keys.incident(incident.id) } }));
      expect(got.Item).toMatchObject({ id: incident.id, closedBy: "alice", note: "primary back", failuresAtClose: 6, closedAt: "2026-11-28T08:00:00.000Z" });
    });

    it("refuses to close it twice", async () => {
      const store = await seed();
      await close(store);
      await expect(close(store)).rejects.toBeInstanceOf(Health.IncidentNotOpenError);
    });
  });
});
