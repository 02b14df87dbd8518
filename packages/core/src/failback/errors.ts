/**
 * Failback errors. Each `name` is an `ErrorEquals` key of the failback state machine
 * (stacks/failback): Retryable ones appear in Retry lists, Terminal ones only in Catch.
 */
import { RetryableError, TerminalError } from "../errors";

/** The topology is not one this workflow can start from; the message lists every blocker. */
export class FailbackPreflightError extends TerminalError {
  override readonly name = "FailbackPreflightError";
}

/** A database in the standby region needs a person (stopped, nothing to copy a placement from...). */
export class StandbyDatabaseError extends TerminalError {
  override readonly name = "StandbyDatabaseError";
}

/** A region's database position probe did not answer (its Lambda failed or the database did not). */
export class ProbeUnavailableError extends RetryableError {
  override readonly name = "ProbeUnavailableError";
}

/** The new primary's /health.php did not answer 200 from a writable database (yet). */
export class NewPrimaryUnhealthyError extends RetryableError {
  override readonly name = "NewPrimaryUnhealthyError";
}

/** Replication of the bucket or the secret could not be put the way the topology needs. */
export class ReplicationNotRestoredError extends TerminalError {
  override readonly name = "ReplicationNotRestoredError";
}

/** Names of the Pass states that end a polling loop at its cap (not thrown by Lambdas). */
export const failbackTimeoutErrors = {
  standbyService: "StandbyServiceTimeoutError",
  catchUp: "CatchUpTimeoutError",
  promotion: "PromotionTimeoutError",
  standbyDatabase: "StandbyDatabaseTimeoutError",
} as const;

/** The old serving database moved after the catch-up: something wrote to it, so it is not promoted over. */
export class WritesAfterCatchUpError extends TerminalError {
  override readonly name = "WritesAfterCatchUpError";
}

/**
 * At the seal the DR database's position is past what the primary replica has executed: a write
 * after the catch-up, or RDS's own (a binary log rotation, its rdsadmin heartbeat) that the replica
 * has not applied yet. Retried a few seconds apart; a writer that keeps writing exhausts the retries
 * and the switchback rolls back.
 */
export class ReplicaBehindAtSealError extends RetryableError {
  override readonly name = "ReplicaBehindAtSealError";
}

/** An instance is being renamed (its new name not effective yet): RDS refuses to modify it until then. */
export class RenameInProgressError extends RetryableError {
  override readonly name = "RenameInProgressError";
}
