/**
 * The failback state machine's input contract and the run it becomes (ValidateFailbackInput).
 * Modes: `reprotect` (a replica of the serving database in the other region, reverse S3
 * replication, that region back to a pilot light), `switchback` (a planned, zero-data-loss move
 * back to the primary region, then re-protect the other way) and `dry-run` (the switchback's
 * readiness and plan; nothing changes). Unknown or misplaced fields are rejected.
 */
import * as z from "zod";
import { visibleText } from "../failover/input";

export const FailbackMode = z.enum(["reprotect", "switchback", "dry-run"]);
export type FailbackMode = z.infer<typeof FailbackMode>;

export const FailbackOptions = z
  .object({
    /** Restore the PRIMARY DNS record to the primary region (only on stages with Route 53 records). */
    switchDns: z.boolean().default(true),
  })
  .strict();

export const FailbackInput = z
  .object({
    mode: FailbackMode,
    reason: visibleText(500, "must say why (free text with visible characters)"),
    requestedBy: visibleText(200, "must name a person or system (visible characters)"),
    options: FailbackOptions.default(FailbackOptions.parse({})),
  })
  .strict();
export type FailbackInput = z.input<typeof FailbackInput>;

export const FailbackRun = z.object({
  mode: FailbackMode,
  reason: z.string(),
  requestedBy: z.string(),
  options: z.object({ switchDns: z.boolean() }),
  executionName: z.string().min(1),
  startedAt: z.string().min(1),
});
export type FailbackRun = z.infer<typeof FailbackRun>;

export const ValidateFailbackEvent = z.object({ input: FailbackInput, executionName: z.string().min(1), startedAt: z.string().min(1) });

export function normalizeFailbackRun(event: z.infer<typeof ValidateFailbackEvent>): FailbackRun {
  return { ...event.input, options: FailbackOptions.parse(event.input.options ?? {}), executionName: event.executionName, startedAt: event.startedAt };
}
