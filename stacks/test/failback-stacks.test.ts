/**
 * The failback in the synthesized app: the state machine (structure, asl-validator, equality with
 * what the local executions run, no delete anywhere in its IAM), the DB probe in both regions,
 * and the deploy story: what each region's templates say before a failover and once the DR
 * region is active (after a failover or a re-protect), so that a deploy leaves what re-protect
 * built as it is.
 */
import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failbackWorld, installApis, lambdaContext, updateEcsServices, type FailbackIds, type WorldState } from "@pilot-light/world";
import { extractAsl } from "../../packages/tools/src/asl";
import { allStates, type AslDefinition, type AslState } from "../../packages/world/src/execute";
import { handler as deployCount } from "../../packages/functions/src/deploy-count";
import { standaloneFailbackTemplate } from "../failback/standalone";
import { standaloneFailoverTemplate } from "../failover/standalone";
import { failbackStepNames } from "../failback/steps";
import { transientErrors } from "../failover/steps";
import { deployCountOf, ssmParameterRef, synthRegion, synthStage } from "./support/synth";

const validate = createRequire(import.meta.url)("asl-validator") as (definition: unknown) => { isValid: boolean; errors: unknown[] };

function machine(variant: string): AslDefinition {
  const [sm] = extractAsl(synthRegion(variant, "dr").templates.Failback!.toJSON());
  if (!sm) throw new Error("no state machine in the Failback stack");
  return sm.definition as AslDefinition;
}

describe("failback state machine in the app", () => {
  const definition = () => machine("dnsdemo");
  const tasks = () => allStates(definition()).filter(([, s]) => s.Type === "Task") as [string, AslState][];

  it("has a Task for every failback step, each with a timeout, named transient retries and a Catch", () => {
    expect(tasks().map(([n]) => n).sort()).toEqual([...failbackStepNames].sort());
    for (const [name, s] of tasks()) {
      expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
      const retry = (s.Retry ?? []) as { ErrorEquals: string[]; JitterStrategy?: string }[];
      expect(retry.some((r) => transientErrors.every((e) => r.ErrorEquals.includes(e)) && r.JitterStrategy === "FULL"), name).toBe(true);
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain("States.ALL");
      expect(((s.Catch ?? []) as unknown[]).length, `${name} has no Catch`).toBeGreaterThan(0);
    }
  });

  it("gives RestoreServing a rename wait with no jitter that outlasts two renames (the seal's, then the one back)", () => {
    const retry = (Object.fromEntries(allStates(definition())).RestoreServing?.Retry ?? []) as { ErrorEquals: string[]; IntervalSeconds: number; MaxAttempts: number; JitterStrategy?: string }[];
    const rename = retry.find((r) => r.ErrorEquals.includes("RenameInProgressError"));
    expect(rename?.JitterStrategy ?? "NONE").toBe("NONE");
    // RDS: "not available" for about 10 minutes after a rename (docs/aws-behaviour.md, "Renaming an instance").
    expect((rename?.IntervalSeconds ?? 0) * (rename?.MaxAttempts ?? 0)).toBeGreaterThanOrEqual(2 * 600 * 1.5);
  });

  it("gives ReconcileStandbyDatabase an outage wait on failed or hung calls, no jitter, about an hour, before its Catch", () => {
    const retry = (Object.fromEntries(allStates(definition())).ReconcileStandbyDatabase?.Retry ?? []) as { ErrorEquals: string[]; IntervalSeconds: number; MaxAttempts: number; BackoffRate: number; MaxDelaySeconds: number; JitterStrategy?: string }[];
    const outage = retry[0];
    expect(outage?.ErrorEquals).toEqual(["AwsTransientError", "Lambda.Unknown", "States.Timeout"]);
    expect(outage?.JitterStrategy ?? "NONE").toBe("NONE");
    const pauses = Array.from({ length: outage?.MaxAttempts ?? 0 }, (_, i) => Math.min((outage?.IntervalSeconds ?? 0) * (outage?.BackoffRate ?? 1) ** i, outage?.MaxDelaySeconds ?? 0));
    expect(pauses.reduce((a, b) => a + b, 0)).toBe(3300);
  });

  it("asks every step from the promote call to the end, and every compensation step, again when its answer was lost (a Lambda timeout, an outage of the machine's own region): Lambda.Unknown and States.Timeout, twice", () => {
    const states = Object.fromEntries(allStates(definition()));
    const compensation = ["AssessFailbackFailure", "RestoreServing", "RecordFailbackFailure", "NotifyFailbackFailed"];
    for (const step of ["PromoteStandby", "CheckStandbyPromotion", "VerifyNewPrimary", "RestoreDns", "CheckDnsRestore", "SetStandbyPilotLight", "ReverseReplication", "RecordFailback", "NotifyFailbackSucceeded", ...compensation]) {
      const retry = (states[step]?.Retry ?? []) as { ErrorEquals: string[]; MaxAttempts: number }[];
      expect(retry.find((r) => r.ErrorEquals.includes("Lambda.Unknown")), step).toMatchObject({ ErrorEquals: ["Lambda.Unknown", "States.Timeout"], MaxAttempts: 2 });
    }
    // VerifyNewPrimary keeps its wait for a primary that is not healthy yet, first.
    expect(((states.VerifyNewPrimary?.Retry ?? []) as { ErrorEquals: string[] }[])[0]?.ErrorEquals).toEqual(["NewPrimaryUnhealthyError"]);
  });

  it("is accepted by asl-validator and equals the definition the local executions run", () => {
    const result = validate(structuredClone(definition()));
    expect(result.errors).toEqual([]);
    const [standalone] = extractAsl(standaloneFailbackTemplate().toJSON());
    const strip = (d: unknown) => JSON.parse(JSON.stringify(d).replace(/"Resource":"[^"]*"/g, '"Resource":"fn"').replace(/"QueryLanguage":"JSONPath",?/g, "").replace(/,}/g, "}")) as unknown;
    const body = (d: AslDefinition | undefined) => strip({ StartAt: d?.StartAt, States: d?.States, TimeoutSeconds: d?.TimeoutSeconds });
    expect(body(standalone?.definition as AslDefinition)).toEqual(body(definition()));
  });

  it("looks again while a promote call may still show its effect: AssessFailbackFailure → settled? → a wait → AssessFailbackFailure, capped into AssumeSwitchedOver", () => {
    const states = Object.fromEntries(allStates(definition())) as Record<string, AslState & { Choices?: { Next: string; Variable?: string; NumericGreaterThanEquals?: number }[]; Default?: string; Seconds?: number }>;
    expect(states.AssessFailbackFailure?.Next).toBe("IsFailbackAssessmentSettled");
    const choice = states.IsFailbackAssessmentSettled!;
    expect(choice.Choices?.map((c) => c.Next)).toEqual(["RollBackOrNot", "AssumeSwitchedOver"]);
    expect(choice.Choices?.[1]).toMatchObject({ Variable: "$.assessment.attempts", NumericGreaterThanEquals: 12 });
    expect(choice.Default).toBe("WaitForStandbyPromotionEvidence");
    expect(states.WaitForStandbyPromotionEvidence).toMatchObject({ Type: "Wait", Seconds: 15, Next: "AssessFailbackFailure" });
  });

  it("promotes and points DNS with the failover's loops (the planned failover the other way): ask again when RDS showed no sign of a call, look from nextLookAt, the same caps", () => {
    type Look = AslState & { Choices?: { Next: string; Variable?: string; BooleanEquals?: boolean; NumericGreaterThanEquals?: number }[]; Default?: string; TimestampPath?: string };
    const states = Object.fromEntries(allStates(definition())) as Record<string, Look>;
    const [failover] = extractAsl(standaloneFailoverTemplate().toJSON());
    const failoverStates = Object.fromEntries(allStates(failover!.definition as AslDefinition)) as Record<string, Look>;
    const loop = (choice: Look, promote: string) => ({
      requestAgain: choice.Choices?.find((c) => c.Variable === "$.promotion.requestAgain")?.Next === promote,
      cap: choice.Choices?.find((c) => c.Variable === "$.promotion.attempts")?.NumericGreaterThanEquals,
    });
    expect(loop(states.IsStandbyPromotionDone!, "PromoteStandby")).toEqual(loop(failoverStates.NextPromotionStep!, "PromoteReplica"));
    expect(loop(states.IsStandbyPromotionDone!, "PromoteStandby").requestAgain).toBe(true);
    expect(states.WaitForStandbyPromotion).toMatchObject({ Type: "Wait", TimestampPath: "$.promotion.nextLookAt", Next: "CheckStandbyPromotion" });
    expect(states.WaitForDnsRestore).toMatchObject({ Type: "Wait", TimestampPath: failoverStates.WaitForDns!.TimestampPath, Next: "CheckDnsRestore" });
    const dnsCap = (choice: Look) => choice.Choices?.find((c) => c.Variable === "$.dns.attempts")?.NumericGreaterThanEquals;
    expect(dnsCap(states.IsDnsRestoreDone!)).toBe(dnsCap(failoverStates.IsDnsInSync!));
  });

  it("can delete no database, bucket or secret: no step has a Delete* action but the bucket replication rule's", () => {
    const policies = JSON.stringify(synthRegion("dnsdemo", "dr").templates.Failback!.findResources("AWS::IAM::Policy"));
    expect(policies).not.toMatch(/rds:Delete|secretsmanager:Delete|s3:DeleteBucket"|s3:DeleteObject/);
  });

  it("takes the primary's health check id (to restore the PRIMARY record) from SSM, not a Dns export", () => {
    const failback = synthRegion("dnsdemo", "dr").templates.Failback!;
    expect(JSON.stringify(failback.toJSON())).not.toMatch(/-Dns:Exports/);
    const env = Object.values(failback.findResources("AWS::Lambda::Function")).map((f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables ?? {});
    const ids = env.map((v) => v.PRIMARY_HEALTH_CHECK_ID).filter((v) => v !== undefined);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids.map((v) => JSON.stringify(v)))).toEqual(new Set([JSON.stringify(ssmParameterRef(failback, "/pilot-light/dnsdemo/dr/primary-health-check-id"))]));
  });

  it("tells people of a failback run that ends badly outside its compensation (an EventBridge rule to ExecutionEnded)", () => {
    const rules = synthRegion("dnsdemo", "dr").templates.Failback!.findResources("AWS::Events::Rule");
    expect(Object.values(rules).map((r) => (r as { Properties: { EventPattern: { detail: { status: string[] } } } }).Properties.EventPattern.detail.status)).toEqual([["FAILED", "TIMED_OUT", "ABORTED"]]);
  });
});

describe("the database position probe", () => {
  it.each(["primary", "dr"] as const)("runs in the %s region's VPC with the tasks' security group, under the name the DR steps invoke", (role) => {
    const probe = synthRegion("dev", role).templates.Probe!;
    const fns = Object.values(probe.findResources("AWS::Lambda::Function")).map((f) => (f as { Properties: { FunctionName?: string; VpcConfig?: unknown } }).Properties);
    const own = fns.find((f) => f.FunctionName === "pilot-light-dev-db-probe");
    expect(own?.VpcConfig).toBeDefined();
  });

  it("alarms on the primary-named database's replica lag in the primary region (it is a replica after a re-protect)", () => {
    const alarms = synthRegion("dev", "primary").templates.Probe!.findResources("AWS::CloudWatch::Alarm");
    expect(JSON.stringify(alarms)).toContain('"Value":"pilot-light-dev-primary"');
  });
});

describe("the deploy story: templates per state", () => {
  // One stage, "switching": before (the original topology, and after a switchback) and after (DR active: after a failover or a re-protect).
  const dbs = (variant: string, role: "primary" | "dr") => synthRegion(variant, role).templates.Data!.findResources("AWS::RDS::DBInstance");
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll("failedover", "STAGE").replaceAll("dev", "STAGE")) as unknown;

  it.each(["primary", "dr"] as const)("defines the %s region's database the same whichever region is active, so CloudFormation leaves the instance under that name alone", (role) => {
    expect(dbs("switching-after", role)).toEqual(dbs("switching-before", role));
  });

  it.each(["primary", "dr"] as const)("names the %s region's database (CloudFormation refuses an update that would replace a named instance)", (role) => {
    for (const db of Object.values(dbs("dev", role))) expect((db as { Properties: { DBInstanceIdentifier?: string } }).Properties.DBInstanceIdentifier).toMatch(/^pilot-light-dev-(primary|replica)$/);
  });

  it("gives the DR bucket no replication configuration in any state: the reverse rule is the workflow's, and no template removes it", () => {
    for (const variant of ["dev", "failedover"]) {
      const buckets = Object.values(synthRegion(variant, "dr").templates.Storage!.findResources("AWS::S3::Bucket")) as { Properties: { ReplicationConfiguration?: unknown } }[];
      expect(buckets.every((b) => b.Properties.ReplicationConfiguration === undefined)).toBe(true);
    }
  });

  it("keeps the primary bucket's own rule to the DR bucket in every state", () => {
    const rule = (variant: string) => strip(Object.values(synthRegion(variant, "primary").templates.Storage!.findResources("AWS::S3::Bucket")).map((b) => (b as { Properties: { ReplicationConfiguration?: { Rules: unknown } } }).Properties.ReplicationConfiguration?.Rules).filter(Boolean));
    expect(rule("switching-after")).toEqual(rule("switching-before"));
  });

  it("asks for the pilot light in the primary region and the full count in DR once DR is active", () => {
    const { primary, dr } = synthStage("failedover");
    expect(deployCountOf(primary.Compute!)).toMatchObject({ Role: "primary", Configured: 0 });
    expect(deployCountOf(dr.Compute!)).toMatchObject({ Role: "dr", Configured: 3 });
  });
});

describe("a deploy after a re-protect", () => {
  let world: WorldState;
  let ids: FailbackIds;
  let restore: () => void;
  beforeEach(() => {
    ({ world, ids } = failbackWorld({ prefix: "pilot-light-failedover" }));
    restore = installApis(world);
  });
  afterEach(() => restore());

  it("leaves the primary region's service at its pilot light and DR serving", async () => {
    const svc = (region: string) => [...world.services.values()].find((s) => s.region === region)!;
    world.setDesired(svc(ids.primaryRegion), 0);
    world.setDesired(svc(ids.drRegion), 3);
    const handlers = { "Custom::DesiredCount": (event: Parameters<typeof deployCount>[0]) => deployCount(event, lambdaContext("DeployCount")) as Promise<{ Data?: Record<string, unknown> }> };
    await updateEcsServices(synthRegion("failedover", "primary").templates.Compute!.toJSON(), ids.primaryRegion, handlers);
    await updateEcsServices(synthRegion("failedover", "dr").templates.Compute!.toJSON(), ids.drRegion, handlers);
    expect(svc(ids.primaryRegion).desired).toBe(0);
    expect(svc(ids.drRegion).desired).toBe(3);
  });
});
