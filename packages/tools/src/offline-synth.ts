/**
 * Offline synthesis: SST's App in deploy mode, composed by sst.config.ts, one App per region,
 * with no AWS credentials (SST's own `sst build` calls STS first). Used by `pnpm synth` and by
 * the stack tests' one-per-run synthesis (stacks/test/support/global-synth.ts). cdk-nag's
 * AwsSolutions pack runs as part of the synthesis (aspects added after SST's own have run
 * would make SST's unique-id check see every construct twice).
 *
 * Two things make repeated syntheses cheap and independent:
 * - Each synthesis builds its functions into its own artifacts folder (`artifactsDir`), so two
 *   processes synthesizing the same stage never overwrite each other's bundles.
 * - SST builds every function with esbuild on every synthesis (about 0.7 s each, 22 per DR
 *   region); SST v2 has no option to skip that for an active stack (only inactive stacks get
 *   placeholder code, which changes the templates). So within one process each distinct build
 *   (same handler, runtime, architecture and `nodejs` props) runs SST's real builder once and
 *   later ones get its output as hard links, with the one thing that names the folder (the
 *   empty lockfile SST's `npm install` writes) renamed. The asset hash is computed from the copied
 *   files, so templates are byte-identical to a fresh synthesis (stacks/test/synth-cache.test.ts).
 */
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { Aspects, Stack } from "aws-cdk-lib";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { AssetManifestArtifact, DISABLE_ASSET_STAGING_CONTEXT } from "aws-cdk-lib/cx-api";
import { AwsSolutionsChecks } from "cdk-nag";
import { App, Function as SstFunction } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import { useRuntimeHandlers } from "sst/runtime/handlers.js";
import config from "../../../sst.config";
import { withTemplates, type FunctionBuild, type RegionSynth, type StackSynth } from "./synth-json";

export type { FunctionBuild, RegionSynth, RegionSynthJson, StackSynth } from "./synth-json";
export { withTemplates } from "./synth-json";

/**
 * cdk-nag's unsuppressed AwsSolutions errors recorded in a synthesized stack, and the rules that
 * could not run at all (cdk-nag reports those as CdkNagValidationFailure warnings): a rule that
 * did not run is no evidence of a clean resource.
 */
export function nagErrorsOf(artifact: { messages: { level: string; id: string; entry: { data?: unknown } }[] }): string[] {
  const isFinding = (m: { level: string; entry: { data?: unknown } }) => {
    const data = String(m.entry.data);
    return (m.level === "error" && data.startsWith("AwsSolutions-")) || (data.startsWith("CdkNagValidationFailure") && data.includes("AwsSolutions-"));
  };
  return artifact.messages.filter(isFinding).map((m) => `${m.id}: ${String(m.entry.data).split("\n")[0]}`);
}

/**
 * SST's App empties `.sst/types` in its constructor and appends binding types there while the
 * stacks are built, so two processes synthesizing at once (the test workers: a fresh synthesis
 * beside a refused one) delete each other's file mid-synthesis (ENOENT in `registerTypes`).
 * Offline syntheses never read those types: each App here writes them in a folder of its own
 * process. `useTypesPath` is private in SST's declarations, hence the prototype assignment.
 */
class OfflineApp extends App {}
(OfflineApp.prototype as unknown as { useTypesPath(this: App): string }).useTypesPath = function (this: App) {
  return join(useProject().paths.out, "types-offline", `${process.pid}-${this.stage}-${this.region}`);
};

export interface SynthOptions {
  /** Where SST writes this synthesis's function bundles (default: .sst/synth/<stage>-<region>). */
  artifactsDir?: string;
}

export async function synthRegion(stage: string, region: string, options: SynthOptions = {}): Promise<RegionSynth> {
  // SST builds a sourcemap for every function, and App.finish() then looks up its bootstrap
  // bucket (an AWS call) to add a per-stack sourcemap uploader, unless it runs under a test.
  // So offline templates lack that one SST custom resource; everything else is as deployed.
  process.env.NODE_ENV = "test";
  await initProject({ stage, region });
  const artifacts = resolve(options.artifactsDir ?? join(useProject().paths.out, "synth", `${stage}-${region}`));
  useBuildsOnce(artifacts);
  // No copy of every asset into the cloud assembly: offline templates are only read, never
  // deployed, and the asset hashes (what the templates say) are computed from the same files.
  const app = new OfflineApp({ mode: "deploy", stage, name: "pilot-light", region }, { context: { [DISABLE_ASSET_STAGING_CONTEXT]: true } });
  try {
    Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
    await config.stacks(app);
    await app.finish();
    // One synthesis: SST's unique-id aspect cannot run twice on the same app.
    const assembly = app.synth();
    const prefix = `${stage}-pilot-light-`;
    const stacks: Record<string, StackSynth> = {};
    const functions: FunctionBuild[] = [];
    for (const child of app.node.children) {
      if (!(child instanceof Stack)) continue;
      const name = child.node.id.slice(prefix.length);
      const artifact = assembly.getStackArtifact(child.artifactId);
      const images = artifact.dependencies
        .filter((d) => AssetManifestArtifact.isAssetManifestArtifact(d))
        .flatMap((m) => Object.entries(m.contents.dockerImages ?? {}))
        .map(([asset, image]) => ({ asset, platform: image.source.platform ?? null }));
      stacks[name] = { stackName: child.stackName, region: child.region, template: artifact.template as Record<string, unknown>, nagErrors: nagErrorsOf(artifact), dockerImages: images };
      for (const fn of child.node.findAll()) {
        const handler = fn instanceof SstFunction ? (fn.node.defaultChild as CfnFunction).handler : undefined;
        if (handler) functions.push({ stack: name, id: fn.node.id, handler, artifactDir: join(artifacts, fn.node.addr) });
      }
    }
    return withTemplates({ stage, region, stacks, functions });
  } finally {
    // The cloud assembly (a temporary folder with a copy of every asset) has been read.
    rmSync(app.outdir, { recursive: true, force: true });
  }
}

type NodeHandler = ReturnType<ReturnType<typeof useRuntimeHandlers>["for"]>;
type BuildInput = Parameters<NodeHandler["build"]>[0];
type BuildResult = Awaited<ReturnType<NodeHandler["build"]>>;

interface Shared {
  dir: string;
  result: Extract<BuildResult, { type: "success" }>;
  /** SST's `npm install` names the lockfile after the output folder (the construct address). */
  lockName: string;
}

interface Memo {
  /** undefined: built once, but its output cannot be shared (packages were installed). */
  builds: Map<string, Promise<Shared | undefined>>;
  root: string;
  /** The project object SST's runtime handlers captured when first used in this process. */
  project: ReturnType<typeof useProject>;
}

const memoKey = Symbol.for("pilot-light.offline-synth.builds");

/** Points this synthesis's builds at `artifacts` and makes repeated builds copies (see the module comment). */
function useBuildsOnce(artifacts: string): void {
  const global = globalThis as { [memoKey]?: Memo };
  if (!global[memoKey]) {
    const project = useProject();
    const node = useRuntimeHandlers().for("nodejs22.x");
    // Beside the artifacts (one filesystem), so later builds can be hard links to these.
    mkdirSync(project.paths.out, { recursive: true });
    const memo: Memo = { builds: new Map(), root: mkdtempSync(join(project.paths.out, "builds-")), project };
    process.once("exit", () => rmSync(memo.root, { recursive: true, force: true }));
    const build = node.build.bind(node);
    const inOut = (out: string, result: Shared["result"]) => ({ ...result, sourcemap: result.sourcemap && relative(process.cwd(), join(out, result.sourcemap)) });
    node.build = async (input: BuildInput): Promise<BuildResult> => {
      const key = buildKey(input);
      const cached = key === undefined ? undefined : memo.builds.get(key);
      const shared = cached && (await cached.catch(() => undefined));
      if (shared) {
        linkTree(shared.dir, input.out);
        const lock = readFileSync(join(shared.dir, "package-lock.json"), "utf8");
        writeFileSync(join(input.out, "package-lock.json"), lock.replace(JSON.stringify(shared.lockName), JSON.stringify(basename(input.out))));
        return inOut(input.out, shared.result);
      }
      const result = await build(input);
      if (key === undefined || result.type !== "success" || memo.builds.has(key)) return result;
      // A copy before SST's Function gzips and removes the sourcemap in place.
      const dir = join(memo.root, String(memo.builds.size));
      cpSync(input.out, dir, { recursive: true });
      const relativeMap = result.sourcemap && relative(input.out, resolve(result.sourcemap));
      memo.builds.set(key, Promise.resolve(shareable(dir, basename(input.out)) ? { dir, result: { ...result, sourcemap: relativeMap }, lockName: basename(input.out) } : undefined));
      return result;
    };
    global[memoKey] = memo;
  }
  // SST's runtime handlers keep the first project object; later initProject calls make new ones.
  global[memoKey].project.paths.artifacts = artifacts;
  useProject().paths.artifacts = artifacts;
}

/**
 * The shared build's files as hard links (its bundles are never written again), so each
 * synthesis neither copies them nor hashes them again: CDK caches a file's fingerprint by its
 * inode. The lockfile, which names the folder, is written by the caller. A sourcemap becomes an
 * empty map: SST's Function gzips it into an asset of its own and deletes it from the folder,
 * and that asset is referenced only by the sourcemap uploader offline synthesis leaves out, so
 * no template changes (synth-cache.test.ts), while gzipping a few MB per function is most of a
 * repeated synthesis's time.
 */
function linkTree(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(target, { recursive: true });
      linkTree(source, target);
    } else if (entry.name === "package-lock.json") {
      continue;
    } else if (entry.name.endsWith(".map")) {
      writeFileSync(target, "{}");
    } else {
      try {
        linkSync(source, target);
      } catch {
        cpSync(source, target);
      }
    }
  }
}

/** A build folder is shared only when SST's `npm install` installed nothing (an empty lockfile). */
function shareable(dir: string, lockName: string): boolean {
  if (existsSync(join(dir, "node_modules"))) return false;
  try {
    const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8")) as { name?: string; packages?: object };
    return lock.name === lockName && Object.keys(lock.packages ?? {}).length === 0;
  } catch {
    return false;
  }
}

/** What decides a Node build's output; undefined (never shared) when a hook or copied files take part. */
function buildKey(input: BuildInput): string | undefined {
  const p = input.props;
  if (input.mode !== "deploy" || p.hooks || p.copyFiles) return undefined;
  return JSON.stringify({ handler: p.handler, runtime: p.runtime, architecture: p.architecture, nodejs: p.nodejs });
}
