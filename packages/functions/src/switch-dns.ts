/**
 * SwitchDns: pins the PRIMARY failover record to the DR ALB (see core/dns), reading the
 * record first: already pinned (also by this run's own earlier attempt whose answer was lost)
 * is success with no change. Route 53's control plane lives in us-east-1 and may hang: each
 * call is bounded (Failover.boundedClientConfig), so a hang is a retried AwsTransientError and
 * the retry reads the record again. If it keeps failing, the state machine continues and
 * records "left to health checks".
 */
import { Route53Client } from "@aws-sdk/client-route-53";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const settings = Failover.lazy(() => Failover.readSettings(process.env, ["HOSTED_ZONE_ID", "RECORD_NAME", "DR_ALB_DNS", "DR_ALB_ZONE_ID"]));
// Route 53 is a global service whose API endpoint is in us-east-1.
const r53 = Failover.lazy(() => new Route53Client({ region: "us-east-1", ...Failover.boundedClientConfig }));

export const handler = wrap(Failover.FailoverState, async () => {
  const s = settings();
  return Failover.pointUsersAt(r53(), { hostedZoneId: s.HOSTED_ZONE_ID, recordName: s.RECORD_NAME }, { albDns: s.DR_ALB_DNS, albZoneId: s.DR_ALB_ZONE_ID }, new Date());
});
