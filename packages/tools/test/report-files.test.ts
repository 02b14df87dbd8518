/** Where the commands write their reports: folders made as needed, an impossible path an error, never a hang. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeReport } from "../src/cli/program";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("writeReport", () => {
  it("makes the missing folders and writes the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    dirs.push(dir);
    await writeReport(join(dir, "a", "b", "r.json"), "{}\n");
    await expect(readFile(join(dir, "a", "b", "r.json"), "utf8")).resolves.toBe("{}\n");
    await writeReport(join(dir, "a", "b", "r.json"), "[]\n");
    await expect(readFile(join(dir, "a", "b", "r.json"), "utf8")).resolves.toBe("[]\n");
  });

  // Node's recursive mkdir never settles under /proc; this path hung `rehearse --json`.
  it.runIf(process.platform === "linux")("fails with ENOENT for a folder that cannot be made (/proc/nope), rather than hanging", async () => {
    await expect(writeReport("/proc/nope/x.json", "{}")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("fails with ENOTDIR when a parent is a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    dirs.push(dir);
    await writeReport(join(dir, "f"), "x");
    await expect(writeReport(join(dir, "f", "g", "r.json"), "{}")).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
