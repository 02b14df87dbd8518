/**
 * The Route 53 health check on one region's endpoint: the second opinion of the monitor that
 * watches that region (Health.askRoute53). One definition for both sides: the Dns stack's on the
 * primary region (the PRIMARY failover record uses it too), the primary region's Monitor's on the
 * DR region (no record uses it, so Route 53's answers do not change; docs/design.md D2).
 */
import type { Construct } from "constructs";
import { Duration } from "aws-cdk-lib";
import * as route53 from "aws-cdk-lib/aws-route53";
import { Stage } from "@pilot-light/core";

/** HTTPS to the region's own name (Compute's certificate covers it), with SNI, every 10 s from every checker region. */
export function regionHealthCheck(scope: Construct, id: string, site: { dns: { recordName: string }; application: { healthPath: string } }, region: string): route53.HealthCheck {
  return new route53.HealthCheck(scope, id, {
    type: route53.HealthCheckType.HTTPS,
    fqdn: Stage.regionalHost(site.dns, region),
    enableSNI: true,
    port: 443,
    resourcePath: site.application.healthPath,
    requestInterval: Duration.seconds(10),
    failureThreshold: 3,
    measureLatency: false,
  });
}
