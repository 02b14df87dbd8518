/**
 * The failover state machine's Tasks: state name → handler file in packages/functions/src
 * (kebab-case of the state name). One list drives the stack, the IAM tests and the fault matrix.
 */
import { Failover } from "@pilot-light/core";

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
  // The promotion and DNS loops are on the critical path: a check comes on average half an
  // interval after the database is writable or the change INSYNC. 8 s and 4 s keep that to 4 s
  // and 2 s (the orchestration's overhead, pnpm bench); the service loop runs beside the
  // promotion and stays at 15 s. The promotion's 8 s run from look to look (Failover.withNextLook).
  promotion: { intervalSeconds: Failover.promotionLookSeconds, maxAttempts: 150 }, // 20 min; the latency model's bad case is 15 min
  service: { intervalSeconds: 15, maxAttempts: 40 }, // 10 min; bad case 2 min task start + 30 s checks
  dns: { intervalSeconds: Failover.dnsLookSeconds, maxAttempts: 45 }, // 3 min; Route 53 promises 60 s normally
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
