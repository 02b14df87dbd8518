/**
 * CheckStandbyService (switchback): the failover's CheckDrService the other way: one poll of the
 * primary service: desired = running = N, one deployment, N healthy targets (against the
 * replica: /health.php answers 200, read-only). Read-only.
 */
import * as z from "zod";
import { Compute, Failback } from "@pilot-light/core";
import { ecs, elb } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ standbyService: Failback.StandbyServiceStatus }), async ({ standbyService }) => {
  const status = await Compute.checkService(ecs("primary"), elb("primary"), standbyService.targetGroupArn, standbyService, new Date());
  return { ...status, targetGroupArn: standbyService.targetGroupArn, region: standbyService.region };
});
