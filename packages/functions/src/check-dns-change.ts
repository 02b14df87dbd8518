/**
 * CheckDnsChange: one poll of the DNS loop; INSYNC means all Route 53 name servers serve the
 * pinned record. Read-only; bounded like SwitchDns's calls. It says when the loop looks next
 * (`nextLookAt`, as SwitchDns does for the loop's first look).
 */
import { Route53Client } from "@aws-sdk/client-route-53";
import { Failover } from "@pilot-light/core";
import { handler as wrap } from "./lib/handler";

const r53 = Failover.lazy(() => new Route53Client({ region: "us-east-1", ...Failover.boundedClientConfig }));

export const handler = wrap(Failover.DnsPoll, async ({ dns }) => Failover.checkUsersMoved(r53(), dns, new Date()));
