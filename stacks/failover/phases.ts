/**
 * The failover runbook as named phase builders. Each takes the step functions it needs and
 * returns its entry state; `failoverDefinition` wires them in order:
 *   intake (ValidateInput → AcquireLock → Preflight → dry-run exit)
 *   → NotifyStarted → recovery (Parallel: promote, then DNS pinned and the old primary fenced
 *     while the promotion runs ‖ scale, each with a Choice+Wait loop)
 *   → VerifyDrHealth → drill exit | DNS INSYNC wait (optional) → PromoteSecret → RecordOutcome → NotifySucceeded
 * and every failure into compensation (AssessFailure → roll back or escalate). Preflight and
 * PromoteReplica wait out a replica RDS will not promote yet (ReplicaNotReadyError: a backup,
 * a modification) up to `Failover.notReadyRetry`'s cap.
 */
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { Failover } from "@pilot-light/core";
import { askAgainAfterTimeout, assessUntilSettled, compensateOrStop, guarded, isMode, lockOrStop, notReady, pollLoop, recordThenNotify, thenEvenIfFailed } from "../workflow/task";
import { moveChain, verifyRetry } from "../workflow/move";
import { invoke, type StepFunctions } from "./task";
import { polling, stepAliases } from "./steps";

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

  // Each compensation step reads before it writes or writes absolutely (AssessFailure's fence is
  // if_not_exists, the outcome item is keyed by the execution, the lock is released only if still
  // ours, the pilot light is a count): one whose answer was lost after it applied is asked again,
  // so a lost assessment does not fence a healthy primary and end NeedsOperator. NotifyFailed asked
  // again may send its message twice (a standard topic does not deduplicate): rather than none.
  const lostAnswer = askAgainAfterTimeout;
  const notifyFailed = invoke(scope, "NotifyFailed", fns.NotifyFailed, { resultPath: "$.notifiedFailed", retry: lostAnswer });
  const recordFailed = recordThenNotify(invoke(scope, "RecordFailure", fns.RecordFailure, { resultPath: "$.recorded", retry: lostAnswer }), notifyFailed, escalate, { record: "$.recordError", notify: "$.notifyFailedError" });
  const restore = thenEvenIfFailed(invoke(scope, "RestorePilotLight", fns.RestorePilotLight, { resultPath: "$.restore", retry: lostAnswer }), recordFailed, "$.restore");

  // A promotion that started (or may have) makes the old primary stale: keep users off it and
  // fence it now, whatever failed (the branch may have failed before its own pin and fence).
  const fenceAfter = thenEvenIfFailed(invoke(scope, "FencePrimary", fns.FencePrimary, { resultPath: "$.fence" }, stepAliases.FenceAfterFailure.state), recordFailed, "$.fenceError");
  const pinAfter = thenEvenIfFailed(invoke(scope, "SwitchDns", fns.SwitchDns, { resultPath: "$.dns", retry: askAgainAfterTimeout }, stepAliases.PinDnsAfterFailure.state), fenceAfter, "$.dnsError");
  const isolate = new sfn.Choice(scope, "KeepUsersOffOldPrimary")
    .when(sfn.Condition.and(sfn.Condition.isPresent("$.preflight.dns.willSwitch"), sfn.Condition.booleanEquals("$.preflight.dns.willSwitch", true)), pinAfter)
    .otherwise(fenceAfter);

  const rollBackOrEscalate = new sfn.Choice(scope, "RollBackOrEscalate")
    .when(sfn.Condition.booleanEquals("$.assessment.promotionStarted", true), isolate)
    .when(sfn.Condition.booleanEquals("$.assessment.needsOperator", true), recordFailed)
    .otherwise(restore);

  const assumeStarted = new sfn.Pass(scope, "AssumePromotionStarted", {
    comment: "RDS could not be read or would not say: assume the worst (a promotion may have started) and ask an operator",
    result: sfn.Result.fromObject({ promotionStarted: true, needsOperator: true, settled: true, detail: "the database state could not be read or stayed unclear, so a promotion may have started" }),
    resultPath: "$.assessment",
  }).next(rollBackOrEscalate);
  // A promote call whose answer was lost leaves the replica `available` with its source for up
  // to a minute: look again until RDS shows whether it accepted the call (settled), capped.
  const assess = assessUntilSettled(scope, {
    assess: invoke(scope, "AssessFailure", fns.AssessFailure, { resultPath: "$.assessment", retry: lostAnswer }),
    ids: { wait: "WaitForPromotionEvidence", choice: "IsAssessmentSettled" },
    waitComment: "A promote call is within its acceptance window: wait for RDS to show whether it accepted it",
    settled: sfn.Condition.booleanEquals("$.assessment.settled", true),
    cap: polling.assessment,
    decide: rollBackOrEscalate,
    assumeStarted,
  });

  const dryRunFailed = new sfn.Fail(scope, "DryRunFailed", { comment: "A dry-run touches nothing, so there is nothing to undo", errorPath: "$.failure.error", causePath: "$.failure.cause" });
  return compensateOrStop(scope, "CompensateOrStop", dryRunFailed, assess);
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
  const lock = lockOrStop(scope, invoke(scope, "AcquireLock", fns.AcquireLock, { resultPath: "$.lock", retry: askAgainAfterTimeout }), {
    held: { id: "FailoverAlreadyRunning", comment: "Another failover or drill holds the lock" },
    notAcquired: { id: "LockNotAcquired", comment: "The lock could not be taken, so nothing may be touched" },
  });
  const preflight = guarded(scope, invoke(scope, "Preflight", fns.Preflight, { resultPath: "$.preflight", retry: notReady }), "Preflight", compensate);

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

/**
 * Promote the replica and wait until writable (skipped in a drill). From the moment a promote
 * call may have reached RDS, users are kept off the old primary before the promotion completes:
 * after every PromoteReplica and CheckPromotion that is not a re-request, one Choice
 * (`NextPromotionStep`) pins DNS to DR (SwitchDns, once: if Route 53 fails the health checks and
 * CompleteFence take over) and, until it is done, fences the old primary (FencePrimary: bounded,
 * a no-op once fenced) before waiting. The wait lasts until the next look is due (`nextLookAt`,
 * 8 s after the last look), so a fence attempt that waits out a dead region's timeouts is not
 * added to the poll interval. A region that comes back mid-promotion is fenced before the next
 * look, and Route 53 no longer sends users to it. The whole move is `moveChain`'s (unplanned):
 * the branch (run in the Parallel beside the scale-up) ends at ReplicaWritable; `verify`
 * (VerifyDrHealth) follows the Parallel, then the drill's exit (`after.endDrill`) or the pin's
 * INSYNC wait (IsDnsInSync: Route 53 trouble never fails the failover), then `after.cutOver`.
 */
export function moveSection(scope: Construct, fns: StepFunctions, after: { compensate: sfn.IChainable; endDrill: sfn.IChainable; cutOver: sfn.IChainable }): { branch: sfn.IChainable; verify: sfn.TaskStateBase } {
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
  const pinNeeded = sfn.Condition.and(sfn.Condition.booleanEquals("$.preflight.dns.willSwitch", true), sfn.Condition.isPresent("$.dns.notAttempted"));
  const isFenced = sfn.Condition.and(sfn.Condition.isPresent("$.fence.fenced"), sfn.Condition.booleanEquals("$.fence.fenced", true));
  const done = new sfn.Succeed(scope, "ReplicaWritable");
  const fence = invoke(scope, "FencePrimary", fns.FencePrimary, { resultPath: "$.fence" });
  // Writable before any fence was tried (already promoted at PromoteReplica): fence once, then end.
  const fenceOnce = invoke(scope, "FencePrimary", fns.FencePrimary, { resultPath: "$.fence" }, stepAliases.FenceOnceWritable.state);
  fenceOnce.addCatch(done, { resultPath: "$.fenceError" });
  fenceOnce.next(done);
  // A Lambda that timed out after its pin applied: the retry reads the record and finds it pinned.
  const switchDns = invoke(scope, "SwitchDns", fns.SwitchDns, { resultPath: "$.dns", retry: askAgainAfterTimeout });

  const leftToHealthChecks = new sfn.Pass(scope, "DnsLeftToHealthChecks", {
    comment: "Route 53's control plane failed: users reach DR through the health-check failover; CompleteFence pins the record once Route 53 answers",
    parameters: { leftToHealthChecks: true, "detail.$": "States.Format('{}: {}', $.dnsError.Error, $.dnsError.Cause)" },
    resultPath: "$.dns",
  });
  // After the Parallel (the branch ends at ReplicaWritable): VerifyDrHealth, then the drill's
  // exit or the pin's INSYNC wait; Route 53 trouble never fails the failover.
  const verify = guarded(scope, invoke(scope, "VerifyDrHealth", fns.VerifyDrHealth, { resultPath: "$.health", retry: verifyRetry("DrUnhealthyError") }), "VerifyDrHealth", after.compensate);
  const dnsCap = polling.dns;
  // The pin was accepted (the record is changed); only its propagation is unconfirmed: $.dns keeps it.
  const notInSync = new sfn.Pass(scope, "DnsNotInSyncYet", {
    comment: "The pin was accepted but not INSYNC within the cap; Route 53 still propagates it",
    result: sfn.Result.fromObject({ detail: `the change was not INSYNC after ${dnsCap.maxAttempts} checks ${dnsCap.intervalSeconds} s apart; it will still apply` }),
    resultPath: "$.dnsPending",
  }).next(after.cutOver);
  const notConfirmed = new sfn.Pass(scope, "DnsChangeNotConfirmed", {
    comment: "The pin was accepted; Route 53 could not be asked whether it is INSYNC",
    resultPath: sfn.JsonPath.DISCARD,
  }).next(after.cutOver);
  const checkDns = invoke(scope, "CheckDnsChange", fns.CheckDnsChange, { resultPath: "$.dns" });
  checkDns.addCatch(notConfirmed, { resultPath: "$.dnsError" });
  // The move both machines run (stacks/workflow/move.ts), unplanned: pin and fence during the promotion.
  moveChain(scope, {
    planned: false,
    steps: { promote, check, verify, checkUsers: checkDns },
    users: {
      choice: "DrillOrCutOver",
      before: [[isMode("drill"), after.endDrill]],
      dnsWanted: sfn.Condition.booleanEquals("$.preflight.dns.willSwitch", true),
      ids: { choice: "IsDnsInSync", wait: "WaitForDns" },
      notInSync,
      otherwise: after.cutOver,
      next: after.cutOver,
    },
    promotion: {
      ids: { choice: "NextPromotionStep", wait: "WaitForPromotion" },
      waitComment: `Until the next look is due (${cap.intervalSeconds} s after the last one, whatever the fence took meanwhile)`,
      // Once writable the fence is tried only if it never was; the scheduled CompleteFence finishes
      // it: no bounded wait on a dead region on the RTO path.
      onceWritable: [
        [pinNeeded, switchDns],
        [sfn.Condition.isPresent("$.fence.notAttempted"), fenceOnce],
      ],
      writable: done,
      timedOut,
      meanwhile: [
        [pinNeeded, switchDns],
        [sfn.Condition.not(isFenced), fence],
      ],
      around: ({ choice, wait }) => {
        fence.addCatch(wait, { resultPath: "$.fenceError" });
        fence.next(wait);
        leftToHealthChecks.next(choice);
        // No failover pair to move (a team's simple record, not adopted): the health checks cannot
        // move users either, so going on would "succeed" with users on the failed region. Fail, and tell.
        switchDns.addCatch(branchFailure(scope, "SwitchDns", failed), { errors: ["RecordNotFailoverPairError"], resultPath: "$.error" });
        switchDns.addCatch(leftToHealthChecks, { resultPath: "$.dnsError" });
        switchDns.next(choice);
      },
    },
  });
  const skip = new sfn.Pass(scope, "SkipPromotion", {
    comment: "Drill: the replica stays a read replica",
    result: sfn.Result.fromObject({ skipped: "drill: the replica stays a read replica" }),
    resultPath: "$.promotion",
  });
  const choose = new sfn.Choice(scope, "PromoteOrSkip").when(isMode("drill"), skip).otherwise(promote);
  // The branch always returns `dns` and `fence` (the Parallel selects them): not attempted until a step writes them.
  const fenceNotYet = new sfn.Pass(scope, "FenceNotAttempted", { result: sfn.Result.fromObject({ notAttempted: true }), resultPath: "$.fence" }).next(choose);
  return { branch: new sfn.Pass(scope, "DnsNotAttempted", { result: sfn.Result.fromObject({ notAttempted: true }), resultPath: "$.dns" }).next(fenceNotYet), verify };
}

/**
 * Scale the DR service to full size and wait until stable with that many healthy targets. In a
 * failover a failed scale step is tried again (RetryServing tells people and plans a growing
 * pause, bounded at Failover.servingRetrySeconds): once the database is promoted the DR service
 * is the only way users are served, and access denied for a while must not end the run.
 */
export function scaleBranch(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const failed = new sfn.Fail(scope, "ScaleBranchFailed", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
  const cap = polling.service;
  const timedOut = new sfn.Fail(scope, "DrServiceTimedOut", {
    error: Failover.pollTimeoutErrors.service,
    cause: `CheckDrService: the DR service was not stable with all targets healthy after ${cap.maxAttempts} checks ${cap.intervalSeconds} s apart`,
  });
  const scale = invoke(scope, "ScaleDrService", fns.ScaleDrService, { resultPath: "$.service" });
  const check = invoke(scope, "CheckDrService", fns.CheckDrService, { resultPath: "$.service" });

  // The branch fails naming the scale step that failed last (the cause starts with its name).
  const servingFailed = new sfn.Pass(scope, "ServingFailed", {
    parameters: { "Error.$": "$.servingFailure.error", "Cause.$": "States.Format('{}: {}', $.servingFailure.step, $.servingFailure.cause)" },
    resultPath: "$.error",
  }).next(failed);
  const retry = invoke(scope, "RetryServing", fns.RetryServing, { resultPath: "$.serving" });
  retry.addCatch(servingFailed, { resultPath: "$.servingError" });
  const waitAgain = new sfn.Wait(scope, "WaitToServeAgain", {
    comment: "The pause RetryServing planned (30 s doubling to 5 min), then the scale step again",
    time: sfn.WaitTime.secondsPath("$.serving.waitSeconds"),
  }).next(scale);
  retry.next(new sfn.Choice(scope, "KeepTryingToServe").when(sfn.Condition.booleanEquals("$.serving.exhausted", true), servingFailed).otherwise(waitAgain));
  const retryOrFail = new sfn.Choice(scope, "RetryServingOrFail").when(isMode("failover"), retry).otherwise(servingFailed);
  const refused = (step: "ScaleDrService" | "CheckDrService") =>
    new sfn.Pass(scope, `${step}Refused`, { parameters: { step, "error.$": "$.error.Error", "cause.$": "$.error.Cause" }, resultPath: "$.servingFailure" }).next(retryOrFail);
  scale.addCatch(refused("ScaleDrService"), { resultPath: "$.error" });
  check.addCatch(refused("CheckDrService"), { resultPath: "$.error" });

  const loop = pollLoop(scope, {
    ids: { wait: "WaitForDrService", choice: "IsDrServiceStable" },
    check,
    done: sfn.Condition.booleanEquals("$.service.stable", true),
    attemptsPath: "$.service.attempts",
    cap,
    next: new sfn.Succeed(scope, "DrServiceStable"),
    timedOut,
  });
  scale.next(loop.choice);
  return scale;
}

/** Promotion and scaling run side by side: RTO is the slower of the two, not their sum. */
export function recoveryPhase(scope: Construct, fns: StepFunctions, promotion: sfn.IChainable, compensate: sfn.IChainable): sfn.Parallel {
  const parallel = new sfn.Parallel(scope, "PromoteAndScale", {
    comment: "Promote the replica ‖ scale the DR service; either failing cancels the other and compensates",
    resultSelector: { "promotion.$": "$[0].promotion", "dns.$": "$[0].dns", "fence.$": "$[0].fence", "service.$": "$[1].service" },
    resultPath: "$.recovery",
  });
  parallel.branch(promotion);
  parallel.branch(scaleBranch(scope, fns));
  return guarded(scope, parallel, "PromoteAndScale", compensate);
}

/**
 * PromoteSecret → RecordOutcome → NotifySucceeded: bookkeeping never fails a done failover
 * (each step's error is recorded under its own key and the next step runs). DNS and the fence
 * were done during the promotion (promotionBranch).
 */
export function completionPhase(scope: Construct, fns: StepFunctions): { first: sfn.IChainable; record: sfn.IChainable } {
  const notify = invoke(scope, "NotifySucceeded", fns.NotifySucceeded, { resultPath: "$.notifiedSucceeded" });
  const record = recordThenNotify(invoke(scope, "RecordOutcome", fns.RecordOutcome, { resultPath: "$.outcome" }), notify, new sfn.Succeed(scope, "Done"), { record: "$.outcomeError", notify: "$.notifySucceededError" });
  const secret = thenEvenIfFailed(invoke(scope, "PromoteSecret", fns.PromoteSecret, { resultPath: "$.secret" }), record, "$.secret");
  return { first: secret, record };
}

/** The whole definition. */
export function failoverDefinition(scope: Construct, fns: StepFunctions): sfn.IChainable {
  const compensate = compensationPhase(scope, fns);
  const { first: cutOver, record } = completionPhase(scope, fns);

  const endDrill = guarded(scope, invoke(scope, "EndDrill", fns.EndDrill, { resultPath: "$.drillRestore" }), "EndDrill", compensate);
  endDrill.next(record);

  const move = moveSection(scope, fns, { compensate, endDrill, cutOver });

  // The branch's DNS pin and fence, kept where RecordOutcome and the notifications read them.
  const keepFence = new sfn.Pass(scope, "KeepFence", { inputPath: "$.recovery.fence", resultPath: "$.fence" }).next(move.verify);
  const keepDns = new sfn.Pass(scope, "KeepDns", { inputPath: "$.recovery.dns", resultPath: "$.dns" }).next(keepFence);
  const recovery = recoveryPhase(scope, fns, move.branch, compensate);
  recovery.next(keepDns);

  // Telling people must never hold up recovery: a failed start notice is recorded and skipped.
  const notifyStarted = thenEvenIfFailed(invoke(scope, "NotifyStarted", fns.NotifyStarted, { resultPath: "$.notifiedStarted" }), recovery, "$.notifyStartedError");

  return intakePhase(scope, fns, compensate, notifyStarted);
}
