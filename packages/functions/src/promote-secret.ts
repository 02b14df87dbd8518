/**
 * PromoteSecret (after the promotion, before FencePrimary): makes the DR region's replica of
 * the database secret a standalone secret, so it can be changed and rotated now that the DR
 * database is the primary. Called in the DR region only. Already standalone is success.
 * Best effort: the app reads a replica secret as well, so a failure here is recorded and the
 * failover carries on.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Failover, Secrets } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "SECRET_ID"]));
const sm = Failover.lazy(() => new SecretsManagerClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async () =>
  Secrets.promoteReplicaSecret(sm(), settings().SECRET_ID, settings().DR_REGION, new Date()),
);
