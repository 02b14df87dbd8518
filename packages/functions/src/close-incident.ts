/**
 * Operator action: close the open incident so the monitor may open a new one. Archives it as
 * INCIDENT#<id> (who, when, why) and resets the strike count. Invoke with
 * {"incidentId":"primary-20261128T060000Z","closedBy":"alice","note":"..."}.
 * Idempotent in effect: a repeat fails with IncidentNotOpenError and changes nothing.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Failover, Health } from "@pilot-light/core";
import { handler as wrap, logger } from "./lib/handler";

const readEnv = () => Health.readEnv(Health.CloseEnv, process.env);
// A missing variable fails the cold start, naming it.
readEnv();
const store = Failover.lazy((): Health.HealthStore => {
  const env = readEnv();
  return {
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: env.AWS_REGION }), { marshallOptions: { removeUndefinedValues: true } }),
    table: env.STATE_TABLE,
  };
});

export const handler = wrap(Health.CloseIncidentInput, async (input) => {
  const state = await Health.closeIncident(store(), { target: "primary", ...input });
  logger.info("incident closed", { ...input, consecutiveFailures: state.consecutiveFailures });
  return { closed: input.incidentId, closedBy: input.closedBy };
});
