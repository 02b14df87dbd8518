/**
 * One child process of ./pool.ts: starts a rehearsal engine, says it is ready, then rehearses
 * each job the parent sends and sends its report back. When the parent disconnects (no jobs
 * left), it closes the engine and exits.
 */
import { createRehearsal } from "./engine";
import type { RehearsalJob, WorkerMessage } from "./pool";

const send = (message: WorkerMessage) => process.send?.(message);

const rehearsal = await createRehearsal();
let queue = Promise.resolve();
process.on("message", (message: { index: number; job: RehearsalJob }) => {
  queue = queue.then(async () => {
    try {
      send({ index: message.index, report: await rehearsal.rehearse(message.job) });
    } catch (error) {
      send({ index: message.index, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
process.on("disconnect", () => {
  void queue.then(() => rehearsal.close()).then(() => process.exit(0));
});
send({ ready: true });
