/**
 * AssessFailure (first compensation state): asks RDS whether a promotion has started.
 * No: roll back. Yes: a promotion cannot be undone, so the execution will end in
 * NeedsOperator. Read-only.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "REPLICA_ID"]));
const rds = Failover.lazy(() => new RDSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async ({ run }) => Failover.assessFailure(rds(), run, settings().REPLICA_ID));
