/**
 * No deploy replaces data, as the diff engine behind `cdk diff` (@aws-cdk/cloudformation-diff)
 * judges it between two syntheses of one stage: through the deploy story (as deployed; failed
 * over and re-protected, whose templates are the same; switched back) and through plausible
 * settings changes, no database, bucket, table, key or secret is replaced or removed.
 */
import { describe, expect, it } from "vitest";
import { dataChanges, deployChanges, describeChange } from "../../packages/tools/src/aws-check/replacements";
import { synthRegion } from "./support/synth";

const templates = (id: string, role: "primary" | "dr") => Object.fromEntries(Object.entries(synthRegion(id, role).stacks).map(([name, s]) => [name, s.template]));

describe.each(["primary", "dr"] as const)("deploys of one stage, %s region", (role) => {
  it.each(deployChanges.map((c) => [c.what, c.from, c.to]))("%s replaces or removes no database, bucket, table, key or secret", (_, from, to) => {
    expect(dataChanges(templates(from, role), templates(to, role)).map(describeChange)).toEqual([]);
  });

  it("would see a replacement: another stage's names replace every database", () => {
    const changes = dataChanges(templates("dev", role), templates("dnsdemo", role));
    expect(changes.filter((c) => c.type === "AWS::RDS::DBInstance").map((c) => c.impact)).toEqual(["WILL_REPLACE"]);
    expect(changes.find((c) => c.type === "AWS::RDS::DBInstance")?.properties).toContain("DBInstanceIdentifier");
  });
});
