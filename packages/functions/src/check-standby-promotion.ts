/**
 * CheckStandbyPromotion (switchback): the failover's CheckPromotion the other way
 * (Failover.checkTargetPromotion): writable means `available` and no replication source;
 * `requestAgain` once RDS showed no sign of the promote call for its acceptance window. Read-only.
 */
import * as z from "zod";
import { Failover } from "@pilot-light/core";
import { rds } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ promotion: Failover.PromotionStatus }), async ({ promotion }) => Failover.checkTargetPromotion(rds("primary"), promotion, new Date()));
