/**
 * The second opinion: Route 53's health checkers' latest results judged by Route 53's own rule
 * (healthy when more than 18 % of checkers say so), stale or missing reports as no opinion, and
 * an API that fails as "unavailable", never as an error.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { GetHealthCheckStatusCommand, Route53Client } from "@aws-sdk/client-route-53";
import { Health } from "@pilot-light/core";

const now = new Date("2026-11-28T06:00:30Z");
const regions = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"];
const ok = "Success: HTTP Status Code 200, OK";
const down = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.";
/** One observation per region: `healthy` of them succeeding, checked `ageSeconds` ago. */
const observations = (healthy: number, ageSeconds = 5, count = regions.length): Health.CheckerObservation[] =>
  regions.slice(0, count).map((region, i) => ({ region, status: i < healthy ? ok : down, checkedAt: new Date(now.getTime() - ageSeconds * 1000).toISOString() }));

describe("judging the health checkers' reports", () => {
  it.each([
    ["all eight see it down", observations(0), "confirms"],
    ["one of eight (12.5 %, not above 18 %) sees it healthy", observations(1), "confirms"],
    ["two of eight (25 %) see it healthy", observations(2), "disagrees"],
    ["all eight see it healthy", observations(8), "disagrees"],
    ["the reports are stale (the checkers stopped reporting)", observations(0, 300), "unavailable"],
    ["only two checkers reported", observations(0, 5, 2), "unavailable"],
    ["no checker reported", [], "unavailable"],
    ["a report has no time", [{ region: "us-east-1", status: down }, ...observations(0, 5, 2)], "unavailable"],
  ] as const)("%s: %s", (_name, obs, verdict) => {
    expect(Health.judgeObservations(obs, now).verdict).toBe(verdict);
  });

  it("names who disagrees and Route 53's rule", () => {
    expect(Health.judgeObservations(observations(3), now).detail).toBe(
      "Route 53 health checkers see the primary healthy from 3 of 8 locations (us-east-1, us-west-1, us-west-2): more than 18 %, so Route 53 still sends users to it",
    );
  });

  it("quotes a checker's failure when they confirm", () => {
    expect(Health.judgeObservations(observations(0), now).detail).toMatch(/^Route 53 health checkers confirm: 0 of 8 locations see the primary healthy \(Failure: Connection timed out\./);
  });
});

describe("asking Route 53 (GetHealthCheckStatus)", () => {
  const route53 = mockClient(Route53Client);
  afterEach(() => route53.reset());
  const client = new Route53Client({ region: "eu-central-1" });

  it("reads every checker's latest report for the health check", async () => {
    route53.on(GetHealthCheckStatusCommand, { HealthCheckId: "hc-1" }).resolves({
      HealthCheckObservations: observations(8).map((o) => ({ Region: o.region as never, IPAddress: "15.177.2.1", StatusReport: { Status: o.status, CheckedTime: new Date(o.checkedAt!) } })),
    });
    expect((await Health.askRoute53(client, "hc-1", () => now)).verdict).toBe("disagrees");
    expect(route53.commandCalls(GetHealthCheckStatusCommand)).toHaveLength(1);
  });

  it("gives an unavailable opinion, with the reason, when the call fails", async () => {
    route53.on(GetHealthCheckStatusCommand).rejects(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }));
    expect(await Health.askRoute53(client, "hc-1", () => now)).toEqual({
      verdict: "unavailable",
      detail: "second opinion unavailable (GetHealthCheckStatus hc-1: TimeoutError: socket hang up): going on the monitor's own checks",
    });
  });
});
