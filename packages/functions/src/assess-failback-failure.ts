/**
 * AssessFailbackFailure (compensation): closes the promotion fence, then tells whether the
 * primary replica's promotion started, from what RDS shows (a marker with no promote call RDS
 * saw is judged after the acceptance window: the state machine calls again until settled).
 * Before it, a switchback is rolled back (DR serves as before); after it, nothing is undone.
 */
import { Failback, Failover } from "@pilot-light/core";
import { db, rds, sides, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run, direction, assessment }) =>
  Failback.assessFailbackFailure(rds("primary"), db(), table(), run, sides().primary, direction, new Date(), { acceptanceSeconds: Failover.promotionAcceptanceSeconds, previous: assessment }),
);
