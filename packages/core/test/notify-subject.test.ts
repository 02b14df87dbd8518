import { describe, expect, it } from "vitest";
import { Notify } from "../src";

describe("e-mail subjects SNS accepts (ASCII, no line breaks, under 100 characters)", () => {
  it.each([
    ["[pilot-light prod] Failover succeeded (inc-1)", "[pilot-light prod] Failover succeeded (inc-1)"],
    ["Primary → DR…", "Primary -> DR..."],
    ["two\nlines", "two lines"],
    ["Zürich é", "Zurich e"],
  ])("makes %j into %j", (text, subject) => {
    expect(Notify.emailSubject(text)).toBe(subject);
  });

  it("cuts a subject of 100 characters or more below 100, ending in ...", () => {
    const subject = Notify.emailSubject(`[pilot-light test] Failover stood down at PromoteReplica: the primary answers again (inc-20260101-0300)`);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^\[pilot-light test\] Failover stood down.*\.\.\.$/);
    expect(subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
  });
});
