/**
 * The failback runbook as named phase builders (docs/failback.md), wired by `failbackDefinition`:
 *   intake (ValidateFailbackInput → AcquireFailbackLock → AssessTopology → dry-run exit)
 *   → NotifyFailbackStarted → by mode:
 *     reprotect:  reprotect phase
 *     switchback: prepare (primary service up against its replica) → stop writes (DR to 0)
 *                 → catch-up (positions, not a metric) → seal the DR database (last position,
 *                 renamed aside) → promote → verify → DNS → turn around
 *                 → reprotect phase the other way
 *   reprotect phase: ReconcileStandbyDatabase loop → SetStandbyPilotLight → ReverseReplication
 *                    → RecordFailback → NotifyFailbackSucceeded
 * and every failure into compensation (AssessFailbackFailure → roll back before a promotion,
 * else stop for an operator or for another re-protect).
 */
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { Failback } from "@pilot-light/core";
import { askAgainAfterTimeout, assessUntilSettled, compensateOrStop, guarded, isMode, lockOrStop, notReady, pollLoop as loop, recordThenNotify, thenEvenIfFailed, type PollCap } from "../workflow/task";
import { movePolling, moveChain, verifyRetry } from "../workflow/move";
import { failbackPolling } from "./steps";
import { invokeStep, type FailbackFunctions } from "./task";

/** A polling loop's cap reached: recorded as the loop's failure, then compensation. */
function timedOut(scope: Construct, id: string, step: string, error: string, cause: string, compensate: sfn.IChainable): sfn.IChainable {
  return new sfn.Pass(scope, id, { parameters: { step, error, cause }, resultPath: "$.failure" }).next(compensate);
}


export function failbackCompensationPhase(scope: Construct, fns: FailbackFunctions): sfn.IChainable {
  const ends = new sfn.Choice(scope, "HowItEnded")
    .when(sfn.Condition.stringEquals("$.assessment.kind", "needs-operator"), new sfn.Fail(scope, "NeedsOperator", { error: "NeedsOperator", cause: "The primary replica was promoted (or may have been) and a later step failed: finish by hand (docs/failback.md, NeedsOperator)." }))
    .when(sfn.Condition.stringEquals("$.assessment.kind", "not-protected"), new sfn.Fail(scope, "ProtectionNotRestored", { errorPath: "$.failure.error", causePath: "$.failure.cause" }))
    .otherwise(new sfn.Fail(scope, "RolledBack", { comment: "Nothing irreversible happened: the stage serves where it did", errorPath: "$.failure.error", causePath: "$.failure.cause" }));
  // Each step here reads before it writes, or writes absolutely (the outcome item keyed by the
  // execution, the lock released only if still ours): one whose answer was lost after it applied
  // is asked again, so a lost answer from the assessment does not turn a rollback into
  // NeedsOperator. NotifyFailbackFailed asked again may send its message twice (SNS does not
  // deduplicate a standard topic): one message too many rather than none.
  const lostAnswer = askAgainAfterTimeout;
  const notify = invokeStep(scope, "NotifyFailbackFailed", fns.NotifyFailbackFailed, { resultPath: "$.notifiedFailed", retry: lostAnswer });
  const record = recordThenNotify(invokeStep(scope, "RecordFailbackFailure", fns.RecordFailbackFailure, { resultPath: "$.recorded", retry: lostAnswer }), notify, ends, { record: "$.recordError", notify: "$.notifyFailedError" });
  const restore = thenEvenIfFailed(
    invokeStep(scope, "RestoreServing", fns.RestoreServing, {
      resultPath: "$.restore",
      retry: [{ errors: ["RenameInProgressError"], ...failbackPolling.restoreServing, backoffRate: 1, maxDelaySeconds: failbackPolling.restoreServing.intervalSeconds, jitter: false }, lostAnswer],
    }),
    record,
    "$.restore",
  );
  const rollBackOrNot = new sfn.Choice(scope, "RollBackOrNot").when(sfn.Condition.booleanEquals("$.assessment.rollBack", true), restore).otherwise(record);
  const assumeStarted = new sfn.Pass(scope, "AssumeSwitchedOver", {
    comment: "The promotion fence could not be read: assume the worst (a promotion may have started) and ask an operator",
    result: sfn.Result.fromObject({ kind: "needs-operator", promotionStarted: true, rollBack: false, detail: "whether the primary replica's promotion started could not be read, so it may have" }),
    resultPath: "$.assessment",
  }).next(rollBackOrNot);
  // A promote call whose effect may still show (its acceptance window): look again until RDS
  // shows whether it accepted one, capped, as the failover's compensation does.
  const assess = assessUntilSettled(scope, {
    assess: invokeStep(scope, "AssessFailbackFailure", fns.AssessFailbackFailure, { resultPath: "$.assessment", retry: lostAnswer }),
    ids: { wait: "WaitForStandbyPromotionEvidence", choice: "IsFailbackAssessmentSettled" },
    waitComment: "A promote call may still show its effect: wait for RDS to show whether it accepted one",
    settled: sfn.Condition.or(sfn.Condition.isNotPresent("$.assessment.settled"), sfn.Condition.booleanEquals("$.assessment.settled", true)),
    cap: failbackPolling.assessment,
    decide: rollBackOrNot,
    assumeStarted,
  });
  const dryRunFailed = new sfn.Fail(scope, "FailbackDryRunFailed", { comment: "A dry-run changes nothing: nothing to undo", errorPath: "$.failure.error", causePath: "$.failure.cause" });
  return compensateOrStop(scope, "FailbackCompensateOrStop", dryRunFailed, assess);
}

/** The standby region back to a protected pilot light; then the record and the message. */
export function reprotectPhase(scope: Construct, fns: FailbackFunctions, compensate: sfn.IChainable): sfn.IChainable {
  // Each step here reads before it writes (or writes absolutely): one whose answer was lost after
  // it applied is asked again, as after the switchback's promote call. A repeated message may be
  // sent twice; one never sent is worse.
  const lostAnswer = askAgainAfterTimeout;
  const notify = invokeStep(scope, "NotifyFailbackSucceeded", fns.NotifyFailbackSucceeded, { resultPath: "$.notifiedSucceeded", retry: lostAnswer });
  const record = recordThenNotify(invokeStep(scope, "RecordFailback", fns.RecordFailback, { resultPath: "$.outcome", retry: lostAnswer }), notify, new sfn.Succeed(scope, "FailbackDone"), { record: "$.outcomeError", notify: "$.notifySucceededError" });
  const replication = guarded(scope, invokeStep(scope, "ReverseReplication", fns.ReverseReplication, { resultPath: "$.replication", retry: lostAnswer }), "ReverseReplication", compensate);
  replication.next(record);
  // After the database: renaming the old one aside is what fences it; then its tasks go.
  const pilot = guarded(scope, invokeStep(scope, "SetStandbyPilotLight", fns.SetStandbyPilotLight, { resultPath: "$.pilotLight", retry: lostAnswer }), "SetStandbyPilotLight", compensate);
  pilot.next(replication);
  const cap = failbackPolling.standbyDatabase;
  // It reads before it writes: asked again through an outage of the standby region (docs/failback.md).
  const outage = { errors: ["AwsTransientError", "Lambda.Unknown", "States.Timeout"], ...failbackPolling.standbyOutage, jitter: false };
  const reconcile = guarded(scope, invokeStep(scope, "ReconcileStandbyDatabase", fns.ReconcileStandbyDatabase, { resultPath: "$.standbyDb", retry: outage }), "ReconcileStandbyDatabase", compensate);
  loop(scope, {
    ids: { wait: "WaitForStandbyDatabase", choice: "IsStandbyProtected" },
    check: reconcile,
    done: sfn.Condition.booleanEquals("$.standbyDb.ready", true),
    attemptsPath: "$.standbyDb.attempts",
    cap,
    next: pilot,
    timedOut: timedOut(scope, "StandbyDatabaseTimedOut", "ReconcileStandbyDatabase", Failback.pollTimeoutErrors.standbyDatabase, `the standby database was not a ready replica after ${cap.maxAttempts} checks ${cap.intervalSeconds} s apart`, compensate),
  });
  return reconcile;
}

/** The failback's polling loops (`WaitFor<name>`, `Is<name>Done`): at the cap the loop's failure is recorded and compensation runs. */
function pollLoop(scope: Construct, o: { name: string; check: sfn.TaskStateBase; done: sfn.Condition; attemptsPath: string; cap: PollCap; error: string; cause: string; next: sfn.IChainable; compensate: sfn.IChainable }) {
  return loop(scope, {
    ids: { wait: `WaitFor${o.name}`, choice: `Is${o.name}Done` },
    check: o.check,
    done: o.done,
    attemptsPath: o.attemptsPath,
    cap: o.cap,
    next: o.next,
    timedOut: timedOut(scope, `${o.name}TimedOut`, o.check.id, o.error, o.cause, o.compensate),
  });
}

/** Prepare, stop writes, catch up, promote, verify, DNS, turn around. */
export function switchbackPhase(scope: Construct, fns: FailbackFunctions, compensate: sfn.IChainable, reprotect: sfn.IChainable): sfn.IChainable {
  const turnAround = new sfn.Pass(scope, "TurnAround", {
    comment: "The primary serves: re-protect the other way",
    result: sfn.Result.fromObject({ serving: "primary", standby: "dr" }),
    resultPath: "$.direction",
  }).next(reprotect);

  // The failover's move (stacks/workflow/move.ts `moveChain`), planned: behind the seal, DNS after the verify.
  const dnsCap = movePolling.dns;
  const promoteCap = movePolling.promotion;
  const leaveDnsAlone = new sfn.Pass(scope, "LeaveDnsAlone", { parameters: { skipped: "this stage has no DNS records, or options.switchDns is false: point users at the primary load balancer" }, resultPath: "$.dns" });
  // From the promote call on, each step reads before it writes: one whose answer was lost (its
  // Lambda timed out, or an outage of this machine's region: Step Functions resumes there with the
  // Task timed out) is asked again, instead of leaving a promoted primary to an operator with users
  // still pointed at the DR region. PromoteStandby asked again reads the run's promotion marker and
  // RDS: a call RDS accepted is not repeated (Database.promoteReplica).
  const lostAnswer = askAgainAfterTimeout;
  const promote = guarded(scope, invokeStep(scope, "PromoteStandby", fns.PromoteStandby, { resultPath: "$.promotion", retry: [notReady, lostAnswer] }), "PromoteStandby", compensate);
  moveChain(scope, {
    planned: true,
    steps: {
      promote,
      check: guarded(scope, invokeStep(scope, "CheckStandbyPromotion", fns.CheckStandbyPromotion, { resultPath: "$.promotion", retry: lostAnswer }), "CheckStandbyPromotion", compensate),
      verify: guarded(scope, invokeStep(scope, "VerifyNewPrimary", fns.VerifyNewPrimary, { resultPath: "$.verify", retry: [verifyRetry("NewPrimaryUnhealthyError"), lostAnswer] }), "VerifyNewPrimary", compensate),
      pointUsers: guarded(scope, invokeStep(scope, "RestoreDns", fns.RestoreDns, { resultPath: "$.dns", retry: lostAnswer }), "RestoreDns", compensate),
      checkUsers: guarded(scope, invokeStep(scope, "CheckDnsRestore", fns.CheckDnsRestore, { resultPath: "$.dns", retry: lostAnswer }), "CheckDnsRestore", compensate),
    },
    promotion: {
      ids: { choice: "IsStandbyPromotionDone", wait: "WaitForStandbyPromotion" },
      timedOut: timedOut(scope, "StandbyPromotionTimedOut", "CheckStandbyPromotion", Failback.pollTimeoutErrors.promotion, `the primary replica was not writable after ${promoteCap.maxAttempts} checks ${promoteCap.intervalSeconds} s apart`, compensate),
    },
    users: {
      choice: "RestoreDnsOrNot",
      dnsWanted: sfn.Condition.and(sfn.Condition.booleanEquals("$.run.options.switchDns", true), sfn.Condition.isPresent("$.topology.dnsConfigured"), sfn.Condition.booleanEquals("$.topology.dnsConfigured", true)),
      ids: { choice: "IsDnsRestoreDone", wait: "WaitForDnsRestore" },
      // A change that does not settle is a failure: users would reach the sealed region.
      notInSync: timedOut(scope, "DnsRestoreTimedOut", "CheckDnsRestore", Failback.pollTimeoutErrors.dns, `the PRIMARY record change was not INSYNC after ${dnsCap.maxAttempts} checks ${dnsCap.intervalSeconds} s apart`, compensate),
      otherwise: leaveDnsAlone,
      next: turnAround,
    },
  });
  leaveDnsAlone.next(turnAround);

  // The replica may still be applying the last events (RDS's heartbeat right after a rotation): a few looks, seconds apart.
  const seal = guarded(
    scope,
    invokeStep(scope, "SealOldServing", fns.SealOldServing, { resultPath: "$.seal", retry: { errors: ["ReplicaBehindAtSealError"], intervalSeconds: 5, maxAttempts: 6, backoffRate: 1, maxDelaySeconds: 5 } }),
    "SealOldServing",
    compensate,
  );
  seal.next(promote);

  const catchUpCap = failbackPolling.catchUp;
  const checkCatchUp = guarded(scope, invokeStep(scope, "CheckCatchUp", fns.CheckCatchUp, { resultPath: "$.catchUp" }), "CheckCatchUp", compensate);
  const catchUpLoop = pollLoop(scope, {
    name: "CatchUp",
    check: checkCatchUp,
    done: sfn.Condition.booleanEquals("$.catchUp.caughtUp", true),
    attemptsPath: "$.catchUp.attempts",
    cap: catchUpCap,
    error: Failback.pollTimeoutErrors.catchUp,
    cause: `the primary replica had not executed the DR database's last position, with no writer left, after ${catchUpCap.maxAttempts} checks ${catchUpCap.intervalSeconds} s apart`,
    next: seal,
    compensate,
  });
  const stopWrites = guarded(scope, invokeStep(scope, "StopWrites", fns.StopWrites, { resultPath: "$.writesStopped" }), "StopWrites", compensate);
  stopWrites.next(catchUpLoop.wait);

  const serviceCap = failbackPolling.standbyService;
  const prepare = guarded(scope, invokeStep(scope, "PrepareStandbyService", fns.PrepareStandbyService, { resultPath: "$.standbyService" }), "PrepareStandbyService", compensate);
  const checkService = guarded(scope, invokeStep(scope, "CheckStandbyService", fns.CheckStandbyService, { resultPath: "$.standbyService" }), "CheckStandbyService", compensate);
  const serviceLoop = pollLoop(scope, {
    name: "StandbyService",
    check: checkService,
    done: sfn.Condition.booleanEquals("$.standbyService.stable", true),
    attemptsPath: "$.standbyService.attempts",
    cap: serviceCap,
    error: Failback.pollTimeoutErrors.standbyService,
    cause: `the primary service was not stable with all targets healthy after ${serviceCap.maxAttempts} checks ${serviceCap.intervalSeconds} s apart`,
    next: stopWrites,
    compensate,
  });
  prepare.next(serviceLoop.choice);
  return prepare;
}

/** The whole definition. */
export function failbackDefinition(scope: Construct, fns: FailbackFunctions): sfn.IChainable {
  const compensate = failbackCompensationPhase(scope, fns);
  const reprotect = reprotectPhase(scope, fns, compensate);
  const switchback = switchbackPhase(scope, fns, compensate, reprotect);
  const byMode = new sfn.Choice(scope, "ReprotectOrSwitchback").when(isMode("reprotect"), reprotect).otherwise(switchback);
  const notifyStarted = thenEvenIfFailed(invokeStep(scope, "NotifyFailbackStarted", fns.NotifyFailbackStarted, { resultPath: "$.notifiedStarted" }), byMode, "$.notifyStartedError");
  const direction = new sfn.Pass(scope, "FaceTheServingSide", { parameters: { "serving.$": "$.topology.serving", "standby.$": "$.topology.standby" }, resultPath: "$.direction" }).next(notifyStarted);

  const validate = invokeStep(scope, "ValidateFailbackInput", fns.ValidateFailbackInput, {
    resultPath: "$.run",
    payload: sfn.TaskInput.fromObject({ "input.$": "$", "executionName.$": "$$.Execution.Name", "startedAt.$": "$$.Execution.StartTime" }),
  });
  validate.addCatch(new sfn.Fail(scope, "FailbackInputRejected", { errorPath: "$.failure.Error", causePath: "$.failure.Cause" }), { resultPath: "$.failure" });
  const lock = lockOrStop(scope, invokeStep(scope, "AcquireFailbackLock", fns.AcquireFailbackLock, { resultPath: "$.lock" }), {
    held: { id: "FailbackAlreadyRunning", comment: "A failover, drill or failback holds the lock" },
    notAcquired: { id: "FailbackLockNotAcquired" },
  });
  const assess = guarded(scope, invokeStep(scope, "AssessTopology", fns.AssessTopology, { resultPath: "$.topology" }), "AssessTopology", compensate);
  const isDryRun = new sfn.Choice(scope, "IsFailbackDryRun")
    .when(isMode("dry-run"), new sfn.Succeed(scope, "SwitchbackDryRunReport", { comment: "What a switchback would do now; nothing was changed", outputPath: "$.topology" }))
    .otherwise(direction);
  return validate.next(lock).next(assess).next(isDryRun);
}
