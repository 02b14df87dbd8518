/**
 * The health monitor's infrastructure (DR region): schedule and settings from the stage
 * config, the state table, and least privilege for both functions.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { buildMonitorBundle } from "../../packages/tools/src/bench-health";
import type { FunctionBuild } from "../../packages/tools/src/offline-synth";
import { ssmParameterRef, synthRegion } from "./support/synth";

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The statements of the policy attached to the role of the function with this construct id. */
function statementsOf(template: Template, functionId: string): Statement[] {
  const policies = template.findResources("AWS::IAM::Policy");
  const entry = Object.entries(policies).find(([id]) => id.startsWith(`${functionId}ServiceRoleDefaultPolicy`));
  expect(entry, `policy of ${functionId}`).toBeDefined();
  return (entry?.[1] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;
}

function envOf(template: Template, handler: string): Record<string, unknown> {
  const fns = Object.values(template.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }));
  expect(fns).toHaveLength(1);
  return (fns[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}

const tableArn = { "Fn::ImportValue": Match.stringLikeRegexp("State:ExportsOutputFnGetAttTable.*Arn") };
const topicRef = { "Fn::ImportValue": Match.stringLikeRegexp("Alerts:ExportsOutputRefTopic") };

describe("monitor stack with the default settings", () => {
  let monitor: Template;
  let state: Template;
  let functions: FunctionBuild[];
  beforeAll(() => {
    const synth = synthRegion("dev", "dr");
    expect(synth.templates.Monitor, "Monitor must be composed into the DR region (stacks/compose.ts)").toBeDefined();
    monitor = synth.templates.Monitor!;
    state = synth.templates.State!;
    functions = synth.functions;
  });

  it("bundles the monitor byte for byte as `pnpm bench` measures it", async () => {
    // SST writes each function's bundle to <artifacts>/<construct address>/.
    const bundled = "packages/functions/src/health-monitor.mjs";
    const built = functions.filter((f) => f.stack === "Monitor").map((f) => join(f.artifactDir, bundled)).filter((f) => existsSync(f));
    expect(built).toHaveLength(1);
    const bench = await buildMonitorBundle();
    try {
      const [sst, ours] = [await readFile(built[0]!), await readFile(bench.file)];
      expect(ours.length, "bench bundle size vs SST's").toBe(sst.length);
      expect(ours.equals(sst)).toBe(true);
    } finally {
      await rm(bench.dir, { recursive: true, force: true });
    }
  });

  it("runs the monitor on the default schedule, with retries that only repair", () => {
    monitor.hasResourceProperties("AWS::Events::Rule", {
      Name: "pilot-light-dev-health-check",
      ScheduleExpression: "rate(5 minutes)",
      State: "ENABLED",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^HealthMonitor"), "Arn"] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 } })],
    });
  });

  it("gives the monitor the stage's detection settings and the primary's /health.php", () => {
    const env = envOf(monitor, "packages/functions/src/health-monitor.handler");
    // dev has no DNS, so it only recommends (an automatic failover would move no user).
    expect(env).toMatchObject({
      FAILURE_THRESHOLD: "3",
      PROBE_TIMEOUT_MS: "5000",
      PROBES_PER_CHECK: "3",
      AUTO_FAILOVER: "false",
      AVAILABILITY_WINDOW_MINUTES: "60",
      MIN_AVAILABILITY_PERCENT: "50",
      NOTICES_PER_HOUR: "2",
      FAILOVER_ATTEMPTS: "4",
    });
    // No DNS, so no Route 53 health check to ask.
    expect(env.HEALTH_CHECK_ID).toBeUndefined();
    expect(env.PRIMARY_HEALTH_URL).toEqual({ "Fn::Join": ["", ["http://", ssmParameterRef(monitor, "/pilot-light/dev/primary/alb-dns"), "/health.php"]] });
    expect(env.DR_HEALTH_URL).toBeUndefined();
    expect(JSON.stringify(env.STATE_MACHINE_ARN)).toContain(":states:eu-central-1:");
    expect(JSON.stringify(env.STATE_MACHINE_ARN)).toContain(":stateMachine:pilot-light-dev-failover");
  });

  it("keeps the monitor's Lambda timeout above one probe burst", () => {
    monitor.hasResourceProperties("AWS::Lambda::Function", { Handler: "packages/functions/src/health-monitor.handler", Timeout: 30 });
  });

  it("keeps state in an on-demand table with point-in-time recovery keyed by pk", () => {
    state.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it("lets the monitor start this state machine and read its executions only", () => {
    const sfn = statementsOf(monitor, "HealthMonitor").filter((s) => actionsOf(s).some((a) => a.startsWith("states:")));
    expect(sfn.map(actionsOf)).toEqual([["states:StartExecution"], ["states:DescribeExecution"]]);
    expect(JSON.stringify(sfn[0]!.Resource)).toMatch(/:states:eu-central-1:[^"]*:stateMachine:pilot-light-dev-failover"/);
    expect(JSON.stringify(sfn[1]!.Resource)).toMatch(/:states:eu-central-1:[^"]*:execution:pilot-light-dev-failover:\*"/);
  });

  it("asks Route 53 nothing on a stage without DNS", () => {
    expect(statementsOf(monitor, "HealthMonitor").flatMap(actionsOf).filter((a) => a.startsWith("route53:"))).toEqual([]);
  });

  it("lets the monitor read and conditionally write the state table only", () => {
    const ddb = statementsOf(monitor, "HealthMonitor").filter((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")));
    expect(ddb).toHaveLength(1);
    expect(actionsOf(ddb[0]!).sort()).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"]);
    expect(ddb[0]!.Resource).toEqual({ "Fn::ImportValue": expect.stringMatching(/State:ExportsOutputFnGetAttTable.*Arn/) });
  });

  it("lets the monitor publish to the alerts topic only", () => {
    const sns = statementsOf(monitor, "HealthMonitor").filter((s) => actionsOf(s).some((a) => a.startsWith("sns:")));
    expect(sns).toHaveLength(1);
    expect(actionsOf(sns[0]!)).toEqual(["sns:Publish"]);
    expect(sns[0]!.Resource).toEqual({ "Fn::ImportValue": expect.stringMatching(/Alerts:ExportsOutputRefTopic/) });
  });

  it("grants the monitor nothing beyond state, topic (and its key), state machine, a look at its own database (arming) and the watched one (stranded or not) and tracing", () => {
    const services = new Set(statementsOf(monitor, "HealthMonitor").flatMap(actionsOf).map((a) => a.split(":")[0]));
    expect([...services].sort()).toEqual(["dynamodb", "kms", "rds", "sns", "states", "xray"]);
    const rds = statementsOf(monitor, "HealthMonitor").filter((s) => actionsOf(s).some((a) => a.startsWith("rds:")));
    expect(rds.map((s) => s.Action)).toEqual(["rds:DescribeDBInstances", "rds:DescribeDBParameters"]);
    expect((rds[0]!.Resource as unknown[]).map((r) => JSON.stringify(r).match(/:db:([a-z-]+)/)?.[1])).toEqual(["pilot-light-dev-replica", "pilot-light-dev-primary"]);
    // read_only in its own database's groups only (which stranded state): the stack's and re-protect's per-generation ones.
    expect((rds[1]!.Resource as unknown[]).map((r) => JSON.stringify(r).match(/:pg:([a-z*-]+)/)?.[1])).toEqual(["pilot-light-dev-replica", "pilot-light-dev-replica-g*"]);
    for (const s of statementsOf(monitor, "HealthMonitor")) {
      if (s.Resource === "*") expect(actionsOf(s).every((a) => a.startsWith("xray:"))).toBe(true);
    }
  });

  it("lets the close-incident function touch the state table only", () => {
    const statements = statementsOf(monitor, "CloseIncident").filter((s) => !actionsOf(s).every((a) => a.startsWith("xray:")));
    expect(statements).toEqual([{ Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Effect: "Allow", Resource: expect.objectContaining({}) }]);
    monitor.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: tableArn })]) },
      Roles: [{ Ref: Match.stringLikeRegexp("^CloseIncidentServiceRole") }],
    });
  });

  it("alarms to the alerts topic when the monitor itself keeps failing", () => {
    monitor.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Errors",
      Namespace: "AWS/Lambda",
      AlarmActions: [topicRef],
    });
  });
});

describe("monitor stack on a stage with DNS", () => {
  let monitor: Template;
  beforeAll(() => {
    monitor = synthRegion("dnsdemo", "dr").templates.Monitor!;
  });
  const healthCheck = () => ssmParameterRef(monitor, "/pilot-light/dnsdemo/dr/primary-health-check-id");

  it("gives the monitor the Dns stack's health check on the primary as its second opinion, through SSM, not an export", () => {
    expect(envOf(monitor, "packages/functions/src/health-monitor.handler").HEALTH_CHECK_ID).toEqual(healthCheck());
    synthRegion("dnsdemo", "dr").templates.Dns!.hasResourceProperties("AWS::SSM::Parameter", { Name: "/pilot-light/dnsdemo/dr/primary-health-check-id", Value: { Ref: Match.stringLikeRegexp("^PrimaryHealth") } });
    // An imported export would refuse replacing the health check.
    expect(JSON.stringify(monitor.toJSON())).not.toMatch(/-Dns:Exports/);
  });

  it("lets the monitor read that health check's status and the failover records' zone (arming) only", () => {
    const r53 = statementsOf(monitor, "HealthMonitor").filter((s) => actionsOf(s).some((a) => a.startsWith("route53:")));
    expect(r53).toEqual([
      { Action: "route53:GetHealthCheckStatus", Effect: "Allow", Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":route53:::healthcheck/", healthCheck()]] } },
      { Action: "route53:ListResourceRecordSets", Effect: "Allow", Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":route53:::hostedzone/Z0123456789EXAMPLE"]] } },
    ]);
  });
});

describe("monitor stack with a stage's own detection settings", () => {
  let monitor: Template;
  beforeAll(() => {
    monitor = synthRegion("fastdetect", "dr").templates.Monitor!;
  });

  it("takes the rule's schedule from the stage config", () => {
    monitor.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(1 minute)" });
  });

  it("passes threshold, timeout, burst size, DR probing, the autoFailover switch, availability, notice and attempt limits to the monitor", () => {
    const env = envOf(monitor, "packages/functions/src/health-monitor.handler");
    expect(env).toMatchObject({ FAILURE_THRESHOLD: "2", PROBE_TIMEOUT_MS: "3000", PROBES_PER_CHECK: "5", AUTO_FAILOVER: "false" });
    expect(env).toMatchObject({ AVAILABILITY_WINDOW_MINUTES: "30", MIN_AVAILABILITY_PERCENT: "40", NOTICES_PER_HOUR: "4", FAILOVER_ATTEMPTS: "2" });
    expect(JSON.stringify(env.DR_HEALTH_URL)).toMatch(/http:\/\/.*\/health\.php/);
  });
});

describe("monitor stack after a failover (DR active)", () => {
  let monitor: Template;
  beforeAll(() => {
    monitor = synthRegion("monitordr", "dr").templates.Monitor!;
  });

  it("only recommends: the old primary failing must not start a second failover", () => {
    expect(envOf(monitor, "packages/functions/src/health-monitor.handler")).toMatchObject({ AUTO_FAILOVER: "false" });
  });
});
