/** What every stack function needs to know about where it is deployed. */
import { getStack, type App } from "sst/constructs";
import type { Stack } from "aws-cdk-lib";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Stage } from "@pilot-light/core";
import { stageConfig } from "./stages";

export function useStage(app: App) {
  const config = stageConfig(app.stage);
  const role = Stage.regionRole(config, app.region);
  const names = Stage.resourceNames(config);
  const isPrimary = role === "primary";
  return {
    config,
    role,
    names,
    isPrimary,
    /**
     * The team's existing primary when this region is the primary of a stage that adopts one
     * (docs/adopt.md): its stacks import these resources and create only what pilot-light adds.
     */
    adopted: isPrimary ? config.adopt : undefined,
    /** The other region of the pair. */
    peerRegion: isPrimary ? config.drRegion : config.primaryRegion,
    cidr: isPrimary ? config.primaryCidr : config.drCidr,
  };
}

/**
 * This region and the other, as the orchestrator's copy deployed here sees them: each region's
 * database keeps its CloudFormation name whatever role it plays (`…-primary` in the primary
 * region, `…-replica` in DR), so a copy promotes the database of its own region and fences the
 * other region's, whichever serves.
 */
export function regionSides(config: Stage.StageConfig, names: ReturnType<typeof Stage.resourceNames>, isPrimary: boolean) {
  const primary = { role: "primary" as const, region: config.primaryRegion, db: names.primaryDb, parameterGroup: names.primaryParameterGroup, cluster: names.primaryCluster, service: names.primaryService };
  const dr = { role: "dr" as const, region: config.drRegion, db: names.replicaDb, parameterGroup: names.replicaParameterGroup, cluster: names.cluster, service: names.service };
  return isPrimary ? { local: primary, watched: dr } : { local: dr, watched: primary };
}

/** The DR region's SSM parameter with the id of the Route 53 health check on the primary (written by Dns). */
export function primaryHealthCheckParameter(names: { ssmPrefix: string }): string {
  return Stage.primaryHealthCheckParameter(names);
}

/**
 * The Dns stack's health check on the primary, as a DR-region stack sees it: resolved from SSM at
 * deploy, after Dns (an explicit stack dependency, no cross-stack export that would refuse
 * replacing the health check).
 */
export function usePrimaryHealthCheckId(stack: Stack, names: { ssmPrefix: string }, dns: Parameters<typeof getStack>[0]): string {
  stack.addDependency(getStack(dns));
  return ssm.StringParameter.valueForStringParameter(stack, primaryHealthCheckParameter(names));
}

/** The SSM parameters in the DR region that hold the primary ALB's address (written by the primary's Compute). */
export function primaryAddressParameters(names: { ssmPrefix: string }) {
  return Stage.primaryAddressParameters(names);
}

/**
 * The primary ALB's address as a DR-region stack sees it: CloudFormation parameters of type
 * AWS::SSM::Parameter::Value<String>, resolved from the DR region's own SSM at every deploy.
 * No call into the primary region, no cross-stack export: a DR deploy works while the primary
 * region is down (it keeps the last address the primary published).
 */
export function usePrimaryAddress(stack: Stack, names: { ssmPrefix: string }, config: { application: { healthPath: string } }) {
  const p = primaryAddressParameters(names);
  const albDns = ssm.StringParameter.valueForStringParameter(stack, p.albDns);
  return {
    albDns,
    albZone: ssm.StringParameter.valueForStringParameter(stack, p.albZone),
    healthUrl: Stage.healthUrl(config, `http://${albDns}`),
  };
}
