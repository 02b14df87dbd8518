/** What every stack function needs to know about where it is deployed. */
import type { App } from "sst/constructs";
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
    /** The other region of the pair. */
    peerRegion: isPrimary ? config.drRegion : config.primaryRegion,
    cidr: isPrimary ? config.primaryCidr : config.drCidr,
    ssm: (name: string) => `${names.ssmPrefix}/${role}/${name}`,
  };
}
