/**
 * The orchestrator's DynamoDB state table (DR region): one item per key, partition key `pk`.
 * Health monitor, failover lock and recorded outcomes share it under distinct key prefixes:
 *   HEALTH#primary, INCIDENT#<id>, LOCK#failover, OUTCOME#<executionName>, READINESS#last.
 */
export const partitionKey = "pk";

export const keys = {
  health: (target: string) => `HEALTH#${target}`,
  incident: (id: string) => `INCIDENT#${id}`,
  failoverLock: () => "LOCK#failover",
  outcome: (executionName: string) => `OUTCOME#${executionName}`,
  /** The scheduled readiness evaluation's last result (`pnpm dr status` shows it). */
  readiness: () => "READINESS#last",
} as const;
