/**
 * The Operations stack in the synthesized DR region: the dashboard's widgets read the metrics
 * the handlers really emit, the alarms watch the right metrics with the texts operators read,
 * everything notifies the alerts topic, and cdk-nag finds nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Operations as Ops } from "@pilot-light/core";
import { synthRegion } from "./support/synth";

const region = "eu-central-1";

interface Widget {
  type: string;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: unknown[][];
    annotations?: { horizontal?: { value: number; label: string }[] };
    query?: string;
    alarms?: unknown[];
    start?: string;
  };
}

/** The dashboard body with CloudFormation tokens replaced by a placeholder, parsed. */
function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const flat = (value: unknown): string => {
    if (typeof value === "string") return value;
    const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
    if (join) return join[1].map(flat).join(join[0]);
    return "TOKEN";
  };
  return (JSON.parse(flat(body)) as { widgets: Widget[] }).widgets;
}

const byTitle = (widgets: Widget[], title: string) => {
  const w = widgets.find((x) => x.properties.title === title);
  expect(w, `widget "${title}"`).toBeDefined();
  return w!;
};

// The state machine by its deterministic ARN (offline synthesis shows SST's account placeholder).
const machineArn = { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, Match.stringLikeRegexp("^:states:eu-central-1:.*:stateMachine:pilot-light-dev-failover$")]] };
const topicImport = { "Fn::ImportValue": Match.stringLikeRegexp("Alerts:ExportsOutputRefTopic") };

describe("operations stack, default detection profile", () => {
  let template: Template;
  let operationsRegion: string;
  let nag: string[];
  let failover: Template | undefined;
  let widgets: Widget[];
  const texts = Ops.alarmTexts({ stage: "dev", drRegion: region, stateMachineName: "pilot-light-dev-failover", scheduleMinutes: 5, failureThreshold: 3 });

  beforeAll(() => {
    const synth = synthRegion("dev", "dr");
    template = synth.templates.Operations!;
    operationsRegion = synth.stacks.Operations!.region;
    nag = synth.nagErrors.Operations!;
    failover = synth.templates.Failover;
    widgets = dashboardWidgets(template);
  });

  it("names the dashboard after the stage, in the DR region", () => {
    template.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardName: "pilot-light-dev-dr" });
    expect(operationsRegion).toBe(region);
  });

  it("charts the monitor's Powertools metrics (namespace PilotLight, service and Target dimensions) against the threshold", () => {
    const w = byTitle(widgets, "Primary /health.php: failed checks and consecutive failures");
    expect(w.properties.metrics).toEqual([
      ["PilotLight", "CheckFailed", "Target", "primary", "service", "pilot-light", expect.objectContaining({ stat: "Sum" })],
      ["PilotLight", "ConsecutiveFailures", "Target", "primary", "service", "pilot-light", expect.objectContaining({ stat: "Maximum" })],
    ]);
    expect(w.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 3, label: "failover at 3" })]);
    const latency = byTitle(widgets, "Primary /health.php: probe latency and failed probes");
    expect(JSON.stringify(latency.properties.metrics)).toContain('"ProbeLatency","Target","primary","service","pilot-light"');
    expect(latency.properties.annotations?.horizontal?.[0]?.value).toBe(5000);
  });

  it("charts replica lag against the RPO budget and the DR service's tasks against full size", () => {
    const lag = byTitle(widgets, "Replica lag vs RPO budget (s)");
    expect(lag.properties.metrics?.[0]?.slice(0, 4)).toEqual(["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "pilot-light-dev-replica"]);
    expect(lag.properties.annotations?.horizontal?.[0]).toMatchObject({ value: 60 });
    const tasks = byTitle(widgets, "DR service tasks");
    expect(tasks.properties.metrics?.map((m) => m.slice(0, 6))).toEqual([
      ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", "pilot-light-dev", "ServiceName", "pilot-light-dev-web"],
      ["ECS/ContainerInsights", "DesiredTaskCount", "ClusterName", "pilot-light-dev", "ServiceName", "pilot-light-dev-web"],
    ]);
    expect(tasks.properties.annotations?.horizontal?.[0]).toMatchObject({ value: 2 });
  });

  it("charts every execution outcome of the failover state machine, and the last RTO and RPO recorded", () => {
    const executions = byTitle(widgets, "Failover executions");
    expect(executions.properties.metrics?.map((m) => `${m[0]}/${m[1]}`)).toEqual([
      "AWS/States/ExecutionsStarted",
      "AWS/States/ExecutionsSucceeded",
      "AWS/States/ExecutionsFailed",
      "AWS/States/ExecutionsTimedOut",
      "AWS/States/ExecutionsAborted",
    ]);
    const rto = byTitle(widgets, "Last recorded RTO / RPO (s), 90 days");
    expect(rto.properties.metrics?.map((m) => m.slice(0, 6))).toEqual([
      ["PilotLight", "RtoSeconds", "mode", "drill", "service", "pilot-light"],
      ["PilotLight", "RtoSeconds", "mode", "failover", "service", "pilot-light"],
      ["PilotLight", "RpoSeconds", "mode", "failover", "service", "pilot-light"],
    ]);
    expect(rto.properties.start).toBe("-P90D");
  });

  it("queries the state machine's execution log for outcomes and per-phase seconds", () => {
    for (const title of ["Last executions and their outcome", "Milliseconds per phase, by execution"]) {
      expect(byTitle(widgets, title).properties.query).toMatch(/^SOURCE '\/aws\/vendedlogs\/states\/pilot-light-dev-failover' \| fields/);
    }
    expect(byTitle(widgets, "Milliseconds per phase, by execution").properties.query).toContain('"PromoteAndScale","VerifyDrHealth"');
  });

  it("alarms on a failed execution of this state machine, with the text that says what to do", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dev-failover-execution-failed",
      AlarmDescription: texts.executionFailed.description,
      Namespace: "AWS/States",
      MetricName: "ExecutionsFailed",
      Dimensions: [{ Name: "StateMachineArn", Value: machineArn }],
      Statistic: "Sum",
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: [topicImport],
    });
  });

  it("alarms on a timed-out execution", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dev-failover-execution-timed-out",
      AlarmDescription: texts.executionTimedOut.description,
      MetricName: "ExecutionsTimedOut",
      Threshold: 1,
      AlarmActions: [topicImport],
    });
  });

  it("alarms when the health monitor had no invocation for two schedule periods (missing data breaches)", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dev-health-monitor-not-running",
      AlarmDescription: texts.monitorNotRunning.description,
      Namespace: "AWS/Lambda",
      MetricName: "Invocations",
      Dimensions: [{ Name: "FunctionName", Value: { "Fn::ImportValue": Match.stringLikeRegexp("Monitor:ExportsOutputRefHealthMonitor") } }],
      Period: 300,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
      AlarmActions: [topicImport],
    });
  });

  it("watches the state machine the Failover stack really creates, and queries its log group", () => {
    expect(failover, "Failover stack").toBeDefined();
    failover!.hasResourceProperties("AWS::StepFunctions::StateMachine", { StateMachineName: "pilot-light-dev-failover" });
    failover!.hasResourceProperties("AWS::Logs::LogGroup", { LogGroupName: "/aws/vendedlogs/states/pilot-light-dev-failover" });
  });

  it("shows the new and the existing alarms in one status widget", () => {
    const w = byTitle(widgets, "Alarms");
    const names = JSON.stringify(w.properties.alarms);
    for (const name of ["replica-lag", "health-monitor-errors", "eu-central-1-slow-responses", "eu-central-1-5xx"]) {
      expect(names).toContain(`alarm:pilot-light-dev-${name}`);
    }
    expect(w.properties.alarms).toHaveLength(8);
  });

  it("runs ExecutionEnded on every end of this state machine's executions (SUCCEEDED too: it releases the lock), through an EventBridge rule", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      Name: "pilot-light-dev-failover-ended",
      State: "ENABLED",
      EventPattern: {
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [machineArn] },
      },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^ExecutionEnded"), "Arn"] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 } })],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "packages/functions/src/execution-ended.handler",
      Environment: { Variables: Match.objectLike({ DR_REGION: "eu-central-1", STAGE: "dev", TOPIC_ARN: topicImport, TABLE_NAME: Match.anyValue() }) },
    });
  });

  it("lets ExecutionEnded read the failover's (and the failback's) execution histories, delete only the lock row, publish to the alerts topic and open OpsItems, nothing else", () => {
    const policies = Object.values(template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^ExecutionEndedServiceRole") }] } }));
    const statements = policies.flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] } } }).Properties.PolicyDocument.Statement);
    const actions = [...new Set(statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])).filter((a) => !a.startsWith("xray:")))].sort();
    expect(actions).toEqual(["dynamodb:DeleteItem", "kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish", "ssm:CreateOpsItem", "states:GetExecutionHistory"]);
    // CreateOpsItem has no resource-level permissions (Service Authorization Reference: "*" only).
    expect(statements.find((st) => st.Action === "ssm:CreateOpsItem")?.Resource).toBe("*");
    const release = statements.find((st) => st.Action === "dynamodb:DeleteItem");
    expect(release?.Condition).toEqual({ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LOCK#failover"] } });
    expect(JSON.stringify(release?.Resource)).toMatch(/State|table/i);
    const history = JSON.stringify(statements.filter((st) => st.Action === "states:GetExecutionHistory").map((st) => st.Resource));
    expect(history).toMatch(/:states:eu-central-1:[^"]*:execution:pilot-light-dev-failover:\*"/);
    // The Failback stack's rule sends the failback state machine's ended runs to the same function.
    expect(history).toMatch(/:execution:pilot-light-dev-failback:\*"/);
  });

  it("alarms on failed notifications through OpsCenter, not SNS (SNS may be what failed)", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dev-notification-failed",
      AlarmDescription: texts.notificationFailed.description,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: "FILL(failures, 0) + FILL(endedErrors, 0)" }),
        Match.objectLike({ Id: "failures", MetricStat: Match.objectLike({ Metric: { Namespace: "PilotLight", MetricName: "NotificationFailures", Dimensions: [{ Name: "service", Value: "pilot-light" }] } }) }),
        Match.objectLike({ Id: "endedErrors", MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: "AWS/Lambda", MetricName: "Errors" }) }) }),
      ]),
      Threshold: 1,
      AlarmActions: [{ "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(":ssm:eu-central-1:.*:opsitem:1#CATEGORY=Availability")])] }],
    });
  });

  it("has no unsuppressed cdk-nag AwsSolutions finding", () => {
    expect(template.findResources("AWS::CloudWatch::Alarm")).not.toEqual({});
    expect(nag).toEqual([]);
  });
});

describe("operations stack, fast detection profile (rate(1 minute), threshold 4), DR serving", () => {
  let template: Template;
  beforeAll(() => {
    template = synthRegion("opsfast", "dr").templates.Operations!;
  });

  it("alarms after two silent one-minute periods and says 2 minutes", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-opsfast-health-monitor-not-running",
      Period: 60,
      EvaluationPeriods: 2,
      AlarmDescription: Match.stringLikeRegexp("has not run for 2 minutes"),
    });
  });

  it("shows the DR service's running-below-desired alarm once DR runs the service", () => {
    const w = byTitle(dashboardWidgets(template), "Alarms");
    expect(JSON.stringify(w.properties.alarms)).toContain("alarm:pilot-light-opsfast-eu-central-1-running-below-desired");
  });

  it("draws the failover line at the stage's threshold", () => {
    const w = byTitle(dashboardWidgets(template), "Primary /health.php: failed checks and consecutive failures");
    expect(w.properties.annotations?.horizontal?.[0]).toMatchObject({ value: 4, label: "failover at 4" });
  });
});
