/**
 * The failover state machine as synthesized in the app's DR region: structure (every Task has
 * a timeout, named Retry with full jitter and a Catch; the Parallel holds promote and scale;
 * every polling loop has a cap), asl-validator, equality with the definition the local
 * executions run, and least-privilege IAM for each step Lambda.
 */
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extractAsl, writeAsl } from "../../packages/tools/src/asl";
import { allStates, type AslDefinition, type AslState } from "../../packages/world/src/execute";
import { standaloneFailoverTemplate } from "../failover/standalone";
import { stepAliases, stepNames, transientErrors } from "../failover/steps";
import { synthRegion } from "./support/synth";
import { stageConfig, stages } from "../stages";
import { Failover } from "@pilot-light/core";

const validate = createRequire(import.meta.url)("asl-validator") as (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errors: unknown[] };

let template: Template;
let nagErrors: string[];
let definition: AslDefinition;
let states: Map<string, AslState>;

beforeAll(() => {
  const synth = synthRegion("dnsdemo", "dr");
  template = synth.templates.Failover!;
  nagErrors = synth.nagErrors.Failover!;
  const [sm] = extractAsl(template.toJSON());
  if (!sm) throw new Error("no state machine in the Failover stack");
  definition = sm.definition as AslDefinition;
  states = new Map(allStates(definition));
}, 300_000);

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  JitterStrategy?: string;
  MaxDelaySeconds?: number;
  BackoffRate?: number;
}
const tasks = () => [...states].filter(([, s]) => s.Type === "Task");

describe("failover state machine structure", () => {
  it("has a Task for every step and no other (compensation runs SwitchDns's and FencePrimary's Lambdas again under their own names)", () => {
    expect(tasks().map(([n]) => n).sort()).toEqual([...stepNames, ...Object.values(stepAliases).map((a) => a.state)].sort());
    const lambdaOf = (state: string) => JSON.stringify((states.get(state)?.Parameters as Record<string, unknown>)?.FunctionName ?? states.get(state)?.Resource);
    for (const { state, step } of Object.values(stepAliases)) expect(lambdaOf(state), state).toBe(lambdaOf(step));
  });

  it("pins DNS and fences the old primary in compensation once a promotion started (or may have), before recording the failure", () => {
    const rules = (states.get("RollBackOrEscalate")?.Choices ?? []) as { Variable: string; Next: string }[];
    expect(rules[0]).toMatchObject({ Variable: "$.assessment.promotionStarted", Next: "KeepUsersOffOldPrimary" });
    expect(states.get("PinDnsAfterFailure")?.Next).toBe("FenceAfterFailure");
    expect(states.get("FenceAfterFailure")?.Next).toBe("RecordFailure");
    expect(((states.get("FenceAfterFailure")?.Catch ?? []) as { Next: string }[]).map((c) => c.Next)).toEqual(["RecordFailure"]);
  });

  it("gives every Task a timeout", () => {
    for (const [name, s] of tasks()) expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
  });

  it("retries every Task on named transient errors with backoff and full jitter, never on States.ALL", () => {
    for (const [name, s] of tasks()) {
      const retry = (s.Retry ?? []) as Retrier[];
      const transient = retry.find((r) => r.ErrorEquals.includes("AwsTransientError"));
      expect(transient?.ErrorEquals, name).toEqual(transientErrors);
      for (const r of retry) {
        expect(r.ErrorEquals, name).not.toContain("States.ALL");
        expect(r.JitterStrategy, name).toBe("FULL");
        expect(r.BackoffRate, name).toBeGreaterThan(1);
        expect(r.MaxDelaySeconds, name).toBeGreaterThan(0);
      }
    }
  });

  it("catches every Task's errors", () => {
    for (const [name, s] of tasks()) expect((s.Catch as unknown[] | undefined)?.length, name).toBeGreaterThan(0);
  });

  it("keeps the input on every Task (results go under their own key)", () => {
    for (const [name, s] of tasks()) expect(String(s.ResultPath), name).toMatch(/^\$\.[a-zA-Z]+$/);
  });

  it("sends Preflight, the Parallel, VerifyDrHealth and EndDrill failures into compensation", () => {
    for (const name of ["Preflight", "PromoteAndScale", "VerifyDrHealth", "EndDrill"]) {
      const c = (states.get(name)?.Catch ?? []) as { Next: string }[];
      expect(c.map((x) => x.Next), name).toEqual([`${name}Failed`]);
      expect(states.get(`${name}Failed`)?.Next, name).toBe("CompensateOrStop");
    }
    expect(states.get("CompensateOrStop")?.Default).toBe("AssessFailure");
  });

  it("waits out a replica that is not ready (ReplicaNotReadyError: backing-up, ...) at Preflight and PromoteReplica, up to a cap", () => {
    for (const name of ["Preflight", "PromoteReplica"]) {
      const retry = ((states.get(name)?.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes("ReplicaNotReadyError"));
      expect(retry, name).toEqual({ ErrorEquals: ["ReplicaNotReadyError"], IntervalSeconds: 30, MaxAttempts: 20, BackoffRate: 1.5, MaxDelaySeconds: 120, JitterStrategy: "FULL" });
    }
  });

  it("promotes the DR secret once DR serves, on every cut-over path; its failure never stops the failover", () => {
    expect(states.get("DrillOrCutOver")?.Default).toBe("PromoteSecret");
    expect(states.get("PromoteSecret")?.Next).toBe("RecordOutcome");
    expect(((states.get("PromoteSecret")?.Catch ?? []) as { Next: string; ResultPath: string }[]).map((c) => [c.Next, c.ResultPath])).toEqual([["RecordOutcome", "$.secret"]]);
  });

  it("pins DNS and fences the old primary inside the promotion branch, after the promote call and before waiting for it to complete", () => {
    const branch = new Map(Object.entries((states.get("PromoteAndScale")?.Branches ?? [])[0]?.States ?? {})) as Map<string, AslState>;
    expect(branch.get("PromoteReplica")?.Next).toBe("NextPromotionStep");
    expect(branch.get("CheckPromotion")?.Next).toBe("NextPromotionStep");
    const rules = (branch.get("NextPromotionStep")?.Choices ?? []) as { Next: string }[];
    // Once writable: pin and fence only if never done, then the branch ends; before: pin, then fence until fenced, then wait.
    expect(rules.map((r) => r.Next)).toEqual(["SwitchDns", "FenceOnceWritable", "ReplicaWritable", "PromotionTimedOut", "PromoteReplica", "SwitchDns", "FencePrimary"]);
    expect(branch.get("FenceOnceWritable")?.Next).toBe("ReplicaWritable");
    expect(branch.get("NextPromotionStep")?.Default).toBe("WaitForPromotion");
    expect(branch.get("SwitchDns")?.Next).toBe("NextPromotionStep");
    expect(branch.get("FencePrimary")?.Next).toBe("WaitForPromotion");
    expect(((branch.get("FencePrimary")?.Catch ?? []) as { Next: string; ResultPath: string }[]).map((c) => [c.Next, c.ResultPath])).toEqual([["WaitForPromotion", "$.fenceError"]]);
    // The wait runs until the next look is due, so the fence's time is taken out of it, not added to it.
    expect(branch.get("WaitForPromotion")).toMatchObject({ TimestampPath: "$.promotion.nextLookAt", Next: "CheckPromotion" });
    // A SwitchDns Lambda that timed out after its pin applied is asked again: it reads the record.
    expect(((branch.get("SwitchDns")?.Retry ?? []) as Retrier[]).some((r) => r.ErrorEquals.includes("Lambda.Unknown"))).toBe(true);
    expect((states.get("PromoteAndScale")?.ResultSelector as Record<string, string>)["dns.$"]).toBe("$[0].dns");
    expect(states.get("KeepDns")?.InputPath).toBe("$.recovery.dns");
    expect(states.get("KeepFence")?.InputPath).toBe("$.recovery.fence");
  });

  it("gives the steps the stage's backup retention and a ReplicaLag lookback that covers detection and the not-ready wait", () => {
    const env = (step: string) => {
      const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> }; Description?: string } }>;
      return Object.values(resources).find((r) => r.Type === "AWS::Lambda::Function" && r.Properties.Description?.endsWith(`step ${step}`))?.Properties.Environment?.Variables ?? {};
    };
    expect(env("PromoteReplica").BACKUP_RETENTION_DAYS).toBe("7");
    // (3 strikes + 1) x 5 min + 36 min of not-ready retries + 5 min.
    expect(env("Preflight").LAG_LOOKBACK_SECONDS).toBe("3664");
  });

  it("runs PromoteReplica and ScaleDrService in the two branches of one Parallel", () => {
    const parallel = states.get("PromoteAndScale");
    expect(parallel?.Type).toBe("Parallel");
    const branches = (parallel?.Branches ?? []).map((b) => Object.keys(b.States));
    expect(branches).toHaveLength(2);
    expect(branches[0]).toContain("PromoteReplica");
    expect(branches[1]).toContain("ScaleDrService");
  });

  it("tries a failed scale step again in a failover (RetryServing tells and plans the pause, bounded), and gives up at once in a drill", () => {
    for (const step of ["ScaleDrService", "CheckDrService"]) {
      expect(((states.get(step)?.Catch ?? []) as { Next: string; ResultPath: string }[]).map((c) => [c.Next, c.ResultPath]), step).toEqual([[`${step}Refused`, "$.error"]]);
      expect(states.get(`${step}Refused`)?.Next, step).toBe("RetryServingOrFail");
    }
    const modes = (states.get("RetryServingOrFail")?.Choices ?? []) as { Variable: string; StringEquals?: string; Next: string }[];
    expect(modes).toEqual([expect.objectContaining({ Variable: "$.run.mode", StringEquals: "failover", Next: "RetryServing" })]);
    expect(states.get("RetryServingOrFail")?.Default).toBe("ServingFailed");
    expect(states.get("RetryServing")?.Next).toBe("KeepTryingToServe");
    expect(((states.get("KeepTryingToServe")?.Choices ?? []) as { Variable: string; Next: string }[]).map((c) => [c.Variable, c.Next])).toEqual([["$.serving.exhausted", "ServingFailed"]]);
    expect(states.get("KeepTryingToServe")?.Default).toBe("WaitToServeAgain");
    expect(states.get("WaitToServeAgain")).toMatchObject({ SecondsPath: "$.serving.waitSeconds", Next: "ScaleDrService" });
    expect(states.get("ServingFailed")?.Next).toBe("ScaleBranchFailed");
  });

  it("caps every polling loop: each Wait's Task returns to a Choice with an attempts limit and a 4-15 s wait", () => {
    // WaitToServeAgain is RetryServing's planned pause, bounded by time (its own test above).
    const waits = [...states].filter(([n, s]) => s.Type === "Wait" && n !== "WaitToServeAgain");
    expect(waits.map(([n]) => n).sort()).toEqual(["WaitForDns", "WaitForDrService", "WaitForPromotion", "WaitForPromotionEvidence"]);
    for (const [name, wait] of waits) {
      // WaitForPromotion and WaitForDns wait until the next look, which their Task sets 8 s and 4 s after its own.
      const lookSeconds: Record<string, number> = { WaitForPromotion: Failover.promotionLookSeconds, WaitForDns: Failover.dnsLookSeconds };
      expect(wait.TimestampPath !== undefined, name).toBe(name in lookSeconds);
      const seconds = lookSeconds[name] ?? wait.Seconds;
      expect(seconds, name).toBeGreaterThanOrEqual(4);
      expect(seconds, name).toBeLessThanOrEqual(15);
      const poll = states.get(String(wait.Next));
      const choice = states.get(String(poll?.Next));
      expect(choice?.Type, name).toBe("Choice");
      const rules = (choice?.Choices ?? []) as { Variable: string; NumericGreaterThanEquals?: number; Next: string }[];
      const cap = rules.find((r) => r.NumericGreaterThanEquals !== undefined);
      expect(cap?.Variable, name).toMatch(/\.attempts$/);
      // The default path leads back to the Wait (the promotion loop pins DNS and fences on its way).
      let next = String(choice?.Default);
      for (let hops = 0; next !== name && hops < 6; hops++) next = String(states.get(next)?.Default ?? states.get(next)?.Next);
      expect(next, name).toBe(name);
    }
  });

  it("goes back to PromoteReplica when RDS showed no sign of the last promote call (before the polling cap)", () => {
    const rules = (states.get("NextPromotionStep")?.Choices ?? []) as { Variable?: string; Next: string }[];
    const simple = rules.filter((r) => r.Variable !== undefined).map((r) => [r.Variable, r.Next]);
    expect(simple).toEqual([
      ["$.promotion.writable", "ReplicaWritable"],
      ["$.promotion.attempts", "PromotionTimedOut"],
      ["$.promotion.requestAgain", "PromoteReplica"],
    ]);
  });

  it("lets compensation wait for the evidence of a promote call before it decides, then roll back or escalate", () => {
    expect(states.get("AssessFailure")?.Next).toBe("IsAssessmentSettled");
    const rules = (states.get("IsAssessmentSettled")?.Choices ?? []) as { Variable: string; Next: string }[];
    expect(rules.map((r) => [r.Variable, r.Next])).toEqual([
      ["$.assessment.settled", "RollBackOrEscalate"],
      ["$.assessment.attempts", "AssumePromotionStarted"],
    ]);
    expect(states.get("WaitForPromotionEvidence")?.Next).toBe("AssessFailure");
  });

  it("ends a run whose primary recovered before the promotion in its own state", () => {
    const rules = (states.get("IsOperatorNeeded")?.Choices ?? []) as { Variable: string; StringEquals?: string; Next: string }[];
    expect(rules).toContainEqual({ Variable: "$.failure.error", StringEquals: "PrimaryRecoveredError", Next: "PrimaryRecovered" });
    expect(states.get("PrimaryRecovered")?.Type).toBe("Fail");
  });

  it("retries AcquireLock and every compensation step after a timeout (each reads before it writes or writes absolutely, so a retry finds its own write)", () => {
    for (const step of ["AcquireLock", "AssessFailure", "RestorePilotLight", "RecordFailure", "NotifyFailed"]) {
      const retry = ((states.get(step)?.Retry ?? []) as Retrier[]).find((r) => r.ErrorEquals.includes("States.Timeout"));
      expect(retry?.ErrorEquals, step).toEqual(["Lambda.Unknown", "States.Timeout"]);
      expect(retry?.MaxAttempts, step).toBe(2);
    }
  });

  it("hands ValidateInput the execution's ARN (a failover stops a pre-empted drill by it)", () => {
    expect((states.get("ValidateInput")?.Parameters as Record<string, unknown>)["executionArn.$"]).toBe("$$.Execution.Id");
  });

  it("keeps an accepted DNS pin when its INSYNC poll fails: CheckDnsChange's Catch does not replace $.dns", () => {
    expect(((states.get("CheckDnsChange")?.Catch ?? []) as { Next: string; ResultPath: string }[]).map((c) => [c.Next, c.ResultPath])).toEqual([["DnsChangeNotConfirmed", "$.dnsError"]]);
    expect(((states.get("SwitchDns")?.Catch ?? []) as { Next: string }[]).map((c) => c.Next)).toEqual(["SwitchDnsFailed", "DnsLeftToHealthChecks"]);
  });

  it("fails the promotion branch when the record is no failover pair (nothing can move users), and leaves every other Route 53 failure to the health checks", () => {
    const catches = (states.get("SwitchDns")?.Catch ?? []) as { ErrorEquals: string[]; Next: string }[];
    expect(catches.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [["RecordNotFailoverPairError"], "SwitchDnsFailed"],
      [["States.ALL"], "DnsLeftToHealthChecks"],
    ]);
    expect(states.get("SwitchDnsFailed")?.Next).toBe("PromotionBranchFailed");
  });

  it("times out at the failover lock's expiry", () => {
    expect(definition.TimeoutSeconds).toBe(Failover.executionTimeoutSeconds);
  });

  it("is accepted by asl-validator", () => {
    // asl-validator annotates the object it checks; give it a copy.
    const result = validate(structuredClone(definition));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("equals, state for state, the definition the local executions run (only function ARNs differ)", () => {
    const [standalone] = extractAsl(standaloneFailoverTemplate().toJSON());
    // The app renders the default QueryLanguage ("JSONPath") on every state; the meaning is the same.
    const strip = (d: unknown) =>
      JSON.parse(JSON.stringify(d).replace(/"Resource":"[^"]*"/g, '"Resource":"fn"').replace(/"QueryLanguage":"JSONPath",?/g, "").replace(/,}/g, "}")) as unknown;
    const body = (d: AslDefinition | undefined) => strip({ StartAt: d?.StartAt, States: d?.States, TimeoutSeconds: d?.TimeoutSeconds });
    expect(body(standalone?.definition as AslDefinition | undefined)).toEqual(body(definition));
  });

  it("is written as plain ASL JSON next to the templates by writeAsl (pnpm synth)", () => {
    const dir = mkdtempSync(join(tmpdir(), "asl-"));
    const [file] = writeAsl({ Failover: template.toJSON() }, dir);
    expect(file).toBe(join(dir, "Failover.pilot-light-dnsdemo-failover.asl.json"));
    const written = JSON.parse(readFileSync(file as string, "utf8")) as AslDefinition;
    expect(written.States).toEqual(definition.States);
    expect(JSON.stringify(written)).not.toMatch(/Fn::|"Ref"/);
  });

  it("is a Standard workflow with the deterministic name, full logging and X-Ray", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineName: "pilot-light-dnsdemo-failover",
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: "ALL", IncludeExecutionData: true },
    });
  });
});

describe("step Lambda IAM (least privilege)", () => {
  it("passes cdk-nag's AwsSolutions pack, every suppression carrying its reason", () => {
    expect(nagErrors).toEqual([]);
  });

  const unscopable = new Set(["cloudwatch:GetMetricData", "rds:DescribeEvents", "ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "xray:PutTraceSegments", "xray:PutTelemetryRecords"]);

  function statementsOf(step: string): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: { PolicyDocument: { Statement: [] }; Roles: { Ref: string }[] } }>;
    const roleId = Object.entries(resources).find(([id, r]) => r.Type === "AWS::IAM::Role" && id.startsWith(`${step}ServiceRole`))?.[0];
    return Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x) => x.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement);
  }
  const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  it.each(stepNames)("%s uses '*' only for actions without resource-level permissions", (step) => {
    for (const s of statementsOf(step)) {
      if (s.Resource === "*") for (const a of actions(s)) expect(unscopable.has(a), `${step}: ${a} on *`).toBe(true);
      for (const a of actions(s)) expect(a.endsWith(":*"), `${step}: ${a}`).toBe(false);
    }
  });

  it.each([
    ["ValidateInput", []],
    ["VerifyDrHealth", []],
    // DescribeEvents: RDS's evidence of a promote call the status race hides.
    ["PromoteReplica", ["dynamodb:GetItem", "dynamodb:UpdateItem", "rds:DescribeDBInstances", "rds:DescribeEvents", "rds:PromoteReadReplica"]],
    ["PromoteSecret", ["secretsmanager:DescribeSecret", "secretsmanager:StopReplicationToReplica"]],
    ["CheckPromotion", ["rds:DescribeDBInstances", "rds:DescribeEvents"]],
    ["ScaleDrService", ["ecs:DescribeServices", "ecs:UpdateService"]],
    ["CheckDrService", ["ecs:DescribeServices", "ecs:UpdateService", "elasticloadbalancing:DescribeTargetHealth"]],
    ["FencePrimary", ["ecs:DescribeServices", "ecs:TagResource", "ecs:UpdateService", "rds:DescribeDBInstances", "rds:DescribeDBParameters", "rds:ModifyDBParameterGroup"]],
    ["SwitchDns", ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"]],
    ["AcquireLock", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "states:DescribeExecution", "states:StopExecution"]],
    ["NotifyFailed", ["kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish"]],
    // Reads the PRIMARY record to report DNS as it is.
    ["RecordOutcome", ["dynamodb:DeleteItem", "dynamodb:PutItem", "route53:ListResourceRecordSets"]],
    // Reads the record: one that is not a failover pair is refused before the promotion.
    ["Preflight", ["cloudwatch:GetMetricData", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeTargetGroups", "rds:DescribeDBInstances", "route53:ListResourceRecordSets"]],
  ])("%s may do exactly %j (besides X-Ray)", (step, expected) => {
    const got = [...new Set(statementsOf(step).flatMap(actions))].filter((a) => !a.startsWith("xray:")).sort();
    expect(got).toEqual([...expected].sort());
  });

  it("limits DynamoDB access to the lock and outcome rows", () => {
    for (const step of ["AcquireLock", "PromoteReplica", "AssessFailure", "RecordOutcome", "RecordFailure"]) {
      for (const s of statementsOf(step).filter((x) => actions(x).some((a) => a.startsWith("dynamodb:")))) {
        expect(JSON.stringify(s.Condition), step).toMatch(/LOCK#failover|OUTCOME#\*/);
      }
    }
  });

  it("lets PromoteSecret stop replication only to the stage's DB secret, in the DR region", () => {
    const [statement] = statementsOf("PromoteSecret").filter((x) => actions(x).includes("secretsmanager:StopReplicationToReplica"));
    expect(JSON.stringify(statement?.Resource)).toMatch(/:secretsmanager:eu-central-1:.*:secret:pilot-light-dnsdemo\/db-credentials-\?\?\?\?\?\?"/);
  });

  it("lets FencePrimary touch only the old primary's service, read the old primary, and set only its parameter groups, in the primary region", () => {
    const resources = JSON.stringify(statementsOf("FencePrimary").map((x) => x.Resource));
    expect(resources).toMatch(/:ecs:eu-west-1:.*:service\/pilot-light-dnsdemo\/pilot-light-dnsdemo-web"/);
    const modify = statementsOf("FencePrimary").find((x) => actions(x).includes("rds:ModifyDBParameterGroup"));
    const groups = JSON.stringify(modify?.Resource);
    expect(groups).toMatch(/:rds:eu-west-1:.*:pg:pilot-light-dnsdemo-primary"/);
    expect(groups).toMatch(/:rds:eu-west-1:.*:pg:pilot-light-dnsdemo-primary-g\*"/);
    expect(groups.match(/:pg:/g)).toHaveLength(2);
    const describe = statementsOf("FencePrimary").find((x) => actions(x).includes("rds:DescribeDBInstances"));
    expect(JSON.stringify(describe?.Resource)).toContain(`":rds:eu-west-1:",{"Ref":"AWS::AccountId"},":db:pilot-light-dnsdemo-primary"`);
  });

  it("lets AcquireLock stop only this state machine's executions", () => {
    const [statement] = statementsOf("AcquireLock").filter((x) => actions(x).includes("states:StopExecution"));
    expect(JSON.stringify(statement?.Resource)).toMatch(/:states:eu-central-1:.*:execution:pilot-light-dnsdemo-failover:\*"/);
  });

  it("lets SwitchDns change only the stage's record name", () => {
    const change = statementsOf("SwitchDns").find((s) => actions(s).includes("route53:ChangeResourceRecordSets"));
    expect(change?.Condition).toEqual({ "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["app.example.com"] } });
  });
});

describe("stage settings for failing over", () => {
  it("refuses at synth a stage with health.autoFailover and no DNS, saying why", () => {
    stages.nodnsauto = { health: { autoFailover: true } };
    try {
      expect(() => stageConfig("nodnsauto")).toThrow(/health.autoFailover: needs dns/);
    } finally {
      delete stages.nodnsauto;
    }
  });

  it("refuses prod until its example zone, record and addresses are replaced (docs/first-deploy.md)", () => {
    expect(() => stageConfig("prod")).toThrow(/stage "prod" still holds the example values of stacks\/stages.ts: dns.hostedZoneId \(Z0123456789EXAMPLE\)/);
    stages.myprod = { ...stages.prod, dns: { hostedZoneName: "shop.io", hostedZoneId: "Z04417153OQ2TIR8ZL", recordName: "www.shop.io" }, alertEmails: ["sre@shop.io"] };
    try {
      expect(stageConfig("myprod").isDevelopment).toBe(false);
    } finally {
      delete stages.myprod;
    }
  });

  it("fails prod over by itself, with DNS; a DNS-less development stage only recommends", () => {
    expect(stageConfig("prod", { allowExampleValues: true })).toMatchObject({ dns: { recordName: "www.example.com" }, health: { autoFailover: true } });
    expect(stageConfig("dev")).toMatchObject({ health: { autoFailover: false } });
    expect(stageConfig("dev").dns).toBeUndefined();
  });
});

describe("step Lambda settings", () => {
  it.each(stepNames)("%s gets the stage, its RTO target, its RPO budget and its health profile", (step) => {
    const config = stageConfig("dnsdemo");
    const functions = template.findResources("AWS::Lambda::Function");
    const fn = Object.entries(functions).find(([id]) => id.startsWith(step) && !id.startsWith(`${step}ServiceRole`))?.[1] as
      | { Properties: { Environment: { Variables: Record<string, string> } } }
      | undefined;
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      STAGE: "dnsdemo",
      PRIMARY_ID: "pilot-light-dnsdemo-primary",
      PRIMARY_HEALTH_URL: "https://eu-west-1.app.example.com/health.php",
      RTO_TARGET_SECONDS: String(config.rtoTargetSeconds),
      RPO_BUDGET_SECONDS: String(config.rpoBudgetSeconds),
      DETECTION_PERIOD_SECONDS: "300",
      FAILURE_THRESHOLD: String(config.health.failureThreshold),
    });
  });
});

describe("fence completion (CompleteFence)", () => {
  const policyOf = (prefix: string) => {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] }; Roles: { Ref: string }[] } }>;
    const roleId = Object.keys(resources).find((id) => resources[id]!.Type === "AWS::IAM::Role" && id.startsWith(`${prefix}ServiceRole`));
    return Object.values(resources).filter((r) => r.Type === "AWS::IAM::Policy" && r.Properties.Roles.some((x) => x.Ref === roleId)).flatMap((r) => r.Properties.PolicyDocument.Statement);
  };

  it("runs on the health checks' schedule, with the failover steps' settings", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      Name: "pilot-light-dnsdemo-complete-fence",
      ScheduleExpression: "rate(5 minutes)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^CompleteFence"), "Arn"] }, RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) })],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "packages/functions/src/complete-fence.handler",
      Environment: { Variables: Match.objectLike({ PRIMARY_ID: "pilot-light-dnsdemo-primary", REPLICA_ID: "pilot-light-dnsdemo-replica", HOSTED_ZONE_ID: "Z0123456789EXAMPLE" }) },
    });
  });

  it("may do what FencePrimary and SwitchDns do, read both databases and the lock, and publish, nothing else", () => {
    const granted = (s: string) => [...new Set(policyOf(s).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])))].filter((a) => !a.startsWith("xray:")).sort();
    const expected = [...new Set([...granted("FencePrimary"), ...granted("SwitchDns"), ...granted("NotifyFailed"), "rds:DescribeDBInstances", "dynamodb:GetItem"])].sort();
    expect(granted("CompleteFence")).toEqual(expected);
    // The lock item only (a switchback holds it while it scales the other region's service up).
    const lock = policyOf("CompleteFence").find((st) => st.Action === "dynamodb:GetItem");
    expect(JSON.stringify(lock)).toContain("LOCK#failover");
    const describe = policyOf("CompleteFence").find((st) => st.Action === "rds:DescribeDBInstances");
    expect(JSON.stringify(describe?.Resource)).toMatch(/:rds:eu-central-1:[^"]*:db:",{"Fn::ImportValue":"dnsdemo-pilot-light-Data:ExportsOutputRefReplica/);
    expect(JSON.stringify(describe?.Resource)).toContain(`":rds:eu-west-1:",{"Ref":"AWS::AccountId"},":db:pilot-light-dnsdemo-primary"`);
  });
});
