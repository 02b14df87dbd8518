/** The HTML report opened in a real headless browser: it loads cleanly and shows every phase. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { RehearsalReport, renderHtml } from "../src";
import { launchChromium } from "./support/browser";

const report = RehearsalReport.parse({
  scenario: "regional-outage",
  seed: 7,
  profile: "default",
  failedOver: true,
  detectionSeconds: 642,
  orchestrationSeconds: 371,
  rtoSeconds: 1013,
  rpoSeconds: 1.2,
  phases: [
    { name: "Detection", startSeconds: 0, endSeconds: 642 },
    { name: "PromoteReplica <writable>", startSeconds: 650, endSeconds: 951 },
    { name: "ScaleDrService", startSeconds: 650, endSeconds: 725 },
    { name: "SwitchDns", startSeconds: 960, endSeconds: 1013, outcome: "left to health checks" },
  ],
  events: [
    { atSeconds: 0, text: "outage starts" },
    { atSeconds: 1013, text: "DR serving healthy traffic" },
  ],
  notifications: [{ atSeconds: 300, kind: "health.degraded", subject: "Primary degraded & <probing>" }],
  outcome: "failed over",
  execution: { name: "incident-1", status: "SUCCEEDED", error: null, states: ["ValidateInput"] },
  endState: {
    writableDatabases: ["pilot-light-replica"],
    drDesiredTasks: 2,
    drHealthyTargets: 2,
    primaryDesiredTasks: 0,
    primaryRecordTarget: "dr-alb.eu-central-1.elb.amazonaws.com",
    failoverLockHeld: false,
  },
  latencies: { promotion: 301.2, taskStart: 64.5 },
  wallMilliseconds: 1234,
});

describe("HTML report in headless Chromium", () => {
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    const file = join(dir, "report.html");
    await writeFile(file, renderHtml(report));
    url = pathToFileURL(file).href;
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("loads with no console errors and shows every phase, figure and notification", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(url);
    const phaseNames = await page.locator("svg .phase .name").allTextContents();
    expect(phaseNames).toEqual(report.phases.map((p) => p.name));
    const figures = await page.locator(".figure .value").allTextContents();
    expect(figures).toEqual(["10 min 42 s", "6 min 11 s", "16 min 53 s", "1.2 s"]);
    await expect(page.locator("body").textContent()).resolves.toContain("Primary degraded & <probing>");
    const bar = await page.locator("svg .phase rect").first().boundingBox();
    expect(bar?.width).toBeGreaterThan(100);
    expect(problems).toEqual([]);
    await page.close();
  });
});
