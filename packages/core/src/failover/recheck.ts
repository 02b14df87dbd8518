/**
 * The last look before the irreversible step: an automatic failover (the health monitor started
 * it) probes the primary's /health.php once more just before it promotes, with the monitor's
 * own contract (a burst, decided by majority). A primary that answers again stops the run:
 * PrimaryRecoveredError, compensation rolls back what was scaled and the run ends in
 * PrimaryRecovered. A person's failover is not second-guessed (they may fail over a primary
 * that answers, e.g. a degraded region). Read-only.
 */
import { check, type CheckOptions } from "../health/probe";
import { PrimaryRecoveredError } from "../workflow/errors";

export const recheckProbe: CheckOptions = { timeoutMs: 5000, count: 3, spacingMs: 100 };

export async function confirmPrimaryStillDown(url: string, options: CheckOptions = recheckProbe): Promise<void> {
  const result = await check(url, options);
  if (!result.ok) return;
  const passed = result.probes.filter((p) => p.ok).length;
  throw new PrimaryRecoveredError(`the primary answered ${url} again (${passed} of ${result.probes.length} probes passed at ${result.at}) just before the promotion: nothing was promoted, the failover stands down`);
}
