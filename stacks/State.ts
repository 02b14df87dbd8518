/**
 * The orchestrator's state table (DR region): health counters, incidents, the failover lock
 * and recorded outcomes (see packages/core/src/state). On-demand with point-in-time recovery.
 */
import { StackContext } from "sst/constructs";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { State as StateKeys } from "@pilot-light/core";
import { useStage } from "./context";

export function State({ stack, app }: StackContext) {
  const { names } = useStage(app);
  const table = new dynamodb.TableV2(stack, "Table", {
    tableName: names.stateTable,
    partitionKey: { name: StateKeys.partitionKey, type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  return { table };
}
