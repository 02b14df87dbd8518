/**
 * AssessFailure (first compensation state): closes the promotion fence on the lock item and
 * asks both the fence and RDS whether a promotion has started. No: roll back. Yes (or
 * unknown): a promotion cannot be undone, so the execution ends in NeedsOperator. A promote
 * call still inside its acceptance window is not settled yet (`settled: false`): the state
 * machine waits and asks again, so a call whose answer was lost is never rolled back under.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { RDSClient } from "@aws-sdk/client-rds";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "REPLICA_ID", "TABLE_NAME"]));
const clients = Failover.lazy(() => ({
  rds: new RDSClient({ region: settings().DR_REGION }),
  db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().DR_REGION })),
}));

export const handler = wrap(Failover.FailoverState, async ({ run, assessment }) =>
  Failover.assessFailure(clients().rds, clients().db, settings().TABLE_NAME, run, settings().REPLICA_ID, new Date(), {
    acceptanceSeconds: Failover.promotionAcceptanceSeconds,
    ...(assessment ? { previous: assessment } : {}),
  }),
);
