/**
 * Settings that replace data: once deployed, a synthesis that changes one is refused, naming the
 * setting and the data it replaces, unless the team says it means it.
 */
import { describe, expect, it } from "vitest";
import { Errors, Stage } from "@pilot-light/core";
import { shopPrimary } from "./support/adopted";

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
    expect(() => Stage.parseAllowReplace("drTaskCount")).toThrow(/drTaskCount: not a setting that replaces data \(those are: primaryRegion, drRegion, adopt\.database\.instanceIdentifier,/);
  });
});

describe("an adopting stage's identifiers", () => {
  const dns = { hostedZoneName: "example.org", hostedZoneId: "Z0123456789SHOP", recordName: "shop.example.org" };
  const shop = (adopt: Partial<typeof shopPrimary> = {}, settings: Stage.StageSettingsInput = {}) =>
    Stage.resolveStageConfig("shop", { shop: { isDevelopment: false, dns, adopt: { ...shopPrimary, ...adopt }, ...settings } });
  const asDeployed = Stage.pinnedSettings(shop());
  const refused = (config: Stage.StageConfig) => {
    try {
      Stage.refuseReplacingChanges(config, asDeployed);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("pins the team's database, bucket, cluster, service, zone and record as deployed", () => {
    expect(asDeployed).toEqual({
      primaryRegion: "eu-west-1",
      drRegion: "eu-central-1",
      "adopt.database.instanceIdentifier": "shop-mysql-prod",
      "adopt.bucket.name": "shop-prod-uploads",
      "adopt.service.clusterName": "shop-prod",
      "adopt.service.serviceName": "storefront",
      "dns.hostedZoneId": "Z0123456789SHOP",
      "dns.recordName": "shop.example.org",
    });
  });

  it("refuses another database, naming the DR replica its change replaces", () => {
    const why = refused(shop({ database: { ...shopPrimary.database, instanceIdentifier: "shop-mysql-new" } }));
    expect(why).toContain("adopt.database.instanceIdentifier: shop-mysql-prod as deployed, shop-mysql-new now");
    expect(why).toContain("the DR replica pilot-light-shop-replica in eu-central-1 (AWS::RDS::DBInstance: its SourceDBInstanceIdentifier names shop-mysql-prod");
    expect(why).toContain("--allow-replace adopt.database.instanceIdentifier");
  });

  it.each<[string, Stage.StageConfig, RegExp]>([
    ["bucket", shop({ bucket: { name: "shop-prod-media" } }), /adopt\.bucket\.name: shop-prod-uploads as deployed, shop-prod-media now[\s\S]*replication rule the adoption merged into your bucket shop-prod-uploads/],
    ["cluster", shop({ service: { ...shopPrimary.service, clusterName: "shop-prod-2" } }), /adopt\.service\.clusterName: shop-prod as deployed, shop-prod-2 now[\s\S]*the one the failover stops/],
    ["service", shop({ service: { ...shopPrimary.service, serviceName: "storefront-v2" } }), /adopt\.service\.serviceName: storefront as deployed, storefront-v2 now/],
    ["record", shop({}, { dns: { ...dns, recordName: "www.example.org" } }), /dns\.recordName: shop\.example\.org as deployed, www\.example\.org now[\s\S]*failover records the adoption made in the record shop\.example\.org/],
    ["zone", shop({}, { dns: { ...dns, hostedZoneId: "Z0123456789OTHER" } }), /dns\.hostedZoneId: Z0123456789SHOP as deployed, Z0123456789OTHER now/],
  ])("refuses another %s, naming what the adoption made for the deployed one", (_, config, message) => {
    expect(refused(config)).toMatch(message);
  });

  it("refuses a stage that stops adopting", () => {
    expect(refused(Stage.resolveStageConfig("shop", { shop: { isDevelopment: false, dns } }))).toMatch(/adopt\.database\.instanceIdentifier: shop-mysql-prod as deployed, none now/);
  });

  it("lets a stage of pilot-light's own change its record (its stacks own the records)", () => {
    expect(Stage.pinnedSettings(prod({ dns }))).not.toHaveProperty("dns.recordName");
    expect(() => Stage.refuseReplacingChanges(prod({ dns: { ...dns, recordName: "www.example.org" } }), Stage.pinnedSettings(prod({ dns })))).not.toThrow();
  });
});

describe("setting paths", () => {
  it("lists every setting a stage can set, nested ones by their path", () => {
    const paths = Stage.settingPaths();
    expect(paths).toEqual(expect.arrayContaining(["primaryRegion", "drRegion", "health.schedule", "dns.recordName", "sizes.dbInstanceClass", "isDevelopment"]));
    expect(paths).not.toContain("health");
  });
});
