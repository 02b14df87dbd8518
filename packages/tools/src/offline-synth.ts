/**
 * Offline synthesis: SST's App in deploy mode, composed by sst.config.ts, one App per region,
 * with no AWS credentials (SST's own `sst build` calls STS first). Used by `pnpm synth` and by
 * the stack tests. cdk-nag's AwsSolutions pack runs as part of the synthesis (aspects added
 * after SST's own have run would make SST's unique-id check see every construct twice).
 */
import { Aspects, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { App } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../../sst.config";

export interface RegionSynth {
  region: string;
  /** Keyed by stack function name: Network, Data, Compute, ... */
  templates: Record<string, Template>;
  stacks: Record<string, Stack>;
  /** Unsuppressed AwsSolutions errors per stack, "rule: message". */
  nagErrors: Record<string, string[]>;
}

/** cdk-nag's unsuppressed AwsSolutions errors recorded in a synthesized stack. */
export function nagErrorsOf(artifact: { messages: { level: string; id: string; entry: { data?: unknown } }[] }): string[] {
  return artifact.messages
    .filter((m) => m.level === "error" && String(m.entry.data).startsWith("AwsSolutions-"))
    .map((m) => `${m.id}: ${String(m.entry.data).split("\n")[0]}`);
}

export async function synthRegion(stage: string, region: string): Promise<RegionSynth> {
  // SST builds a sourcemap for every function, and App.finish() then looks up its bootstrap
  // bucket (an AWS call) to add a per-stack sourcemap uploader, unless it runs under a test.
  // So offline templates lack that one SST custom resource; everything else is as deployed.
  process.env.NODE_ENV = "test";
  await initProject({ stage, region });
  const app = new App({ mode: "deploy", stage, name: "pilot-light", region });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  await config.stacks(app);
  await app.finish();
  // One synthesis: SST's unique-id aspect cannot run twice on the same app.
  const assembly = app.synth();
  const stacks: Record<string, Stack> = {};
  const templates: Record<string, Template> = {};
  const nagErrors: Record<string, string[]> = {};
  for (const child of app.node.children) {
    if (child instanceof Stack) {
      const name = child.node.id.slice(`${stage}-pilot-light-`.length);
      const artifact = assembly.getStackArtifact(child.artifactId);
      stacks[name] = child;
      templates[name] = Template.fromJSON(artifact.template);
      nagErrors[name] = nagErrorsOf(artifact);
    }
  }
  return { region, templates, stacks, nagErrors };
}
