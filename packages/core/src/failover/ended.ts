/**
 * An execution that ended badly, told to people: the EventBridge rule on the failover state
 * machine's status changes to an end (SUCCEEDED, FAILED, TIMED_OUT, ABORTED) runs this
 * (ExecutionEnded); it releases a lock the ended run still holds, and tells people of the bad ends. A run that
 * dies outside its own compensation (timed out, aborted by hand, rejected input, lock not
 * taken) never reaches NotifyFailed, so without this nobody would hear of it. The step that
 * failed comes from the execution history, not from how far the run was thought to get.
 * Idempotent in effect: a run whose NotifyFailed already published is not told twice.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";
import { CreateOpsItemCommand, type SSMClient } from "@aws-sdk/client-ssm";
import * as z from "zod";
import { callAws } from "../errors";
import type { Notification } from "../notify";
import { executionConsoleUrl } from "../operations";

/** EventBridge's "Step Functions Execution Status Change" event (the fields used). */
export const ExecutionStatusEvent = z.object({
  "detail-type": z.literal("Step Functions Execution Status Change"),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]),
    startDate: z.number().optional(),
    stopDate: z.number().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusEvent = z.infer<typeof ExecutionStatusEvent>;

export interface EndedSummary {
  status: "FAILED" | "TIMED_OUT" | "ABORTED";
  /** The state the run was in when it ended (the last one entered). */
  lastState: string | null;
  /** The first Task whose last attempt failed: where the trouble began. */
  failedStep: { state: string; error: string; cause: string } | null;
  /** Later Tasks that failed too (compensation steps, notifications). */
  alsoFailed: string[];
  /** The run's own NotifyFailed published: people were told already. */
  notifiedByRun: boolean;
  /** ExecutionEnded released the failover lock the run still held (undefined: not asked). */
  lockReleased?: boolean;
}

const failureOf = (e: HistoryEvent): { error: string; cause: string } | undefined => {
  const d = e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails ?? e.taskTimedOutEventDetails ?? e.lambdaFunctionTimedOutEventDetails ?? e.taskStartFailedEventDetails ?? e.lambdaFunctionStartFailedEventDetails ?? e.taskSubmitFailedEventDetails ?? e.lambdaFunctionScheduleFailedEventDetails;
  if (!d) return undefined;
  return { error: d.error ?? e.type ?? "unknown", cause: d.cause ?? "" };
};
const isSuccess = (e: HistoryEvent) => e.type === "TaskSucceeded" || e.type === "LambdaFunctionSucceeded";

/** Reads the history (oldest first) and says where the run ended and what failed. */
export function summarizeEnded(status: EndedSummary["status"], history: readonly HistoryEvent[]): EndedSummary {
  const byId = new Map(history.map((e) => [e.id, e]));
  // The Task state an event belongs to: follow previousEventId back to its StateEntered.
  const stateOf = (e: HistoryEvent): string | undefined => {
    for (let at: HistoryEvent | undefined = e, hops = 0; at && hops < 10; at = byId.get(at.previousEventId ?? -1), hops++) {
      if (at.type === "TaskStateEntered") return at.stateEnteredEventDetails?.name;
    }
    return undefined;
  };
  const lastOutcome = new Map<string, { ok: true } | { ok: false; error: string; cause: string; order: number }>();
  let lastState: string | null = null;
  let order = 0;
  for (const e of history) {
    if (e.type?.endsWith("StateEntered")) lastState = e.stateEnteredEventDetails?.name ?? lastState;
    const failed = failureOf(e);
    if (!failed && !isSuccess(e)) continue;
    const state = stateOf(e);
    if (!state) continue;
    lastOutcome.set(state, failed ? { ok: false, ...failed, order: order++ } : { ok: true });
  }
  const failures = [...lastOutcome.entries()]
    .filter((entry): entry is [string, { ok: false; error: string; cause: string; order: number }] => !entry[1].ok)
    .sort((a, b) => a[1].order - b[1].order);
  const first = failures[0];
  return {
    status,
    lastState,
    failedStep: first ? { state: first[0], error: first[1].error, cause: first[1].cause } : null,
    alsoFailed: failures.slice(1).map(([state]) => state),
    // NotifyFailbackFailed: the failback state machine's, whose ended runs this also reports.
    notifiedByRun: lastOutcome.get("NotifyFailed")?.ok === true || lastOutcome.get("NotifyFailbackFailed")?.ok === true,
  };
}

/** Every event of an execution, oldest first. */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await callAws("states:GetExecutionHistory", () =>
      sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false })),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The message, or undefined when the run's own NotifyFailed already told people. */
export function endedNotification(label: string, event: ExecutionStatusEvent["detail"], summary: EndedSummary): Notification | undefined {
  if (summary.notifiedByRun) return undefined;
  const where = summary.failedStep?.state ?? summary.lastState ?? "its start";
  const verb = { FAILED: "failed", TIMED_OUT: "timed out", ABORTED: "was aborted" }[summary.status];
  const lines = [
    `Failover execution ${event.name} ${verb}${summary.status === "FAILED" ? ` at ${where}` : ` while in ${summary.lastState ?? "its first state"}`}.`,
    `Execution: ${event.executionArn}`,
    `Console: ${executionConsoleUrl(event.executionArn)}`,
    ...(summary.failedStep ? [`Failed step: ${summary.failedStep.state}: ${summary.failedStep.error}${summary.failedStep.cause ? `: ${clip(summary.failedStep.cause, 1000)}` : ""}`] : []),
    ...(summary.alsoFailed.length > 0 ? [`Also failed: ${summary.alsoFailed.join(", ")}`] : []),
    ...(event.error ? [`Execution error: ${event.error}${event.cause ? `: ${clip(event.cause, 1000)}` : ""}`] : []),
    "The run ended without its own failure notification, so nothing after this step was done or undone by it.",
    ...(summary.lockReleased === undefined
      ? []
      : [summary.lockReleased ? "The failover lock it still held is released: a new failover can start." : "It held no failover lock any more (released, or taken over by a failover that pre-empted it)."]),
    summary.status === "FAILED"
      ? "What to do: docs/failover.md, \"What an operator does\", for the state and error above."
      : "What to do: no compensation ran: docs/runbook.md, \"An execution timed out or was aborted\".",
  ];
  return {
    kind: `failover.${summary.status.toLowerCase()}`,
    subject: clip(`[${label}] Failover ${event.name} ${verb}${summary.status === "FAILED" ? ` at ${where}` : ""}`, 100),
    body: lines.join("\n"),
  };
}

/**
 * The path to people that does not depend on SNS: an OpsCenter OpsItem carrying the failure
 * notification (its subject names the failed step), one per execution (OpsCenter's "/aws/dedup"
 * string: a retried ExecutionEnded creates no second one while the first is open).
 */
export async function openOpsItem(ssm: SSMClient, notification: Notification, executionArn: string): Promise<string | undefined> {
  const out = await callAws("ssm:CreateOpsItem", () =>
    ssm.send(
      new CreateOpsItemCommand({
        Title: notification.subject,
        Description: notification.body.length > 2048 ? `${notification.body.slice(0, 2045)}...` : notification.body,
        Source: "pilot-light",
        Category: "Availability",
        Severity: "1",
        OperationalData: { "/aws/dedup": { Type: "SearchableString", Value: JSON.stringify({ dedupString: executionArn }) } },
      }),
    ),
  );
  return out.OpsItemId;
}
