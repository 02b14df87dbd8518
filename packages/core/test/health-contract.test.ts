import { describe, expect, it } from "vitest";
import { Health } from "@pilot-light/core";

const ok = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ status: "ok", db: "ok", region: "eu-west-1", time: "2026-11-28T06:00:00Z", ...extra });

describe("/health.php contract", () => {
  it.each([
    ["the app's healthy answer", 200, ok(), { ok: true, status: 200, region: "eu-west-1" }],
    ["any 2xx with status ok", 204 as number, JSON.stringify({ status: "ok" }), { ok: true, status: 204 }],
    ["extra fields", 200, ok({ version: "1.2.3" }), { ok: true }],
    ["the app's database-down answer", 503, JSON.stringify({ status: "error", db: "error", region: "eu-west-1" }), { ok: false, failure: "http-status", error: 'HTTP 503 (status "error", db "error")' }],
    ["a bare 500", 500, "Internal Server Error", { ok: false, failure: "http-status", error: "HTTP 500" }],
    ["a redirect", 302, "", { ok: false, failure: "http-status" }],
    ["200 with an HTML page", 200, "<html>It works!</html>", { ok: false, failure: "contract", error: 'body is not the /health.php JSON: "<html>It works!</html>"' }],
    ["200 with an empty body", 200, "", { ok: false, failure: "contract", error: "body is not the /health.php JSON: (empty)" }],
    ["200 with status error", 200, ok({ status: "error" }), { ok: false, failure: "contract", error: 'status is "error", expected "ok"' }],
    ["200 with db error", 200, ok({ db: "error" }), { ok: false, failure: "contract", error: 'db is "error", expected "ok"' }],
    ["200 with a JSON array", 200, "[]", { ok: false, failure: "contract" }],
  ])("judges %s", (_name, status, body, expected) => {
    expect(Health.judgeResponse(status, body)).toMatchObject(expected);
  });

  it.each([
    [[true, true, true], true],
    [[true, true, false], true],
    [[true, false, false], false],
    [[false, false, false], false],
    [[true, false], true],
    [[false], false],
    [[], false],
  ])("a burst of %j is healthy: %s", (oks, healthy) => {
    expect(Health.isMajorityHealthy(oks.map((ok) => ({ ok })))).toBe(healthy);
  });
});
