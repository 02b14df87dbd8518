import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Errors, Readiness } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "./support/dynalite";

const env = {
  APP: "pilot-light",
  STAGE: "prod",
  PRIMARY_REGION: "eu-west-1",
  DR_REGION: "eu-central-1",
  HAS_DNS: "true",
  DR_TASK_COUNT: "3",
  TASK_CPU: "512",
  TABLE_NAME: "pilot-light-prod-state",
  ACCOUNT: "123456789012",
  HOSTED_ZONE_ID: "Z0123456789ABCDEFGHIJ",
  RECORD_NAME: "app.example.com",
  HEALTH_PATH: "/health.php",
};

describe("the scheduled evaluation's settings", () => {
  it("reads the stage's target from the environment the Operations stack sets", () => {
    expect(Readiness.readEvaluationSettings({ ...env, IMAGE_URI: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2" })).toEqual({
      target: { app: "pilot-light", stage: "prod", primaryRegion: "eu-west-1", drRegion: "eu-central-1", hasDns: true, drTaskCount: 3, taskCpu: 512, image: { account: "123456789012", region: "eu-west-1", repository: "shop/web" }, record: { hostedZoneId: "Z0123456789ABCDEFGHIJ", recordName: "app.example.com" }, health: { path: "/health.php", urls: {} } },
      permissions: { app: "pilot-light", stage: "prod", primaryRegion: "eu-west-1", drRegion: "eu-central-1", dns: { hostedZoneId: "Z0123456789ABCDEFGHIJ", recordName: "app.example.com" } },
      partition: "aws",
      tableName: "pilot-light-prod-state",
      account: "123456789012",
    });
  });

  it("reads each region's health URL (the health contract's), and refuses one that is not a URL", () => {
    const urls = { "eu-west-1": "https://eu-west-1.app.example.com/health.php", "eu-central-1": "https://eu-central-1.app.example.com/health.php" };
    expect(Readiness.readEvaluationSettings({ ...env, HEALTH_URLS: JSON.stringify(urls) }).target.health).toEqual({ path: "/health.php", urls });
    expect(() => Readiness.readEvaluationSettings({ ...env, HEALTH_URLS: JSON.stringify({ "eu-west-1": "eu-west-1.app.example.com" }) })).toThrow(/HEALTH_URLS: eu-west-1: Invalid URL/);
  });

  it("an adopting stage: the team's secret and service come from its adopted names, for the secret-replica and mirror checks", () => {
    const adopted = { primaryDb: "shop-mysql-prod", primaryParameterGroup: "shop-mysql", primaryCluster: "shop-prod", primaryService: "storefront", secretName: "shop/prod/db", bucket: "shop-prod-uploads" };
    const settings = Readiness.readEvaluationSettings({ ...env, PRIMARY_DB: "shop-mysql-prod", ADOPTED_NAMES: JSON.stringify(adopted) });
    expect(settings.target).toMatchObject({ primaryDb: "shop-mysql-prod", secretName: "shop/prod/db", teamService: { cluster: "shop-prod", service: "storefront" } });
    expect(settings.permissions.adopted).toEqual(adopted);
  });

  it("refuses DNS settings without a zone and record, and a zone on a stage without DNS", () => {
    const { HOSTED_ZONE_ID: _z, ...noZone } = env;
    expect(() => Readiness.readEvaluationSettings(noZone)).toThrow(/HOSTED_ZONE_ID and RECORD_NAME are set exactly when HAS_DNS is true/);
    expect(() => Readiness.readEvaluationSettings({ ...env, HAS_DNS: "false" })).toThrow(/HOSTED_ZONE_ID and RECORD_NAME/);
  });

  it("fails fast naming what is missing or wrong", () => {
    const { TABLE_NAME: _t, ...missing } = env;
    expect(() => Readiness.readEvaluationSettings(missing)).toThrow(Errors.ConfigurationError);
    expect(() => Readiness.readEvaluationSettings(missing)).toThrow(/TABLE_NAME/);
    expect(() => Readiness.readEvaluationSettings({ ...env, IMAGE_URI: "docker.io/library/php:8" })).toThrow(/IMAGE_URI docker.io\/library\/php:8 is not an ECR image URI/);
  });
});

describe("the last evaluation in the state table (dynalite)", () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => db.stop());

  const evaluation = (checkedAt: string, failing: boolean): Readiness.Evaluation => ({
    stage: "prod",
    checkedAt,
    ready: !failing,
    findings: [
      { check: "replica", ok: true, detail: "available" },
      ...(failing ? [{ check: "dr-quota" as const, ok: false, detail: "quota 1 < 2 vCPU", action: "aws service-quotas request-service-quota-increase ..." }] : []),
    ],
  });

  it("is none before the first evaluation", async () => {
    expect(await Readiness.loadEvaluation(db.doc, await db.createStateTable())).toBeNull();
  });

  it("keeps the time, the verdict and only the failing findings, each with what to do; the next evaluation replaces it", async () => {
    const table = await db.createStateTable();
    await Readiness.recordEvaluation(db.doc, table, evaluation("2026-12-07T10:00:00.000Z", true));
    expect(await Readiness.loadEvaluation(db.doc, table)).toEqual({
      checkedAt: "2026-12-07T10:00:00.000Z",
      ready: false,
      checks: 2,
      failing: [{ check: "dr-quota", ok: false, detail: "quota 1 < 2 vCPU", action: "aws service-quotas request-service-quota-increase ..." }],
    });
    await Readiness.recordEvaluation(db.doc, table, evaluation("2026-12-07T10:30:00.000Z", false));
    expect(await Readiness.loadEvaluation(db.doc, table)).toEqual({ checkedAt: "2026-12-07T10:30:00.000Z", ready: true, checks: 1, failing: [] });
  });
});
