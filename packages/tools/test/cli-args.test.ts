/** The operator CLI's command line and confirmation rules, table-driven, no AWS. */
import { describe, expect, it } from "vitest";
import { confirmation, confirmationQuestion, isConfirmed, parseCommandLine, type Invocation } from "../src/cli/args";
import { UsageError } from "../src/cli/errors";
import { requiredStacks } from "../src/dr";

function invocation(argv: string[]): Invocation {
  const parsed = parseCommandLine(argv);
  if (parsed.help) throw new Error("expected an invocation, got help");
  return parsed.invocation;
}

describe("parsing the command line", () => {
  it.each([
    [["status", "--stage", "prod"], { command: "status", stage: "prod", wait: false }],
    [["drill", "--stage", "prod"], { command: "drill", reason: undefined, wait: false, acknowledgeRpoBreach: false, json: false }],
    [["status", "--stage", "prod", "--json"], { command: "status", json: true }],
    [["dry-run", "--stage", "prod"], { command: "dry-run", wait: true }],
    [["dry-run", "--stage", "prod", "--no-wait"], { command: "dry-run", wait: false }],
    [["drill", "--stage", "prod", "--wait", "--no-wait"], { wait: false }],
    [["drill", "--stage", "prod", "--wait", "--acknowledge-rpo-breach"], { wait: true, acknowledgeRpoBreach: true }],
    [["failover", "--stage", "prod", "--reason", " eu-west-1 down ", "--yes"], { command: "failover", reason: "eu-west-1 down", yes: true, switchDns: true }],
    [["failover", "--stage", "prod", "--reason", "x", "-y", "--no-dns", "--incident", "primary-20261128T060000Z"], { yes: true, switchDns: false, incidentId: "primary-20261128T060000Z" }],
    [["close-incident", "--stage", "prod", "--note", "primary back", "--requested-by", "alice"], { command: "close-incident", note: "primary back", requestedBy: "alice" }],
  ] as const)("%j → %j", (argv, expected) => {
    expect(invocation([...argv])).toMatchObject(expected);
  });

  it.each([[[]], [["--help"]], [["-h"]]])("prints the program's help with every command and examples for %j", (argv) => {
    const parsed = parseCommandLine(argv);
    expect(parsed.help).toBe(true);
    const text = parsed.help ? parsed.text : "";
    expect(text).toMatch(/^Usage: pnpm dr <command> --stage <stage> \[options\]/);
    for (const c of ["status", "drill", "dry-run", "failover", "close-incident"]) expect(text).toContain(c);
  });

  it.each([["status"], ["drill"], ["dry-run"], ["failover"], ["close-incident"]])("%s --help and -h show that command's options and examples", (command) => {
    for (const flag of ["--help", "-h"]) {
      const parsed = parseCommandLine([command, flag]);
      const text = parsed.help ? parsed.text : "";
      expect(text).toMatch(new RegExp(`^Usage: pnpm dr ${command} \\[options\\]`));
      expect(text).toContain("--stage <stage>");
      expect(text).toContain(`Examples:\n  $ pnpm dr ${command} --stage prod`);
    }
  });

  it("offers --json on every command that prints a result", () => {
    for (const command of ["status", "drill", "dry-run", "failover"]) {
      const parsed = parseCommandLine([command, "--help"]);
      expect(parsed.help ? parsed.text : "", command).toContain("--json");
    }
  });

  it.each([
    [["promote", "--stage", "prod"], /unknown command 'promote'/],
    [["status"], /required option '--stage <stage>' not specified/],
    [["status", "--stage"], /--stage/],
    [["status", "--stage", "Prod_1"], /--stage <stage>' argument 'Prod_1' is invalid/],
    [["status", "--stage", "prod", "--force"], /unknown option '--force'/],
    [["drill", "--stage", "prod", "primary", "down"], /too many arguments/],
    [["failover", "--stage", "prod", "--yes"], /failover needs --reason/],
    [["failover", "--stage", "prod", "--reason", "   "], /--reason must not be empty/],
    [["drill", "--stage", "prod", "--yes"], /unknown option '--yes'/],
    [["status", "--stage", "prod", "--reason", "x"], /unknown option '--reason'/],
    [["drill", "--stage", "prod", "--no-dns"], /unknown option '--no-dns'/],
    [["dry-run", "--stage", "prod", "--acknowledge-rpo-breach"], /unknown option '--acknowledge-rpo-breach'/],
    [["close-incident", "--stage", "prod"], /close-incident needs --note/],
    [["close-incident", "--stage", "prod", "--note", "n", "--json"], /unknown option '--json'/],
  ] as const)("rejects %j with a message saying what to type", (argv, message) => {
    expect(() => parseCommandLine([...argv])).toThrow(UsageError);
    expect(() => parseCommandLine([...argv])).toThrow(message);
  });
});

describe("confirmation", () => {
  it.each([
    ["failover", false, true, "ask"],
    ["failover", false, false, "refuse"],
    ["failover", true, false, "proceed"],
    ["failover", true, true, "proceed"],
    ["drill", false, false, "proceed"],
    ["dry-run", false, false, "proceed"],
    ["status", false, false, "proceed"],
    ["close-incident", false, false, "proceed"],
  ] as const)("%s with --yes=%s on a terminal=%s → %s", (command, yes, terminal, expected) => {
    expect(confirmation({ command, yes }, terminal)).toBe(expected);
  });

  it.each([
    ["prod", true],
    [" prod\n", true],
    ["y", false],
    ["yes", false],
    ["", false],
    ["PROD", false],
  ])("answer %j confirms a failover of prod: %s", (answer, confirmed) => {
    expect(isConfirmed(answer, "prod")).toBe(confirmed);
  });

  it("says what a failover does and that the promotion cannot be undone", () => {
    const q = confirmationQuestion("prod", "eu-west-1", "eu-central-1");
    expect(q).toContain('REAL failover of stage "prod" from eu-west-1 to eu-central-1');
    expect(q).toContain("cannot be undone");
    expect(q).toMatch(/Type the stage name \(prod\)/);
  });
});

describe("stacks each command needs", () => {
  it.each([
    ["status", ["State"]],
    ["close-incident", ["State"]],
    ["drill", ["State", "Failover"]],
    ["dry-run", ["State", "Failover"]],
    ["failover", ["State", "Failover"]],
  ] as const)("%s checks %j", (command, stacks) => {
    expect(requiredStacks(command)).toEqual(stacks);
  });
});
