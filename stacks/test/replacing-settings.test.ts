/**
 * Which stage settings replace data is measured, not declared on trust: every setting is either
 * one of Stage.replacingSettings, shown here to replace or leave behind a database, bucket, table,
 * key or secret (by the cdk diff engine, for properties CloudFormation's schemas mark create-only),
 * or changed by the `switching-settings` or `switching-ownapp` variant, whose deploys replace
 * nothing (deploy-diff.test.ts). A new setting fails this test until it is placed in one or the other.
 * And a synthesis through sst.config.ts (`pnpm synth`, `sst deploy`) refuses a change to a
 * replacing setting once the stage's values are recorded as deployed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stage } from "@pilot-light/core";
import { dataChanges } from "../../packages/tools/src/aws-check/replacements";
import { serviceSpec } from "../../packages/tools/src/aws-check/schema";
import { synthRegion as synthesize } from "../../packages/tools/src/offline-synth";
import { run as synthCommand } from "../../packages/tools/src/synth";
import { stages } from "../stages";
import { synthRegion } from "./support/synth";
import { variant } from "./support/variants";

/** Settings neither pinned nor changed by `switching-settings`/`switching-ownapp`, and why. */
const elsewhere: Record<string, string> = {
  primaryCidr: "replaces the Network stack, which CloudFormation refuses while the Data stack imports its exports (docs/deploy.md)",
  drCidr: "replaces the Network stack, which CloudFormation refuses while the Data stack imports its exports (docs/deploy.md)",
  activeRegion: "the deploy story's own variants (switching-before, switching-after)",
  ...Object.fromEntries(
    Stage.settingPaths()
      .filter((s) => s.startsWith("adopt.") && !(Stage.replacingSettingNames as string[]).includes(s))
      .map((s) => [s, "names the team's resources, which the stacks import and never create (stacks/test/adopted.test.ts); the DR replica names its source by adopt.database.instanceIdentifier, as it does by primaryRegion (docs/adopt.md)"]),
  ),
};

const at = (o: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
const templates = (id: string, role: "primary" | "dr") => Object.fromEntries(Object.entries(synthRegion(id, role).stacks).map(([name, s]) => [name, s.template]));
const resolved = (id: string) => Stage.resolveStageConfig("switching", { switching: variant(id).settings ?? {} });

describe("settings that replace data", () => {
  it("places every stage setting: replacing, changed by a deploy that replaces nothing, or covered elsewhere", () => {
    const settings = Stage.settingPaths();
    const before = resolved("switching-before");
    // The deploy story changes the settings in two steps (packages/tools/src/aws-check/replacements.ts).
    const afters = [resolved("switching-settings"), resolved("switching-ownapp")];
    const unplaced = settings.filter(
      (s) =>
        !(Stage.replacingSettingNames as string[]).includes(s) &&
        !(s in elsewhere) &&
        afters.every((after) => JSON.stringify(at(before, s)) === JSON.stringify(at(after, s))),
    );
    expect(unplaced).toEqual([]);
    expect(settings.length).toBeGreaterThan(25);
  });

  it("primaryRegion: the DR replica is replaced, for a property CloudFormation's schema marks create-only", () => {
    const changes = dataChanges(templates("switching-before", "dr"), templates("switching-primary-moved", "dr"));
    expect(changes.map((c) => [c.stack, c.type, c.impact])).toEqual([["Data", "AWS::RDS::DBInstance", "WILL_REPLACE"]]);
    const spec = serviceSpec().lookup("resource", "cloudFormationType", "equals", "AWS::RDS::DBInstance")[0]!;
    expect(changes[0]!.properties.map((p) => [p, spec.properties[p]?.causesReplacement])).toEqual([
      ["SourceDBInstanceIdentifier", "maybe"],
      ["SourceRegion", "yes"],
    ]);
  });

  it("drRegion (and primaryRegion): a region the stage leaves keeps its replica, table, buckets, keys and secret, no longer deployed", () => {
    const types = dataChanges(templates("switching-before", "dr"), {}).map((c) => c.type);
    expect(new Set(types)).toEqual(new Set(["AWS::RDS::DBInstance", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::KMS::Key"]));
    expect(new Set(dataChanges(templates("switching-before", "primary"), {}).map((c) => c.type))).toContain("AWS::SecretsManager::Secret");
  });
});

describe("an adopting stage's database (variant adopted)", () => {
  it("adopt.database.instanceIdentifier: the DR replica is replaced, for its create-only source", () => {
    // The DR templates with another team database named: what a synthesis of the changed setting gives (the name is used verbatim).
    const before = templates("adopted", "dr");
    const after = JSON.parse(JSON.stringify(before).replaceAll("shop-mysql-prod", "shop-mysql-new")) as typeof before;
    expect(JSON.stringify(after)).not.toEqual(JSON.stringify(before));
    const changes = dataChanges(before, after);
    // CloudFormation's schema: a change to SourceDBInstanceIdentifier may replace the replica (a replica of another database is another replica).
    expect(changes.map((c) => [c.stack, c.type, c.impact, c.properties])).toEqual([["Data", "AWS::RDS::DBInstance", "MAY_REPLACE", ["SourceDBInstanceIdentifier"]]]);
  });
});

describe("a synthesis that changes a setting deployed data depends on", () => {
  // The adopted variant's settings, with a zone and addresses that are not stacks/stages.ts's examples (refused first).
  const readopted: Stage.StageSettingsInput = {
    ...variant("adopted").settings,
    dns: { hostedZoneName: "shopcorp.net", hostedZoneId: "Z0123456789SHOP", recordName: "shop.shopcorp.net" },
    alertEmails: ["oncall@shopcorp.net"],
  };
  const dir = mkdtempSync(join(tmpdir(), "pl-deployed-"));
  const record = join(dir, "deployed-settings.json");
  beforeAll(() => {
    // As `pnpm deploy:all` would have recorded it, had `replaced` been deployed with DR in eu-north-1.
    writeFileSync(
      record,
      JSON.stringify({
        replaced: { primaryRegion: "eu-west-1", drRegion: "eu-north-1" },
        // An adopting stage, deployed on the team's database shop-mysql-prod; its settings now name another.
        readopted: Stage.pinnedSettings(Stage.resolveStageConfig("readopted", { readopted })),
      }),
    );
    process.env.PILOT_LIGHT_DEPLOYED_SETTINGS = record;
    stages.replaced = {};
    stages.readopted = { ...readopted, adopt: { ...readopted.adopt!, database: { ...readopted.adopt!.database, instanceIdentifier: "shop-mysql-new" } } };
  });
  afterAll(() => {
    delete process.env.PILOT_LIGHT_DEPLOYED_SETTINGS;
    delete stages.replaced;
    delete stages.readopted;
    rmSync(dir, { recursive: true, force: true });
  });

  it("is refused by sst.config.ts (what sst deploy runs), naming the setting and the data", async () => {
    await expect(synthesize("replaced", "eu-west-1")).rejects.toThrow(/drRegion: eu-north-1 as deployed, eu-central-1 now[\s\S]*the DR replica pilot-light-replaced-replica/);
  });

  it("is refused by sst.config.ts for an adopting stage's database, naming the DR replica it replaces", async () => {
    await expect(synthesize("readopted", "eu-west-1")).rejects.toThrow(
      /adopt\.database\.instanceIdentifier: shop-mysql-prod as deployed, shop-mysql-new now[\s\S]*the DR replica pilot-light-readopted-replica[\s\S]*--allow-replace adopt\.database\.instanceIdentifier/,
    );
  });

  it("is refused by pnpm synth, which writes nothing", async () => {
    const out = join(dir, "out");
    await expect(synthCommand(["--stage", "replaced", "--out", out], { out: () => undefined, err: () => undefined, isTTY: false })).rejects.toThrow(/--allow-replace drRegion/);
  });
});
