/** cdk-nag's AwsSolutions pack over every stack of both regions: zero unsuppressed errors. */
import { describe, expect, it } from "vitest";
import { App, Aspects, Stack } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { nagErrorsOf } from "../../packages/tools/src/offline-synth";
import { synthStage } from "./support/synth";

describe.each(["dev", "dnsdemo", "prod"])("cdk-nag AwsSolutions on stage %s", (stage) => {
  it.each(["primary", "dr"] as const)("reports no unsuppressed error in the %s region", (side) => {
    const { raw } = synthStage(stage);
    const { nagErrors } = raw[side];
    expect(Object.keys(nagErrors).length).toBeGreaterThan(0);
    expect(Object.entries(nagErrors).flatMap(([stack, errors]) => errors.map((e) => `${stack} ${e}`))).toEqual([]);
  });

});

describe("the nag check itself", () => {
  it("reports an unsuppressed finding, so a clean result means something", () => {
    const app = new App();
    const stack = new Stack(app, "Insecure");
    new s3.Bucket(stack, "NoTls");
    Aspects.of(app).add(new AwsSolutionsChecks());
    const errors = nagErrorsOf(app.synth().getStackArtifact(stack.artifactId));
    expect(errors.some((e) => e.includes("AwsSolutions-S10"))).toBe(true);
  });
});
