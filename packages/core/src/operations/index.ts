/**
 * What operators read and type, as pure functions: the state machine's ARN and the Step
 * Functions console link of an execution, deterministic names for operator-started
 * executions, and the texts of the operations alarms (what happened, what to do).
 * Shared by the operator CLI (packages/tools) and the Operations stack; no AWS calls here.
 */
import { ValidationError } from "../errors";
import type { Mode } from "../failover/input";
import { arnIn } from "../stage/partition";

/** arn:<the region's partition>:states:<region>:<account>:stateMachine:<name> */
export function stateMachineArn(p: { region: string; account: string; name: string }): string {
  return arnIn(p.region, "states", p.region, p.account, `stateMachine:${p.name}`);
}

/** The execution ARN Step Functions gives `name` under `machineArn` (used before the start answers). */
export function executionArn(machineArn: string, name: string): string {
  return `${machineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

/** The region field of any ARN. */
export function arnRegion(arn: string): string {
  const region = arn.split(":")[3];
  if (!region) throw new ValidationError(`"${arn}" is not an ARN with a region`);
  return region;
}

/** The execution view in the Step Functions console (graph, state by state, inputs and outputs). */
export function executionConsoleUrl(execution: string): string {
  const region = arnRegion(execution);
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${execution}`;
}

/** The state machine's page in the console (its list of executions). */
export function stateMachineConsoleUrl(machineArn: string): string {
  const region = arnRegion(machineArn);
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/statemachines/view/${machineArn}`;
}

/** 2026-11-28T05:30:00.123Z → 20261128T053000Z (seconds resolution, sortable, name-safe). */
export function compactTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

/**
 * Execution name of an operator-started run: `<mode>-<stage>-<time>`, e.g.
 * drill-prod-20261128T053000Z. A failover for an open incident takes the name the health
 * monitor would use, `failover-<incidentId>`, so the two cannot start two executions.
 * Step Functions names: 1-80 characters of letters, digits, '-' and '_'.
 */
export function executionName(mode: Mode, stage: string, at: Date, incidentId?: string): string {
  const name = mode === "failover" && incidentId ? `failover-${incidentId}` : `${mode}-${stage}-${compactTime(at)}`;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ValidationError(`execution name "${name}" is not a valid Step Functions name`);
  return name;
}

export interface AlarmContext {
  stage: string;
  drRegion: string;
  stateMachineName: string;
  /** Minutes between health checks. */
  scheduleMinutes: number;
  failureThreshold: number;
}

export interface AlarmText {
  name: string;
  description: string;
}

/** The operations alarms' names and descriptions: each says what it means and what to do. */
export function alarmTexts(c: AlarmContext) {
  const prefix = `pilot-light-${c.stage}`;
  const status = `pnpm dr status --stage ${c.stage}`;
  const machine = `${c.stateMachineName} (${c.drRegion})`;
  return {
    executionFailed: {
      name: `${prefix}-failover-execution-failed`,
      description:
        `A failover, drill or dry-run execution of ${machine} FAILED. ` +
        `Run \`${status}\` for the execution's console link and open it: the last state says where it stopped. ` +
        "Ended in NeedsOperator: the database was promoted and nothing was undone; finish the failover by hand (docs/runbook.md, \"NeedsOperator\"). " +
        "Ended in RolledBack, InputRejected or FailoverAlreadyRunning: DR is back at pilot light; fix the cause named in the failure e-mail and start again.",
    },
    executionTimedOut: {
      name: `${prefix}-failover-execution-timed-out`,
      description:
        `An execution of ${machine} TIMED OUT: Step Functions stopped it mid-way, so no compensation ran and the failover lock may still be held. ` +
        `Open the execution (\`${status}\` prints the link), see which state was running, check the DR database (promoted or not) and the DR service's desired count, ` +
        "then follow docs/runbook.md, \"An execution timed out or was aborted\".",
    },
    notificationFailed: {
      name: `${prefix}-notification-failed`,
      description:
        `A pilot-light notification could not be published to the alerts topic, or the function that reports ended executions failed: people may not have been told of a failover event. ` +
        `This alarm does not use SNS: it opens an OpsCenter OpsItem in ${c.drRegion}. Run \`${status}\` and read the ExecutionEnded and Notify* function logs for what was not sent.`,
    },
    monitorNotRunning: {
      name: `${prefix}-health-monitor-not-running`,
      description:
        `The health monitor has not run for ${2 * c.scheduleMinutes} minutes (two schedule periods): nobody is watching the primary region and no failover will start by itself. ` +
        `Check that the EventBridge rule ${prefix}-health-check is ENABLED (it is disabled on purpose during planned maintenance) and that the HealthMonitor function exists and is not throttled (docs/runbook.md, "Detection"). ` +
        `Until it runs again, watch the primary yourself with \`${status}\`.`,
    },
  } satisfies Record<string, AlarmText>;
}

/** The DR region's operations dashboard (stacks/Operations.ts). */
export function dashboardName(stage: string): string {
  return `pilot-light-${stage}-dr`;
}

export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;
}
