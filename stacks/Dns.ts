/**
 * Route 53 failover routing, only when the stage names a hosted zone (DR region stack, so the
 * records can be changed while the primary region is down). PRIMARY → primary ALB, guarded by a
 * Route 53 health check on /health.php; SECONDARY → DR ALB, no health check (always eligible).
 * Route 53's data plane fails over on the health check alone, with no API call. CNAMEs (not
 * aliases) because the design fixes the TTL at 60 s and alias records take no TTL.
 */
import { StackContext, use } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as route53 from "aws-cdk-lib/aws-route53";
import { Compute } from "./Compute";
import { useStage } from "./context";

export function Dns({ stack, app }: StackContext) {
  const { config } = useStage(app);
  const dns = config.dns;
  if (!dns) throw new Error(`stage "${config.stage}" names no hosted zone; the Dns stack should not be added`);
  const compute = use(Compute);
  if (!("peerAlbDnsName" in compute) || !compute.peerAlbDnsName) throw new Error("Dns belongs to the DR region");

  const primaryCheck = new route53.HealthCheck(stack, "PrimaryHealth", {
    type: route53.HealthCheckType.HTTP,
    fqdn: compute.peerAlbDnsName,
    port: 80,
    resourcePath: "/health.php",
    requestInterval: Duration.seconds(10),
    failureThreshold: 3,
    measureLatency: false,
  });
  const record = (id: string, role: "PRIMARY" | "SECONDARY", target: string, healthCheckId?: string) =>
    new route53.CfnRecordSet(stack, id, {
      hostedZoneId: dns.hostedZoneId,
      name: dns.recordName,
      type: "CNAME",
      ttl: String(dns.ttlSeconds),
      failover: role,
      setIdentifier: role.toLowerCase(),
      healthCheckId,
      resourceRecords: [target],
    });
  const primary = record("PrimaryRecord", "PRIMARY", compute.peerAlbDnsName, primaryCheck.healthCheckId);
  const secondary = record("SecondaryRecord", "SECONDARY", compute.alb.loadBalancerDnsName);
  return { primaryCheck, primary, secondary, recordName: dns.recordName, hostedZoneId: dns.hostedZoneId };
}
