/**
 * RestoreDns (switchback): the failover's SwitchDns the other way (Failover.pointUsersAt): the
 * PRIMARY failover record back to the primary load balancer with its Route 53 health check,
 * exactly as the Dns stack defines it (a deploy then changes nothing). No change when it already
 * is. CheckDnsRestore polls for INSYNC.
 */
import { Errors, Failback, Failover } from "@pilot-light/core";
import { route53, settings } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(Failback.FailbackState, async () => {
  const dns = settings().dns;
  if (!dns) throw new Errors.ConfigurationError("RestoreDns runs only on stages with DNS settings");
  if (!dns.healthCheckId) throw new Errors.ConfigurationError("RestoreDns runs in the DR region's copy, which knows the PRIMARY record's health check (AssessTopology refuses a switchback elsewhere)");
  return Failover.pointUsersAt(route53(), dns, { albDns: dns.primaryAlbDns, albZoneId: dns.primaryAlbZoneId, healthCheckId: dns.healthCheckId }, new Date());
});
