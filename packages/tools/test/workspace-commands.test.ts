/**
 * The project's commands from any folder of the workspace, run for real through pnpm: each
 * package forwards every root script to the root (pnpm looks for a script in the nearest
 * package.json only), and `pnpm -s <script> --json -` puts nothing but JSON on stdout.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const scripts = (dir: string) => (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
const packages = readdirSync(join(root, "packages")).map((d) => join(root, "packages", d));
// The pnpm running this test when it runs under `pnpm test`; otherwise the README's.
const pnpm = process.env.npm_execpath?.includes("pnpm") ? [process.execPath, process.env.npm_execpath] : ["npx", "--yes", "pnpm@10.34.8"];
const run = (cwd: string, args: string[]) => spawnSync(pnpm[0]!, [...pnpm.slice(1), ...args], { cwd, encoding: "utf8", env: { ...process.env, INIT_CWD: "" } });
const tmp = mkdtempSync(join(tmpdir(), "workspace-commands-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the commands from any folder of the workspace", () => {
  it.each(packages.map((p) => [p.slice(root.length)]))("%s forwards every root script to the root", (dir) => {
    const own = scripts(join(root, dir));
    expect(Object.keys(own).sort()).toEqual(Object.keys(scripts(root)).sort());
    for (const [name, line] of Object.entries(own)) expect(line).toBe(`node "$npm_execpath" --silent -w ${name}`);
  });

  it("rehearses from packages/rehearsal, JSON alone on stdout under a plain pnpm <script> (no banner), the files where the person is", () => {
    const cwd = join(root, "packages", "rehearsal");
    const out = run(cwd, ["rehearse", "--scenario", "dry-run", "--seed", "3", "--json", "-", "--html", join(tmp, "r.html")]);
    expect(out.status, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { scenario: string }).scenario).toBe("dry-run");
    expect(readFileSync(join(tmp, "r.html"), "utf8")).toContain("<!doctype html>");
  }, 120_000);

  it("answers pnpm dr without a command with exit 2 from packages/tools", () => {
    const out = run(join(root, "packages", "tools"), ["-s", "dr"]);
    expect(out.status).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain("needs a command");
  }, 60_000);
});
