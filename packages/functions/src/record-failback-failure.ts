/**
 * RecordFailbackFailure (compensation): OUTCOME#<execution> with how the run ended and the step
 * that failed, then releases the lock.
 */
import { Failback, Failover } from "@pilot-light/core";
import { db, table } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.AssessedFailbackState, async (state) => {
  const outcome = Failback.summarizeFailback(state, state.assessment.kind, new Date());
  await Failback.storeFailbackOutcome(db(), table(), outcome);
  return { ...outcome, lockReleased: await Failover.releaseLock(db(), table(), state.run.executionName) };
});
