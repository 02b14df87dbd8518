/**
 * PrepareStandbyService (switchback): the failover's ScaleDrService the other way
 * (Failover.bringUpService), done before the writes stop: the primary service to its full count
 * against its read replica while DR keeps serving, so the write downtime does not include task
 * starts, and the primary's tasks prove they can log in before anything irreversible. As a planned
 * move it first lifts the service fence a failover left (the tag that keeps deploys from raising
 * it). Absolute count, tag removal that looks first: repeating it changes nothing.
 * CheckStandbyService polls.
 */
import { Failback, Failover } from "@pilot-light/core";
import { ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => {
  const primary = sides().primary;
  const targetGroupArn = await Failback.targetGroupOf(ecs("primary"), primary);
  const status = await Failover.bringUpService(ecs("primary"), { cluster: primary.cluster, service: primary.service }, primary.servingCount, new Date(), { liftFence: true });
  return { ...status, targetGroupArn, region: primary.region };
});
