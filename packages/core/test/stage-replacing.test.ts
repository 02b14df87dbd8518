/**
 * Settings that replace data: once deployed, a synthesis that changes one is refused, naming the
 * setting and the data it replaces, unless the team says it means it.
 */
import { describe, expect, it } from "vitest";
import { Errors, Stage } from "@pilot-light/core";

const prod = (settings: Stage.StageSettingsInput = {}) => Stage.resolveStageConfig("prod", { prod: { isDevelopment: false, ...settings } });
const deployed = Stage.pinnedSettings(prod());

const refusal = (config: Stage.StageConfig, allowed: string[] = []): string | undefined => {
  try {
    Stage.refuseReplacingChanges(config, deployed, allowed);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(Errors.ValidationError);
    return (error as Error).message;
  }
};

describe("settings that replace data", () => {
  it("pins the regions as deployed", () => {
    expect(deployed).toEqual({ primaryRegion: "eu-west-1", drRegion: "eu-central-1" });
  });

  it("refuses a new DR region, naming the setting and the replica, state table and bucket it leaves behind", () => {
    const why = refusal(prod({ drRegion: "eu-north-1" }));
    expect(why).toContain("drRegion: eu-central-1 as deployed, eu-north-1 now");
    expect(why).toContain("the DR replica pilot-light-prod-replica");
    expect(why).toContain("the state table pilot-light-prod-state");
    expect(why).toContain("pl-prod-data-eu-central-1-<account> in eu-central-1");
    expect(why).toContain("--allow-replace drRegion");
  });

  it("refuses a new primary region, naming the replica whose create-only source it changes", () => {
    const why = refusal(prod({ primaryRegion: "eu-west-2" }));
    expect(why).toContain("primaryRegion: eu-west-1 as deployed, eu-west-2 now");
    expect(why).toContain("the DR replica pilot-light-prod-replica in eu-central-1 (AWS::RDS::DBInstance: its SourceRegion and SourceDBInstanceIdentifier");
    expect(why).toContain("the primary database pilot-light-prod-primary");
  });

  it("refuses swapped regions, naming both settings", () => {
    const why = refusal(prod({ primaryRegion: "eu-central-1", drRegion: "eu-west-1" }));
    expect(why).toContain("primaryRegion: eu-west-1 as deployed");
    expect(why).toContain("drRegion: eu-central-1 as deployed");
    expect(why).toContain("--allow-replace primaryRegion,drRegion");
  });

  it("lets a change through that the team allowed", () => {
    expect(refusal(prod({ drRegion: "eu-north-1" }), ["drRegion"])).toBeUndefined();
    expect(refusal(prod({ drRegion: "eu-north-1" }), ["primaryRegion"])).toContain("drRegion");
  });

  it.each<[string, Stage.StageSettingsInput]>([
    ["task counts", { primaryTaskCount: 4, drTaskCount: 3, drPilotTaskCount: 1 }],
    ["the health schedule", { health: { schedule: "rate(1 minute)", failureThreshold: 4 } }],
    ["alert addresses", { alertEmails: ["oncall@example.com", "dba@example.com"] }],
    ["the instance class", { sizes: { dbInstanceClass: "db.r6g.large" } }],
    ["the RPO budget", { rpoBudgetSeconds: 300 }],
    ["DNS added", { dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" } }],
    ["the active region", { activeRegion: "dr" }],
  ])("lets %s change", (_, settings) => {
    expect(refusal(prod(settings))).toBeUndefined();
  });

  it("pins nothing for a stage never deployed", () => {
    expect(() => Stage.refuseReplacingChanges(prod({ drRegion: "eu-north-1" }), undefined)).not.toThrow();
  });

  it("refuses --allow-replace of a setting that replaces no data", () => {
    expect(Stage.parseAllowReplace(" drRegion,primaryRegion ")).toEqual(["drRegion", "primaryRegion"]);
    expect(Stage.parseAllowReplace(undefined)).toEqual([]);
    expect(() => Stage.parseAllowReplace("drTaskCount")).toThrow(/drTaskCount: not a setting that replaces data \(those are: primaryRegion, drRegion\)/);
  });
});

describe("setting paths", () => {
  it("lists every setting a stage can set, nested ones by their path", () => {
    const paths = Stage.settingPaths();
    expect(paths).toEqual(expect.arrayContaining(["primaryRegion", "drRegion", "health.schedule", "dns.recordName", "sizes.dbInstanceClass", "isDevelopment"]));
    expect(paths).not.toContain("health");
  });
});
