/**
 * Every resource of every synthesized stage and region, against CloudFormation's own resource
 * schemas (@aws-cdk/aws-service-spec, packages/tools/src/aws-check/schema.ts) and their patterns,
 * lengths and bounds (@awboost/cfn-resource-types, packages/tools/src/aws-check/patterns.ts): zero errors.
 */
import { describe, expect, it } from "vitest";
import { constraintErrors } from "../../packages/tools/src/aws-check/patterns";
import { templateErrors } from "../../packages/tools/src/aws-check/schema";
import { synthRegion } from "./support/synth";
import { variants } from "./support/variants";

describe("templates valid against CloudFormation's resource schemas", () => {
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
