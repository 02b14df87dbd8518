/**
 * CheckPromotion: one poll of the promotion loop (Choice + Wait in the state machine).
 * Writable = status available and no replication source. It also judges the last promote call
 * by what RDS shows: `requestAgain` once the replica, still replicating and not modifying, has
 * shown no sign of it for the acceptance window (the loop goes back to PromoteReplica), and when
 * the loop looks next (`nextLookAt`). Read-only.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION"]));
const rds = Failover.lazy(() => new RDSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.PromotionPoll, async ({ promotion }) => Failover.checkTargetPromotion(rds(), promotion, new Date()));
