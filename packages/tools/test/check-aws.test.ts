/** `pnpm check:aws`: its command line, and a verdict that follows the figures. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { report, run, type AwsFigures } from "../src/check-aws";
import type { Io } from "../src/cli/program";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
  return { io: value, out: () => out.join("\n"), err: () => err.join("\n") };
}

const grant = { functionId: "PromoteReplica3B684628", name: "PromoteReplica", action: "rds:PromoteReadReplica", resource: "arn:aws:rds:eu-central-1:1:db:r", exercised: true };
const clean = (): AwsFigures => ({
  iam: { allowed: 10, denied: [], unattributed: 2, unchecked: { ReverseReplication: 1 }, grants: [grant] },
  schema: { regions: 2, resources: 40, errors: [] },
  constraints: { checked: 30, errors: [], uncovered: [], unreadable: [] },
  replacements: { deploys: 2, changes: [] },
  errorNames: { raised: 5, findings: [] },
  errorEquals: { findings: [] },
});

describe("pnpm check:aws", () => {
  it("prints usage for --help and exits 0; a usage mistake exits 2", async () => {
    const help = io();
    expect(await run(["--help"], help.io)).toBe(0);
    expect(help.out()).toContain("Usage: pnpm check:aws");
    expect(await run(["--bogus"], io().io)).toBe(2);
  });

  it("exits 1 and says what to run when the test run left no synthesis", async () => {
    const h = io();
    const empty = mkdtempSync(join(tmpdir(), "check-aws-"));
    expect(await run(["--templates", empty, "--usage", empty], h.io)).toBe(1);
    expect(h.err()).toMatch(/no complete synthesis .* run the stacks tests first/);
  });

  it("is clean when every figure is", () => {
    const h = io();
    expect(report(h.io, clean())).toBe(true);
    expect(h.out()).toContain("calls authorised                 10");
    expect(h.out()).toContain("calls not checked                2: 1 outside any function (test set-up, operator tools), 1 by 1 functions whose role the world does not hold");
    expect(h.out()).toContain("Verdict: clean");
  });

  it.each([
    ["an unexplained unused grant", (f: AwsFigures) => f.iam.grants.push({ ...grant, action: "rds:ModifyDBInstance", exercised: false })],
    ["a schema error", (f: AwsFigures) => f.schema.errors.push("dev primary Data: Db (AWS::RDS::DBInstance).MultiAZ: expected a boolean")],
    ["a value outside its pattern", (f: AwsFigures) => f.constraints.errors.push('dev dr Failover: Logs (AWS::Logs::LogGroup).LogGroupName: "a b" does not match the pattern')],
    ["a resource type without patterns", (f: AwsFigures) => f.constraints.uncovered.push("AWS::New::Thing")],
    ["a pattern JavaScript cannot read", (f: AwsFigures) => f.constraints.unreadable.push("dev dr Failover: Fn.Description: (?x)")],
    ["a replaced database", (f: AwsFigures) => f.replacements.changes.push("x: Data/Primary (AWS::RDS::DBInstance): WILL_REPLACE")],
    ["an error name the SDK does not know", (f: AwsFigures) => f.errorNames.findings.push("rds raises X")],
    ["a Retry on an error nothing raises", (f: AwsFigures) => f.errorEquals.findings.push("A: X")],
  ])("is not clean with %s", (_, spoil) => {
    const figures = clean();
    spoil(figures);
    const h = io();
    expect(report(h.io, figures)).toBe(false);
    expect(h.out()).toContain("Verdict: NOT clean");
  });

  it("accepts an unused grant explained next to it", () => {
    const figures = clean();
    figures.iam.grants.push({ ...grant, action: "rds:ModifyDBInstance", exercised: false, explanation: "kept for the runbook's manual path" });
    const h = io();
    expect(report(h.io, figures)).toBe(true);
    expect(h.out()).toContain("explained   PromoteReplica rds:ModifyDBInstance: kept for the runbook's manual path");
  });
});
