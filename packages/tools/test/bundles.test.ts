/**
 * The functions as they deploy: built with SST's esbuild and options and the project's bundling
 * props (stacks/bundling.ts). Every handler reaches the packages left out only through a
 * dynamic import(); the health monitor runs in a fresh Node process from a directory with no
 * node_modules, with only what Lambda puts in a function's environment.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventStreamHandlers, notInLambda, withEventStreams } from "../../../stacks/bundling";
import { buildMonitorBundle, packageOf, runBundle, sstBuildOptions, sstEsbuild, startStandIns, type MonitorBundle, type StandIns } from "../src/bench-health";

const handlers = fileURLToPath(new URL("../../functions/src", import.meta.url));

describe("every handler's bundle", () => {
  it("imports the left-out packages only dynamically, so none is needed at cold start", async () => {
    const entries = readdirSync(handlers).filter((f) => f.endsWith(".ts"));
    expect(entries.length).toBeGreaterThan(20);
    const outdir = await mkdtemp(join(tmpdir(), "bundles-"));
    try {
      // The failback's handlers bundle event streams (stacks/bundling.ts, withEventStreams): built as they deploy.
      const streams = (f: string) => eventStreamHandlers.includes(f.replace(/\.ts$/, ""));
      // Without sourcemaps, and with the code the handlers share split into chunks, each printed
      // once instead of in some 50 bundles of a MB (nine tenths of the build's CPU time). Neither
      // changes an import: a module that imports a package statically does so in whichever output
      // holds it; and a module a handler reaches only by import(), which a deployed bundle inlines
      // with its static imports hoisted to the top, is a chunk of its own here whose static imports
      // are flagged all the same.
      const build = (files: string[], external: readonly string[]) =>
        sstEsbuild().build({ ...sstBuildOptions(), sourcemap: false, splitting: true, external: ["sharp", "pg-native", ...external], entryPoints: files.map((f) => join(handlers, f)), outdir, write: false, logLevel: "error" });
      const results = await Promise.all([build(entries.filter((f) => !streams(f)), notInLambda), build(entries.filter(streams), withEventStreams.esbuild.external)]);
      const outputs = results.map((result) => result.metafile.outputs);
      // Entry points: the handlers, and the modules they import() (a chunk each).
      const isHandler = (entryPoint: string | undefined) => entryPoint?.startsWith("packages/functions/src/") && !entryPoint.slice("packages/functions/src/".length).includes("/");
      const handlerOutputs = (outs: (typeof outputs)[number]) => Object.entries(outs).filter(([, out]) => isHandler(out.entryPoint));
      expect(outputs.flatMap(handlerOutputs).map(([, out]) => out.entryPoint).sort()).toEqual(entries.map((f) => `packages/functions/src/${f}`).sort());
      const left = new Set<string>(notInLambda);
      const staticImports = outputs.flatMap((outs) =>
        Object.entries(outs).flatMap(([name, out]) => out.imports.filter((i) => i.external && left.has(i.path) && i.kind !== "dynamic-import").map((i) => `${name}: ${i.kind} ${i.path}`)),
      );
      expect(staticImports).toEqual([]);
      // The SDK's default credential chain is in every bundle, reaching the later links by
      // import(): each handler's output, with the chunks it loads at cold start, imports one.
      const reachesLaterLinks = (outs: (typeof outputs)[number], name: string, seen = new Set<string>()): boolean => {
        if (seen.has(name)) return false;
        seen.add(name);
        const out = outs[name];
        if (!out) throw new Error(`no output ${name}`);
        return out.imports.some((i) => (i.external ? left.has(i.path) && i.kind === "dynamic-import" : i.kind === "import-statement" && reachesLaterLinks(outs, i.path, seen)));
      };
      const without = outputs.flatMap((outs) =>
        handlerOutputs(outs)
          .filter(([name]) => !reachesLaterLinks(outs, name))
          .map(([, out]) => out.entryPoint),
      );
      expect(without).toEqual([]);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});

describe("the health monitor's bundle", () => {
  let bundle: MonitorBundle;
  beforeAll(async () => {
    bundle = await buildMonitorBundle();
  });
  afterAll(async () => {
    await rm(bundle.dir, { recursive: true, force: true });
  });

  it("holds zod/mini, not classic zod", () => {
    const inputs = Object.keys(bundle.inputs);
    expect(inputs.some((f) => f.includes("zod/v4/mini"))).toBe(true);
    expect(inputs.filter((f) => f.includes("zod/v4/classic"))).toEqual([]);
  });

  it("keeps the credential link Lambda uses, fromEnv", () => {
    expect(new Set(Object.keys(bundle.inputs).map(packageOf))).toContain("@aws-sdk/credential-provider-env");
  });

  it("runs where the left-out packages cannot be resolved", async () => {
    // A precondition for the runs below to mean anything.
    const probe = join(bundle.dir, "resolve.mjs");
    await writeFile(probe, `await import("@aws-sdk/credential-provider-ini");`);
    const out = spawnSync(process.execPath, [probe], { cwd: bundle.dir, encoding: "utf8" });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain("Cannot find package '@aws-sdk/credential-provider-ini'");
  });

  describe("run with a Lambda-like environment", () => {
    let world: StandIns;
    // The primary answers /health.php?status=N with that status and the matching body.
    const primary = (req: IncomingMessage, res: ServerResponse) => {
      const status = Number(new URL(req.url ?? "/", "http://x").searchParams.get("status") ?? 200);
      const body = status === 200 ? { status: "ok", db: "ok", region: "eu-west-1" } : { status: "error", db: "error" };
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    beforeAll(async () => {
      world = await startStandIns(primary, 2_000);
    });
    afterAll(async () => world.close());

    it("counts a healthy check in DynamoDB, signed with the environment's credentials", async () => {
      const run = await runBundle(bundle, world.env, "invoke");
      expect(run.out).toMatchObject({ healthy: true, counted: true, consecutiveFailures: 0, published: [] });
    });

    it("counts a failing check and publishes 'degraded' through SNS", async () => {
      const run = await runBundle(bundle, { ...world.env, PRIMARY_HEALTH_URL: `${world.env.PRIMARY_HEALTH_URL}?status=500` }, "invoke");
      expect(run.out).toMatchObject({ healthy: false, counted: true });
      expect((run.out as { published: string[] }).published).toHaveLength(1);
    });

    it("fails the cold start on a bad variable, naming it in English", async () => {
      const run = runBundle(bundle, { ...world.env, PRIMARY_HEALTH_URL: "not a url", PROBES_PER_CHECK: "9" }, "init");
      await expect(run).rejects.toThrow(/PRIMARY_HEALTH_URL: Invalid URL; PROBES_PER_CHECK: Too big: expected number to be <=5/);
    });
  });
});
