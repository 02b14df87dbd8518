/**
 * Many rehearsals over the machine's cores, for `pnpm bench`. A rehearsal engine fakes its
 * process's Date and sets its environment, so there is one engine per process: with one
 * process the rehearsals run here, one after another; with more, each child process
 * (./pool-worker.ts) starts its own engine and takes the next job as soon as it is done with
 * one. Every rehearsal is seeded and gets a fresh world, so a report does not depend on which
 * process ran it or when; the reports come back in the jobs' order.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { createRehearsal, type RehearseOptions } from "./engine";
import type { RehearsalReport } from "./report/schema";

export type RehearsalJob = Omit<RehearseOptions, "onProgress">;

/** What a child sends: its engine is ready, a job's report, or why it could not go on. */
export type WorkerMessage = { ready: true } | { index: number; report: RehearsalReport } | { index: number; error: string };

/** As many processes as the machine has cores (`--processes` overrides it). */
export const defaultProcesses = (): number => availableParallelism();

const workerFile = fileURLToPath(new URL("./pool-worker.ts", import.meta.url));
/** tsx's loader, named by path so the child loads TypeScript wherever the parent runs (tsx, vitest). */
const tsxLoader = createRequire(import.meta.url).resolve("tsx");

export async function rehearseAll(jobs: readonly RehearsalJob[], processes = 1, onReport?: (r: RehearsalReport) => void): Promise<RehearsalReport[]> {
  const n = Math.max(1, Math.min(processes, jobs.length));
  return n === 1 ? rehearseHere(jobs, onReport) : rehearseInChildren(jobs, n, onReport);
}

async function rehearseHere(jobs: readonly RehearsalJob[], onReport?: (r: RehearsalReport) => void): Promise<RehearsalReport[]> {
  const rehearsal = await createRehearsal();
  try {
    const reports: RehearsalReport[] = [];
    for (const job of jobs) {
      const report = await rehearsal.rehearse(job);
      reports.push(report);
      onReport?.(report);
    }
    return reports;
  } finally {
    await rehearsal.close();
  }
}

async function rehearseInChildren(jobs: readonly RehearsalJob[], processes: number, onReport?: (r: RehearsalReport) => void): Promise<RehearsalReport[]> {
  const reports: (RehearsalReport | undefined)[] = Array.from({ length: jobs.length });
  let next = 0;
  const children: ChildProcess[] = [];
  const runChild = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(workerFile, [], { execArgv: ["--import", tsxLoader], stdio: ["ignore", "ignore", "inherit", "ipc"] });
      children.push(child);
      const give = () => {
        if (next >= jobs.length) {
          child.disconnect();
          return;
        }
        const index = next++;
        child.send({ index, job: jobs[index] });
      };
      child.on("message", (message: WorkerMessage) => {
        if ("ready" in message) return give();
        if ("error" in message) return reject(new Error(`rehearsal ${JSON.stringify(jobs[message.index])} failed in a child process: ${message.error}`));
        reports[message.index] = message.report;
        onReport?.(message.report);
        give();
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`a rehearsal process ended with ${signal ?? `exit code ${String(code)}`}`))));
    });
  try {
    await Promise.all(Array.from({ length: processes }, runChild));
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  return reports.map((r, i) => {
    if (!r) throw new Error(`no report for rehearsal ${JSON.stringify(jobs[i])}`);
    return r;
  });
}
