/**
 * Failover-specific errors. Each `name` is an `ErrorEquals` key in the state machine
 * (stacks/failover): Retryable ones appear in Retry lists, Terminal ones only in Catch.
 */
import { RetryableError, TerminalError } from "../errors";

/** Another execution holds the failover lock: a concurrent second failover stops here. */
export class FailoverLockedError extends TerminalError {
  override readonly name = "FailoverLockedError";
}

/** The DR side is not in a state a failover (or drill) can start from; the message lists why. */
export class PreflightFailedError extends TerminalError {
  override readonly name = "PreflightFailedError";
}

/** Replica lag is above the RPO budget (or unknown) and the operator did not acknowledge it. */
export class RpoBudgetExceededError extends TerminalError {
  override readonly name = "RpoBudgetExceededError";
}

/** RDS refused the promotion (wrong state, wrong instance); retrying will not help. */
export class PromotionRejectedError extends TerminalError {
  override readonly name = "PromotionRejectedError";
}

/**
 * The replica is in a state RDS leaves by itself (`backing-up`, a modification, a reboot...):
 * RDS refuses to promote it now, so the state machine retries the step until a cap.
 */
export class ReplicaNotReadyError extends RetryableError {
  override readonly name = "ReplicaNotReadyError";
}

/**
 * An automatic failover found the primary answering /health.php again just before it would
 * have promoted: nothing irreversible was done, so the run stands down (PrimaryRecovered).
 */
export class PrimaryRecoveredError extends TerminalError {
  override readonly name = "PrimaryRecoveredError";
}

/** The DR ALB's /health.php did not answer 2xx in time; the DR stack may still be warming up. */
export class DrUnhealthyError extends RetryableError {
  override readonly name = "DrUnhealthyError";
}

/** Names of the Fail states that end a polling loop at its attempt cap (not thrown by Lambdas). */
export const pollTimeoutErrors = {
  promotion: "PromotionTimeoutError",
  service: "ServiceStabilizationTimeoutError",
} as const;
