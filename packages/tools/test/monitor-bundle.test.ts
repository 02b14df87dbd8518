/**
 * The health monitor as it deploys: built with SST's esbuild and the project's bundling props
 * (stacks/bundling.ts), then run in a fresh Node process from a directory with no node_modules,
 * with only what Lambda puts in a function's environment. Proves the left-out packages are not
 * needed and that zod/mini's English messages survive tree-shaking.
 */
import { spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notInLambda } from "../../../stacks/bundling";
import { buildMonitorBundle, packageOf, runBundle, startStandIns, type MonitorBundle, type StandIns } from "../src/bench-health";

const healthy = JSON.stringify({ status: "ok", db: "ok", region: "eu-west-1" });

let bundle: MonitorBundle;
beforeAll(async () => {
  bundle = await buildMonitorBundle();
});
afterAll(async () => {
  await rm(bundle.dir, { recursive: true, force: true });
});

describe("the deployed health monitor bundle", () => {
  it("leaves out the credential links Lambda never reaches, event streams and classic zod, and keeps fromEnv", () => {
    const inputs = Object.keys(bundle.inputs);
    const packages = new Set(inputs.map(packageOf));
    for (const name of notInLambda.filter((n) => !n.startsWith("@smithy/core/"))) expect(packages).not.toContain(name);
    expect(inputs.filter((f) => f.includes("submodules/event-streams"))).toEqual([]);
    expect(inputs.filter((f) => f.includes("zod/v4/classic"))).toEqual([]);
    expect(packages).toContain("@aws-sdk/credential-provider-env");
    expect(packages).toContain("@aws-sdk/credential-provider-node");
  });

  it("cannot resolve the left-out packages from where it runs", async () => {
    const probe = join(bundle.dir, "resolve.mjs");
    await writeFile(probe, `await import("@aws-sdk/credential-provider-ini");`);
    const out = spawnSync(process.execPath, [probe], { cwd: bundle.dir, encoding: "utf8" });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find package '@aws-sdk\/credential-provider-ini'/);
  });

  describe("run with a Lambda-like environment", () => {
    let world: StandIns;
    let status = 200;
    beforeAll(async () => {
      world = await startStandIns((_req, res) => {
        res.writeHead(status, { "content-type": "application/json" }).end(status === 200 ? healthy : JSON.stringify({ status: "error", db: "error" }));
      }, 2_000);
    });
    afterAll(async () => world.close());

    it("counts a healthy check in DynamoDB with the environment's credentials", async () => {
      status = 200;
      const run = await runBundle(bundle, world.env, "invoke");
      expect(run.out).toMatchObject({ healthy: true, counted: true, consecutiveFailures: 0, published: [] });
    });

    it("counts a failing check and publishes 'degraded' through SNS", async () => {
      status = 500;
      const run = await runBundle(bundle, { ...world.env }, "invoke");
      expect(run.out).toMatchObject({ healthy: false, counted: true, consecutiveFailures: 1 });
      expect((run.out as { published: string[] }).published).toHaveLength(1);
    });

    it("fails the cold start on a bad variable, naming it in English", async () => {
      const run = runBundle(bundle, { ...world.env, PRIMARY_HEALTH_URL: "not a url", PROBES_PER_CHECK: "9" }, "init");
      await expect(run).rejects.toThrow(/PRIMARY_HEALTH_URL: Invalid URL/);
      await expect(run).rejects.toThrow(/PROBES_PER_CHECK: Too big: expected number to be <=5/);
    });
  });
});
