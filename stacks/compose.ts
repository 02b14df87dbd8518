/**
 * Chooses each region's stacks. SST v2 deploys one region per `sst deploy`, so the same app
 * is synthesized twice: once for the primary region and once for the DR region.
 */
import type { App } from "sst/constructs";
import { Stack } from "aws-cdk-lib";
import { suppressFrameworkResources } from "./nag";
import { putRolesUnder } from "./role-path";
import { Stage } from "@pilot-light/core";
import { Alerts } from "./Alerts";
import { Compute } from "./Compute";
import { Data } from "./Data";
import { Dns } from "./Dns";
import { Failback } from "./Failback";
import { Failover } from "./Failover";
import { Monitor } from "./Monitor";
import { Operations } from "./Operations";
import { Probe } from "./Probe";
import { Network } from "./Network";
import { State } from "./State";
import { Storage } from "./Storage";

export function composeStacks(app: App, config: Stage.StageConfig): void {
  const role = Stage.regionRole(config, app.region);
  app.stack(Network).stack(Alerts).stack(Storage).stack(Data).stack(Compute).stack(Probe);
  if (role === "dr") {
    if (config.dns) app.stack(Dns);
    // The orchestrator (state table, health monitor, failover state machine) in the DR region (D2).
    app.stack(State).stack(Monitor).stack(Failover).stack(Operations).stack(Failback);
  } else {
    // Its copy in the primary region, armed at run time (D2): after a re-protect it fails an
    // outage of the DR region over to this one; after a failover it tells when DR fails too.
    // Only with DNS (where users are sent decides whether it may act); its table in every case,
    // so adding or removing DNS never removes a table.
    app.stack(State);
    // The failback too: after a failover to this region, re-protect starts here (docs/failback.md).
    if (config.dns) app.stack(Monitor).stack(Failover).stack(Operations).stack(Failback);
  }
  for (const child of app.node.children) if (child instanceof Stack) suppressFrameworkResources(child);
  putRolesUnder(app, Stage.resourceNames(config).rolePath);
}
