/**
 * Every resource of every synthesized stage and region, against CloudFormation's own resource
 * schemas (@aws-cdk/aws-service-spec, packages/tools/src/aws-check/schema.ts): zero errors.
 */
import { describe, expect, it } from "vitest";
import { templateErrors } from "../../packages/tools/src/aws-check/schema";
import { synthRegion } from "./support/synth";
import { variants } from "./support/variants";

describe("templates valid against CloudFormation's resource schemas", () => {
  it.each(variants.flatMap((v) => v.regions.map((role) => [v.id, role] as const)))("%s (%s): every resource has a known type, known properties of the right types, its required ones", (id, role) => {
    const { stacks } = synthRegion(id, role);
    const resources = Object.values(stacks).reduce((n, s) => n + Object.keys((s.template as { Resources?: object }).Resources ?? {}).length, 0);
    expect(resources).toBeGreaterThan(0);
    expect(Object.entries(stacks).flatMap(([name, s]) => templateErrors(s.template as never).map((e) => `${name}: ${e}`))).toEqual([]);
  });
});
