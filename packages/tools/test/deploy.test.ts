import { afterEach, describe, expect, it } from "vitest";
import { Stage } from "@pilot-light/core";
import { installApis, pilotLightWorld } from "../../world/src";
import { deployPlan, describeParameterGroups, describeReplica, observedActiveRegion, refuseDeploy, refuseFencedParameterGroup, removePlan } from "../src/deploy";

const config = Stage.resolveStageConfig("prod", {});

describe("two-region deploy order", () => {
  it("creates the DR replication bucket, then the primary, then the rest of DR", () => {
    expect(deployPlan(config).map((s) => s.args)).toEqual([
      ["deploy", "--stage", "prod", "--region", "eu-central-1", "network|alerts|storage"],
      ["deploy", "--stage", "prod", "--region", "eu-west-1"],
      ["deploy", "--stage", "prod", "--region", "eu-central-1"],
    ]);
  });

  it("removes the DR region (the replica) before the primary (its source)", () => {
    expect(removePlan(config).map((s) => s.args[4])).toEqual(["eu-central-1", "eu-west-1"]);
  });

  it.each([
    ["no DR database yet (first deploy)", undefined, undefined],
    ["a DR database that still replicates", { ReadReplicaSourceDBInstanceIdentifier: "arn:aws:rds:eu-west-1:1:db:p" }, "primary"],
    ["a promoted DR database", {}, "dr"],
  ] as const)("reads %s as active region %s", (_what, replica, expected) => {
    expect(observedActiveRegion(replica)).toBe(expected);
  });
});

describe("deploy guard after a failover", () => {
  it.each([
    ["primary", undefined, false],
    ["primary", "primary", false],
    ["dr", "dr", false],
    ["dr", undefined, false],
    ["primary", "dr", true],
    // After a switchback: the DR database is a replica of the primary again.
    ["dr", "primary", true],
  ] as const)("configured %s, observed %s → refused: %s", (configured, observed, refused) => {
    expect(refuseDeploy(configured, observed) !== undefined).toBe(refused);
  });

  it("tells the operator what to change when it refuses", () => {
    expect(refuseDeploy("primary", "dr")).toMatch(/activeRegion: "dr"/);
    expect(refuseDeploy("dr", "primary")).toMatch(/activeRegion: "primary"/);
  });
});

describe("no deploy attaches a read-only group to a database", () => {
  const template = "pilot-light-prod-primary";
  it.each([
    ["first deploy: no instance yet", undefined, true, false],
    ["the instance uses the template's group (read_only there is its own fence)", template, true, false],
    ["a replica created by re-protect, template group not fenced", `${template}-g20260101030000`, false, false],
    ["a replica created by re-protect, template group fenced", `${template}-g20260101030000`, true, true],
  ])("%s: refused %s", (_what, live, templateReadOnly, refused) => {
    expect(refuseFencedParameterGroup({ database: "pilot-light-prod-primary", template, live, templateReadOnly }) !== undefined).toBe(refused);
  });
});


describe("reading the account before a deploy, in an outage", () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => {
    uninstall?.();
    uninstall = undefined;
  });

  /** The outcome, or that it had not ended after 5 s of real time (an unbounded client waits on a region that never answers). */
  const settled = (promise: Promise<unknown>) =>
    Promise.race([promise.then(() => ({ ended: true as const }), (error: unknown) => ({ ended: true as const, error })), new Promise<{ ended: false }>((r) => setTimeout(() => r({ ended: false }), 5_000))]);

  it.each([
    ["the primary region", "eu-west-1", (c: Stage.StageConfig): Promise<unknown> => describeParameterGroups(c), /reading database pilot-light-test-primary and its DB parameter group in eu-west-1: AWS could not be reached[\s\S]*while eu-west-1 is in an outage, do not deploy/],
    ["the DR region", "eu-central-1", (c: Stage.StageConfig): Promise<unknown> => describeReplica(c), /reading the DR database pilot-light-test-replica in eu-central-1: AWS could not be reached/],
  ] as const)("ends, its clients bounded as the CLI's, when %s does not answer, naming the region", async (_what, region, read, message) => {
    const { world } = pilotLightWorld();
    uninstall = installApis(world);
    world.regionsDown.add(region);
    const outcome = await settled(read(Stage.resolveStageConfig("test", {})));
    expect(outcome.ended).toBe(true);
    expect(String((outcome as { error?: unknown }).error)).toMatch(message);
    // Two attempts, as cliClientBounds says, each ended by its requestTimeout.
    expect(world.calls.filter((c) => c.region === region).map((c) => c.failed)).toEqual(["TimeoutError", "TimeoutError"]);
  });
});
