/** cdk-nag's AwsSolutions pack over every stack of both regions: zero unsuppressed errors. */
import { describe, expect, it } from "vitest";
import { App, ArnFormat, Aspects, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { nagErrorsOf } from "../../packages/tools/src/offline-synth";
import { wildcardResources } from "../nag";
import { synthStage } from "./support/synth";

describe.each(["dev", "dnsdemo", "prod", "adopted"])("cdk-nag AwsSolutions on stage %s", (stage) => {
  it.each(["primary", "dr"] as const)("reports no unsuppressed error in the %s region", (side) => {
    const { raw } = synthStage(stage);
    const { nagErrors } = raw[side];
    expect(Object.keys(nagErrors).length).toBeGreaterThan(0);
    expect(Object.entries(nagErrors).flatMap(([stack, errors]) => errors.map((e) => `${stack} ${e}`))).toEqual([]);
  });

  it("suppresses AwsSolutions-IAM5 only for named resources, never with a catch-all pattern", () => {
    const { dr, primary } = synthStage(stage);
    const suppressions = Object.values({ ...dr, ...primary }).flatMap((template) =>
      Object.values((template.toJSON() as { Resources?: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress?: { id: string; applies_to?: unknown[] }[] } } }> }).Resources ?? {}).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []),
    );
    const iam5 = suppressions.filter((s) => s.id === "AwsSolutions-IAM5");
    expect(iam5.length).toBeGreaterThan(0);
    // Every IAM5 suppression says which findings it covers; a pattern may only name one ARN shape.
    expect(iam5.filter((s) => !s.applies_to?.length)).toEqual([]);
    const patterns = iam5.flatMap((s) => (s.applies_to ?? []).filter((a): a is { regex: string } => typeof a === "object" && a !== null));
    expect(patterns.filter((p) => /Resource::\.\*/.test(p.regex))).toEqual([]);
  });
});

describe("wildcardResources", () => {
  it("names a statement's wildcard resources as AwsSolutions-IAM5 reports them, and only those", () => {
    const stack = new Stack(new App(), "Grants");
    const db = stack.formatArn({ service: "rds", region: "eu-west-1", resource: "db", resourceName: "pl-prod-*", arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const exact = stack.formatArn({ service: "rds", region: "eu-west-1", resource: "db", resourceName: "pl-prod-db", arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const statements = [new iam.PolicyStatement({ actions: ["rds:ModifyDBInstance"], resources: [db, exact] }), new iam.PolicyStatement({ actions: ["kms:CreateGrant"], resources: ["*"] })];
    expect(wildcardResources(stack, statements)).toEqual(["Resource::*", "Resource::arn:<AWS::Partition>:rds:eu-west-1:<AWS::AccountId>:db:pl-prod-*"]);
    expect(wildcardResources(stack, [new iam.PolicyStatement({ actions: ["rds:ModifyDBInstance"], resources: [exact] })])).toEqual([]);
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
