/**
 * SetStandbyPilotLight (re-protect): the standby region's service to its pilot-light count
 * (the primary's 0, DR's drPilotTaskCount). Absolute count: repeating it changes nothing.
 */
import { Failback } from "@pilot-light/core";
import { ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.DirectedState, async ({ direction }) => {
  const standby = sides()[direction.standby];
  return Failback.scaleSide(ecs(direction.standby), standby, standby.pilotCount, new Date());
});
