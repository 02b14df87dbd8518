/** cdk-nag's AwsSolutions pack over every stack of both regions: zero unsuppressed errors. */
import { describe, expect, it } from "vitest";
import { Aspects } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { synthStage } from "./support/synth";

describe.each(["dev", "dnsdemo", "prod"])("cdk-nag AwsSolutions on stage %s", (stage) => {
  it.each(["primary", "dr"] as const)("reports no unsuppressed error in the %s region", async (side) => {
    const { raw } = await synthStage(stage);
    const found: string[] = [];
    const stacks = Object.entries(raw[side].stacks);
    expect(stacks.length).toBeGreaterThan(0);
    for (const [name, stack] of stacks) {
      Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
      for (const e of Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))) {
        found.push(`${name} ${e.id}: ${String(e.entry.data).slice(0, 160)}`);
      }
    }
    expect(found).toEqual([]);
  });
});
