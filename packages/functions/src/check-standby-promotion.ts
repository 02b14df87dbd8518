/**
 * CheckStandbyPromotion (switchback): one poll of the promotion: writable means `available`
 * and no replication source. Read-only.
 */
import * as z from "zod";
import { Database, Failover } from "@pilot-light/core";
import { rds } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ promotion: Failover.PromotionStatus }), async ({ promotion }) => Database.checkPromotion(rds("primary"), promotion, new Date()));
