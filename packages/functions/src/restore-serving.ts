/**
 * RestoreServing (compensation, switchback before any promotion): the DR service back to its
 * full count and the primary's to 0: the stage serves where it was. Absolute counts.
 */
import { Failback } from "@pilot-light/core";
import { both, ecs, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => Failback.restoreServing(both(ecs), sides(), new Date()));
