/**
 * CheckDnsRestore (switchback): one poll of the Route 53 change until INSYNC. Read-only.
 */
import * as z from "zod";
import { Dns, Failover } from "@pilot-light/core";
import { route53 } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ dns: Failover.DnsSwitch }), async ({ dns }) => Dns.checkChange(route53(), dns, new Date()));
