/**
 * The stack tests' view of the one-per-run synthesis (global-synth.ts): a variant's regions as
 * CDK assertion Templates, cdk-nag findings and function bundles, read from the stored JSON.
 */
import { inject } from "vitest";
import { withTemplates, type RegionSynth, type RegionSynthJson } from "../../../packages/tools/src/synth-json";
import { fileOf, waitForSynth } from "./synth-files";
import { variant } from "./variants";

const loaded = new Map<string, RegionSynth>();

/** One region of a synthesized variant ("primary" or "dr"). */
export function synthRegion(id: string, role: "primary" | "dr"): RegionSynth {
  const key = `${id}.${role}`;
  let synth = loaded.get(key);
  if (!synth) {
    if (!variant(id).regions.includes(role)) throw new Error(`variant "${id}" is synthesized for ${variant(id).regions.join(", ")} only`);
    const dir = inject("synthDir");
    synth = withTemplates(JSON.parse(waitForSynth(dir, fileOf(dir, id, role))) as RegionSynthJson);
    loaded.set(key, synth);
  }
  return synth;
}

/** Both regions of a variant. */
export function synthStage(id: string) {
  const primary = synthRegion(id, "primary");
  const dr = synthRegion(id, "dr");
  return { primary: primary.templates, dr: dr.templates, raw: { primary, dr } };
}

/** `{ Ref }` to a template's CloudFormation parameter that resolves this SSM parameter at deploy. */
export function ssmParameterRef(template: { toJSON(): { Parameters?: Record<string, { Type?: string; Default?: string }> } }, name: string) {
  const found = Object.entries(template.toJSON().Parameters ?? {}).filter(([, p]) => p.Type === "AWS::SSM::Parameter::Value<String>" && p.Default === name);
  if (found.length !== 1) throw new Error(`expected one SSM parameter ${name}, found ${found.length}`);
  return { Ref: found[0]![0] };
}

/**
 * The count a deploy asks for the stack's ECS service: the service's DesiredCount must be the
 * Custom::DesiredCount resource's answer (never a literal CloudFormation would re-apply);
 * returns that resource's properties.
 */
export function deployCountOf(template: { toJSON(): { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> } }) {
  const resources = Object.entries(template.toJSON().Resources ?? {});
  const services = resources.filter(([, r]) => r.Type === "AWS::ECS::Service");
  const counts = resources.filter(([, r]) => r.Type === "Custom::DesiredCount");
  if (services.length !== 1 || counts.length !== 1) throw new Error(`expected one ECS service and one Custom::DesiredCount, found ${services.length} and ${counts.length}`);
  const [countId, count] = counts[0]!;
  const desired = services[0]![1].Properties?.DesiredCount;
  if (JSON.stringify(desired) !== JSON.stringify({ "Fn::GetAtt": [countId, "DesiredCount"] })) throw new Error(`the service's DesiredCount is ${JSON.stringify(desired)}, not the custom resource's answer`);
  return count.Properties as { Role: string; Configured: number; Cluster: string; Service: string; Region: string; ServiceProperties: Record<string, unknown> };
}
