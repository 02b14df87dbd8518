/**
 * Least privilege, measured: every action each function's role grants, against the calls the
 * whole test run made with it (packages/world/src/iam-usage.ts). A granted action no test
 * exercised is either removed or explained next to the grant (`unexercisedGrants` in
 * stacks/failover/grants.ts); the report lists the rest as unexplained.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { wildcardMatch, type PolicyStatement, type UsageLine } from "../../../world/src";

export interface Grant {
  functionId: string;
  /** The function's construct id: the logical id without CDK's hash suffix. */
  name: string;
  action: string;
  resource: string;
  exercised: boolean;
  explanation?: string;
}

/** A function's copy in another region (`<functionId>@<region>`, world regionalCopy) is the same function, with the same grants. */
const functionOf = (functionId: string) => functionId.replace(/@[a-z0-9-]+$/, "");
const nameOf = (functionId: string) => functionOf(functionId).replace(/[0-9A-F]{8}$/, "");
/** A grant across worlds: its resources name each world's own table or secret, so they do not tell grants apart. */
const grantKey = (s: PolicyStatement) => JSON.stringify({ Effect: s.Effect, Action: s.Action, NotAction: s.NotAction, Condition: s.Condition });

export interface IamUsage {
  /** Calls a function's role allowed, calls it denied, and calls made outside any function. */
  allowed: number;
  denied: { functionId: string; action: string; resource: string }[];
  unattributed: number;
  /** Of those, calls by functions the world holds no role for, per function. */
  unchecked: Record<string, number>;
  grants: Grant[];
}

/** The run's IAM usage: the figures, and every Allow statement's actions per function with whether a call used each. */
export function readUsage(dir: string, explanations: Record<string, Record<string, string>> = {}): IamUsage {
  const lines = !existsSync(dir)
    ? []
    : readdirSync(dir)
        .filter((f) => f.endsWith(".jsonl"))
        .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as UsageLine));
  const usage: IamUsage = { allowed: 0, denied: [], unattributed: 0, unchecked: {}, grants: [] };
  const statements = new Map<string, Map<string, PolicyStatement>>();
  const uses = new Map<string, { statement: string; action: string }[]>();
  for (const line of lines) {
    if (line.kind === "call") {
      if (line.verdict === "allowed") usage.allowed += 1;
      else if (line.verdict === "unattributed") {
        usage.unattributed += 1;
        if (line.function) usage.unchecked[line.function] = (usage.unchecked[line.function] ?? 0) + 1;
      }
      else usage.denied.push({ functionId: line.functionId, action: line.action, resource: line.resource });
    } else if (line.kind === "role") {
      const known = statements.get(functionOf(line.functionId)) ?? new Map<string, PolicyStatement>();
      for (const s of line.statements) if (!known.has(grantKey(s))) known.set(grantKey(s), s);
      statements.set(functionOf(line.functionId), known);
    } else {
      uses.set(functionOf(line.functionId), [...(uses.get(functionOf(line.functionId)) ?? []), { statement: grantKey(line.statement), action: line.action }]);
    }
  }
  for (const [functionId, known] of [...statements].sort(([a], [b]) => a.localeCompare(b))) {
    const name = nameOf(functionId);
    for (const [key, s] of known) {
      if (s.Effect !== "Allow") continue;
      for (const action of [s.Action ?? []].flat()) {
        const exercised = (uses.get(functionId) ?? []).some((u) => u.statement === key && wildcardMatch(action, u.action, true));
        const explanation = explanations[name]?.[action];
        usage.grants.push({ functionId, name, action, resource: [s.Resource ?? []].flat().join(", "), exercised, ...(explanation ? { explanation } : {}) });
      }
    }
  }
  return usage;
}
