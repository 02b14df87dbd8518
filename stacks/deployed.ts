/**
 * The settings that replace data (packages/core/src/stage/replacing.ts), as each stage was last
 * deployed by `pnpm deploy:all`: stacks/deployed-settings.json, committed, so that every
 * synthesis, offline or by `sst deploy`, knows them without credentials, and a change to one
 * is reviewed with the code. sst.config.ts refuses a synthesis that changes one.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Stage } from "@pilot-light/core";

export const deployedSettingsPath = "stacks/deployed-settings.json";

export type DeployedSettings = Record<string, Stage.PinnedSettings>;

/** The record in the project at `root`; `PILOT_LIGHT_DEPLOYED_SETTINGS` names another file (tests). */
export function readDeployedSettings(root: string): DeployedSettings {
  const file = process.env.PILOT_LIGHT_DEPLOYED_SETTINGS ?? join(root, deployedSettingsPath);
  return JSON.parse(readFileSync(file, "utf8")) as DeployedSettings;
}

/** After a deploy: the stage's pinned values, the other stages' kept. */
export function recordDeployedSettings(root: string, config: Stage.StageConfig): string {
  const file = process.env.PILOT_LIGHT_DEPLOYED_SETTINGS ?? join(root, deployedSettingsPath);
  const record = { ...readDeployedSettings(root), [config.stage]: Stage.pinnedSettings(config) };
  const sorted = Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
  return file;
}

/** Refuses (ValidationError) a synthesis of `config` that would replace deployed data, unless `PILOT_LIGHT_ALLOW_REPLACE` names the setting. */
export function refuseReplacingSettings(root: string, config: Stage.StageConfig): void {
  Stage.refuseReplacingChanges(config, readDeployedSettings(root)[config.stage], Stage.parseAllowReplace(process.env[Stage.allowReplaceVariable]));
}
