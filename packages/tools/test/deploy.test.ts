import { describe, expect, it } from "vitest";
import { Stage } from "@pilot-light/core";
import { activeRegionParameter, deployPlan, refuseDeploy, removePlan } from "../src/deploy";

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

  it("reads the recorded active region from a per-stage SSM parameter", () => {
    expect(activeRegionParameter(config)).toBe("/pilot-light/prod/active-region");
  });
});

describe("deploy guard after a failover", () => {
  it.each([
    ["primary", undefined, false],
    ["primary", "primary", false],
    ["dr", "dr", false],
    ["dr", undefined, false],
    ["primary", "dr", true],
  ] as const)("configured %s, recorded %s → refused: %s", (configured, recorded, refused) => {
    expect(refuseDeploy(configured, recorded) !== undefined).toBe(refused);
  });

  it("tells the operator what to change when it refuses", () => {
    expect(refuseDeploy("primary", "dr")).toMatch(/activeRegion: "dr"/);
  });
});
