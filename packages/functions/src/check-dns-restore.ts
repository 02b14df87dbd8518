/**
 * CheckDnsRestore (switchback): the failover's CheckDnsChange the other way
 * (Failover.checkUsersMoved): one poll of the Route 53 change until INSYNC. Read-only.
 */
import * as z from "zod";
import { Failover } from "@pilot-light/core";
import { route53 } from "./lib/failback";
import { handler as wrap } from "./lib/handler";

export const handler = wrap(z.looseObject({ dns: Failover.DnsSwitch }), async ({ dns }) => Failover.checkUsersMoved(route53(), dns, new Date()));
