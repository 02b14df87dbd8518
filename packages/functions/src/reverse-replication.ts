/**
 * ReverseReplication (re-protect): the serving region's bucket replicates to the standby's (the
 * reverse rule is this workflow's, and removed again when the primary serves), and, when the
 * primary serves, its DB secret replicates to the DR region again. Looks first; idempotent.
 */
import { Failback } from "@pilot-light/core";
import { both, s3, secrets, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.DirectedState, async ({ direction }) => {
  const s = sides();
  const serving = s[direction.serving];
  const standby = s[direction.standby];
  const storage = await Failback.reconcileStorage(both(s3), serving, standby, settings().REVERSE_REPLICATION_ROLE_ARN);
  const secret = await Failback.reconcileSecret(both(secrets), serving, standby, settings().SECRET_ID);
  return { storage, secret };
});
