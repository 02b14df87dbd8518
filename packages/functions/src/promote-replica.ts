/**
 * PromoteReplica (Parallel branch 1): promotes the DR read replica. Already promoted is
 * success; already promoting is reported without a second call. Returns at once; the
 * CheckPromotion loop waits for "writable" in the state machine.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { Database, Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "REPLICA_ID"]));
const rds = Failover.lazy(() => new RDSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async () => Database.promoteReplica(rds(), settings().REPLICA_ID, new Date()));
