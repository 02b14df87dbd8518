/**
 * MirrorTaskDefinition (scheduled with the readiness evaluation, DR region; adopting stages
 * only): the DR service set to a mirror of the task definition the team's service runs in the
 * primary region (Adoption.mirrorTeamTaskDefinition), made before any outage so a failover never
 * reads the failed region. Idempotent (a revision with the same fingerprint is reused; old
 * revisions beyond the newest few are deregistered, a refusal only logged); the
 * primary region's client is bounded, so an outage fails the pass and the last mirror stays.
 */
import { ECSClient } from "@aws-sdk/client-ecs";
import * as z from "zod";
import { Adoption, Failover, Scope } from "@pilot-light/core";
import { handler as wrap, logger } from "./lib/handler";

const settings = Scope.lazy(() => Adoption.readMirrorSettings(process.env));
const clients = Scope.lazy(() => ({
  primary: new ECSClient({ region: settings().target.primaryRegion, ...Failover.boundedClientConfig }),
  dr: new ECSClient({ region: settings().target.drRegion }),
}));

export const handler = wrap(z.looseObject({}), async () => {
  const s = settings();
  const result = await Adoption.mirrorTeamTaskDefinition(clients(), s.refs, s.target, new Date());
  if (result.registered || !result.drServiceRuns || result.retired.deregistered.length > 0) logger.info("task definition mirrored", { ...result });
  // Old revisions left ACTIVE cost nothing a failover needs: told in the log, the pass still succeeds.
  if (result.retired.failed) logger.warn("old mirror revisions not deregistered", { family: s.target.family, error: result.retired.failed });
  return result;
});
