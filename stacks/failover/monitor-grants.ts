/**
 * The IAM of the functions around the failover that are not its steps: the health monitor
 * (stacks/Monitor.ts) and ExecutionEnded (stacks/Operations.ts, with the failback's executions
 * added by stacks/Failback.ts). The stacks grant them through these functions; the standalone
 * failover template (./standalone.ts) grants the same to its placeholder functions, and the world
 * (packages/world) authorises every call the handlers make against them. Kept free of SST.
 */
import type { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";

/** DynamoDB actions the monitor's store uses (read-decide-conditional-put), nothing more. */
export const stateTableActions = ["dynamodb:GetItem", "dynamodb:PutItem"];

/** A function whose role can be granted to (SST's Function and CDK's alike). */
interface Grantee extends iam.IGrantable {
  addToRolePolicy(statement: iam.PolicyStatement): void;
}

export interface MonitorResources {
  stack: Stack;
  /** The failover state machine (the monitor starts it by name). */
  stateMachineArn: string;
  /** Its executions, the monitor's own and any it follows. */
  executionsArn: string;
  /** The health check Route 53's failover record uses (stages with DNS). */
  healthCheckId: string | undefined;
  /** This region's database: its replication source decides whether the monitor is armed. */
  localDbArn: string;
  /** The watched region's database: read (bounded) before calling that region stranded, whether it answers. */
  watchedDbArn: string;
  /**
   * This region's database's DB parameter groups (the stack's and the per-generation ones re-protect
   * creates, `<group>-g*`): read_only there tells which stranded state it is (Arming.here).
   */
  localParameterGroupArns: string[];
  /** The zone of the failover records (stages with DNS): where the PRIMARY record sends users. */
  hostedZoneId: string | undefined;
  tableArn: string;
  grantTable(grantee: iam.IGrantable, ...actions: string[]): void;
  grantPublish(grantee: iam.IGrantable): void;
}

/**
 * The health monitor: StartExecution on the one state machine, DescribeExecution on its
 * executions, GetHealthCheckStatus on the one health check, GetItem/PutItem on the state table,
 * Publish on the alerts topic, DescribeDBParameters on this region's database's groups.
 */
export function grantHealthMonitor(fn: Grantee, r: MonitorResources): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [r.stateMachineArn] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:DescribeExecution"], resources: [r.executionsArn] }));
  if (r.healthCheckId) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["route53:GetHealthCheckStatus"], resources: [`arn:${r.stack.partition}:route53:::healthcheck/${r.healthCheckId}`] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["rds:DescribeDBInstances"], resources: [r.localDbArn, r.watchedDbArn] }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["rds:DescribeDBParameters"], resources: r.localParameterGroupArns }));
  if (r.hostedZoneId) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["route53:ListResourceRecordSets"], resources: [`arn:${r.stack.partition}:route53:::hostedzone/${r.hostedZoneId}`] }));
  r.grantTable(fn, ...stateTableActions);
  r.grantPublish(fn);
}

/**
 * ExecutionEnded: the history of the failover's executions (it names the failed step), an OpsItem
 * when SNS is what fails, the dead
 * execution's lock (released only if it still owns it: a conditional delete), Publish.
 */
export function grantExecutionEnded(fn: Grantee, r: Pick<MonitorResources, "executionsArn" | "tableArn" | "grantPublish">): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:GetExecutionHistory"], resources: [r.executionsArn] }));
  // When SNS is what fails, the failure (naming its step) is told by an OpsCenter OpsItem.
  // CreateOpsItem has no resource-level permissions (Service Authorization Reference: "*" only).
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["ssm:CreateOpsItem"], resources: ["*"] }));
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ["dynamodb:DeleteItem"], resources: [r.tableArn], conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LOCK#failover"] } } }),
  );
  r.grantPublish(fn);
}

/** ExecutionEnded also tells of failback runs: the history of the failback's executions. */
export function grantExecutionEndedFailback(fn: Grantee, failbackExecutionsArn: string): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:GetExecutionHistory"], resources: [failbackExecutionsArn] }));
}

/**
 * Granted actions no test exercises, each with why it stays (`pnpm check:aws` reports any
 * other unexercised grant as unexplained). Keyed by function, then action as granted.
 */
export const unexercisedMonitorGrants: Partial<Record<"HealthMonitor" | "ExecutionEnded", Record<string, string>>> = {};
