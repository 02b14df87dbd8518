/**
 * `pnpm dr point-users` against the world: the CLI's real `run` and clients, every AWS call
 * answered by the emulated account. The state it exists for: the DR region fails during a
 * switchback after the primary's database was promoted (the DR database sealed read-only before,
 * so nothing is lost), the PRIMARY record still pinned to the DR load balancer. The command must
 * read all it needs with the DR region down, decide from what RDS shows, and change the record
 * through the workflows' own implementation.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Stage } from "@pilot-light/core";
import { adoptedPrimaryWorld, adoptPrimary, installApis, pilotLightWorld, type PilotLightIds, type WorldState } from "../../world/src";
import { shopPrimary } from "../../core/test/support/adopted";
import { RefusedError, UsageError } from "../src/cli/errors";
import { formatPointUsers, pointUsers, pointUsersClients } from "../src/cli/point-users";
import { run } from "../src/dr";
import { FakeTerminal } from "./fake-terminal";

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});


/** The PRIMARY record pinned to `alb` (the failover's pin: no health check), as a switchback leaves it before RestoreDns. */
function pinPrimaryRecord(world: WorldState, ids: Pick<PilotLightIds, "hostedZoneId" | "albZoneId">, alb: string): void {
  const records = world.zones.get(ids.hostedZoneId)!;
  const primary = records.find((r) => r.SetIdentifier === "primary")!;
  delete primary.HealthCheckId;
  primary.AliasTarget = { DNSName: `dualstack.${alb}.`, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: false };
}

/**
 * A switchback's state after PromoteStandby, then the DR region down: the DR database sealed
 * (read_only = 1, not a replica), the primary's promoted (writable), users pinned to DR.
 */
function strandedAfterPromotion(world: WorldState, ids: PilotLightIds): void {
  world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
  world.parameterGroups.get(ids.replicaParameterGroup)!.parameters.set("read_only", "1");
  world.databases.get(ids.primaryDb)!.sourceIdentifier = null;
  pinPrimaryRecord(world, ids, ids.drAlbDns);
  world.regionsDown.add(ids.drRegion);
}

function dnsdemo(): { world: WorldState; ids: PilotLightIds } {
  const made = pilotLightWorld({ prefix: "pilot-light-dnsdemo" });
  uninstall = installApis(made.world);
  return made;
}

const deps = (world: WorldState) => ({
  makeClients: () => {
    throw new Error("point-users needs no orchestrator clients");
  },
  now: () => new Date(world.clock.nowMs()),
  sleep: async (ms: number) => void world.clock.advance(ms / 1000),
});

const primaryRecord = (world: WorldState, ids: PilotLightIds) => world.zones.get(ids.hostedZoneId)!.find((r) => r.SetIdentifier === "primary")!;

describe("pnpm dr point-users, the DR region down during a switchback after the promotion", () => {
  it("points the PRIMARY record at the primary's load balancer with its health check, read in the primary region alone, after the stage name is typed", async () => {
    const { world, ids } = dnsdemo();
    strandedAfterPromotion(world, ids);
    const t = new FakeTerminal(true, "dnsdemo");
    expect(await run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1"], t, deps(world))).toBe(0);
    // The DR database could not be read: said, and confirmed by typing the stage.
    expect(t.asked[0]).toMatch(/pilot-light-dnsdemo-replica in eu-central-1 did not answer/);
    expect(primaryRecord(world, ids)).toMatchObject({ HealthCheckId: ids.primaryHealthCheckId, AliasTarget: { DNSName: ids.primaryAlbDns, EvaluateTargetHealth: true } });
    expect(t.output).toContain("Users pointed at eu-west-1 (Route 53 INSYNC");
    expect(t.output).toContain(`${ids.drAlbDns} (pinned, no health check)`);
    expect(t.output).toContain(`→ ${ids.primaryAlbDns} with health check ${ids.primaryHealthCheckId}`);
    // Route 53 answers users with the primary region (its check passes; the DR region is down).
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toContain(ids.primaryAlbDns);
  });

  it("run again, changes nothing and says so", async () => {
    const { world, ids } = dnsdemo();
    strandedAfterPromotion(world, ids);
    expect(await run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1", "--yes"], new FakeTerminal(), deps(world))).toBe(0);
    const changes = world.mutatingCalls().length;
    const again = new FakeTerminal();
    expect(await run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1"], again, deps(world))).toBe(0);
    expect(again.output).toContain("Nothing to do: the PRIMARY record already sends users to eu-west-1");
    expect(world.mutatingCalls()).toHaveLength(changes);
  });

  it("--dry-run prints the change and changes nothing, asking nothing", async () => {
    const { world, ids } = dnsdemo();
    strandedAfterPromotion(world, ids);
    const t = new FakeTerminal(true, "dnsdemo");
    expect(await run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1", "--dry-run"], t, deps(world))).toBe(0);
    expect(t.asked).toEqual([]);
    expect(t.output).toContain("Dry run, nothing changed. Would point users at eu-west-1");
    expect(world.mutatingCalls()).toEqual([]);
    expect(primaryRecord(world, ids).AliasTarget?.DNSName).toBe(`dualstack.${ids.drAlbDns}.`);
  });

  it("without a terminal and without --yes, refuses when the other region does not answer, and changes nothing", async () => {
    const { world, ids } = dnsdemo();
    strandedAfterPromotion(world, ids);
    const refused = run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1"], new FakeTerminal(false), deps(world));
    await expect(refused).rejects.toThrow(RefusedError);
    await expect(refused).rejects.toThrow(/did not answer[\s\S]*pass --yes/);
    expect(world.mutatingCalls()).toEqual([]);
  });

  it("refuses the fenced old primary (read_only = 1: it misses the writes made since the failover), saying what to do", async () => {
    const { world, ids } = dnsdemo();
    strandedAfterPromotion(world, ids);
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    const refused = run(["point-users", "--stage", "dnsdemo", "--to", "eu-west-1", "--yes"], new FakeTerminal(), deps(world));
    await expect(refused).rejects.toThrow(RefusedError);
    await expect(refused).rejects.toThrow(/pilot-light-dnsdemo-primary in eu-west-1 is available, read-only[\s\S]*lift the fence first/);
    expect(world.mutatingCalls()).toEqual([]);
  });

  it("refuses a read replica as the target, and a target while the other region's database takes writes", async () => {
    const { world, ids } = dnsdemo();
    // Steady state: the DR database replicates from the primary's.
    await expect(run(["point-users", "--stage", "dnsdemo", "--to", "eu-central-1", "--yes"], new FakeTerminal(), deps(world))).rejects.toThrow(/eu-central-1 is available, a read replica[\s\S]*pnpm dr failover/);
    // Both writable (a split the command must not pick a side of).
    world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
    await expect(run(["point-users", "--stage", "dnsdemo", "--to", "eu-central-1", "--yes"], new FakeTerminal(), deps(world))).rejects.toThrow(/pilot-light-dnsdemo-primary in eu-west-1 is available, writable too/);
    expect(world.mutatingCalls()).toEqual([]);
  });

  it("pins users to the DR region (no health check, as the failover pins) when its database is the writable one and the primary's is fenced", async () => {
    const { world, ids } = dnsdemo();
    world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    world.regionsDown.add(ids.primaryRegion);
    expect(await run(["point-users", "--stage", "dnsdemo", "--to", "eu-central-1", "--yes"], new FakeTerminal(), deps(world))).toBe(0);
    const record = primaryRecord(world, ids);
    expect(record.HealthCheckId).toBeUndefined();
    expect(record.AliasTarget).toMatchObject({ DNSName: ids.drAlbDns, EvaluateTargetHealth: false });
  });

  it("bad input exits 2: a region that is not the stage's", async () => {
    const { world } = dnsdemo();
    await expect(run(["point-users", "--stage", "dnsdemo", "--to", "us-east-1"], new FakeTerminal(), deps(world))).rejects.toThrow(UsageError);
    await expect(run(["point-users", "--stage", "dnsdemo"], new FakeTerminal(), deps(world))).rejects.toThrow(/--to/);
  });
});

describe("pnpm dr point-users on a stage that adopts its primary", () => {
  it("judges the team's database under its own name (adopt.database), then points users at the team's load balancer", async () => {
    const { world, ids } = adoptedPrimaryWorld();
    uninstall = installApis(world);
    await adoptPrimary(world, ids, "shop");
    const config = Stage.resolveStageConfig("shop", {
      shop: { primaryRegion: ids.primaryRegion, drRegion: ids.drRegion, dns: { hostedZoneName: "example.com", hostedZoneId: ids.hostedZoneId, recordName: ids.recordName }, adopt: shopPrimary },
    });
    strandedAfterPromotion(world, ids);
    const o = { to: ids.primaryRegion, dryRun: false, confirm: async () => true, now: () => new Date(world.clock.nowMs()), sleep: async (ms: number) => void world.clock.advance(ms / 1000), progress: () => undefined };
    const result = await pointUsers(config, pointUsersClients(), o);
    expect(result).toMatchObject({ outcome: "pointed", insync: true, target: { identifier: "shop-mysql-prod", writable: true }, other: { identifier: "pilot-light-shop-replica", answered: false } });
    expect(primaryRecord(world, ids)).toMatchObject({ HealthCheckId: ids.primaryHealthCheckId, AliasTarget: { DNSName: ids.primaryAlbDns } });
    // The team's group, once fenced, is what the command reads.
    world.parameterGroups.get(ids.primaryParameterGroup)!.parameters.set("read_only", "1");
    await expect(pointUsers(config, pointUsersClients(), o)).rejects.toThrow(/shop-mysql-prod in eu-west-1 is available, read-only/);
    expect(formatPointUsers(result, ids.drRegion)).toContain("shop-mysql-prod in eu-west-1 is available, writable");
  });
});
