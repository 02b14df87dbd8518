/**
 * The failback state machine's Tasks: state name → handler file in packages/functions/src
 * (kebab-case of the state name). One list drives the stack, the IAM tests and the fault matrix.
 */
export const failbackStepNames = [
  "ValidateFailbackInput",
  "AcquireFailbackLock",
  "AssessTopology",
  "NotifyFailbackStarted",
  "PrepareStandbyService",
  "CheckStandbyService",
  "StopWrites",
  "CheckCatchUp",
  "SealOldServing",
  "PromoteStandby",
  "CheckStandbyPromotion",
  "VerifyNewPrimary",
  "RestoreDns",
  "CheckDnsRestore",
  "ReconcileStandbyDatabase",
  "ReverseReplication",
  "SetStandbyPilotLight",
  "RecordFailback",
  "NotifyFailbackSucceeded",
  "AssessFailbackFailure",
  "RestoreServing",
  "RecordFailbackFailure",
  "NotifyFailbackFailed",
] as const;

export type FailbackStepName = (typeof failbackStepNames)[number];

/** "PromoteStandby" → "promote-standby": the same rule as the failover's steps. */
export { handlerFile as failbackHandlerFile } from "../workflow/task";

/**
 * Polling: interval and cap per loop (interval × cap = the longest wait before giving up). The
 * promotion and DNS loops are the failover's (stacks/workflow/move.ts `movePolling`).
 */
export const failbackPolling = {
  standbyService: { intervalSeconds: 15, maxAttempts: 40 }, // 10 min, as the failover's scale loop
  catchUp: { intervalSeconds: 15, maxAttempts: 40 }, // 10 min of write downtime at most before rolling back
  standbyDatabase: { intervalSeconds: 60, maxAttempts: 360 }, // 6 h: renaming, a cross-Region replica of a large database, its first backup
  // An outage of the standby-to-be region while re-protect runs (its calls fail or hang): waited
  // out for about an hour (60 s doubling to 10 min, no jitter: at least 55 min of pauses), then
  // ProtectionNotRestored and the message with `pnpm dr reprotect`. The serving side is untouched.
  standbyOutage: { intervalSeconds: 60, maxAttempts: 8, backoffRate: 2, maxDelaySeconds: 600 },
  assessment: { intervalSeconds: 15, maxAttempts: 12 }, // 3 min, as the failover's: past a promote call's acceptance window
  // 40 min, no jitter (full jitter halves the expected sum): the seal's rename to finish, then the rename back (minutes each).
  restoreServing: { intervalSeconds: 30, maxAttempts: 80 },
} as const;

/** Each Task's timeout; the Lambda's own is 5 s shorter so the Lambda reports first. */
export function failbackTaskTimeoutSeconds(step: FailbackStepName): number {
  switch (step) {
    case "ValidateFailbackInput":
      return 10;
    case "AssessTopology":
    case "CheckCatchUp":
    case "SealOldServing":
    case "ReconcileStandbyDatabase":
      return 60;
    default:
      return 30;
  }
}

/** The whole execution's limit (Standard workflows allow a year); the lock outlives it (Failback.failbackLockTtlSeconds). */
export const failbackTimeoutHours = 12;
