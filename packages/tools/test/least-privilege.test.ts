import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readUsage } from "../src/aws-check/least-privilege";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("least privilege across the orchestrator's two regions", () => {
  it("counts a grant exercised by the function's copy in the other region (<functionId>@<region>) as exercised", () => {
    const dir = mkdtempSync(join(tmpdir(), "usage-"));
    dirs.push(dir);
    const statement = (resource: string) => ({ Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: resource });
    const lines = [
      { kind: "role", functionId: "HealthMonitorABCD1234", statements: [statement("arn:aws:rds:eu-central-1:1:db:replica")] },
      { kind: "role", functionId: "HealthMonitorABCD1234@eu-west-1", statements: [statement("arn:aws:rds:eu-west-1:1:db:primary")] },
      { kind: "use", functionId: "HealthMonitorABCD1234@eu-west-1", statement: statement("arn:aws:rds:eu-west-1:1:db:primary"), action: "rds:DescribeDBInstances" },
    ];
    writeFileSync(join(dir, "1.jsonl"), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
    const usage = readUsage(dir);
    expect(usage.grants.map((g) => [g.functionId, g.name, g.action, g.exercised])).toEqual([["HealthMonitorABCD1234", "HealthMonitor", "rds:DescribeDBInstances", true]]);
  });
});
