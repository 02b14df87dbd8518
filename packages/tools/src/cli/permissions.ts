/**
 * The steps' permission catalogue (Readiness.StepCatalogue): each failover and failback step's
 * grants (stacks/failover/grants.ts, stacks/failback/grants.ts) as the standalone templates
 * render them, every resource left as its template parameter (`${TableArn}`, ...), extracted
 * from each step function's role as the world extracts it (packages/world/src/roles.ts). One
 * source: `pnpm dr readiness` and the scheduled evaluation bind it to a stage's names
 * (Readiness.bindCatalogue) and simulate it against the deployed roles
 * (Readiness.observePermissions). The scheduled evaluation carries no CDK, so the rendering is
 * kept in packages/core/src/readiness/step-catalogue.json, bundled with it; a test fails when the
 * grants change and the file does not (`pnpm catalogue` writes it again).
 */
import { writeFileSync } from "node:fs";
import { Readiness } from "@pilot-light/core";
import { adoptedPrimaryParameters, standaloneFailbackParameters, standaloneFailbackTemplate } from "../../../../stacks/failback/standalone";
import { failbackStepNames } from "../../../../stacks/failback/steps";
import { standaloneFailoverTemplate, standaloneParameters } from "../../../../stacks/failover/standalone";
import { stepNames } from "../../../../stacks/failover/steps";
import { functionRoles } from "../../../world/src";
import { newCommand, processIo, runCommand, runWhenMain, type Io } from "./program";

/** The region the catalogue is rendered in; its ARNs name the stage's regions through parameters only. */
const renderRegion = "eu-central-1";

/** Each flavour's rendered template: a stage that creates its primary, and one that adopts it (`adopt`). */
type Rendered = Record<keyof Readiness.StepCatalogue, object>;

/** The rendered templates the catalogue is read from (CDK, in process: about two seconds). */
export function renderTemplates(): Rendered {
  return {
    failover: standaloneFailoverTemplate(renderRegion, Readiness.catalogueRecordName).toJSON(),
    adoptedFailover: standaloneFailoverTemplate(renderRegion, Readiness.catalogueRecordName, { adopted: true }).toJSON(),
    failback: standaloneFailbackTemplate(renderRegion, Readiness.catalogueRecordName).toJSON(),
    adoptedFailback: standaloneFailbackTemplate(renderRegion, Readiness.catalogueRecordName, { adopted: true }).toJSON(),
  };
}

/** One template's steps (among `steps`) → their statements, every parameter left as `${Parameter}`. */
function steps(template: object, parameters: readonly string[], names: readonly string[]): Record<string, Readiness.CatalogueStatement[]> {
  const refs = Object.fromEntries(parameters.map((p) => [p, `\${${p}}`]));
  const roles = functionRoles(template as never, { region: renderRegion, account: "${Account}", templateAccount: "000000000000", refs });
  const out: Record<string, Readiness.CatalogueStatement[]> = {};
  for (const role of roles) {
    const step = role.functionId.replace(/[0-9A-F]{8}$/, "");
    if (names.includes(step)) out[step] = role.statements as Readiness.CatalogueStatement[];
  }
  return out;
}

/** The catalogue from the rendered templates; the rendering region and record name become parameters too. */
export function catalogueOf(t: Rendered): Readiness.StepCatalogue {
  const catalogue = {
    failover: steps(t.failover, standaloneParameters, stepNames),
    adoptedFailover: steps(t.adoptedFailover, standaloneParameters, stepNames),
    failback: steps(t.failback, standaloneFailbackParameters, failbackStepNames),
    adoptedFailback: steps(t.adoptedFailback, [...standaloneFailbackParameters, ...adoptedPrimaryParameters], failbackStepNames),
  };
  const text = JSON.stringify(catalogue).replaceAll(`:${renderRegion}:`, ":${DrRegion}:").replaceAll(Readiness.catalogueRecordName, "${RecordName}").replaceAll("arn:aws:", "arn:${Partition}:");
  return JSON.parse(text) as Readiness.StepCatalogue;
}

/** Where the scheduled evaluation's copy is kept. */
export const catalogueFile = new URL("../../../core/src/readiness/step-catalogue.json", import.meta.url);

export function formatCatalogue(c: Readiness.StepCatalogue): string {
  return `${JSON.stringify(c, null, 1)}\n`;
}

export const examples = ["pnpm catalogue"];

/** `pnpm catalogue`: writes the catalogue file (`write` injected in tests); returns the exit code (2 for a usage mistake). */
export async function run(argv: readonly string[], io: Io = processIo, write: (file: URL, text: string) => void = writeFileSync): Promise<number> {
  const command = newCommand(
    "pnpm catalogue",
    "Rewrite packages/core/src/readiness/step-catalogue.json: each failover and failback step's grants as its standalone template renders them, which readiness simulates against the deployed roles. Run it after changing a step's grants (docs/runbook.md, Readiness).",
    examples,
    io,
  ).action(() => {
    write(catalogueFile, formatCatalogue(catalogueOf(renderTemplates())));
    io.out(`wrote ${catalogueFile.pathname}`);
  });
  return runCommand(command, argv);
}

runWhenMain(import.meta.url, run);
