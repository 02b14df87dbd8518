/**
 * `pnpm deploy:all --stage S [--plan] [--remove]`: deploys (or removes) both regions in order.
 * SST v2 deploys one region per `sst deploy`, and the two regions depend on each other:
 *   1. DR: Network, Alerts, Storage — the DR bucket must exist before the primary bucket can
 *      name it as its replication destination.
 *   2. Primary: everything — the database the DR replica copies, the ALB address in SSM.
 *   3. DR: everything — the read replica (needs the primary), compute, DNS, the orchestrator.
 * Removal runs the other way: DR first (the replica before its source), then the primary.
 * Before deploying, it refuses when the stage's config says the primary is active but the DR
 * database is no longer a replica, i.e. a failover promoted it (a deploy would otherwise scale
 * the DR service back to its pilot light under the database that now serves users).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { Stage } from "@pilot-light/core";
import { stageConfig } from "../../../stacks/stages";

export interface Step {
  what: string;
  args: string[];
}

export function deployPlan(config: Stage.StageConfig): Step[] {
  const base = (region: string) => ["deploy", "--stage", config.stage, "--region", region];
  return [
    { what: `DR region ${config.drRegion}: network, alerts, replication destination bucket`, args: [...base(config.drRegion), "network|alerts|storage"] },
    { what: `primary region ${config.primaryRegion}: all stacks`, args: base(config.primaryRegion) },
    { what: `DR region ${config.drRegion}: all stacks (replica, compute, DNS, orchestrator)`, args: base(config.drRegion) },
  ];
}

export function removePlan(config: Stage.StageConfig): Step[] {
  const base = (region: string) => ["remove", "--stage", config.stage, "--region", region];
  return [
    { what: `DR region ${config.drRegion}: all stacks`, args: base(config.drRegion) },
    { what: `primary region ${config.primaryRegion}: all stacks`, args: base(config.primaryRegion) },
  ];
}

/**
 * Which region the world says is active: the DR database tells. Still a read replica →
 * "primary"; promoted (no replication source) → "dr"; absent (first deploy) → undefined.
 */
export function observedActiveRegion(replica: { ReadReplicaSourceDBInstanceIdentifier?: string } | undefined): "primary" | "dr" | undefined {
  if (!replica) return undefined;
  return replica.ReadReplicaSourceDBInstanceIdentifier ? "primary" : "dr";
}

/** Why a deploy must not run, or undefined when it may. */
export function refuseDeploy(configured: "primary" | "dr", observed: "primary" | "dr" | undefined): string | undefined {
  if (observed === "dr" && configured === "primary") {
    return [
      "The DR database has been promoted: the DR region serves users, but this stage's settings",
      'still say activeRegion: "primary". Deploying now would scale the DR service back to its',
      'pilot light. Set activeRegion: "dr" for this stage in stacks/stages.ts (see docs/deploy.md,',
      '"After a failover") or fail back first.',
    ].join("\n");
  }
  return undefined;
}

async function describeReplica(config: Stage.StageConfig) {
  const rds = new RDSClient({ region: config.drRegion });
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: Stage.resourceNames(config).replicaDb }));
    return out.DBInstances?.[0];
  } catch (error) {
    if (error instanceof DBInstanceNotFoundFault) return undefined;
    throw error;
  } finally {
    rds.destroy();
  }
}

async function main() {
  const { values } = parseArgs({
    options: { stage: { type: "string" }, plan: { type: "boolean", default: false }, remove: { type: "boolean", default: false } },
  });
  if (!values.stage) throw new Error("missing --stage: pnpm deploy:all --stage <stage> [--plan] [--remove]");
  const config = stageConfig(values.stage);
  const steps = values.remove ? removePlan(config) : deployPlan(config);
  if (!values.plan && !values.remove) {
    const why = refuseDeploy(config.activeRegion, observedActiveRegion(await describeReplica(config)));
    if (why) throw new Error(why);
  }
  for (const [i, step] of steps.entries()) {
    console.log(`\n[${i + 1}/${steps.length}] ${step.what}\n  sst ${step.args.join(" ")}`);
    if (values.plan) continue;
    const run = spawnSync("sst", step.args, { stdio: "inherit" });
    if (run.status !== 0) throw new Error(`step ${i + 1} failed (exit ${run.status}); later steps were not run`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
