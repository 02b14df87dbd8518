/**
 * The HTML report opened in a real headless browser: it loads cleanly, shows every phase and
 * figure, judges each target, paints a failed or timed-out phase red with its error, outlines
 * the critical path, labels the event markers, and shows the end state and what to change.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { RehearsalReport, renderHtml } from "../src";
import { launchChromium } from "./support/browser";

const report = RehearsalReport.parse({
  scenario: "promotion-fails",
  seed: 7,
  profile: "default",
  failedOver: false,
  detectionSeconds: 642,
  orchestrationSeconds: 1210,
  rtoSeconds: null,
  rpoSeconds: null,
  targets: {
    rto: { targetSeconds: 600, actualSeconds: null, measuredFrom: "outage-start", met: false },
    rpo: { budgetSeconds: 60, actualSeconds: 1.2, met: true },
  },
  phases: [
    { name: "Detection", startSeconds: 0, endSeconds: 642, critical: true },
    { name: "Promote replica <writable>", startSeconds: 642, endSeconds: 1842, outcome: "timed-out", error: "PromotionTimeoutError: the database was not writable after 80 checks", critical: true },
    { name: "Scale DR service → healthy", startSeconds: 642, endSeconds: 725 },
    { name: "Compensate, notify failure", startSeconds: 1842, endSeconds: 1852, critical: true },
  ],
  criticalPath: ["Detection", "Promote replica <writable>", "Compensate, notify failure"],
  events: [
    { atSeconds: 0, text: "primary region goes down", marker: "outage" },
    { atSeconds: 300, text: "health check failed (1 in a row)" },
    { atSeconds: 642, text: "monitor started execution x", marker: "failover started" },
    { atSeconds: 1852, text: "execution failed (NeedsOperator)", marker: "run ended" },
  ],
  notifications: [{ atSeconds: 300, kind: "health.degraded", subject: "Primary degraded & <probing>" }],
  outcome: "needs operator (promotion started, not finished)",
  verdict: "failed",
  expectation: { outcome: "needs-operator", because: "a promotion that never completes is a person's call", actual: "needs-operator", met: true },
  advice: ["CheckPromotion gave up at its polling cap (PromotionTimeoutError): finish by hand", "detection is 35 % of the RTO target (11 min): a faster health profile"],
  execution: { name: "incident-1", status: "FAILED", error: "NeedsOperator", endStateName: "NeedsOperator", states: ["ValidateInput", "NeedsOperator"] },
  endState: {
    writableDatabases: [],
    drDesiredTasks: 2,
    drHealthyTargets: 2,
    primaryDesiredTasks: 2,
    primaryRecordTarget: "pr-alb.eu-west-1.elb.amazonaws.com",
    failoverLockHeld: false,
  },
  latencies: { promotion: 301.2, taskStart: 64.5 },
  wallMilliseconds: 1234,
});

/** The browser's computed style of an element (evaluated in the page; this tsconfig has no DOM lib). */
const style = (locator: Locator, property: string) =>
  locator.evaluate((el, p) => (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(el)[p], property);

describe("HTML report in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    const file = join(dir, "report.html");
    await writeFile(file, renderHtml(report));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
  });
  afterAll(async () => browser?.close());

  it("loads with no console errors and shows every phase, figure and notification", async () => {
    expect(await page.locator("svg .phase .name").allTextContents()).toEqual(report.phases.map((p) => p.name));
    expect(await page.locator(".figure .value").allTextContents()).toEqual(["10 min 42 s", "20 min 10 s", "—", "—"]);
    await expect(page.locator("body").textContent()).resolves.toContain("Primary degraded & <probing>");
    const bar = await page.locator("svg .phase rect").first().boundingBox();
    expect(bar?.width).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it("judges each target: RTO missed in red, RPO met in green", async () => {
    const badges = page.locator(".figure .target");
    expect(await badges.allTextContents()).toEqual(["target 10 min 00 s: MISSED", "budget 1 min 00 s: met"]);
    expect(await style(badges.nth(0), "color")).toBe("rgb(201, 55, 44)");
    expect(await style(badges.nth(1), "color")).toBe("rgb(29, 107, 58)");
    await expect(page.locator("ul.targets").textContent()).resolves.toContain("RTO target 10 min 00 s: MISSED (DR never served)");
  });

  it("paints the timed-out phase red and says why, and the verdict banner red", async () => {
    const timedOut = page.locator('svg .phase[data-outcome="timed-out"]');
    expect(await style(timedOut.locator("rect"), "fill")).toBe("rgb(201, 55, 44)");
    expect(await style(page.locator('svg .phase[data-outcome="ok"] rect').first(), "fill")).toBe("rgb(47, 111, 223)");
    await expect(timedOut.locator(".dur").textContent()).resolves.toContain("TIMED OUT");
    await expect(page.locator("table.phases tr.bad").textContent()).resolves.toContain("timed-out: PromotionTimeoutError: the database was not writable after 80 checks");
    const banner = page.locator(".verdict");
    await expect(banner.textContent()).resolves.toBe("needs operator (promotion started, not finished); RTO target missed · end state NeedsOperator");
    expect(await style(banner, "backgroundColor")).toBe("rgb(253, 236, 234)");
  });

  it("outlines the critical path and labels every event marker", async () => {
    const critical = await page.locator('svg .phase[data-critical="true"] .name').allTextContents();
    expect(critical).toEqual(report.criticalPath);
    const stroke = await style(page.locator('svg .phase[data-critical="true"] rect').first(), "strokeWidth");
    expect(stroke).toBe("2px");
    expect(await page.locator("svg .marker .mark-label").allTextContents()).toEqual(["outage", "failover started", "run ended"]);
    const labels = await page.locator("svg .marker .mark-label").evaluateAll((els) => els.map((el) => (el as unknown as { getBBox(): { width: number } }).getBBox().width));
    for (const w of labels) expect(w).toBeGreaterThan(10);
  });

  it("shows the end state and what to change", async () => {
    const endState = await page.locator("table.end-state tr").allTextContents();
    expect(endState).toEqual(
      expect.arrayContaining(["writable databasesnone", "failover lockfree", "execution ended inNeedsOperator (FAILED)", "PRIMARY DNS recordpr-alb.eu-west-1.elb.amazonaws.com"]),
    );
    expect(await page.locator("ul.advice li").allTextContents()).toEqual(report.advice);
  });
});
