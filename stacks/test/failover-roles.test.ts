/**
 * The roles the world enforces are the app's: the standalone failover template that the tests
 * and the rehearsal run the steps as (stacks/failover/standalone.ts) grants each step, and
 * CompleteFence, the health monitor and ExecutionEnded, the same actions under the same
 * conditions as the app's DR stacks (both through stacks/failover/grants.ts and
 * monitor-grants.ts; the failback's through stacks/failback/grants.ts; the app adds X-Ray for tracing, which no handler
 * calls through the SDK). Resources differ by design: the standalone names template parameters
 * that each world binds to its own resources.
 */
import { describe, expect, it } from "vitest";
import { standaloneFailbackTemplate } from "../failback/standalone";
import { standaloneFailoverTemplate } from "../failover/standalone";
import { synthRegion } from "./support/synth";

interface Statement {
  Effect: string;
  Action: string | string[];
  Condition?: unknown;
}
type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Function name (construct id) → its role's statements, without resources. */
function grantsByFunction(template: Template): Map<string, { Effect: string; Action: string[]; Condition?: unknown }[]> {
  const resources = Object.entries(template.Resources ?? {});
  const byFunction = new Map<string, { Effect: string; Action: string[]; Condition?: unknown }[]>();
  for (const [id, fn] of resources.filter(([, r]) => r.Type === "AWS::Lambda::Function")) {
    const roleId = (fn.Properties?.Role as { "Fn::GetAtt"?: [string] } | undefined)?.["Fn::GetAtt"]?.[0];
    const statements = resources
      .filter(([, r]) => r.Type === "AWS::IAM::Policy" && ((r.Properties?.Roles ?? []) as { Ref?: string }[]).some((x) => x.Ref === roleId))
      .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .map((s) => ({ Effect: s.Effect, Action: [s.Action].flat(), ...(s.Condition ? { Condition: s.Condition } : {}) }))
      .filter((s) => !s.Action.every((a) => a.startsWith("xray:")));
    byFunction.set(id.replace(/[0-9A-F]{8}$/, ""), statements);
  }
  return byFunction;
}

describe("the failover roles the world enforces", () => {
  it("grant every step, CompleteFence, the monitor and ExecutionEnded the app's actions and conditions (stage dnsdemo, DR Failover, Monitor, Operations stacks)", () => {
    const { stacks } = synthRegion("dnsdemo", "dr");
    const app = new Map(["Failover", "Monitor", "Operations"].flatMap((name) => [...grantsByFunction(stacks[name]?.template as Template)]));
    const standalone = grantsByFunction(standaloneFailoverTemplate().toJSON() as Template);
    expect(standalone.size).toBeGreaterThan(20);
    for (const [name, grants] of standalone) expect(grants, name).toEqual(app.get(name));
  });
});

/** Condition operators and keys, values left out (the standalone's name its parameters' regions). */
const conditionKeys = (condition: unknown) => Object.fromEntries(Object.entries((condition ?? {}) as Record<string, Record<string, unknown>>).map(([op, keys]) => [op, Object.keys(keys).sort()]));

describe("the failback roles the world enforces", () => {
  it("grant every failback step the app's actions under the same condition keys (stage dnsdemo, DR Failback stack)", () => {
    const shape = (grants: { Effect: string; Action: string[]; Condition?: unknown }[] | undefined) => grants?.map((g) => ({ Effect: g.Effect, Action: g.Action, Condition: conditionKeys(g.Condition) }));
    const app = grantsByFunction(synthRegion("dnsdemo", "dr").stacks.Failback?.template as Template);
    const standalone = grantsByFunction(standaloneFailbackTemplate().toJSON() as Template);
    expect(standalone.size).toBeGreaterThan(20);
    for (const [name, grants] of standalone) expect(shape(grants), name).toEqual(shape(app.get(name)));
  });
});
