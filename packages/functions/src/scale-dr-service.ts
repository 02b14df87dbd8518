/**
 * ScaleDrService (Parallel branch 2): sets the DR ECS service's desired count to the full
 * DR size. Absolute, so a retry is harmless; no call when already at that count. Returns at
 * once; the CheckDrService loop waits for stability. The switchback's PrepareStandbyService is
 * the same call (Failover.bringUpService) the other way, lifting a fence as a planned move.
 * An adopting stage's DR copy (MIRROR_FAMILY set) starts the mirror of the team's definition,
 * read in the DR region, whatever a deploy of the stage left on the service.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => ({
  ...Failover.readSettings(process.env, ["DR_REGION", "DR_CLUSTER", "DR_SERVICE", "DR_TASK_COUNT"]),
  family: process.env.MIRROR_FAMILY || undefined,
}));
const ecs = Failover.lazy(() => new ECSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async () => {
  const s = settings();
  const ref = { cluster: s.DR_CLUSTER, service: s.DR_SERVICE };
  return Failover.bringUpService(ecs(), ref, Failover.intSetting("DR_TASK_COUNT", s.DR_TASK_COUNT), new Date(), s.family ? { family: s.family } : {});
});
