import { describe, expect, it } from "vitest";
import { synthStage } from "./support/synth";

describe("offline synthesis", () => {
  it("synthesizes both regions of a default stage", async () => {
    const { primary, dr } = await synthStage("dev");
    expect(Object.keys(primary).sort()).toEqual(["Alerts", "Compute", "Data", "Network", "Storage"]);
    expect(Object.keys(dr)).toContain("State");
  });
});
