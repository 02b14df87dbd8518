import { describe, expect, it } from "vitest";
import { Tags } from "../src";

describe("tag values both RDS and ECS accept", () => {
  it.each([
    ["failover fo-1 (incident inc-1)", "failover fo-1 incident inc-1"],
    ["fence completed by the health monitor after a failover", "fence completed by the health monitor after a failover"],
    ["arn:aws:rds:eu-west-1:123456789012:db:pilot-light-prod-primary", "arn:aws:rds:eu-west-1:123456789012:db:pilot-light-prod-primary"],
    ["aws:cloudformation:stack-name", "cloudformation:stack-name"],
    ["RDS:AWS: x", "x"],
    ["line one\nline two; \"quoted\", <b>", "line one line two quoted b"],
    ["", ""],
  ])("makes %j into %j", (text, value) => {
    expect(Tags.tagValue(text)).toBe(value);
    expect(Tags.isValidValue(Tags.tagValue(text))).toBe(true);
  });

  it("cuts a value at 256 Unicode characters, not bytes", () => {
    const value = Tags.tagValue("é".repeat(300));
    expect([...value]).toHaveLength(256);
    expect(Tags.isValidValue(value)).toBe(true);
  });
});

describe("tags copied from an instance to its replacement", () => {
  const tags = [
    { Key: "sst:stage", Value: "prod" },
    { Key: "aws:cloudformation:stack-name", Value: "prod-pilot-light-Data" },
    { Key: "aws:cloudformation:logical-id", Value: "Primary" },
    { Key: "AWS:Something", Value: "x" },
    { Key: "rds:own", Value: "x" },
    { Key: "pilot-light:replica-of", Value: "arn:aws:rds:eu-central-1:1:db:x" },
    { Key: "team", Value: "payments (EU)" },
  ];

  it("drops AWS's reserved keys (any case) and the prefixes asked for, and makes values valid", () => {
    expect(Tags.copyableTags(tags, ["pilot-light:"])).toEqual([
      { Key: "sst:stage", Value: "prod" },
      { Key: "team", Value: "payments EU" },
    ]);
  });

  it.each([
    ["aws:cloudformation:stack-id", false],
    ["rds:x", false],
    ["", false],
    ["k".repeat(129), false],
    ["a(b)", false],
    ["pilot-light:fenced", true],
    ["Équipe 1", true],
  ])("key %j valid: %s", (key, valid) => {
    expect(Tags.isValidKey(key)).toBe(valid);
  });
});
