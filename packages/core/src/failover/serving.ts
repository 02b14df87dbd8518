/**
 * Serving after a promotion. Once a promotion may have started, the DR service is the only way
 * users are served again, so a failed scale step (ScaleDrService, CheckDrService: access denied
 * for a while, an API throttled past its retries) is not a reason to stop: the state machine
 * runs it again after a growing pause, until it works or `servingRetrySeconds` after the first
 * failure, and every failure is told (RetryServing). Pure: the plan for the next attempt.
 */
import * as z from "zod";
import type { Notification } from "../notify";
import type { Run } from "./input";
import { describeCause } from "./outcome";

/** How long a failover keeps trying to serve before it gives up (NeedsOperator): 30 minutes. */
export const servingRetrySeconds = 1800;
/** The first pause, doubled after each failure, capped. */
export const servingRetryPause = { firstSeconds: 30, maxSeconds: 300 } as const;

/** Which scale step failed and why (set by the `<Step>Refused` Pass states). */
export const ServingFailure = z.object({ step: z.string(), error: z.string(), cause: z.string() });
export type ServingFailure = z.infer<typeof ServingFailure>;

export const ServingRetry = z.object({
  /** Failures so far (this one included). */
  attempts: z.number().int().min(1),
  firstFailedAt: z.string(),
  /** When the run gives up trying to serve: the first failure + servingRetrySeconds. */
  giveUpAt: z.string(),
  /** The pause before the next attempt (the Wait's SecondsPath). */
  waitSeconds: z.number().int().min(0),
  /** No further attempt fits before giveUpAt: the branch fails. */
  exhausted: z.boolean(),
  step: z.string(),
  error: z.string(),
  /** Whether people were told of this failure (SNS); why not, when not. */
  told: z.boolean(),
  toldError: z.string().optional(),
});
export type ServingRetry = z.infer<typeof ServingRetry>;

/** The next attempt after `failure`: paused 30 s, 60 s, 120 s... (at most 5 min), until the bound. */
export function planServingRetry(previous: ServingRetry | undefined, failure: ServingFailure, now: Date, limitSeconds = servingRetrySeconds): Omit<ServingRetry, "told" | "toldError"> {
  const attempts = (previous?.attempts ?? 0) + 1;
  const firstFailedAt = previous?.firstFailedAt ?? now.toISOString();
  const giveUpAtMs = Date.parse(firstFailedAt) + limitSeconds * 1000;
  const waitSeconds = Math.min(servingRetryPause.maxSeconds, servingRetryPause.firstSeconds * 2 ** (attempts - 1));
  return {
    attempts,
    firstFailedAt,
    giveUpAt: new Date(giveUpAtMs).toISOString(),
    waitSeconds,
    exhausted: now.getTime() + waitSeconds * 1000 > giveUpAtMs,
    step: failure.step,
    error: failure.error,
  };
}

/** What people read on each failure: the step, the error, when the next try is and when the run gives up. */
export function servingRetryNotice(run: Run, failure: ServingFailure, plan: Omit<ServingRetry, "told" | "toldError">, stage: string, now: Date): Notification {
  const next = new Date(now.getTime() + plan.waitSeconds * 1000).toISOString();
  const text = `[pilot-light ${stage}] ${failure.step} failed (attempt ${plan.attempts}): DR not serving yet, ${plan.exhausted ? "giving up" : "retrying"} (${run.incidentId})`;
  return {
    kind: plan.exhausted ? "failover.serving-abandoned" : "failover.serving-retry",
    subject: text.length > 100 ? `${text.slice(0, 97)}...` : text,
    body: [
      `Failover ${run.incidentId} (execution ${run.executionName}): ${failure.step} failed: ${failure.error}: ${describeCause(failure.cause)}`,
      "The DR service is the only way users are served once the DR database is promoted, so the run keeps trying.",
      plan.exhausted
        ? `It gives up now (no attempt fits before ${plan.giveUpAt}, ${servingRetrySeconds / 60} min after the first failure at ${plan.firstFailedAt}): it ends NeedsOperator and the health monitor starts the failover again.`
        : `Next attempt at ${next}; the run gives up at ${plan.giveUpAt} (${servingRetrySeconds / 60} min after the first failure at ${plan.firstFailedAt}).`,
      "To help: fix the cause named above (for AccessDenied: the DR service's IAM or its service-linked role; docs/runbook.md), or scale the DR service by hand to its full size.",
    ].join("\n"),
  };
}
