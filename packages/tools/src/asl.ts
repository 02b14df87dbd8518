/**
 * Extracts state machine definitions from synthesized CloudFormation templates as plain ASL
 * JSON, so they can be validated (asl-validator), executed locally (aws-local-stepfunctions)
 * and read. CloudFormation tokens become stable placeholders:
 *   {"Fn::GetAtt": [Id, "Arn"]} → arn:aws:lambda:<region>:000000000000:function:<Id>
 *   {"Ref": "AWS::Partition" | "AWS::Region" | "AWS::AccountId" | Id} → aws | <region> | 000000000000 | <Id>
 * `pnpm synth` calls `writeAsl(templates, outDir)` after writing the templates.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CfnTemplate {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface ExtractedAsl {
  logicalId: string;
  stateMachineName: string | undefined;
  definition: { StartAt: string; States: Record<string, unknown>; [key: string]: unknown };
}

export const placeholderAccount = "000000000000";

function resolveToken(value: unknown, region: string): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if ("Fn::GetAtt" in o) {
      const [id, attr] = o["Fn::GetAtt"] as [string, string];
      if (attr === "Arn") return `arn:aws:lambda:${region}:${placeholderAccount}:function:${id}`;
      return `${id}.${attr}`;
    }
    if ("Ref" in o) {
      const ref = String(o.Ref);
      if (ref === "AWS::Partition") return "aws";
      if (ref === "AWS::Region") return region;
      if (ref === "AWS::AccountId") return placeholderAccount;
      if (ref === "AWS::URLSuffix") return "amazonaws.com";
      return ref;
    }
    if ("Fn::Join" in o) {
      const [sep, parts] = o["Fn::Join"] as [string, unknown[]];
      return parts.map((p) => resolveToken(p, region)).join(sep);
    }
  }
  throw new Error(`cannot resolve CloudFormation token ${JSON.stringify(value)} in a state machine definition`);
}

/** Every AWS::StepFunctions::StateMachine in a template, as plain ASL. */
export function extractAsl(template: CfnTemplate, region = "eu-central-1"): ExtractedAsl[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")
    .map(([logicalId, r]) => {
      const props = r.Properties ?? {};
      let text = resolveToken(props.DefinitionString, region);
      const subs = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(subs)) text = text.split(`\${${key}}`).join(resolveToken(value, region));
      return {
        logicalId,
        stateMachineName: typeof props.StateMachineName === "string" ? props.StateMachineName : undefined,
        definition: JSON.parse(text) as ExtractedAsl["definition"],
      };
    });
}

/** Writes `<stack>.<name>.asl.json` for every state machine in the given templates; returns the paths. */
export function writeAsl(templates: Record<string, CfnTemplate>, outDir: string, region = "eu-central-1"): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [stackName, template] of Object.entries(templates)) {
    for (const sm of extractAsl(template, region)) {
      const file = join(outDir, `${stackName}.${sm.stateMachineName ?? sm.logicalId}.asl.json`);
      writeFileSync(file, `${JSON.stringify(sm.definition, null, 2)}\n`);
      written.push(file);
    }
  }
  return written;
}
