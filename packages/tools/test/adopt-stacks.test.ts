/**
 * The stacks do not import an adopted primary's resources yet: a stage that adopts one is
 * refused before any construct is created, so a synthesis never builds a second primary beside
 * the team's (docs/adopt.md).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "sst/constructs";
import { useStage } from "../../../stacks/context";
import { stages } from "../../../stacks/stages";
import { shopPrimary } from "../../core/test/support/adopted";

afterEach(() => {
  delete stages["adopting"];
});

describe("a stage that adopts a primary, in the stacks", () => {
  it("is refused with the page that says what works today", () => {
    stages["adopting"] = { adopt: shopPrimary };
    expect(() => useStage({ stage: "adopting", region: "eu-west-1" } as App)).toThrow(/stage "adopting" adopts an existing primary \(adopt\): the stacks cannot import its resources yet.*docs\/adopt.md/);
  });

  it("is not refused without adopt", () => {
    stages["adopting"] = {};
    expect(useStage({ stage: "adopting", region: "eu-west-1" } as App).names.primaryDb).toBe("pilot-light-adopting-primary");
  });
});
