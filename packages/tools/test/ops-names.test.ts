/** Operations' pure names and links: what the CLI prints and the console opens. */
import { describe, expect, it } from "vitest";
import { Errors, Operations } from "@pilot-light/core";

const machine = "arn:aws:states:eu-central-1:123456789012:stateMachine:pilot-light-prod-failover";

describe("state machine and execution links", () => {
  it("builds the state machine ARN from region, account and the deterministic name", () => {
    expect(Operations.stateMachineArn({ region: "eu-central-1", account: "123456789012", name: "pilot-light-prod-failover" })).toBe(machine);
  });

  it.each([
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["eu-central-1", "aws"],
  ])("builds the state machine ARN in %s in the region's partition, %s", (region, partition) => {
    expect(Operations.stateMachineArn({ region, account: "123456789012", name: "pilot-light-prod-failover" })).toBe(`arn:${partition}:states:${region}:123456789012:stateMachine:pilot-light-prod-failover`);
  });

  it("links an execution to the console's execution view in the execution's own region", () => {
    const arn = Operations.executionArn(machine, "drill-prod-20261128T053000Z");
    expect(arn).toBe("arn:aws:states:eu-central-1:123456789012:execution:pilot-light-prod-failover:drill-prod-20261128T053000Z");
    expect(Operations.executionConsoleUrl(arn)).toBe(
      "https://eu-central-1.console.aws.amazon.com/states/home?region=eu-central-1#/v2/executions/details/arn:aws:states:eu-central-1:123456789012:execution:pilot-light-prod-failover:drill-prod-20261128T053000Z",
    );
  });

  it("rejects something that is not an ARN", () => {
    expect(() => Operations.executionConsoleUrl("drill-prod")).toThrow(Errors.ValidationError);
  });
});

describe("execution names", () => {
  const at = new Date("2026-11-28T05:30:00.987Z");
  it.each([
    ["drill", "prod", undefined, "drill-prod-20261128T053000Z"],
    ["dry-run", "prod", undefined, "dry-run-prod-20261128T053000Z"],
    ["failover", "prod", undefined, "failover-prod-20261128T053000Z"],
    ["failover", "prod", "primary-20261128T052500Z", "failover-primary-20261128T052500Z"],
    ["drill", "prod", "primary-20261128T052500Z", "drill-prod-20261128T053000Z"],
  ] as const)("%s on %s (incident %s) → %s", (mode, stage, incident, name) => {
    expect(Operations.executionName(mode, stage, at, incident)).toBe(name);
  });

  it("fits Step Functions' 80-character limit for the longest stage name", () => {
    expect(Operations.executionName("dry-run", "a".repeat(21), at).length).toBeLessThanOrEqual(80);
  });

  it("refuses a name Step Functions would reject", () => {
    expect(() => Operations.executionName("failover", "prod", at, "x".repeat(80))).toThrow(/not a valid Step Functions name/);
  });
});

describe("alarm texts", () => {
  const texts = Operations.alarmTexts({ stage: "prod", drRegion: "eu-central-1", stateMachineName: "pilot-light-prod-failover", scheduleMinutes: 5, failureThreshold: 3 });

  it("names every alarm after the stage", () => {
    expect(Object.values(texts).map((t) => t.name)).toEqual([
      "pilot-light-prod-failover-execution-failed",
      "pilot-light-prod-failover-execution-timed-out",
      "pilot-light-prod-notification-failed",
      "pilot-light-prod-health-monitor-not-running",
    ]);
  });

  it("tells the reader of a failed execution where to look and what each end state means", () => {
    expect(texts.executionFailed.description).toContain("pnpm dr status --stage prod");
    expect(texts.executionFailed.description).toContain('NeedsOperator: the database was promoted and nothing was undone; finish the failover by hand (docs/runbook.md, "NeedsOperator")');
    expect(texts.executionFailed.description).toContain("RolledBack");
  });

  it("warns that a timed-out execution ran no compensation", () => {
    expect(texts.executionTimedOut.description).toMatch(/no compensation ran and the failover lock may still be held/);
  });

  it("says how long the monitor has been silent in minutes for the stage's schedule", () => {
    expect(texts.monitorNotRunning.description).toContain("has not run for 10 minutes (two schedule periods)");
    const fast = Operations.alarmTexts({ stage: "prod", drRegion: "eu-central-1", stateMachineName: "m", scheduleMinutes: 1, failureThreshold: 2 });
    expect(fast.monitorNotRunning.description).toContain("has not run for 2 minutes");
  });

  it("keeps every description within CloudWatch's 1024-character limit", () => {
    for (const t of Object.values(texts)) expect(t.description.length).toBeLessThanOrEqual(1024);
  });
});
