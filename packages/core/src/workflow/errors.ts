/**
 * The typed errors of both workflows (the failover and the failback state machines: stacks/failover,
 * stacks/failback, built from the same pieces in stacks/workflow). Each `name` is an `ErrorEquals`
 * key: Retryable ones appear in Retry lists, Terminal ones only in Catch. One module, so that the
 * names both state machines match on are written once (a failback takes the failover's lock, both
 * wait out a replica RDS will not promote yet).
 */
import { RetryableError, TerminalError } from "../errors";

/** Another execution holds the failover lock (a failover, a drill or a failback): a second run stops here. */
export class FailoverLockedError extends TerminalError {
  override readonly name = "FailoverLockedError";
}

/** The DR side is not in a state a failover (or drill) can start from; the message lists why. */
export class PreflightFailedError extends TerminalError {
  override readonly name = "PreflightFailedError";
}

/**
 * The stage's record has no PRIMARY failover record to move (a team's simple record, not made a
 * failover pair by the adoption): no step can move users, so a failover that goes on would
 * "succeed" with users still sent to the failed region. The message says what to do.
 */
export class RecordNotFailoverPairError extends TerminalError {
  override readonly name = "RecordNotFailoverPairError";
}

/** The topology is not one the failback can start from; the message lists every blocker. */
export class FailbackPreflightError extends TerminalError {
  override readonly name = "FailbackPreflightError";
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

/** The new primary's /health.php did not answer 200 from a writable database (yet). */
export class NewPrimaryUnhealthyError extends RetryableError {
  override readonly name = "NewPrimaryUnhealthyError";
}

/** A database in the standby region needs a person (stopped, nothing to copy a placement from...). */
export class StandbyDatabaseError extends TerminalError {
  override readonly name = "StandbyDatabaseError";
}

/** A region's database position probe did not answer (its Lambda failed or the database did not). */
export class ProbeUnavailableError extends RetryableError {
  override readonly name = "ProbeUnavailableError";
}

/** Replication of the bucket or the secret could not be put the way the topology needs. */
export class ReplicationNotRestoredError extends TerminalError {
  override readonly name = "ReplicationNotRestoredError";
}

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

/**
 * The seal cannot make the old serving database read-only (a default DB parameter group, or one
 * that applies only after a reboot): kept aside writable, it would be a second writable database,
 * so nothing is promoted and the switchback rolls back.
 */
export class SealNotReadOnlyError extends TerminalError {
  override readonly name = "SealNotReadOnlyError";
}

/** An instance is being renamed (its new name not effective yet): RDS refuses to modify it until then. */
export class RenameInProgressError extends RetryableError {
  override readonly name = "RenameInProgressError";
}

/**
 * Names of the states that end a polling loop at its cap (not thrown by Lambdas): a Fail state
 * in the failover's Parallel branches, the failure recorded for compensation in the failback.
 */
export const pollTimeoutErrors = {
  promotion: "PromotionTimeoutError",
  service: "ServiceStabilizationTimeoutError",
  standbyService: "StandbyServiceTimeoutError",
  catchUp: "CatchUpTimeoutError",
  standbyDatabase: "StandbyDatabaseTimeoutError",
  dns: "DnsNotInSyncError",
} as const;
