/**
 * What people read: one message when a failover/drill starts, when it ends well, and when it
 * fails. Each says what happened, the evidence, what the system did and what to do next.
 * Pure functions of the execution state.
 */
import type { Notification } from "../notify";
import { healthPathOf } from "../health/contract";
import { describeCause, failedStepOf, type Outcome } from "./outcome";
import type { Assessment, FailoverState } from "./state";
import { describeTargets } from "./targets";

/** "[pilot-light prod] ...", as the health monitor's subjects: the stage is in every subject. */
const subject = (stage: string, s: string) => {
  const text = `[pilot-light ${stage}] ${s}`;
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
};

function judgement(outcome: Outcome): string[] {
  const t = describeTargets(outcome.targets);
  return [t.rto, t.rpo, ...(outcome.advice.length > 0 ? ["What to change:", ...outcome.advice.map((a) => `  - ${a}`)] : [])];
}

export { describeCause, failedStepOf as failedStep } from "./outcome";

export function started(state: FailoverState, stage: string): Notification {
  const { run, preflight } = state;
  const what = run.mode === "drill" ? "DR drill" : "Failover to the DR region";
  return {
    kind: `${run.mode}.started`,
    subject: subject(stage, `${what} started (${run.incidentId})`),
    body: [
      `${what} started by ${run.requestedBy}: ${run.reason}`,
      `Execution: ${run.executionName}`,
      preflight ? `Replica lag at the decision: ${preflight.lag.seconds ?? "unknown"} s (RPO budget ${preflight.lag.budgetSeconds} s${preflight.lag.acknowledged ? ", breach acknowledged" : ""})` : "",
      state.lock?.preempted
        ? `Pre-empted drill ${state.lock.preempted.owner}: it held the failover lock; its execution was stopped (it was ${state.lock.preempted.status ?? "unknown"}) and its scale-up is kept.`
        : "",
      "Plan:",
      ...(preflight?.plan ?? []).map((l) => `  - ${l}`),
      "Next: nothing to do yet; you will get one more message when it ends.",
    ]
      .filter(Boolean)
      .join("\n"),
  };
}

export function succeeded(state: FailoverState, outcome: Outcome, stage: string): Notification {
  const { run } = state;
  const drill = run.mode === "drill";
  const dnsLine: Record<Outcome["dns"], string> = {
    switched: "DNS: the PRIMARY record now points at the DR load balancer (INSYNC).",
    "switched-pending": "DNS: the PRIMARY record now points at the DR load balancer; Route 53 had not confirmed INSYNC yet (it still propagates).",
    "already-pinned": "DNS: the PRIMARY record already pointed at the DR load balancer.",
    "left-to-health-checks": "DNS: NOT switched (Route 53 API unavailable or not in sync); users reach DR through the Route 53 health-check failover.",
    "not-configured": "DNS: this stage has no Route 53 records; point users at the DR load balancer yourself if needed.",
    "not-switched": drill ? "DNS: unchanged (drill)." : "DNS: not switched (options.switchDns=false).",
  };
  const body = drill
    ? [
        `DR drill ${run.incidentId} succeeded: the DR service reached its full size and answered ${state.health ? healthPathOf(state.health.url) : "its health path"}, then went back to pilot light.`,
        `Time to DR serving: ${outcome.rtoSeconds ?? "?"} s.`,
        ...judgement(outcome),
        ...outcome.phases.map((p) => `  ${p.name}: ${p.startedAt} -> ${p.endedAt}`),
        ...applicationLines(state, stage),
        "Nothing was promoted and DNS was not touched.",
        "Next: nothing; compare the timings with earlier drills.",
      ]
    : [
        `Failover ${run.incidentId} succeeded: the DR region is serving. Reason: ${run.reason}`,
        ...judgement(outcome),
        ...outcome.phases.map((p) => `  ${p.name}: ${p.startedAt} -> ${p.endedAt}`),
        dnsLine[outcome.dns],
        ...applicationLines(state, stage),
        ...fenceLines(state),
        "Next: set activeRegion to \"dr\" in the stage config before the next deploy, then re-protect once the primary region answers (pnpm dr reprotect, docs/failback.md).",
      ];
  return { kind: `${run.mode}.succeeded`, subject: subject(stage, `${drill ? "DR drill" : "Failover"} succeeded (${run.incidentId})`), body: body.join("\n") };
}

/**
 * What an adopting stage's DR service started (ScaleDrService's `application`): the mirror of the
 * team's task definition, or, when none was ever registered, pilot-light's own, said plainly
 * since users then reach an application that is not theirs.
 */
function applicationLines(state: FailoverState, stage: string): string[] {
  const app = state.recovery?.service.application;
  if (!app) return [];
  if (!app.mirrored)
    return [
      `Application: NOT YOURS. The DR service started ${app.taskDefinition}, pilot-light's own task definition: ${app.family} has no revision in this region (the mirror of your task definition never succeeded).`,
      `  Register your application in this region and set the DR service to it by hand (docs/adopt.md, "The DR task definition follows yours"); once your primary region answers, pnpm dr readiness --stage ${stage} says why the mirror failed.`,
    ];
  return [`Application: the DR service runs ${app.taskDefinition}, the mirror of your task definition${app.replaced ? ` (it ran ${app.replaced}, as a deploy of the stage leaves it: set in the scale-up)` : ""}.`];
}

/** What the fence did to the old primary, part by part. */
function fenceLines(state: FailoverState): string[] {
  const fence = state.fence;
  if (!fence || !("fenced" in fence)) {
    return ["Old primary NOT fenced (FencePrimary failed): the health monitor's fence completion retries; until then make its database read-only and set its ECS service to 0 by hand (docs/runbook.md)."];
  }
  if (fence.fenced) {
    return [`Old primary fenced: ${fence.detail}.`];
  }
  return [
    `Old primary NOT fully fenced (${fence.detail}).`,
    "The health monitor completes the fence as soon as the region answers (database read-only, service tagged and at 0); docs/runbook.md says how to do it by hand.",
  ];
}

export function failed(state: FailoverState, assessment: Assessment, stage: string, outcome?: Outcome): Notification {
  const { run } = state;
  const failure = state.failure ?? { step: "unknown", error: "unknown", cause: "" };
  const step = failedStepOf(failure);
  const restore = state.restore;
  const restoreLine =
    restore && "stable" in restore
      ? `DR service set back to its pilot-light count (${restore.targetCount}).`
      : restore && "skipped" in restore
        ? `DR service left as it is: ${restore.skipped}.`
        : restore && "Error" in restore
          ? `Could NOT set the DR service back (${restore.Error}): set its desired count to the pilot-light value by hand.`
          : "";
  const what = run.mode === "drill" ? "DR drill" : "Failover";
  if (failure.error === "PrimaryRecoveredError" && !assessment.needsOperator) {
    return {
      kind: `${run.mode}.stood-down`,
      subject: subject(stage, `${what} stood down at ${step}: the primary answers again (${run.incidentId})`),
      body: [
        `${what} ${run.incidentId} stood down at step ${step}: the primary answered its health path again just before the promotion.`,
        describeCause(failure.cause),
        `Done: ${assessment.detail}. ${restoreLine}`,
        "Nothing was promoted; DNS was not touched; the failover lock is released.",
        "Next: watch the primary (pnpm dr status). If it fails again, the health monitor starts a new failover; to fail over anyway, start one by hand (an operator's failover does not stand down).",
      ]
        .filter(Boolean)
        .join("\n"),
    };
  }
  const body = assessment.needsOperator
    ? [
        `${what} ${run.incidentId} stopped at step ${step} and NEEDS AN OPERATOR.`,
        `Error: ${failure.error}: ${describeCause(failure.cause)}`,
        `Done: ${assessment.detail}. A promotion cannot be undone, so nothing was rolled back.`,
        ...applicationLines(state, stage),
        "Remains: finish the steps after the failed one by hand (see docs/failover.md, \"NeedsOperator\"): make the DR service healthy at full size, check its health path (the stage's application.healthPath), point DNS at DR, fence the old primary.",
        ...(outcome ? judgement(outcome) : []),
      ]
    : [
        `${what} ${run.incidentId} failed at step ${step} and was rolled back.`,
        `Error: ${failure.error}: ${describeCause(failure.cause)}`,
        `Done: ${assessment.detail}. ${restoreLine}`,
        "The failover lock is released.",
        run.mode === "drill"
          ? "Next: fix the cause and run the drill again; production was not affected."
          : "Next: fix the cause named above (docs/failover.md lists each error) and start the failover again; it resumes safely.",
        ...(outcome ? judgement(outcome) : []),
      ];
  return {
    kind: `${run.mode}.${assessment.needsOperator ? "needs-operator" : "failed"}`,
    subject: subject(stage, `${what} ${assessment.needsOperator ? "needs an operator" : "failed"} at ${step} (${run.incidentId})`),
    body: body.filter(Boolean).join("\n"),
  };
}

/** The fence completion fenced something once the old primary's region answered again (CompleteFence). */
/** CompleteFence set the standby region's service back to its pilot light (a switchback rolled back while that region was down left it up). */
export function standbyServiceReset(stage: string, region: string, completion: { complete: boolean; detail: string; at: string }): Notification {
  return {
    kind: completion.complete ? "fence.standby-reset" : "fence.partial",
    subject: subject(stage, `Standby service in ${region} ${completion.complete ? "set back to its pilot light" : "not yet set back to its pilot light"}`),
    body: [
      `The standby region ${region} answers, its database is a replica of the serving one and no workflow holds the lock, but its service ran more tasks than its pilot light (a switchback rolled back while the region was down could not set it back). At ${completion.at}:`,
      ...completion.detail.split("; ").map((part) => `  ${part}`),
      completion.complete ? "Nothing else to do: the stage is protected as before the switchback." : "The next scheduled pass tries again; or set it by hand (docs/runbook.md).",
    ].join("\n"),
  };
}

export function fenceCompleted(stage: string, region: string, completion: { complete: boolean; detail: string; at: string }): Notification {
  return {
    kind: completion.complete ? "fence.completed" : "fence.partial",
    subject: subject(stage, completion.complete ? `Old primary in ${region} fenced on its return` : `Old primary in ${region} partly fenced on its return`),
    body: [
      `The old primary region ${region} answers again, and the fence the outage kept from running was applied at ${completion.at}:`,
      ...completion.detail.split("; ").map((part) => `  ${part}`),
      completion.complete
        ? "It can take no writes and gets no users. Re-protect when ready (pnpm dr reprotect, docs/failback.md)."
        : "Not everything could be fenced yet; the next scheduled pass tries again. Until then, check the old primary by hand (docs/runbook.md, NeedsOperator step 5).",
    ].join("\n"),
  };
}
