/**
 * A synthesized region as plain JSON (what `pnpm synth` writes and the stack tests' one-per-run
 * synthesis stores), and its CDK assertion Templates. Light: no SST or cdk-nag, so test files
 * that only read templates do not load the synthesis machinery.
 */
import { Template } from "aws-cdk-lib/assertions";

/** One stack of a synthesized region, as plain JSON (what the test cache stores). */
export interface StackSynth {
  stackName: string;
  region: string;
  template: Record<string, unknown>;
  /** Unsuppressed AwsSolutions errors, "rule: message". */
  nagErrors: string[];
  /** Container images the stack builds at deploy (asset hash), and the platform they are built for. */
  dockerImages: { asset: string; platform: string | null }[];
}

/** A function SST built during the synthesis: where its bundle is. */
export interface FunctionBuild {
  /** Stack function name: Monitor, Failover, ... */
  stack: string;
  /** Construct id within the stack: HealthMonitor, PromoteReplica, ... */
  id: string;
  /** The Lambda handler as deployed: packages/functions/src/health-monitor.handler */
  handler: string;
  /** SST's output folder for this function (the code asset). */
  artifactDir: string;
}

export interface RegionSynthJson {
  stage: string;
  region: string;
  /** Keyed by stack function name: Network, Data, Compute, ... */
  stacks: Record<string, StackSynth>;
  functions: FunctionBuild[];
}

export interface RegionSynth extends RegionSynthJson {
  templates: Record<string, Template>;
  /** Unsuppressed AwsSolutions errors per stack. */
  nagErrors: Record<string, string[]>;
}

/** Templates and nag errors keyed by stack, from the JSON form. */
export function withTemplates(json: RegionSynthJson): RegionSynth {
  const entries = Object.entries(json.stacks);
  return {
    ...json,
    templates: Object.fromEntries(entries.map(([name, s]) => [name, Template.fromJSON(s.template)])),
    nagErrors: Object.fromEntries(entries.map(([name, s]) => [name, s.nagErrors])),
  };
}
