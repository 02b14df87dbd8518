/**
 * PrepareStandbyService (switchback): the primary service to its full count against its read
 * replica while DR keeps serving, so the write downtime does not include task starts, and so
 * the primary's tasks prove they can log in before anything irreversible. Absolute count:
 * repeating it changes nothing. CheckStandbyService polls.
 */
import { Failback } from "@pilot-light/core";
import { ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => {
  const primary = sides().primary;
  const targetGroupArn = await Failback.targetGroupOf(ecs("primary"), primary);
  const status = await Failback.scaleSide(ecs("primary"), primary, primary.servingCount, new Date());
  return { ...status, targetGroupArn, region: primary.region };
});
