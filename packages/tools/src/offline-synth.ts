/**
 * Offline synthesis: SST's App in deploy mode, composed by sst.config.ts, one App per region,
 * with no AWS credentials (SST's own `sst build` calls STS first). Used by `pnpm synth` and by
 * the stack tests.
 */
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { App } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../../sst.config";

export interface RegionSynth {
  region: string;
  /** Keyed by stack function name: Network, Data, Compute, ... */
  templates: Record<string, Template>;
  stacks: Record<string, Stack>;
}

export async function synthRegion(stage: string, region: string): Promise<RegionSynth> {
  // SST's App.finish() looks up the CDK bootstrap bucket (an AWS call) to upload function
  // sourcemaps unless it runs under a test; no function here enables sourcemaps.
  process.env.NODE_ENV = "test";
  await initProject({ stage, region });
  const app = new App({ mode: "deploy", stage, name: "pilot-light", region });
  await config.stacks(app);
  await app.finish();
  const stacks: Record<string, Stack> = {};
  const templates: Record<string, Template> = {};
  for (const child of app.node.children) {
    if (child instanceof Stack) {
      const name = child.node.id.slice(`${stage}-pilot-light-`.length);
      stacks[name] = child;
      templates[name] = Template.fromStack(child);
    }
  }
  return { region, templates, stacks };
}
