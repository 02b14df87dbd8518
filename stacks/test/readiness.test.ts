/**
 * The scheduled readiness evaluation as synthesized (DR region's Operations stack): the schedule
 * is the stage's setting, the function reads what readiness judges and writes only its own row,
 * the alarms tell the alert topic, the dashboard shows it; none in the primary region.
 */
import { describe, expect, it } from "vitest";
import { Match } from "aws-cdk-lib/assertions";
import { synthRegion, ssmParameterRef } from "./support/synth";

const topicImport = { "Fn::ImportValue": Match.stringLikeRegexp("Alerts:ExportsOutputRefTopic") };

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOf(template: ReturnType<typeof synthRegion>["templates"][string]): Statement[] {
  const policies = Object.values(template!.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^EvaluateReadinessServiceRole") }] } }));
  return policies.flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: Statement[]) => [...new Set(statements.flatMap((s) => [s.Action].flat()).filter((a) => !a.startsWith("xray:")))].sort();

describe("the scheduled readiness evaluation", () => {
  it("runs every 30 minutes by default, on an EventBridge schedule, the function in the DR region", () => {
    const synth = synthRegion("dnsdemo", "dr");
    const t = synth.templates.Operations!;
    t.hasResourceProperties("AWS::Events::Rule", {
      Name: "pilot-light-dnsdemo-readiness",
      ScheduleExpression: "rate(30 minutes)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^EvaluateReadiness"), "Arn"] } })],
    });
    t.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "packages/functions/src/evaluate-readiness.handler",
      Environment: { Variables: Match.objectLike({ STAGE: "dnsdemo", PRIMARY_REGION: "eu-west-1", DR_REGION: "eu-central-1", HAS_DNS: "true", DR_TASK_COUNT: "2", TASK_CPU: "256", TABLE_NAME: Match.anyValue(), HOSTED_ZONE_ID: Match.anyValue(), RECORD_NAME: Match.anyValue() }) },
    });
    expect(synth.stacks.Operations!.region).toBe("eu-central-1");
    expect(synth.nagErrors.Operations).toEqual([]);
  });

  it("follows the stage's readinessSchedule", () => {
    synthRegion("switching-settings", "dr").templates.Operations!.hasResourceProperties("AWS::Events::Rule", { Name: "pilot-light-switching-readiness", ScheduleExpression: "rate(1 hour)" });
  });

  it("may only read what readiness judges, and write its own row of the state table", () => {
    const t = synthRegion("dnsdemo", "dr").templates.Operations!;
    const statements = statementsOf(t);
    expect(actionsOf(statements)).toEqual([
      "cloudformation:ListStackResources",
      "dynamodb:PutItem",
      "ecr:DescribeImages",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
      "iam:GetRole",
      "iam:SimulatePrincipalPolicy",
      "kms:DescribeKey",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameters",
      "route53:GetHealthCheckStatus",
      "route53:ListResourceRecordSets",
      "secretsmanager:DescribeSecret",
      "servicequotas:GetAWSDefaultServiceQuota",
      "servicequotas:GetServiceQuota",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "ssm:DescribeParameters",
      "ssm:GetParameter",
    ]);
    // The permission check: the DR region's Failover and Failback stacks and the roles they created, nothing else.
    const stacks = JSON.stringify(statements.find((s) => s.Action === "cloudformation:ListStackResources")?.Resource);
    expect(stacks).toMatch(/:cloudformation:eu-central-1:[^"]*:stack\/dnsdemo-pilot-light-Failover\/\*"/);
    expect(stacks).toMatch(/:cloudformation:eu-central-1:[^"]*:stack\/dnsdemo-pilot-light-Failback\/\*"/);
    // The stage's roles, by their IAM path (stacks/role-path.ts): the steps' and the DR task
    // execution role (simulated reading the secrets the DR task definition names; each found in the DR region).
    const roles = JSON.stringify(statements.find((s) => s.Action === "iam:SimulatePrincipalPolicy")?.Resource);
    expect(roles).toMatch(/^\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::[^"]*:role\/pilot-light\/dnsdemo\/\*"\]\]\}$/);
    const secrets = JSON.stringify(statements.filter((s) => [s.Action].flat().includes("secretsmanager:DescribeSecret")).map((s) => s.Resource));
    expect(secrets).toMatch(/:secretsmanager:eu-central-1:[^"]*:secret:\*"/);
    // The stage's record, which must be a failover pair.
    expect(JSON.stringify(statements.find((s) => s.Action === "route53:ListResourceRecordSets")?.Resource)).toMatch(/:route53:::hostedzone\/Z0123456789EXAMPLE"/);
    expect(statements.find((s) => s.Action === "dynamodb:PutItem")?.Condition).toEqual({ "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["READINESS#last"] } });
    const rds = JSON.stringify(statements.find((s) => s.Action === "rds:DescribeDBInstances")?.Resource);
    expect(rds).toMatch(/:rds:eu-west-1:[^"]*:db:pilot-light-dnsdemo-primary"/);
    expect(rds).toMatch(/:rds:eu-central-1:[^"]*:db:pilot-light-dnsdemo-replica"/);
    expect(JSON.stringify(statements.find((s) => s.Action === "servicequotas:GetServiceQuota")?.Resource)).toMatch(/:servicequotas:eu-central-1:[^"]*:fargate\/L-3032A538"/);
    const healthCheck = JSON.stringify(statements.find((s) => s.Action === "route53:GetHealthCheckStatus")?.Resource);
    expect(healthCheck).toContain(JSON.stringify(ssmParameterRef(t, "/pilot-light/dnsdemo/dr/primary-health-check-id")));
  });

  it("asks the serving region's health path at each region's own name (a stage with DNS), else at the load balancer's address the stacks publish in the DR region's SSM", () => {
    synthRegion("dnsdemo", "dr").templates.Operations!.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "packages/functions/src/evaluate-readiness.handler",
      Environment: { Variables: Match.objectLike({ HEALTH_PATH: "/health.php", HEALTH_URLS: JSON.stringify({ "eu-west-1": "https://eu-west-1.app.example.com/health.php", "eu-central-1": "https://eu-central-1.app.example.com/health.php" }) }) },
    });
    const dev = synthRegion("dev", "dr").templates.Operations!;
    const env = (Object.values(dev.findResources("AWS::Lambda::Function", { Properties: { Handler: "packages/functions/src/evaluate-readiness.handler" } }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(env.HEALTH_PATH).toBe("/health.php");
    expect(env.HEALTH_URLS).toBeUndefined();
    const parameters = JSON.stringify(statementsOf(dev).filter((s) => s.Action === "ssm:GetParameter").map((s) => s.Resource));
    expect(parameters).toMatch(/:ssm:eu-central-1:[^"]*:parameter\/pilot-light\/dev\/primary\/alb-dns"/);
    expect(parameters).toMatch(/:ssm:eu-central-1:[^"]*:parameter\/pilot-light\/dev\/dr\/alb-dns"/);
  });

  it("may read an adopting stage's own service in the primary region, whose task definition the DR service must mirror", () => {
    const statements = statementsOf(synthRegion("adopted", "dr").templates.Operations!);
    const services = JSON.stringify(statements.filter((s) => [s.Action].flat().includes("ecs:DescribeServices")).map((s) => s.Resource));
    expect(services).toMatch(/:ecs:eu-west-1:[^"]*:service\/shop-prod\/storefront"/);
    expect(services).toMatch(/:ecs:eu-central-1:[^"]*:service\/pilot-light-adopted\/pilot-light-adopted-web"/);
  });

  it("judges a prebuilt image's registry replication: it gets the image and may read the primary registry's configuration", () => {
    const t = synthRegion("switching-ownapp", "dr").templates.Operations!;
    t.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "packages/functions/src/evaluate-readiness.handler",
      Environment: { Variables: Match.objectLike({ IMAGE_URI: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2", TASK_CPU: "1024", DR_TASK_COUNT: "3" }) },
    });
    expect(actionsOf(statementsOf(t))).toContain("ecr:DescribeRegistry");
    expect(actionsOf(statementsOf(synthRegion("dnsdemo", "dr").templates.Operations!))).not.toContain("ecr:DescribeRegistry");
  });

  it("alarms to the alert topic on any failing check, on an evaluation that failed, and on one that stopped running", () => {
    const t = synthRegion("dnsdemo", "dr").templates.Operations!;
    t.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dnsdemo-readiness-findings",
      AlarmDescription: Match.stringLikeRegexp("pnpm dr status --stage dnsdemo"),
      Namespace: "PilotLight",
      MetricName: "ReadinessFindings",
      Dimensions: [{ Name: "service", Value: "pilot-light" }],
      Statistic: "Maximum",
      Period: 1800,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [topicImport],
    });
    t.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dnsdemo-readiness-not-running",
      Namespace: "AWS/Lambda",
      MetricName: "Invocations",
      Period: 1800,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
      AlarmActions: [topicImport],
    });
    t.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dnsdemo-readiness-not-evaluated",
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Threshold: 1,
      AlarmActions: [topicImport],
    });
  });

  it("shows the failing checks and the three alarms on the dashboard", () => {
    const body = JSON.stringify(synthRegion("dnsdemo", "dr").templates.Operations!.findResources("AWS::CloudWatch::Dashboard"));
    expect(body).toContain("Readiness: failing checks (every rate(30 minutes); pnpm dr status shows which)");
    expect(body).toMatch(/\\"PilotLight\\",\\"ReadinessFindings\\",\\"service\\",\\"pilot-light\\"/);
    expect(body).toMatch(/\\"title\\":\\"Readiness\\",\\"alarms\\":\[\\"",\{"Fn::GetAtt":\["ReadinessFindings[0-9A-F]{8}","Arn"\]\},"\\",\\"",\{"Fn::GetAtt":\["ReadinessNotEvaluated[0-9A-F]{8}","Arn"\]\},"\\",\\"",\{"Fn::GetAtt":\["ReadinessNotRunning[0-9A-F]{8}","Arn"\]\}/);
  });

  it("runs no evaluation in the primary region (one per stage, from DR)", () => {
    const primary = synthRegion("dnsdemo", "primary").templates.Operations!;
    expect(primary.findResources("AWS::Lambda::Function", { Properties: { Handler: "packages/functions/src/evaluate-readiness.handler" } })).toEqual({});
  });
});
