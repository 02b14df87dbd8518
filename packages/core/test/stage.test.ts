import { describe, expect, it } from "vitest";
import { Errors, Stage } from "@pilot-light/core";

const resolve = (settings: Stage.StageSettingsInput) => Stage.resolveStageConfig("test", { test: settings });

describe("stage configuration", () => {
  it("gives a stage without settings the documented defaults", () => {
    const c = Stage.resolveStageConfig("alice", {});
    expect(c).toMatchObject({
      stage: "alice",
      primaryRegion: "eu-west-1",
      drRegion: "eu-central-1",
      primaryCidr: "10.0.0.0/16",
      drCidr: "10.1.0.0/16",
      rpoBudgetSeconds: 60,
      primaryTaskCount: 2,
      drTaskCount: 2,
      drPilotTaskCount: 0,
      activeRegion: "primary",
      // No DNS, so no automatic failover: it would move no user.
      health: {
        schedule: "rate(5 minutes)",
        failureThreshold: 3,
        probeTimeoutSeconds: 5,
        autoFailover: false,
        availabilityWindowMinutes: 60,
        minAvailabilityPercent: 50,
        notificationsPerHour: 2,
        failoverAttempts: 4,
      },
    });
    expect(c.dns).toBeUndefined();
  });

  it("fails over automatically by default once the stage has DNS", () => {
    expect(resolve({ dns: { hostedZoneName: "example.com", hostedZoneId: "Z1", recordName: "a.example.com" } }).health.autoFailover).toBe(true);
  });

  it("refuses health.autoFailover on a stage without DNS, saying why and what to do", () => {
    expect(() => resolve({ health: { autoFailover: true } })).toThrow(/health.autoFailover: needs dns: without Route 53 records an automatic failover .* set health.autoFailover to false/);
  });

  it.each([
    [{ primaryCidr: "11.0.0.0/16" }, /primaryCidr: must be private address space/],
    [{ drCidr: "10.0.0.0/16" }, /drCidr: must not overlap primaryCidr/],
    [{ drRegion: "eu-west-1" }, /drRegion: must differ from primaryRegion/],
    [{ primaryRegion: "Ireland" }, /primaryRegion: must be an AWS region name/],
    [{ health: { schedule: "rate(30 seconds)" } }, /health.schedule: must be rate/],
    [{ health: { schedule: "rate(0 minutes)" } }, /health.schedule: must be at least 1 minute apart/],
    [{ health: { failureThreshold: 0 } }, /health.failureThreshold/],
    [{ health: { availabilityWindowMinutes: 15 } }, /health.availabilityWindowMinutes: must span more than failureThreshold scheduled checks/],
    [{ health: { schedule: "rate(1 hour)" } }, /health.availabilityWindowMinutes: must span more than failureThreshold/],
    [{ health: { minAvailabilityPercent: 100 } }, /health.minAvailabilityPercent/],
    [{ health: { notificationsPerHour: 0 } }, /health.notificationsPerHour/],
    [{ health: { failoverAttempts: 11 } }, /health.failoverAttempts/],
    [{ alertEmails: ["not-an-address"] }, /alertEmails.0: must be an e-mail address/],
    [{ drTaskCount: 1, drPilotTaskCount: 1 }, /drPilotTaskCount: must be below drTaskCount/],
    [{ dns: { hostedZoneName: "example.com", hostedZoneId: "bad", recordName: "a.example.com" } }, /dns.hostedZoneId/],
    [{ unknownSetting: true } as Stage.StageSettingsInput, /Unrecognized key/],
  ])("rejects %j naming the field and the rule", (settings, message) => {
    expect(() => resolve(settings)).toThrow(Errors.ValidationError);
    expect(() => resolve(settings)).toThrow(message);
  });

  describe("a schedule and threshold that an in-region Multi-AZ failover (60-120 s) could trip", () => {
    const dns = { hostedZoneName: "example.com", hostedZoneId: "Z1", recordName: "a.example.com" };
    it.each([
      ["rate(1 minute), 3 strikes", { schedule: "rate(1 minute)", failureThreshold: 3 }],
      ["rate(2 minutes), 2 strikes", { schedule: "rate(2 minutes)", failureThreshold: 2 }],
      ["cron every minute, 2 strikes", { schedule: "cron(* * * * ? *)", failureThreshold: 2 }],
      ["any schedule, 1 strike", { schedule: "rate(10 minutes)", failureThreshold: 1 }],
    ])("is refused at synth with automatic failover (%s)", (_what, health) => {
      expect(() => resolve({ dns, health })).toThrow(/health.failureThreshold: with automatic failover, failureThreshold - 1 schedule intervals must outlast an in-region Multi-AZ failover/);
      expect(() => resolve({ dns, health: { ...health, autoFailover: true } })).toThrow(Errors.ValidationError);
    });

    it.each([
      ["rate(1 minute), 4 strikes (docs/detection.md's fast profile)", { schedule: "rate(1 minute)", failureThreshold: 4 }],
      ["rate(5 minutes), 2 strikes", { schedule: "rate(5 minutes)", failureThreshold: 2 }],
      ["the default", {}],
    ])("is accepted when it outlasts one (%s)", (_what, health) => {
      expect(resolve({ dns, health }).health.autoFailover).toBe(true);
    });

    it("is accepted when the monitor only recommends (autoFailover false)", () => {
      expect(resolve({ dns, health: { schedule: "rate(1 minute)", failureThreshold: 2, autoFailover: false } }).health.failureThreshold).toBe(2);
    });
  });

  it("accepts an hourly schedule with the availability rule off, or with a window long enough for it", () => {
    expect(resolve({ health: { schedule: "rate(1 hour)", minAvailabilityPercent: 0 } }).health.schedule).toBe("rate(1 hour)");
    expect(resolve({ health: { schedule: "rate(1 hour)", availabilityWindowMinutes: 240 } }).health.availabilityWindowMinutes).toBe(240);
  });

  it("rejects a stage name that cannot prefix AWS resource names", () => {
    expect(() => Stage.resolveStageConfig("Bad_Stage", {})).toThrow(/name must be/);
  });

  it.each([
    ["rate(1 minute)", 1],
    ["rate(5 minutes)", 5],
    ["rate(2 hours)", 120],
    ["cron(0/1 * * * ? *)", 1],
    ["rate(1 minutes)", undefined],
    ["every 5 minutes", undefined],
  ])("reads %s as %s minutes", (schedule, minutes) => {
    expect(Stage.scheduleMinutes(schedule)).toBe(minutes);
  });
});
