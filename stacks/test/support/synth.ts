/**
 * Synthesizes a stage's two regions offline, the way `sst deploy` would, without AWS
 * credentials: SST's App in deploy mode, composed by sst.config.ts, one App per region.
 * Returns each region's templates keyed by stack function name (Network, Data, ...).
 */
import { Template } from "aws-cdk-lib/assertions";
import { App } from "sst/constructs";
import { initProject } from "sst/project.js";
import { Stack } from "aws-cdk-lib";
import config from "../../../sst.config";
import { stageConfig } from "../../stages";

export interface RegionSynth {
  region: string;
  templates: Record<string, Template>;
  stacks: Record<string, Stack>;
}

const cache = new Map<string, Promise<{ primary: RegionSynth; dr: RegionSynth }>>();

/** Synthesizes both regions once per stage per test file (cached). */
export function synthStage(stage: string) {
  let result = cache.get(stage);
  if (!result) {
    result = synthBoth(stage);
    cache.set(stage, result);
  }
  return result.then((r) => ({
    primary: r.primary.templates,
    dr: r.dr.templates,
    raw: r,
  }));
}

async function synthBoth(stage: string) {
  const settings = stageConfig(stage);
  const primary = await synthRegion(stage, settings.primaryRegion);
  const dr = await synthRegion(stage, settings.drRegion);
  return { primary, dr };
}

export async function synthRegion(stage: string, region: string, outdir?: string): Promise<RegionSynth> {
  await initProject({ stage, region });
  const app = new App({ mode: "deploy", stage, name: "pilot-light", region }, outdir ? { outdir } : {});
  await config.stacks(app);
  await app.finish();
  const stacks: Record<string, Stack> = {};
  const templates: Record<string, Template> = {};
  for (const child of app.node.children) {
    if (child instanceof Stack) {
      const name = child.node.id.replace(/^.*-/, "");
      stacks[name] = child;
      templates[name] = Template.fromStack(child);
    }
  }
  return { region, templates, stacks };
}
