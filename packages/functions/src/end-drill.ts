/**
 * EndDrill: after a successful drill, sets the DR service back to its pilot-light count
 * (a failed drill gets the same through RestorePilotLight). Idempotent.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["DR_REGION", "DR_CLUSTER", "DR_SERVICE", "DR_PILOT_TASK_COUNT"]));
const ecs = Failover.lazy(() => new ECSClient({ region: settings().DR_REGION }));

export const handler = wrap(Failover.FailoverState, async () => {
  const s = settings();
  return Failover.restorePilotLight(ecs(), { cluster: s.DR_CLUSTER, service: s.DR_SERVICE }, Failover.intSetting("DR_PILOT_TASK_COUNT", s.DR_PILOT_TASK_COUNT), new Date());
});
