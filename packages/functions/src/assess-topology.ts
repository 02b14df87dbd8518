/**
 * AssessTopology: reads both regions (and, for a switchback, the replication positions), tells
 * which region serves, and lists every blocker. A blocker stops the run here, before anything
 * changed; a dry-run returns the report (its plan) instead. Read-only.
 */
import { Failback } from "@pilot-light/core";
import { both, ecs, lambda, rds, route53, settings, sides } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async ({ run }) => {
  const s = settings();
  const dns = s.dns;
  const report = await Failback.assessTopology(
    run.mode,
    sides(),
    both((role) => ({ rds: rds(role), ecs: ecs(role), lambda: lambda(role) })),
    { dnsConfigured: s.dns !== null, switchDns: run.options.switchDns, rpoBudgetSeconds: Number(s.RPO_BUDGET_SECONDS), probeFunction: s.PROBE_FUNCTION, canRestoreDns: dns?.healthCheckId != null, ...(dns ? { dnsServes: () => Failback.regionByDns(route53(), dns) } : {}) },
    new Date(),
  );
  if (!report.wouldProceed && run.mode !== "dry-run") throw new Failback.FailbackPreflightError(report.blockers.join("; "));
  return report;
});
