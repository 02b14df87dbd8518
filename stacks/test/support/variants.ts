/**
 * Every stage the stack tests read, synthesized once per test run by global-synth.ts. A variant
 * is a stage name, the settings it gets on top of stacks/stages.ts (test-only stages), and the
 * regions the tests need. Two variants may share a stage name with different settings: the
 * active-region test compares one stage's DR database before and after a failover.
 */
import type { Stage } from "@pilot-light/core";
import { shopPrimary } from "../../../packages/core/test/support/adopted";

export interface Variant {
  /** Key the tests ask for. */
  id: string;
  stage: string;
  /** Settings of a test-only stage (absent: the stage's own entry in stacks/stages.ts). */
  settings?: Stage.StageSettingsInput;
  regions: ("primary" | "dr")[];
}

const both: Variant["regions"] = ["primary", "dr"];

/** `switching-settings`: every setting that does not replace data, changed (see that variant). */
const switchingSettings = {
  activeRegion: "primary",
  primaryTaskCount: 4,
  drTaskCount: 3,
  drPilotTaskCount: 1,
  health: {
    schedule: "rate(1 minute)",
    failureThreshold: 4,
    probeTimeoutSeconds: 3,
    probesPerCheck: 5,
    probeDr: true,
    availabilityWindowMinutes: 30,
    minAvailabilityPercent: 40,
    notificationsPerHour: 4,
    failoverAttempts: 2,
  },
  alertEmails: ["oncall@example.com", "dba@example.com"],
  readinessSchedule: "rate(1 hour)",
  sizes: { dbInstanceClass: "db.r6g.large", dbAllocatedStorageGiB: 30, taskCpu: 512, taskMemoryMiB: 1024 },
  rpoBudgetSeconds: 300,
  rtoTargetSeconds: 900,
  isDevelopment: false,
  dns: { hostedZoneName: "example.com", hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com", ttlSeconds: 120 },
} satisfies Stage.StageSettingsInput;

export const variants: Variant[] = [
  { id: "dev", stage: "dev", regions: both },
  { id: "dnsdemo", stage: "dnsdemo", regions: both },
  { id: "prod", stage: "prod", regions: both },
  // After a failover, and after a re-protect (the templates are the same: docs/failback.md): DR active, DR at 3 tasks.
  { id: "failedover", stage: "failedover", settings: { activeRegion: "dr", drTaskCount: 3 }, regions: both },
  // One stage before and after `activeRegion` flips (a failover or re-protect; back after a switchback).
  { id: "switching-before", stage: "switching", settings: { activeRegion: "primary" }, regions: both },
  { id: "switching-after", stage: "switching", settings: { activeRegion: "dr" }, regions: both },
  // The same stage after plausible settings changes (docs/deploy.md): more tasks, a faster
  // health schedule, more alert addresses, a larger instance, a wider RPO budget, DNS added,
  // and every other setting that does not replace data changed too
  // (stacks/test/replacing-settings.test.ts holds every setting to that).
  {
    id: "switching-settings",
    stage: "switching",
    settings: switchingSettings,
    regions: both,
  },
  // Then its own application (docs/deploy.md, "Your own application"): switching-settings
  // plus a prebuilt image, container port, health path, environment, secrets and task size.
  {
    id: "switching-ownapp",
    stage: "switching",
    settings: {
      ...switchingSettings,
      sizes: { ...switchingSettings.sizes, taskCpu: 1024, taskMemoryMiB: 2048 },
      application: {
        image: { uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2" },
        containerPort: 8080,
        healthPath: "/healthz",
        environment: { APP_ENV: "production" },
        secrets: { STRIPE_KEY: { secretName: "shop/stripe", jsonKey: "key" } },
      },
    },
    regions: both,
  },
  // The same stage with another primary region: the DR region's replica names its source there.
  { id: "switching-primary-moved", stage: "switching", settings: { primaryRegion: "eu-west-2" }, regions: ["dr"] },
  // A stage's own detection settings.
  {
    id: "fastdetect",
    stage: "fastdetect",
    settings: {
      health: {
        schedule: "rate(1 minute)",
        failureThreshold: 2,
        probeTimeoutSeconds: 3,
        probesPerCheck: 5,
        probeDr: true,
        autoFailover: false,
        availabilityWindowMinutes: 30,
        minAvailabilityPercent: 40,
        notificationsPerHour: 4,
        failoverAttempts: 2,
      },
    },
    regions: ["dr"],
  },
  // A stage that adopts a team's existing primary (docs/adopt.md): both regions, with DNS, so the
  // primary region's copy of the orchestrator runs over the team's resources too.
  {
    id: "adopted",
    stage: "adopted",
    settings: {
      isDevelopment: false,
      dns: { hostedZoneName: "example.org", hostedZoneId: "Z0123456789SHOP", recordName: "shop.example.org" },
      alertEmails: ["oncall@example.org"],
      adopt: { ...shopPrimary, bucket: { ...shopPrimary.bucket, replicationRoleArn: "arn:aws:iam::123456789012:role/shop-s3-replication" } },
    },
    regions: both,
  },
  // Under the longest stage name allowed (21 characters, Stage.resolveStageConfig): every name the
  // stacks give is held to its AWS limit at that length (aws-schema.test.ts).
  { id: "monitordr", stage: "longest-stage-name-21", settings: { activeRegion: "dr" }, regions: ["dr"] },
  // docs/detection.md's faster profile on a stage that already failed over (DR serving).
  { id: "opsfast", stage: "opsfast", settings: { health: { schedule: "rate(1 minute)", failureThreshold: 4 }, activeRegion: "dr" }, regions: ["dr"] },
];

export function variant(id: string): Variant {
  const v = variants.find((x) => x.id === id);
  if (!v) throw new Error(`no synthesized variant "${id}"; add it to stacks/test/support/variants.ts (have: ${variants.map((x) => x.id).join(", ")})`);
  return v;
}
