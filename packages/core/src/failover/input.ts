/**
 * The state machine's input contract and the normalised run it becomes (ValidateInput).
 * The health monitor starts executions with { mode: "failover", reason, requestedBy, incidentId };
 * operators add `options`. Unknown or misplaced fields are rejected, at the top level as in
 * `options`, so a typo cannot silently drop an acknowledgement (`{"option": {...}}` must not
 * run a failover with the defaults).
 */
import * as z from "zod";

export const Mode = z.enum(["failover", "drill", "dry-run"]);
export type Mode = z.infer<typeof Mode>;

export const FailoverOptions = z
  .object({
    /** Pin DNS to the DR region after DR is healthy (only when the stage has Route 53 records). */
    switchDns: z.boolean().default(true),
    /** Proceed although replica lag is above the RPO budget or unknown (data loss accepted). */
    acknowledgeRpoBreach: z.boolean().default(false),
  })
  .strict();

/**
 * Characters that show nothing: whitespace and separators, format characters (zero-width space
 * and joiners, the BOM, bidi marks), controls, lone combining marks, and the fillers and blank
 * that render empty (Hangul fillers, the Braille blank).
 */
const invisible = /[\s\p{Z}\p{Cf}\p{Cc}\p{M}\u115F\u1160\u3164\uFFA0\u2800]/gu;

/** Free text that must say something a person can read: at least one visible character. */
export function visibleText(max: number, message: string) {
  return z
    .string()
    .trim()
    .max(max)
    .refine((text) => text.replace(invisible, "").length > 0, message);
}

export const FailoverInput = z.object({
  mode: Mode,
  reason: visibleText(500, "must say why (free text with visible characters)"),
  requestedBy: visibleText(200, "must name a person or system (visible characters)"),
  incidentId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '-' or '_'")
    .optional(),
  options: FailoverOptions.default(FailoverOptions.parse({})),
  /**
   * When the requester last saw the primary healthy (the health monitor sends its last passing
   * check): the outage began after it, so RTO measured from it is an upper bound.
   */
  lastHealthyAt: z.iso.datetime({ offset: true }).optional(),
}).strict();
export type FailoverInput = z.input<typeof FailoverInput>;

/** What ValidateInput hands to every later step (at `$.run`). */
export const Run = z.object({
  mode: Mode,
  reason: z.string(),
  requestedBy: z.string(),
  incidentId: z.string(),
  options: z.object({ switchDns: z.boolean(), acknowledgeRpoBreach: z.boolean() }),
  executionName: z.string().min(1),
  /** The execution's ARN (`$$.Execution.Id`): a failover stops a drill holding the lock by it. */
  executionArn: z.string().min(1).optional(),
  startedAt: z.string().min(1),
  lastHealthyAt: z.string().optional(),
});
export type Run = z.infer<typeof Run>;

/** ValidateInput's event: the raw execution input plus the execution's name and start time. */
export const ValidateInputEvent = z.object({
  input: FailoverInput,
  executionName: z.string().min(1),
  executionArn: z.string().min(1).optional(),
  startedAt: z.string().min(1),
});

/** Normalises validated input: an incident id is derived from the execution when absent. */
export function normalizeRun(event: z.infer<typeof ValidateInputEvent>): Run {
  const { input, executionName, executionArn, startedAt } = event;
  return {
    mode: input.mode,
    reason: input.reason,
    requestedBy: input.requestedBy,
    incidentId: input.incidentId ?? `${input.mode}-${executionName}`.slice(0, 64),
    options: input.options,
    executionName,
    ...(executionArn ? { executionArn } : {}),
    startedAt,
    ...(input.lastHealthyAt ? { lastHealthyAt: input.lastHealthyAt } : {}),
  };
}
