/**
 * RestoreServing (compensation, switchback before any promotion): the DR database back under its
 * name if it was sealed (waiting while RDS still renames it: RenameInProgressError is retried),
 * the DR service back to its full count and the primary's to 0: the stage serves where it was.
 */
import { Failback } from "@pilot-light/core";
import { both, ecs, rds, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run }) => Failback.restoreServing(both(ecs), rds("dr"), sides(), run, new Date()));
