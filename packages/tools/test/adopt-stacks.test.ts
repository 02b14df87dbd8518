/**
 * A stage that adopts a primary, in the stacks: the primary region's stacks import the team's
 * resources (useStage hands them the `adopt` block there), the DR region's build pilot-light's
 * own from the same settings (docs/adopt.md; the templates: stacks/test/adopted.test.ts).
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
  it("gives the primary region's stacks the team's resources to import, under the team's names", () => {
    stages["adopting"] = { adopt: shopPrimary };
    const primary = useStage({ stage: "adopting", region: "eu-west-1" } as App);
    expect(primary.adopted?.database.instanceIdentifier).toBe("shop-mysql-prod");
    expect(primary.names.primaryDb).toBe("shop-mysql-prod");
  });

  it("gives the DR region's stacks nothing to import: they create pilot-light's side", () => {
    stages["adopting"] = { adopt: shopPrimary };
    const dr = useStage({ stage: "adopting", region: "eu-central-1" } as App);
    expect(dr.adopted).toBeUndefined();
    expect(dr.names.replicaDb).toBe("pilot-light-adopting-replica");
  });

  it("imports nothing without adopt", () => {
    stages["adopting"] = {};
    const primary = useStage({ stage: "adopting", region: "eu-west-1" } as App);
    expect(primary.adopted).toBeUndefined();
    expect(primary.names.primaryDb).toBe("pilot-light-adopting-primary");
  });
});
