/**
 * docs/health-contract.md is the one statement of the health contract: the bodies it shows
 * are judged as it says by the monitor's parser, and its two examples are the files the
 * health tests run (not copies that could drift).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Health } from "@pilot-light/core";

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");
const doc = read("docs/health-contract.md");
const bodies = [...doc.matchAll(/<!-- contract: (\d{3}) (healthy|failing) -->\n```json\n(.*)\n```/g)].map((m) => ({ status: Number(m[1]), verdict: m[2], body: m[3]! }));

describe("docs/health-contract.md", () => {
  it("shows bodies of both verdicts", () => {
    expect(bodies.map((b) => b.verdict)).toEqual(expect.arrayContaining(["healthy", "failing"]));
  });

  it.each(bodies.map((b) => [b.status, b.body, b.verdict] as const))("judges %i %s as %s, as the monitor does", (status, body, verdict) => {
    expect(Health.judgeResponse(status, body).ok).toBe(verdict === "healthy");
  });

  it.each([
    ["php", "packages/web-app/public/health.php"],
    ["js", "packages/web-app/examples/node/health.mjs"],
  ])("shows the %s example as the file the health tests run (%s)", (lang, file) => {
    expect(doc).toContain(`\`\`\`${lang}\n${read(file)}\`\`\``);
  });
});
