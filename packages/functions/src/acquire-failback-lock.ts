/**
 * AcquireFailbackLock: the failover's lock item, owned by this execution (a failover, drill or
 * other failback holding it stops this run). The same execution may take it again; a dry-run
 * takes none.
 */
import { Failback } from "@pilot-light/core";
import { db, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run }) => Failback.acquireFailbackLock(db(), table(), run, new Date()));
