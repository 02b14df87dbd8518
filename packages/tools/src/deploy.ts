/**
 * `pnpm deploy:all --stage S [--plan] [--remove]`: deploys (or removes) both regions in order.
 * SST v2 deploys one region per `sst deploy`, and the two regions depend on each other:
 *   1. DR: Network, Alerts, Storage — the DR bucket must exist before the primary bucket can
 *      name it as its replication destination.
 *   2. Primary: everything — the database the DR replica copies, the ALB address in SSM.
 *   3. DR: everything — the read replica (needs the primary), compute, DNS, the orchestrator.
 * Removal runs the other way: DR first (the replica before its source), then the primary.
 * Before deploying, it refuses when the stage's config says the primary is active but the
 * orchestrator recorded a failover (a deploy would scale DR back to its pilot light).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
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

/** SSM parameter (DR region) where a completed failover records the active region. */
export function activeRegionParameter(config: Stage.StageConfig): string {
  return `${Stage.resourceNames(config).ssmPrefix}/active-region`;
}

/** Why a deploy must not run, or undefined when it may. */
export function refuseDeploy(configured: "primary" | "dr", recorded: string | undefined): string | undefined {
  if (recorded === "dr" && configured === "primary") {
    return [
      "The orchestrator recorded a failover: the DR region is serving users, but this stage's",
      'settings still say activeRegion: "primary". Deploying now would scale the DR service back',
      'to its pilot light. Set activeRegion: "dr" for this stage in stacks/stages.ts (see',
      "docs/deploy.md, \"After a failover\") or fail back first.",
    ].join("\n");
  }
  return undefined;
}

async function recordedActiveRegion(config: Stage.StageConfig): Promise<string | undefined> {
  const ssm = new SSMClient({ region: config.drRegion });
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: activeRegionParameter(config) }));
    return out.Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
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
    const why = refuseDeploy(config.activeRegion, await recordedActiveRegion(config));
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
