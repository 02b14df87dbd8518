/**
 * PrepareStandbyService (switchback): the primary service to its full count against its read
 * replica while DR keeps serving, so the write downtime does not include task starts, and so
 * the primary's tasks prove they can log in before anything irreversible. First it lifts the
 * service fence a failover left (the tag that makes every deploy keep the old primary at 0),
 * since the primary is to serve again. Absolute count, tag removal that looks first: repeating
 * it changes nothing. CheckStandbyService polls.
 */
import { Compute, Failback } from "@pilot-light/core";
import { ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => {
  const primary = sides().primary;
  const fence = await Compute.liftServiceFence(ecs("primary"), { cluster: primary.cluster, service: primary.service });
  const targetGroupArn = await Failback.targetGroupOf(ecs("primary"), primary);
  const status = await Failback.scaleSide(ecs("primary"), primary, primary.servingCount, new Date());
  return { ...status, targetGroupArn, region: primary.region, fence: fence.detail };
});
