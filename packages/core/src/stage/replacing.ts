/**
 * Settings that replace data. A stage setting whose value reaches a create-only property of a
 * database, bucket, table, key or secret (CloudFormation replaces the resource, and with it the
 * data, or leaves the old one behind) is pinned once deployed: `pnpm deploy:all` records its
 * value per stage (stacks/deployed-settings.json), and every synthesis (`pnpm synth`,
 * `sst deploy`) refuses a different value unless the team says it means it (`--allow-replace`).
 * Which settings these are is measured, not guessed: stacks/test/replacing-settings.test.ts
 * changes every other setting and sees the cdk diff engine replace nothing. A stage that adopts
 * its primary also pins the team's identifiers: the DR replica's source (replaced by a change),
 * and the bucket, service, zone and record the adoption changed (another name leaves those
 * changes behind on the old ones, and the workflows would act on another resource).
 */
import * as z from "zod";
import { ValidationError } from "../errors";
import { resourceNames, StageSettings, type StageConfig } from "./index";

/** Each replacing setting and the data it replaces, for a stage as deployed. */
export const replacingSettings = {
  primaryRegion: (c: Pick<StageConfig, "app" | "stage" | "primaryRegion" | "drRegion" | "adopt">) => {
    const n = resourceNames(c);
    return [
      `the DR replica ${n.replicaDb} in ${c.drRegion} (AWS::RDS::DBInstance: its SourceRegion and SourceDBInstanceIdentifier name the primary's region; CloudFormation replaces it for either)`,
      `the primary database ${n.primaryDb}, its key, the secret ${n.secretName} and the bucket pl-${c.stage}-data-${c.primaryRegion}-<account> in ${c.primaryRegion} (a new region gets new ones; the deployed ones are left behind)`,
    ];
  },
  drRegion: (c: Pick<StageConfig, "app" | "stage" | "primaryRegion" | "drRegion" | "adopt">) => {
    const n = resourceNames(c);
    return [
      `the DR replica ${n.replicaDb}, its key, the state table ${n.stateTable} and the bucket pl-${c.stage}-data-${c.drRegion}-<account> in ${c.drRegion} (a new region gets new ones; the deployed ones are left behind, still replicating)`,
    ];
  },
  // An adopting stage's identifiers (docs/adopt.md): the DR side and the adoption's changes were
  // made for the team's resources as named at deploy; another name is another adoption.
  "adopt.database.instanceIdentifier": (c: Pick<StageConfig, "app" | "stage" | "drRegion">, was: string) => [
    `the DR replica ${resourceNames(c).replicaDb} in ${c.drRegion} (AWS::RDS::DBInstance: its SourceDBInstanceIdentifier names ${was}; a replica of another database is another replica, which copies the whole database again)`,
  ],
  "adopt.bucket.name": (c: Pick<StageConfig, "drRegion">, was: string) => [
    `the replication rule the adoption merged into your bucket ${was} (it keeps copying into the DR bucket in ${c.drRegion}, beside the new bucket's objects; remove it by hand, docs/adopt.md)`,
  ],
  "adopt.service.clusterName": (c: Pick<StageConfig, "primaryRegion">, was: string) => [adoptedService(`the cluster ${was}`, c)],
  "adopt.service.serviceName": (c: Pick<StageConfig, "primaryRegion">, was: string) => [adoptedService(`the service ${was}`, c)],
  "dns.hostedZoneId": (_: unknown, was: string) => [adoptedRecords(`the zone ${was}`)],
  "dns.recordName": (_: unknown, was: string) => [adoptedRecords(`the record ${was}`)],
} as const;

/** The team's service as deployed: what the failover stops, the switchback starts and the DR task definition mirrors. */
function adoptedService(what: string, c: Pick<StageConfig, "primaryRegion">): string {
  return `your ECS service in ${what} (${c.primaryRegion}): the one the failover stops, the switchback starts and the DR region mirrors the task definition of; it is left running while the workflows scale another`;
}

/** An adopting stage's failover records are the adoption's, not a stack's: a new zone or name leaves them answering. */
function adoptedRecords(what: string): string {
  return `the failover records the adoption made in ${what} (they stay, and keep answering; delete them by hand once the new record serves)`;
}

export type ReplacingSetting = keyof typeof replacingSettings;
export const replacingSettingNames = Object.keys(replacingSettings) as ReplacingSetting[];

/** Only an adopting stage pins these: for pilot-light's own resources, the stacks own the change. */
const adoptedOnly: ReadonlySet<ReplacingSetting> = new Set(["dns.hostedZoneId", "dns.recordName"]);

/** The value of a pinned setting in a stage's configuration (a dotted path), or undefined when the stage has none. */
function valueOf(config: StageConfig, setting: ReplacingSetting): string | undefined {
  if (adoptedOnly.has(setting) && config.adopt === undefined) return undefined;
  const value = setting.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), config);
  return typeof value === "string" ? value : undefined;
}

/** The values a deploy pins: what stacks/deployed-settings.json records for a stage. */
export type PinnedSettings = Partial<Record<ReplacingSetting, string>>;

export function pinnedSettings(config: StageConfig): PinnedSettings {
  return Object.fromEntries(replacingSettingNames.flatMap((s) => (valueOf(config, s) === undefined ? [] : [[s, valueOf(config, s)]])));
}

/** The name of the environment variable that carries `--allow-replace` into a synthesis (sst deploy has no flags of ours). */
export const allowReplaceVariable = "PILOT_LIGHT_ALLOW_REPLACE";

/** Setting names from `--allow-replace a,b` or the environment variable; an unknown name is a mistake. */
export function parseAllowReplace(value: string | undefined): ReplacingSetting[] {
  const names = (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = names.filter((s) => !(replacingSettingNames as string[]).includes(s));
  if (unknown.length > 0) throw new ValidationError(`--allow-replace ${unknown.join(",")}: not a setting that replaces data (those are: ${replacingSettingNames.join(", ")})`);
  return names as ReplacingSetting[];
}

/**
 * Refuses a synthesis whose settings would replace deployed data: each pinned setting whose value
 * differs from the deployed one, unless allowed, named with the data it replaces.
 */
export function refuseReplacingChanges(config: StageConfig, deployed: PinnedSettings | undefined, allowed: readonly string[] = []): void {
  if (!deployed) return;
  const changed = replacingSettingNames.filter((s) => deployed[s] !== undefined && deployed[s] !== valueOf(config, s) && !allowed.includes(s));
  if (changed.length === 0) return;
  const asDeployed = { ...config, ...deployed };
  const lines = changed.flatMap((s) => [
    `  ${s}: ${deployed[s]} as deployed, ${valueOf(config, s) ?? "none"} now; that replaces or leaves behind:`,
    ...replacingSettings[s](asDeployed, deployed[s]!).map((r) => `    ${r}`),
  ]);
  throw new ValidationError(
    [
      `stage "${config.stage}": a settings change would replace data (the values deployed are in stacks/deployed-settings.json):`,
      ...lines,
      `Put the setting back; or, once the data is moved (docs/deploy.md, "Settings that replace data"), say so: --allow-replace ${changed.join(",")} (${allowReplaceVariable}=${changed.join(",")} for sst deploy).`,
    ].join("\n"),
  );
}

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema> };

/** Every setting a stage can set, as dotted paths (`health.schedule`): each must be placed as replacing data or not. */
export function settingPaths(): string[] {
  const leaves = (s: JsonSchema, path: string[]): string[] =>
    s.type === "object" && s.properties ? Object.entries(s.properties).flatMap(([k, v]) => leaves(v, [...path, k])) : [path.join(".")];
  return leaves(z.toJSONSchema(StageSettings, { io: "input", unrepresentable: "any" }) as JsonSchema, []);
}
