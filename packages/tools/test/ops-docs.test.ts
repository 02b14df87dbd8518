/**
 * The operations docs stay true: every `start-execution --input` in the runbook is accepted by
 * the state machine's input schema, the cost tables add up, and the first-deploy guide quotes
 * what the tools say and gives command lines they accept.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Failover } from "@pilot-light/core";
import { stageConfig } from "../../../stacks/stages";
import { parseCommandLine } from "../src/cli/args";

const doc = (name: string) => readFileSync(fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)), "utf8");

describe("docs/runbook.md", () => {
  const runbook = doc("runbook.md");
  const inputs = [...runbook.matchAll(/--input '([^']+)'/g)].map((m) => m[1] ?? "");

  it("shows a hand-started input for each mode", () => {
    const modes = inputs.map((i) => (JSON.parse(i) as { mode: string }).mode);
    expect(new Set(modes)).toEqual(new Set(["drill", "dry-run", "failover"]));
  });

  it.each(inputs.map((i) => [i]))("the state machine accepts %s", (input) => {
    const parsed = Failover.FailoverInput.safeParse(JSON.parse(input));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it.each(inputs.map((i) => [i]))("%s has no key the schema would silently drop", (input) => {
    const keys = Object.keys(JSON.parse(input) as object);
    expect(keys.filter((k) => !(k in Failover.FailoverInput.shape))).toEqual([]);
  });

  it("starts with a decision tree whose boxes name sections of the runbook", () => {
    const tree = /^# [^\n]+\n\n## What to do now\n\n```mermaid\nflowchart TD\n([\s\S]+?)```/.exec(runbook)?.[1] ?? "";
    expect(tree).not.toBe("");
    const headings = [...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const section of ["After a failover", "NeedsOperator", "An execution timed out or was aborted"]) {
      expect(tree).toContain(`"${section}"`);
      expect(headings).toContain(section);
    }
  });

  it("uses the stage's values, not one stage's numbers, and no SSM parameter an operator would set", () => {
    expect(runbook).not.toMatch(/--desired-count [1-9]/);
    expect(runbook).not.toMatch(/--db-instance-class db\./);
    expect(runbook).not.toMatch(/set the SSM parameter/i);
    for (const placeholder of ["<drTaskCount>", "<drPilotTaskCount>", "<primaryTaskCount>", "<dbInstanceClass>"]) expect(runbook).toContain(placeholder);
  });

  it("starts every execution on this stage's state machine in the DR region", () => {
    const arns = [...runbook.matchAll(/--state-machine-arn (\S+)/g)].map((m) => m[1]);
    expect(arns.length).toBe(inputs.length);
    for (const arn of arns) expect(arn).toBe("arn:aws:states:eu-central-1:<account>:stateMachine:pilot-light-<stage>-failover");
  });
});

/** Rows of the markdown table that ends with the row whose first cell matches `total`. */
function tableAbove(text: string, total: RegExp): { items: number[]; total: number } {
  const lines = text.split("\n");
  const end = lines.findIndex((l) => total.test(l));
  expect(end, `row ${total}`).toBeGreaterThan(0);
  const money = (line: string) => {
    const cells = line.split("|").map((c) => c.trim()).filter(Boolean);
    const last = cells[cells.length - 1] ?? "";
    const m = /\$([\d,]+\.\d+)/.exec(last);
    return m ? Number(m[1]!.replace(/,/g, "")) : undefined;
  };
  const items: number[] = [];
  for (let i = end - 1; i >= 0 && lines[i]!.startsWith("|") && !/^\|[-| ]+\|$/.test(lines[i]!); i--) {
    const v = money(lines[i]!);
    if (v !== undefined) items.push(v);
  }
  return { items, total: money(lines[end]!) ?? NaN };
}

describe("the operators' commands", () => {
  // The health path is the stage's (application.healthPath): a command that probes it names it so.
  it.each(["runbook.md", "failover.md", "failback.md"])("in docs/%s probe the stage's health path, not a hard-coded /health.php", (name) => {
    const commands = [...doc(name).matchAll(/`(curl [^`]+)`/g)].map((m) => m[1] ?? "");
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => c.includes("/health.php"))).toEqual([]);
    expect(commands.filter((c) => /health|ALB|alb|primary|record/.test(c) && !c.includes("<healthPath>"))).toEqual([]);
  });
});

describe("docs/cost.md", () => {
  const cost = doc("cost.md");
  const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 100) / 100;

  it.each([[/\*\*Primary total\*\*/], [/\*\*DR total\*\*/]])("the rows above %s add up to it", (row) => {
    const { items, total } = tableAbove(cost, row);
    expect(items.length).toBeGreaterThan(10);
    expect(sum(items)).toBeCloseTo(total, 2);
  });

  it("adds the regions and the orchestration into both totals", () => {
    const value = (label: string) => Number(new RegExp(`\\| ${label.replace(/[()]/g, "\\$&")} \\| \\*{0,2}\\$([\\d.]+)`).exec(cost)?.[1]);
    const primary = value("Primary region (eu-west-1)");
    const dr = value("DR region (eu-central-1), pilot light");
    expect(sum([primary, dr, value("Orchestration (DR region), default detection `rate(5 minutes)`")])).toBe(value("\\*\\*Total, default profile\\*\\*"));
    expect(sum([primary, dr, value("Orchestration, fast detection `rate(1 minute)`")])).toBe(value("\\*\\*Total, fast profile\\*\\*"));
  });

  it("derives the orchestration totals from ticks, the per-tick prices and the fixed items", () => {
    const perTick = (ticks: number) =>
      ticks * 0.25 * 1 * 0.0000133334 + // Lambda GB-seconds (256 MB, 1 s)
      (ticks * 0.2) / 1e6 + // Lambda requests
      (ticks * 3 * 0.7625) / 1e6 + // DynamoDB write units
      (ticks * 0.1525) / 1e6 + // DynamoDB read unit
      ((ticks * 4.5) / 1024 / 1024) * 0.63 + // CloudWatch Logs
      (ticks * 5) / 1e6; // X-Ray
    // CompleteFence on the monitor's schedule: one 0.3 s invocation of 256 MB and 1 KB of logs.
    const fence = (ticks: number) => (ticks * 0.2) / 1e6 + ticks * 0.3 * 0.25 * 0.0000133334 + (ticks / 1024 / 1024) * 0.63;
    // The readiness evaluation every 30 minutes: 5 s of 256 MB, 5 KB of logs, two KMS reads; its metric and 3 alarms.
    const evaluations = (730 * 60) / 30;
    const readiness = evaluations * (0.2 / 1e6 + 5 * 0.25 * 0.0000133334 + (5 / 1024 / 1024) * 0.63) + (evaluations * 2 * 0.03) / 10000 + 0.3 + 3 * 0.1;
    expect(cost).toContain(`| readiness evaluation (every 30 minutes) | $${readiness.toFixed(2)} | $${readiness.toFixed(2)} |`);
    const fixed = 4 * 0.3 + 6 * 0.1 + 3 + ((4 * (17 + 3 * 5) + 4 * 5) * 0.025) / 1000 + readiness;
    const ticks = (minutes: number) => (730 * 60) / minutes;
    expect([ticks(5), ticks(1)]).toEqual([8760, 43800]);
    const total = (t: number) => (perTick(t) + fence(t) + fixed).toFixed(2);
    expect(cost).toContain(`| **orchestration total** | **$${total(ticks(5))}** | **$${total(ticks(1))}** |`);
  });
});

describe("docs/first-deploy.md", () => {
  const guide = doc("first-deploy.md");

  it("is reachable from the README", () => {
    expect(readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8")).toContain("(docs/first-deploy.md)");
  });

  it("quotes the refusal of the example prod stage word for word", () => {
    const quoted = /```\n(stage "prod" still holds[^\n]+)\n```/.exec(guide)?.[1];
    expect(quoted).toBeDefined();
    expect(() => stageConfig("prod")).toThrow(quoted!);
  });

  it.each([...guide.matchAll(/^pnpm dr ([^#\n]+?)\s*(#.*)?$/gm)].map((m) => [m[1]!]))("gives a command line pnpm dr accepts: %s", (line) => {
    const parsed = parseCommandLine(line.split(/\s+/));
    expect(parsed.help).toBe(false);
  });

  it("ends with a dry-run, then a drill that waits for its result", () => {
    const commands = [...guide.matchAll(/^pnpm dr ([^#\n]+?)\s*(#.*)?$/gm)].map((m) => m[1]);
    expect(commands.slice(-2)).toEqual(["dry-run --stage prod", "drill --stage prod --wait"]);
  });
});
