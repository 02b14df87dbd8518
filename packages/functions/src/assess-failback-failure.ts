/**
 * AssessFailbackFailure (compensation): closes the promotion fence, then tells whether the
 * primary replica's promotion started. Before it, a switchback is rolled back (DR serves as
 * before); after it, nothing is undone.
 */
import { Failback } from "@pilot-light/core";
import { db, rds, sides, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run, direction }) =>
  Failback.assessFailbackFailure(rds("primary"), db(), table(), run, sides().primary, direction, new Date()),
);
