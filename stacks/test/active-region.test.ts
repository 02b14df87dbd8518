/**
 * The active-region switch: once a stage records that DR is active, a deploy keeps the DR
 * service scaled up, leaves the old primary at 0, and leaves the promoted database alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredCount } from "../Compute";
import { stages } from "../stages";
import { synthRegion as synthesize } from "../../packages/tools/src/offline-synth";
import { deployCountOf, synthRegion, synthStage } from "./support/synth";

const counts = { primaryTaskCount: 2, drTaskCount: 3, drPilotTaskCount: 0 };

describe("desired counts by active region", () => {
  it.each([
    ["primary", true, 2],
    ["primary", false, 0],
    ["dr", true, 0],
    ["dr", false, 3],
  ] as const)("with %s active, the %s side runs %i tasks", (activeRegion, isPrimary, expected) => {
    expect(desiredCount({ ...counts, activeRegion }, isPrimary)).toBe(expected);
  });
});

describe("a stage whose DR region is active", () => {
  it("keeps the DR service scaled up and the old primary at 0", () => {
    const { primary, dr } = synthStage("failedover");
    expect(deployCountOf(primary.Compute!)).toMatchObject({ Role: "primary", Configured: 0 });
    expect(deployCountOf(dr.Compute!)).toMatchObject({ Role: "dr", Configured: 3 });
  });

  it("synthesizes the DR database exactly as before the failover, so CloudFormation leaves it alone", () => {
    const replica = (id: "switching-before" | "switching-after") => synthRegion(id, "dr").templates.Data!.findResources("AWS::RDS::DBInstance");
    const before = replica("switching-before");
    const after = replica("switching-after");
    expect(Object.keys(before)).toHaveLength(1);
    expect(after).toEqual(before);
  });
});

describe("a stage with bad settings", () => {
  beforeAll(() => {
    stages.broken = { primaryCidr: "11.0.0.0/16" };
  });
  afterAll(() => {
    delete stages.broken;
  });

  it("fails synthesis with a message that names the field and the rule", async () => {
    await expect(synthesize("broken", "eu-west-1")).rejects.toThrow(/primaryCidr: must be private address space/);
  });
});
