/**
 * The failover state machine's Tasks: state name → handler file in packages/functions/src
 * (kebab-case of the state name). One list drives the stack, the IAM tests and the fault matrix.
 */
import { movePolling } from "../workflow/move";

export const stepNames = [
  "ValidateInput",
  "AcquireLock",
  "Preflight",
  "NotifyStarted",
  "PromoteReplica",
  "CheckPromotion",
  "ScaleDrService",
  "CheckDrService",
  "RetryServing",
  "VerifyDrHealth",
  "SwitchDns",
  "CheckDnsChange",
  "PromoteSecret",
  "FencePrimary",
  "EndDrill",
  "RecordOutcome",
  "NotifySucceeded",
  "AssessFailure",
  "RestorePilotLight",
  "RecordFailure",
  "NotifyFailed",
] as const;

export type StepName = (typeof stepNames)[number];

/**
 * States that run a step's Lambda a second time in the definition under their own name (state
 * names are unique): compensation pins DNS and fences the old primary once a promotion started;
 * the promotion branch fences once, then ends, a replica found already writable.
 */
export const stepAliases = {
  PinDnsAfterFailure: { state: "PinDnsAfterFailure", step: "SwitchDns" },
  FenceAfterFailure: { state: "FenceAfterFailure", step: "FencePrimary" },
  FenceOnceWritable: { state: "FenceOnceWritable", step: "FencePrimary" },
} as const satisfies Record<string, { state: string; step: StepName }>;

export { handlerFile, transientErrors } from "../workflow/task";

/** Polling: interval and cap per loop (interval × cap = the longest wait before giving up). */
export const polling = {
  // The promotion and DNS loops are the move both machines share (stacks/workflow/move.ts); the
  // service loop runs beside the promotion and stays at 15 s.
  ...movePolling,
  service: { intervalSeconds: 15, maxAttempts: 40 }, // 10 min; bad case 2 min task start + 30 s checks
  // 3 min: longer than a promote call's acceptance window (Failover.promotionAcceptanceSeconds, 120 s)
  assessment: { intervalSeconds: 15, maxAttempts: 12 },
} as const;

/** Each Task's timeout; the Lambda's own timeout is 5 s shorter so the Lambda reports first. */
export function taskTimeoutSeconds(step: StepName): number {
  switch (step) {
    case "ValidateInput":
      return 10;
    case "Preflight":
      return 60;
    case "VerifyDrHealth":
    case "RetryServing":
    case "NotifyStarted":
    case "NotifySucceeded":
    case "NotifyFailed":
      return 20;
    default:
      return 30;
  }
}
