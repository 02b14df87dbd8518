/**
 * `pnpm synth --stage S [--out DIR]`: writes both regions' CloudFormation templates, offline.
 * Layout: DIR/<region>/<Stack>.template.json (default DIR: out/<stage>), and the failover
 * state machine as plain ASL: DIR/<dr-region>/Failover.<name>.asl.json. Runs cdk-nag's
 * AwsSolutions pack and prints what it finds next to each stack.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { stageConfig } from "../../../stacks/stages";
import { writeAsl } from "./asl";
import { synthRegion } from "./offline-synth";

export async function synthToDisk(stage: string, outDir: string) {
  const config = stageConfig(stage);
  await rm(outDir, { recursive: true, force: true });
  const written: { region: string; stack: string; file: string; resources: number; nagErrors: number }[] = [];
  for (const region of [config.primaryRegion, config.drRegion]) {
    const { stacks, templates, nagErrors } = await synthRegion(stage, region);
    const dir = join(outDir, region);
    await mkdir(dir, { recursive: true });
    for (const file of writeAsl(Object.fromEntries(Object.entries(templates).map(([k, t]) => [k, t.toJSON()])), dir, region)) {
      written.push({ region, stack: "(ASL)", file, resources: 0, nagErrors: 0 });
    }
    for (const name of Object.keys(stacks)) {
      const json = templates[name]!.toJSON();
      const file = join(dir, `${name}.template.json`);
      await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
      written.push({ region, stack: name, file, resources: Object.keys(json.Resources ?? {}).length, nagErrors: nagErrors[name]!.length });
    }
  }
  return written;
}

async function main() {
  const { values } = parseArgs({
    options: { stage: { type: "string", default: "dev" }, out: { type: "string" } },
  });
  const stage = values.stage!;
  const outDir = values.out ?? join("out", stage);
  const started = performance.now();
  const written = await synthToDisk(stage, outDir);
  console.log(`Synthesized stage "${stage}" offline into ${relative(process.cwd(), outDir) || "."}/`);
  for (const w of written) {
    if (w.stack === "(ASL)") {
      console.log(`  ${w.region.padEnd(14)} state machine definition (ASL)            ${relative(process.cwd(), w.file)}`);
      continue;
    }
    console.log(`  ${w.region.padEnd(14)} ${w.stack.padEnd(10)} ${String(w.resources).padStart(4)} resources  cdk-nag errors: ${w.nagErrors}  ${relative(process.cwd(), w.file)}`);
  }
  console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  if (written.some((w) => w.nagErrors > 0)) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
