/**
 * `pnpm synth [--stage S] [--out DIR]`: writes both regions' CloudFormation templates, offline.
 * Layout: DIR/<region>/<Stack>.template.json (default DIR: out/<stage>), and the failover
 * state machine as plain ASL: DIR/<dr-region>/Failover.<name>.asl.json. Runs cdk-nag's
 * AwsSolutions pack and prints what it finds next to each stack. Each region takes about a
 * minute on two cores, so on a terminal each phase is announced as it starts and ends.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { stageConfig, stages } from "../../../stacks/stages";
import { adoptionNotice } from "./adopt";
import { writeAsl } from "./asl";
import { Stage } from "@pilot-light/core";
import { allowReplace, fromInvocationDir, invocationDir, newCommand, processIo, refuseUnknownStage, runCommand, runWhenMain, stageName, type Io } from "./cli/program";
import type { RegionSynth } from "./offline-synth";

export interface Written {
  region: string;
  stack: string;
  file: string;
  resources: number;
  nagErrors: number;
}

/** A phase of the synthesis: announced when it starts, and again with its duration when it ends. */
export type OnPhase = (phase: { index: number; total: number; what: string; seconds?: number }) => void;

export async function synthToDisk(
  stage: string,
  outDir: string,
  onPhase: OnPhase = () => undefined,
  // Imported on use: loading the app's stacks takes seconds, and `--help` should not wait for it.
  synth: (stage: string, region: string) => Promise<RegionSynth> = async (stage, region) => (await import("./offline-synth")).synthRegion(stage, region),
): Promise<Written[]> {
  const config = stageConfig(stage);
  await rm(outDir, { recursive: true, force: true });
  const written: Written[] = [];
  const regions = [config.primaryRegion, config.drRegion];
  const total = regions.length * 2;
  let index = 0;
  const phase = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    index++;
    onPhase({ index, total, what });
    const started = performance.now();
    const result = await work();
    onPhase({ index, total, what, seconds: (performance.now() - started) / 1000 });
    return result;
  };
  for (const region of regions) {
    const role = region === config.primaryRegion ? "primary" : "DR";
    const { stacks, templates, nagErrors } = await phase(`${role} region ${region}: SST app, Lambda bundles, cdk-nag`, () => synth(stage, region));
    await phase(`${role} region ${region}: writing ${Object.keys(stacks).length} templates`, async () => {
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
    });
  }
  return written;
}

export const examples = ["pnpm synth --stage prod", "pnpm synth --stage dnsdemo --out /tmp/templates"];

export interface SynthDeps {
  synthToDisk: typeof synthToDisk;
}

/** Runs the command line; 0 when every stack passed cdk-nag, 1 when one did not, 2 for a usage mistake. */
export async function run(argv: readonly string[], io: Io = processIo, deps: SynthDeps = { synthToDisk }): Promise<number> {
  let code = 0;
  const command = newCommand("pnpm synth", "Write both regions' CloudFormation templates and the failover ASL offline, with cdk-nag findings.", examples, io)
    .option("--stage <stage>", "the stage (see stacks/stages.ts)", stageName, "dev")
    .option("--out <dir>", "output directory (default: out/<stage>)")
    .option("--dev", "the stage is a personal development stage (the defaults): needed for a name stacks/stages.ts does not configure")
    .option("--allow-replace <settings>", "a change to these settings (comma-separated) replaces deployed data and is meant (docs/deploy.md)", allowReplace)
    .action(async (options: { stage: string; out?: string; dev?: boolean; allowReplace?: string }) => {
      refuseUnknownStage(command, options.stage, Object.keys(stages), options.dev);
      // Read by sst.config.ts, which refuses a change to a setting that replaces deployed data.
      if (options.allowReplace) process.env[Stage.allowReplaceVariable] = options.allowReplace;
      const outDir = fromInvocationDir(options.out ?? join("out", options.stage));
      const config = stageConfig(options.stage);
      if (config.adopt) for (const line of adoptionNotice({ ...config, adopt: config.adopt })) io.out(line);
      const started = performance.now();
      const onPhase: OnPhase = (p) => {
        // Without a terminal (CI, a log), one line per phase, when it ends.
        if (!io.isTTY && p.seconds === undefined) return;
        io.err(p.seconds === undefined ? `[${p.index}/${p.total}] ${p.what} …` : `[${p.index}/${p.total}] ✓ ${p.what} (${p.seconds.toFixed(1)} s)`);
      };
      const written = await deps.synthToDisk(options.stage, outDir, onPhase);
      io.out(`Synthesized stage "${options.stage}" offline into ${relative(invocationDir(), outDir) || "."}/`);
      for (const w of written) {
        if (w.stack === "(ASL)") {
          io.out(`  ${w.region.padEnd(14)} state machine definition (ASL)            ${relative(invocationDir(), w.file)}`);
          continue;
        }
        io.out(`  ${w.region.padEnd(14)} ${w.stack.padEnd(10)} ${String(w.resources).padStart(4)} resources  cdk-nag errors: ${w.nagErrors}  ${relative(invocationDir(), w.file)}`);
      }
      io.out(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
      if (written.some((w) => w.nagErrors > 0)) code = 1;
    });
  const parsed = await runCommand(command, argv);
  return parsed !== 0 ? parsed : code;
}

runWhenMain(import.meta.url, run);
