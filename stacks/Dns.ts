/**
 * Route 53 failover routing, only when the stage names a hosted zone (DR region stack, so the
 * records can be changed while the primary region is down). PRIMARY → primary ALB, guarded by a
 * Route 53 health check on /health.php; SECONDARY → DR ALB, always eligible. Route 53's data
 * plane fails over on the health check alone, with no API call.
 * Alias A records, not CNAMEs: an alias answers with its ALB's own 60 s TTL (the design's TTL
 * 60), works at a zone apex, costs nothing per query, and is what the failover's SwitchDns
 * step UPSERTs (Route 53 refuses a record of another type beside a CNAME).
 */
import { StackContext, use } from "sst/constructs";
import * as route53 from "aws-cdk-lib/aws-route53";
import { Compute } from "./Compute";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { primaryHealthCheckParameter, usePrimaryAddress, useStage } from "./context";
import { regionHealthCheck } from "./health-check";
import { Stage } from "@pilot-light/core";

export function Dns({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const dns = config.dns;
  if (!dns) throw new Error(`stage "${config.stage}" names no hosted zone; the Dns stack should not be added`);
  if (isPrimary) throw new Error("Dns belongs to the DR region");
  const compute = use(Compute);
  const peer = usePrimaryAddress(stack, names, config);

  const primaryCheck = regionHealthCheck(stack, "PrimaryHealth", { ...config, dns }, config.primaryRegion);
  // For the monitor's second opinion: an SSM parameter, not a stack export, so replacing the
  // health check (a changed path, port or name) is an ordinary update, never refused.
  new ssm.StringParameter(stack, "PrimaryHealthCheckId", { parameterName: primaryHealthCheckParameter(names), stringValue: primaryCheck.healthCheckId });
  // What `pnpm dr point-users` needs to send users to this region, readable here alone while the
  // primary region is down (the primary's Compute publishes its address in its own region; the
  // health check is found through Route 53, global). No write into the primary region: this
  // region deploys while that one is down.
  const address = Stage.drAddressParameters(names);
  new ssm.StringParameter(stack, "DrAlbDns", { parameterName: address.albDns, stringValue: compute.alb.loadBalancerDnsName });
  new ssm.StringParameter(stack, "DrAlbZone", { parameterName: address.albZone, stringValue: compute.alb.loadBalancerCanonicalHostedZoneId });
  if (config.adopt) {
    // An adopted primary's record is the team's: the adoption plan turns it into the failover
    // pair in one change batch (docs/adopt.md), and the failover's steps UPSERT it from then on.
    // No record set here: CloudFormation's CREATE of a record that exists fails the deploy, and
    // a stack owning the pair would put back what a failover changed. What the plan's pair
    // needs from this region is published above: the health check and this address.
    return { primaryCheck, recordName: dns.recordName, hostedZoneId: dns.hostedZoneId };
  }
  const record = (id: string, role: "PRIMARY" | "SECONDARY", albDns: string, albZoneId: string, healthCheckId?: string) =>
    new route53.CfnRecordSet(stack, id, {
      hostedZoneId: dns.hostedZoneId,
      name: dns.recordName,
      type: "A",
      failover: role,
      setIdentifier: role.toLowerCase(),
      healthCheckId,
      aliasTarget: { dnsName: albDns, hostedZoneId: albZoneId, evaluateTargetHealth: role === "PRIMARY" },
    });
  const primary = record("PrimaryRecord", "PRIMARY", peer.albDns, peer.albZone, primaryCheck.healthCheckId);
  const secondary = record("SecondaryRecord", "SECONDARY", compute.alb.loadBalancerDnsName, compute.alb.loadBalancerCanonicalHostedZoneId);
  return { primaryCheck, primary, secondary, recordName: dns.recordName, hostedZoneId: dns.hostedZoneId };
}
