/**
 * Every resource of every synthesized stage and region, against CloudFormation's own resource
 * schemas (@aws-cdk/aws-service-spec, packages/tools/src/aws-check/schema.ts) and their patterns,
 * lengths and bounds (@awboost/cfn-resource-types, packages/tools/src/aws-check/patterns.ts): zero errors.
 * And every role under the stage's IAM path (stacks/role-path.ts), which grants on the stage's
 * roles name instead of CloudFormation's generated names.
 */
import { describe, expect, it } from "vitest";
import { constraintErrors } from "../../packages/tools/src/aws-check/patterns";
import { templateErrors } from "../../packages/tools/src/aws-check/schema";
import { Stage } from "@pilot-light/core";
import { synthRegion } from "./support/synth";
import { variants } from "./support/variants";

describe("templates valid against CloudFormation's resource schemas", () => {
  it("include a stage of the longest name allowed, so every name is checked at that length", () => {
    expect(Math.max(...variants.map((v) => v.stage.length))).toBe(21);
    expect(() => Stage.resolveStageConfig("x".repeat(22), {})).toThrow(/name must be 1-21 lowercase letters/);
  });

  it.each(variants.flatMap((v) => v.regions.map((role) => [v.id, role] as const)))("%s (%s): every resource has a known type, known properties of the right types, its required ones, values within their patterns, lengths and bounds", (id, role) => {
    const { stacks } = synthRegion(id, role);
    const resources = Object.values(stacks).reduce((n, s) => n + Object.keys((s.template as { Resources?: object }).Resources ?? {}).length, 0);
    expect(resources).toBeGreaterThan(0);
    expect(Object.entries(stacks).flatMap(([name, s]) => templateErrors(s.template as never).map((e) => `${name}: ${e}`))).toEqual([]);
    const constraints = Object.entries(stacks).map(([name, s]) => [name, constraintErrors(s.template as never)] as const);
    expect(constraints.flatMap(([name, c]) => [...c.errors, ...c.uncovered, ...c.unreadable].map((e) => `${name}: ${e}`))).toEqual([]);
    expect(constraints.reduce((n, [, c]) => n + c.checked, 0)).toBeGreaterThan(0);
  });
});

describe("the stage's roles", () => {
  it.each(variants.flatMap((v) => v.regions.map((role) => [v.id, role] as const)))("%s (%s): every IAM role the stacks create is under the stage's IAM path, but a role named by the stage", (id, role) => {
    const { stage, stacks } = synthRegion(id, role);
    const roles = Object.entries(stacks).flatMap(([name, s]) =>
      Object.entries((s.template as { Resources?: Record<string, { Type: string; Properties?: { Path?: string; RoleName?: string } }> }).Resources ?? {})
        .filter(([, r]) => r.Type === "AWS::IAM::Role")
        .map(([logicalId, r]) => ({ role: `${name}/${logicalId}`, path: r.Properties?.Path, named: r.Properties?.RoleName !== undefined })),
    );
    expect(roles.length).toBeGreaterThan(0);
    expect(roles.filter((r) => !r.named && r.path !== Stage.resourceNames({ app: "pilot-light", stage }).rolePath).map((r) => `${r.role}: ${r.path ?? "no path"}`)).toEqual([]);
    // A named role keeps its path: Path replaces a role, and CloudFormation replaces no custom-named resource.
    expect(roles.filter((r) => r.named && r.path !== undefined).map((r) => r.role)).toEqual([]);
  });
});
