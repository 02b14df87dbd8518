/**
 * Executions that end FAILED, TIMED_OUT or ABORTED: which step failed, read from the history
 * (in Step Functions' GetExecutionHistory shape, oldest first), and what people are told.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { Failover } from "../src";

/** A history built like Step Functions writes one: each event points at the one before it in its state. */
function history() {
  const events: HistoryEvent[] = [];
  const add = (type: string, previousEventId: number, extra: Partial<HistoryEvent> = {}) => {
    const id = events.length + 1;
    events.push({ id, type, previousEventId, timestamp: new Date(0), ...extra } as HistoryEvent);
    return id;
  };
  const api = {
    events,
    task(name: string, outcome: "ok" | { error: string; cause: string } | "timeout", after = events.length) {
      const entered = add("TaskStateEntered", after, { stateEnteredEventDetails: { name } });
      const scheduled = add("TaskScheduled", entered);
      const started = add("TaskStarted", scheduled);
      if (outcome === "ok") add("TaskSucceeded", started);
      else if (outcome === "timeout") add("TaskTimedOut", started, { taskTimedOutEventDetails: { resource: "lambda", resourceType: "lambda", error: "States.Timeout" } });
      else add("TaskFailed", started, { taskFailedEventDetails: { resource: "lambda", resourceType: "lambda", ...outcome } });
      return api;
    },
    /** A Task still running (entered, started) when the execution ended. */
    running(name: string) {
      const entered = add("TaskStateEntered", events.length, { stateEnteredEventDetails: { name } });
      add("TaskStarted", add("TaskScheduled", entered));
      return api;
    },
    state(type: string, name: string) {
      add(type, events.length, { stateEnteredEventDetails: { name } });
      return api;
    },
  };
  add("ExecutionStarted", 0);
  return api;
}

const throttled = { error: "AwsTransientError", cause: "Rate exceeded" };
const refused = { error: "PreflightFailedError", cause: "replica is backing-up" };

describe("summarizeEnded", () => {
  it("names the first step whose last attempt failed, not the compensation steps that failed after it", () => {
    const h = history().task("ValidateInput", "ok").task("AcquireLock", "ok").task("Preflight", refused).task("AssessFailure", "ok").task("RestorePilotLight", throttled).task("RecordFailure", "ok").task("NotifyFailed", throttled);
    expect(Failover.summarizeEnded("FAILED", h.events)).toEqual({
      status: "FAILED",
      lastState: "NotifyFailed",
      failedStep: { state: "Preflight", ...refused },
      alsoFailed: ["RestorePilotLight", "NotifyFailed"],
      notifiedByRun: false,
    });
  });

  it("does not count a step that failed and then succeeded on retry", () => {
    const h = history().task("ValidateInput", "ok").task("AcquireLock", throttled).task("AcquireLock", "ok").task("Preflight", refused);
    expect(Failover.summarizeEnded("FAILED", h.events).failedStep?.state).toBe("Preflight");
    expect(Failover.summarizeEnded("FAILED", h.events).alsoFailed).toEqual([]);
  });

  it("attributes failures inside interleaved Parallel branches to their own state", () => {
    const h = history().task("ValidateInput", "ok");
    const promoteEntered = h.events.length + 1;
    h.state("TaskStateEntered", "PromoteReplica").state("TaskStateEntered", "ScaleDrService");
    // ScaleDrService fails first in time, though PromoteReplica was entered first.
    h.events.push(
      { id: h.events.length + 1, type: "TaskScheduled", previousEventId: promoteEntered + 1, timestamp: new Date(0) },
      { id: h.events.length + 2, type: "TaskFailed", previousEventId: h.events.length + 1, timestamp: new Date(0), taskFailedEventDetails: { resource: "l", resourceType: "l", error: "ServiceNotFoundException", cause: "no service" } },
    );
    expect(Failover.summarizeEnded("FAILED", h.events).failedStep).toEqual({ state: "ScaleDrService", error: "ServiceNotFoundException", cause: "no service" });
  });

  it("says a run that timed out was in the state it last entered, a Task timeout counting as its failure", () => {
    const h = history().task("ValidateInput", "ok").task("AcquireLock", "ok").task("Preflight", "ok").running("CheckPromotion");
    expect(Failover.summarizeEnded("TIMED_OUT", h.events)).toMatchObject({ lastState: "CheckPromotion", failedStep: null, notifiedByRun: false });
    const timedOutTask = history().task("ValidateInput", "ok").task("FencePrimary", "timeout");
    expect(Failover.summarizeEnded("FAILED", timedOutTask.events).failedStep).toMatchObject({ state: "FencePrimary", error: "States.Timeout" });
  });

  it("knows when the run's own NotifyFailed published", () => {
    const h = history().task("ValidateInput", "ok").task("AcquireLock", "ok").task("Preflight", refused).task("AssessFailure", "ok").task("RestorePilotLight", "ok").task("RecordFailure", "ok").task("NotifyFailed", "ok");
    expect(Failover.summarizeEnded("FAILED", h.events).notifiedByRun).toBe(true);
  });
});

describe("endedNotification", () => {
  const detail = {
    executionArn: "arn:aws:states:eu-central-1:123456789012:execution:pilot-light-prod-failover:failover-primary-20261202T100000Z",
    stateMachineArn: "arn:aws:states:eu-central-1:123456789012:stateMachine:pilot-light-prod-failover",
    name: "failover-primary-20261202T100000Z",
    status: "FAILED" as const,
    error: "States.TaskFailed",
    cause: "boom",
  };

  it("is not sent when the run's NotifyFailed already told people (one notification per event)", () => {
    const h = history().task("Preflight", refused).task("NotifyFailed", "ok");
    expect(Failover.endedNotification("pilot-light prod", detail, Failover.summarizeEnded("FAILED", h.events))).toBeUndefined();
  });

  it("names the stage, the execution and the failed step with its error, and links the execution view", () => {
    const h = history().task("ValidateInput", "ok").task("AcquireLock", { error: "FailoverLockedError", cause: "another drill holds the failover lock" });
    const n = Failover.endedNotification("pilot-light prod", detail, Failover.summarizeEnded("FAILED", h.events))!;
    expect(n.kind).toBe("failover.failed");
    expect(n.subject).toMatch(/^\[pilot-light prod\] Failover failover-primary-20261202T100000Z failed at AcquireLock$/);
    expect(n.body).toContain("Failed step: AcquireLock: FailoverLockedError: another drill holds the failover lock");
    expect(n.body).toContain("https://eu-central-1.console.aws.amazon.com/states/home?region=eu-central-1#/v2/executions/details/arn:aws:states:eu-central-1:123456789012:execution:pilot-light-prod-failover:failover-primary-20261202T100000Z");
    expect(n.body).toContain("Execution error: States.TaskFailed: boom");
  });

  it.each([
    ["TIMED_OUT", "timed out", "failover.timed_out"],
    ["ABORTED", "was aborted", "failover.aborted"],
  ] as const)("tells of a run that %s where it was and that its lock is released", (status, verb, kind) => {
    const h = history().task("ValidateInput", "ok").running("CheckPromotion");
    const n = Failover.endedNotification("pilot-light prod", { ...detail, status, error: null, cause: null }, { ...Failover.summarizeEnded(status, h.events), lockReleased: true })!;
    expect(n.kind).toBe(kind);
    expect(n.subject).toBe(`[pilot-light prod] Failover failover-primary-20261202T100000Z ${verb}`);
    expect(n.body).toContain(`${verb} while in CheckPromotion`);
    expect(n.body).toContain("The failover lock it still held is released");
  });

  it("keeps the subject within SNS's 100 characters for the longest names", () => {
    const name = "x".repeat(80);
    const h = history().task("RestorePilotLight", throttled);
    const n = Failover.endedNotification("pilot-light " + "s".repeat(21), { ...detail, name }, Failover.summarizeEnded("FAILED", h.events))!;
    expect(n.subject.length).toBeLessThanOrEqual(100);
  });
});
