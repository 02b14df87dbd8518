/**
 * The failover runbook as named phase builders. Each takes the step functions it needs and
 * returns its entry state; `failoverDefinition` wires them in order:
 *   intake (ValidateInput → AcquireLock → Preflight → dry-run exit)
 *   → NotifyStarted → recovery (Parallel: promote ‖ scale, each with a Choice+Wait loop)
 *   → VerifyDrHealth → drill exit | DNS pin (optional) → PromoteSecret → FencePrimary
 *   → INSYNC (when pinned; the fence ran while Route 53 propagated) → RecordOutcome → NotifySucceeded
 * and every failure into compensation (AssessFailure → roll back or escalate). Preflight and
 * PromoteReplica wait out a replica RDS will not promote yet (ReplicaNotReadyError: a backup,
 * a modification) up to `Failover.notReadyRetry`'s cap.
 */
import { Duration } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { Failover } from "@pilot-light/core";
import { invoke, recordFailure, type StepFunctions } from "./task";
import { polling } from "./steps";

const isMode = (mode: string) => sfn.Condition.stringEquals("$.run.mode", mode);

/** Retry on a replica that is not ready yet (backing-up, ...): minutes, not seconds. */
const notReady = { errors: ["ReplicaNotReadyError"], ...Failover.notReadyRetry };

/** Failure → compensation: AssessFailure decides between rolling back and NeedsOperator. */
export function compensationPhase(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const needsOperator = new sfn.Fail(scope, "NeedsOperator", {
    comment: "A promotion started or finished: nothing was undone; an operator completes the failover",
    error: "NeedsOperator",
    cause: "The DR database was promoted (or is being promoted) and a later step failed. See the failure notification and docs/failover.md (What an operator does: NeedsOperator).",
  });
  const rolledBack = new sfn.Fail(scope, "RolledBack", {
    comment: "Failed before any promotion: DR is back at pilot light and the lock is released",
    errorPath: "$.failure.error",
    causePath: "$.failure.cause",
  });
  const primaryRecovered = new sfn.Fail(scope, "PrimaryRecovered", {
    comment: "The primary answered again just before the promotion: nothing was promoted, DR is back at pilot light, the lock is released",
    errorPath: "$.failure.error",
    causePath: "$.failure.cause",
  });
  const escalate = new sfn.Choice(scope, "IsOperatorNeeded")
    .when(sfn.Condition.booleanEquals("$.assessment.needsOperator", true), needsOperator)
    .when(sfn.Condition.stringEquals("$.failure.error", "PrimaryRecoveredError"), primaryRecovered)
    .otherwise(rolledBack);

  const notifyFailed = invoke(scope, "NotifyFailed", fns.NotifyFailed, { resultPath: "$.notifiedFailed" });
  notifyFailed.addCatch(escalate, { resultPath: "$.notifyFailedError" });
  notifyFailed.next(escalate);

  const recordFailed = invoke(scope, "RecordFailure", fns.RecordFailure, { resultPath: "$.recorded" });
  recordFailed.addCatch(notifyFailed, { resultPath: "$.recordError" });
  recordFailed.next(notifyFailed);

  const restore = invoke(scope, "RestorePilotLight", fns.RestorePilotLight, { resultPath: "$.restore" });
  restore.addCatch(recordFailed, { resultPath: "$.restore" });
  restore.next(recordFailed);

  const rollBackOrEscalate = new sfn.Choice(scope, "RollBackOrEscalate")
    .when(sfn.Condition.booleanEquals("$.assessment.needsOperator", true), recordFailed)
    .otherwise(restore);

  const assumeStarted = new sfn.Pass(scope, "AssumePromotionStarted", {
    comment: "RDS could not be read or would not say: assume the worst (a promotion may have started) and ask an operator",
    result: sfn.Result.fromObject({ promotionStarted: true, needsOperator: true, settled: true, detail: "the database state could not be read or stayed unclear, so a promotion may have started" }),
    resultPath: "$.assessment",
  }).next(rollBackOrEscalate);
  // A promote call whose answer was lost leaves the replica `available` with its source for up
  // to a minute: look again until RDS shows whether it accepted the call (settled), capped.
  const cap = polling.assessment;
  const assess = invoke(scope, "AssessFailure", fns.AssessFailure, { resultPath: "$.assessment" });
  assess.addCatch(assumeStarted, { resultPath: "$.assessmentError" });
  const waitForEvidence = new sfn.Wait(scope, "WaitForPromotionEvidence", {
    comment: "A promote call is within its acceptance window: wait for RDS to show whether it accepted it",
    time: sfn.WaitTime.duration(Duration.seconds(cap.intervalSeconds)),
  }).next(assess);
  const settled = new sfn.Choice(scope, "IsAssessmentSettled")
    .when(sfn.Condition.booleanEquals("$.assessment.settled", true), rollBackOrEscalate)
    .when(sfn.Condition.numberGreaterThanEquals("$.assessment.attempts", cap.maxAttempts), assumeStarted)
    .otherwise(waitForEvidence);
  assess.next(settled);

  const dryRunFailed = new sfn.Fail(scope, "DryRunFailed", { comment: "A dry-run touches nothing, so there is nothing to undo", errorPath: "$.failure.error", causePath: "$.failure.cause" });
  return new sfn.Choice(scope, "CompensateOrStop").when(isMode("dry-run"), dryRunFailed).otherwise(assess);
}

/** ValidateInput → AcquireLock → Preflight; a dry-run ends here with its report. */
export function intakePhase(scope: Construct, fns: StepFunctions, compensate: sfn.IChainable, next: sfn.IChainable): sfn.IChainable {
  const validate = invoke(scope, "ValidateInput", fns.ValidateInput, {
    resultPath: "$.run",
    payload: sfn.TaskInput.fromObject({
      input: sfn.JsonPath.entirePayload,
      executionName: sfn.JsonPath.executionName,
      executionArn: sfn.JsonPath.executionId,
      startedAt: sfn.JsonPath.executionStartTime,
    }),
  });
  // No ResultPath: the error replaces the state (the input may not even be a JSON object).
  validate.addCatch(new sfn.Fail(scope, "InputRejected", { comment: "Bad input: nothing was touched", errorPath: "$.Error", causePath: "$.Cause" }));

  // AcquireLock reads the lock first, so a retry after a timeout that followed its write finds
  // the lock its own: retried on the timeouts too, never left to a dead execution.
  const lock = invoke(scope, "AcquireLock", fns.AcquireLock, {
    resultPath: "$.lock",
    retry: { errors: ["Lambda.Unknown", "States.Timeout"], intervalSeconds: 2, maxAttempts: 2, backoffRate: 2, maxDelaySeconds: 10 },
  });
  lock.addCatch(new sfn.Fail(scope, "FailoverAlreadyRunning", { comment: "Another failover or drill holds the lock", errorPath: "$.failure.Error", causePath: "$.failure.Cause" }), {
    errors: ["FailoverLockedError"],
    resultPath: "$.failure",
  });
  lock.addCatch(new sfn.Fail(scope, "LockNotAcquired", { comment: "The lock could not be taken, so nothing may be touched", errorPath: "$.failure.Error", causePath: "$.failure.Cause" }), {
    resultPath: "$.failure",
  });

  const preflight = invoke(scope, "Preflight", fns.Preflight, { resultPath: "$.preflight", retry: notReady });
  preflight.addCatch(recordFailure(scope, "Preflight").next(compensate), { resultPath: "$.failure" });

  const dryRunReport = new sfn.Succeed(scope, "DryRunReport", { comment: "What a failover would do now; nothing was changed", outputPath: "$.preflight" });
  const isDryRun = new sfn.Choice(scope, "IsDryRun").when(isMode("dry-run"), dryRunReport).otherwise(next);
  return validate.next(lock).next(preflight).next(isDryRun);
}

/** A branch-local failure: prefix the cause with the step name, then fail the branch. */
function branchFailure(scope: Construct, step: string, fail: sfn.Fail): sfn.IChainable {
  return new sfn.Pass(scope, `${step}Failed`, {
    parameters: { "Error.$": "$.error.Error", Cause: sfn.JsonPath.format(`${step}: {}`, sfn.JsonPath.stringAt("$.error.Cause")) },
    resultPath: "$.error",
  }).next(fail);
}

/** Promote the replica and wait until writable (skipped in a drill). */
export function promotionBranch(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const failed = new sfn.Fail(scope, "PromotionBranchFailed", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
  const cap = polling.promotion;
  const timedOut = new sfn.Fail(scope, "PromotionTimedOut", {
    error: Failover.pollTimeoutErrors.promotion,
    cause: `CheckPromotion: the database was not writable after ${cap.maxAttempts} checks ${cap.intervalSeconds} s apart`,
  });
  const promote = invoke(scope, "PromoteReplica", fns.PromoteReplica, { resultPath: "$.promotion", retry: notReady });
  promote.addCatch(branchFailure(scope, "PromoteReplica", failed), { resultPath: "$.error" });
  const check = invoke(scope, "CheckPromotion", fns.CheckPromotion, { resultPath: "$.promotion" });
  check.addCatch(branchFailure(scope, "CheckPromotion", failed), { resultPath: "$.error" });
  const wait = new sfn.Wait(scope, "WaitForPromotion", { time: sfn.WaitTime.duration(Duration.seconds(cap.intervalSeconds)) }).next(check);
  const isWritable = new sfn.Choice(scope, "IsReplicaWritable")
    .when(sfn.Condition.booleanEquals("$.promotion.writable", true), new sfn.Succeed(scope, "ReplicaWritable"))
    .when(sfn.Condition.numberGreaterThanEquals("$.promotion.attempts", cap.maxAttempts), timedOut)
    // RDS showed no sign of the last promote call for its acceptance window: ask again.
    .when(sfn.Condition.booleanEquals("$.promotion.requestAgain", true), promote)
    .otherwise(wait);
  promote.next(isWritable);
  check.next(isWritable);
  const skip = new sfn.Pass(scope, "SkipPromotion", {
    comment: "Drill: the replica stays a read replica",
    result: sfn.Result.fromObject({ skipped: "drill: the replica stays a read replica" }),
    resultPath: "$.promotion",
  });
  return new sfn.Choice(scope, "PromoteOrSkip").when(isMode("drill"), skip).otherwise(promote);
}

/** Scale the DR service to full size and wait until stable with that many healthy targets. */
export function scaleBranch(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const failed = new sfn.Fail(scope, "ScaleBranchFailed", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
  const cap = polling.service;
  const timedOut = new sfn.Fail(scope, "DrServiceTimedOut", {
    error: Failover.pollTimeoutErrors.service,
    cause: `CheckDrService: the DR service was not stable with all targets healthy after ${cap.maxAttempts} checks ${cap.intervalSeconds} s apart`,
  });
  const scale = invoke(scope, "ScaleDrService", fns.ScaleDrService, { resultPath: "$.service" });
  scale.addCatch(branchFailure(scope, "ScaleDrService", failed), { resultPath: "$.error" });
  const check = invoke(scope, "CheckDrService", fns.CheckDrService, { resultPath: "$.service" });
  check.addCatch(branchFailure(scope, "CheckDrService", failed), { resultPath: "$.error" });
  const wait = new sfn.Wait(scope, "WaitForDrService", { time: sfn.WaitTime.duration(Duration.seconds(cap.intervalSeconds)) }).next(check);
  const isStable = new sfn.Choice(scope, "IsDrServiceStable")
    .when(sfn.Condition.booleanEquals("$.service.stable", true), new sfn.Succeed(scope, "DrServiceStable"))
    .when(sfn.Condition.numberGreaterThanEquals("$.service.attempts", cap.maxAttempts), timedOut)
    .otherwise(wait);
  scale.next(isStable);
  check.next(isStable);
  return scale;
}

/** Promotion and scaling run side by side: RTO is the slower of the two, not their sum. */
export function recoveryPhase(scope: Construct, fns: StepFunctions, compensate: sfn.IChainable): sfn.Parallel {
  const parallel = new sfn.Parallel(scope, "PromoteAndScale", {
    comment: "Promote the replica ‖ scale the DR service; either failing cancels the other and compensates",
    resultSelector: { "promotion.$": "$[0].promotion", "service.$": "$[1].service" },
    resultPath: "$.recovery",
  });
  parallel.branch(promotionBranch(scope, fns));
  parallel.branch(scaleBranch(scope, fns));
  parallel.addCatch(recordFailure(scope, "PromoteAndScale").next(compensate), { resultPath: "$.failure" });
  return parallel;
}

/**
 * Pin DNS to DR; `next` (the secret and the fence) runs while Route 53 propagates the change,
 * and `awaitDnsPhase` then waits for INSYNC. Route 53 trouble never fails the failover.
 */
export function dnsPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable): sfn.IChainable {
  const leftToHealthChecks = new sfn.Pass(scope, "DnsLeftToHealthChecks", {
    comment: "Route 53's control plane failed: users still reach DR through the health-check failover",
    parameters: { leftToHealthChecks: true, "detail.$": "States.Format('{}: {}', $.dnsError.Error, $.dnsError.Cause)" },
    resultPath: "$.dns",
  }).next(next);
  const switchDns = invoke(scope, "SwitchDns", fns.SwitchDns, { resultPath: "$.dns" });
  switchDns.addCatch(leftToHealthChecks, { resultPath: "$.dnsError" });
  switchDns.next(next);
  return switchDns;
}

/**
 * After the fence: wait until the pin SwitchDns made is INSYNC, when it made one. The fence
 * (whose calls to an unreachable primary region wait out their timeouts) ran during the
 * propagation, not after it: Route 53 takes 10-60 s either way.
 */
export function awaitDnsPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable): sfn.IChainable {
  const cap = polling.dns;
  // The pin was accepted (the record is changed); only its propagation is unconfirmed: $.dns keeps it.
  const notInSync = new sfn.Pass(scope, "DnsNotInSyncYet", {
    comment: "The pin was accepted but not INSYNC within the cap; Route 53 still propagates it",
    result: sfn.Result.fromObject({ detail: `the change was not INSYNC after ${cap.maxAttempts} checks ${cap.intervalSeconds} s apart; it will still apply` }),
    resultPath: "$.dnsPending",
  }).next(next);
  const notConfirmed = new sfn.Pass(scope, "DnsChangeNotConfirmed", {
    comment: "The pin was accepted; Route 53 could not be asked whether it is INSYNC",
    resultPath: sfn.JsonPath.DISCARD,
  }).next(next);
  const check = invoke(scope, "CheckDnsChange", fns.CheckDnsChange, { resultPath: "$.dns" });
  check.addCatch(notConfirmed, { resultPath: "$.dnsError" });
  const wait = new sfn.Wait(scope, "WaitForDns", { time: sfn.WaitTime.duration(Duration.seconds(cap.intervalSeconds)) }).next(check);
  const inSync = new sfn.Choice(scope, "IsDnsInSync")
    // Not(IsPresent) rather than IsPresent: false, which aws-local-stepfunctions 3.0 never matches.
    .when(sfn.Condition.not(sfn.Condition.isPresent("$.dns")), next)
    .when(sfn.Condition.isPresent("$.dns.leftToHealthChecks"), next)
    .when(sfn.Condition.booleanEquals("$.dns.insync", true), next)
    .when(sfn.Condition.numberGreaterThanEquals("$.dns.attempts", cap.maxAttempts), notInSync)
    .otherwise(wait);
  check.next(inSync);
  return inSync;
}

/**
 * PromoteSecret → FencePrimary → (INSYNC, when DNS was pinned) → RecordOutcome →
 * NotifySucceeded: bookkeeping never fails a done failover (each step's error is recorded under
 * its own key and the next step runs).
 */
export function completionPhase(scope: Construct, fns: StepFunctions): { first: sfn.IChainable; record: sfn.IChainable } {
  const done = new sfn.Succeed(scope, "Done");
  const notify = invoke(scope, "NotifySucceeded", fns.NotifySucceeded, { resultPath: "$.notifiedSucceeded" });
  notify.addCatch(done, { resultPath: "$.notifySucceededError" });
  notify.next(done);
  const record = invoke(scope, "RecordOutcome", fns.RecordOutcome, { resultPath: "$.outcome" });
  record.addCatch(notify, { resultPath: "$.outcomeError" });
  record.next(notify);
  const awaitDns = awaitDnsPhase(scope, fns, record);
  const fence = invoke(scope, "FencePrimary", fns.FencePrimary, { resultPath: "$.fence" });
  fence.addCatch(awaitDns, { resultPath: "$.fence" });
  fence.next(awaitDns);
  const secret = invoke(scope, "PromoteSecret", fns.PromoteSecret, { resultPath: "$.secret" });
  secret.addCatch(fence, { resultPath: "$.secret" });
  secret.next(fence);
  return { first: secret, record };
}

/** The whole definition. */
export function failoverDefinition(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const compensate = compensationPhase(scope, fns);
  const { first: cutOver, record } = completionPhase(scope, fns);

  const endDrill = invoke(scope, "EndDrill", fns.EndDrill, { resultPath: "$.drillRestore" });
  endDrill.addCatch(recordFailure(scope, "EndDrill").next(compensate), { resultPath: "$.failure" });
  endDrill.next(record);

  const afterVerify = new sfn.Choice(scope, "DrillOrCutOver")
    .when(isMode("drill"), endDrill)
    .when(sfn.Condition.booleanEquals("$.preflight.dns.willSwitch", true), dnsPhase(scope, fns, cutOver))
    .otherwise(cutOver);

  const verify = invoke(scope, "VerifyDrHealth", fns.VerifyDrHealth, {
    resultPath: "$.health",
    retry: { errors: ["DrUnhealthyError"], intervalSeconds: 10, maxAttempts: 6, backoffRate: 1.5 },
  });
  verify.addCatch(recordFailure(scope, "VerifyDrHealth").next(compensate), { resultPath: "$.failure" });
  verify.next(afterVerify);

  const recovery = recoveryPhase(scope, fns, compensate);
  recovery.next(verify);

  // Telling people must never hold up recovery: a failed start notice is recorded and skipped.
  const notifyStarted = invoke(scope, "NotifyStarted", fns.NotifyStarted, { resultPath: "$.notifiedStarted" });
  notifyStarted.addCatch(recovery, { resultPath: "$.notifyStartedError" });
  notifyStarted.next(recovery);

  return intakePhase(scope, fns, compensate, notifyStarted);
}
