/**
 * `pnpm rehearse [--scenario S] [--profile default|fast] [--seed N] [--json FILE] [--html FILE]`
 * Rehearses a regional outage on this machine and prints the timeline, RTO and RPO.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { parseArgs } from "node:util";
import { createRehearsal } from "./engine";
import { formatSeconds, renderHtml } from "./report/html";
import type { RehearsalReport } from "./report/schema";
import { profiles, scenarioNames } from "./scenarios";

export interface CliOptions {
  scenario: string;
  profile: "default" | "fast";
  seed: number;
  json?: string;
  html: string;
}

/** Parses and checks the arguments; throws a message that says what is allowed. */
export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: "string", default: "regional-outage" },
      profile: { type: "string", default: "default" },
      seed: { type: "string", default: "1" },
      json: { type: "string" },
      html: { type: "string", default: "out/rehearsal/report.html" },
    },
    strict: true,
  });
  if (!scenarioNames.includes(values.scenario!)) throw new Error(`--scenario must be one of: ${scenarioNames.join(", ")} (got "${values.scenario}")`);
  if (!(values.profile! in profiles)) throw new Error(`--profile must be default or fast (got "${values.profile}")`);
  if (!/^\d{1,9}$/.test(values.seed!)) throw new Error(`--seed must be a whole number (got "${values.seed}")`);
  return { scenario: values.scenario!, profile: values.profile as CliOptions["profile"], seed: Number(values.seed), json: values.json, html: values.html! };
}

export function summaryLines(r: RehearsalReport): string[] {
  const lines = [
    "",
    `Timeline (${r.scenario}, seed ${r.seed}, profile ${r.profile}):`,
    ...r.phases.map((p) => `  ${formatSeconds(p.startSeconds).padStart(12)} → ${formatSeconds(p.endSeconds).padStart(12)}  ${p.name}${p.outcome === "ok" ? "" : `  [${p.outcome}]`}`),
    "",
    `Outcome:        ${r.outcome}`,
    `Detection:      ${formatSeconds(r.detectionSeconds)}`,
    `Orchestration:  ${formatSeconds(r.orchestrationSeconds)}`,
    `RTO:            ${formatSeconds(r.rtoSeconds)}  (outage start → DR serving healthy traffic)`,
    `RPO estimate:   ${formatSeconds(r.rpoSeconds)}  (replica lag when the failover was decided)`,
    `Notifications:  ${r.notifications.length} (${[...new Set(r.notifications.map((n) => n.kind))].join(", ") || "none"})`,
    `Wall time:      ${(r.wallMilliseconds / 1000).toFixed(1)} s`,
  ];
  return lines;
}

async function main() {
  const options = parseCli(process.argv.slice(2));
  const rehearsal = await createRehearsal();
  try {
    console.log(`Rehearsing "${options.scenario}" (seed ${options.seed}, profile ${options.profile}) on a virtual clock…`);
    const report = await rehearsal.rehearse({
      ...options,
      onProgress: (line) => console.log(`  [${formatSeconds(line.atSeconds).padStart(12)}] ${line.text}`),
    });
    for (const line of summaryLines(report)) console.log(line);
    await mkdir(dirname(options.html), { recursive: true });
    await writeFile(options.html, renderHtml(report));
    console.log(`HTML report:    ${relative(process.cwd(), options.html)}`);
    if (options.json) {
      await mkdir(dirname(options.json), { recursive: true });
      await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`JSON report:    ${relative(process.cwd(), options.json)}`);
    }
  } finally {
    await rehearsal.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
