/**
 * EvaluateReadiness, the scheduled handler: reads and judges as `pnpm dr readiness` does, keeps
 * the result under READINESS#last (dynalite) for `pnpm dr status`, and counts the failing checks
 * as ReadinessFindings (the alarm's metric); a read that fails is a finding, not a failed run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { CloudFormationClient, ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Readiness } from "@pilot-light/core";
import { lambdaContext, startDynalite, type LocalDynamo } from "@pilot-light/world";
import { handler } from "../src/evaluate-readiness";
import { metrics } from "../src/lib/handler";

const account = "123456789012";
const m = { rds: mockClient(RDSClient), sns: mockClient(SNSClient), kms: mockClient(KMSClient), ecs: mockClient(ECSClient), ecr: mockClient(ECRClient), iam: mockClient(IAMClient), sq: mockClient(ServiceQuotasClient), cfn: mockClient(CloudFormationClient), sm: mockClient(SecretsManagerClient), ssm: mockClient(SSMClient) };

let dynamo: LocalDynamo;
let table: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  table = await dynamo.createStateTable();
  Object.assign(process.env, {
    APP: "pilot-light",
    STAGE: "test",
    PRIMARY_REGION: "eu-west-1",
    DR_REGION: "eu-central-1",
    HAS_DNS: "false",
    DR_TASK_COUNT: "2",
    TASK_CPU: "256",
    TABLE_NAME: table,
    ACCOUNT: account,
    HEALTH_PATH: "/health.php",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  });
});
afterAll(async () => dynamo.stop());
afterEach(() => {
  for (const stub of Object.values(m)) stub.reset();
  vi.restoreAllMocks();
});

function readyAccount() {
  const db = (id: string, replica: boolean) => ({
    DBInstanceIdentifier: id,
    DBInstanceStatus: "available",
    BackupRetentionPeriod: 7,
    LatestRestorableTime: new Date(),
    DBParameterGroups: [{ DBParameterGroupName: id }],
    ...(replica ? { ReadReplicaSourceDBInstanceIdentifier: "arn:src", StatusInfos: [{ StatusType: "read replication", Status: "replicating", Normal: true }] } : {}),
  });
  m.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-test-primary" }).resolves({ DBInstances: [db("pilot-light-test-primary", false)] });
  m.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-test-replica" }).resolves({ DBInstances: [db("pilot-light-test-replica", true)] });
  m.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [{ Endpoint: "sre@shop.io", Protocol: "email", SubscriptionArn: `arn:aws:sns:eu-west-1:${account}:pilot-light-test-alerts:1` }] });
  m.kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Enabled" } });
  m.ecs.on(DescribeServicesCommand).resolves({ services: [{ taskDefinition: "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:7" }] });
  m.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { status: "ACTIVE", containerDefinitions: [{ name: "web", image: `${account}.dkr.ecr.eu-central-1.amazonaws.com/web:1` }] } });
  m.ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{}] });
  m.iam.on(GetRoleCommand).resolves({});
  m.sq.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 6 } });
  m.sm.on(DescribeSecretCommand).resolves({ PrimaryRegion: "eu-west-1", ReplicationStatus: [{ Region: "eu-central-1", Status: "InSync" }] });
  // The permission check: every step's role in its stack, the simulator allowing what it is asked.
  m.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { KmsMasterKeyId: "k" } });
  m.cfn.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => {
    const steps = Object.keys(input.StackName.endsWith("-Failover") ? Readiness.stepCatalogue.failover : Readiness.stepCatalogue.failback);
    return { StackResourceSummaries: steps.map((step) => ({ LogicalResourceId: `${step}ServiceRole0A1B2C3D`, PhysicalResourceId: `${input.StackName}-${step}`, ResourceType: "AWS::IAM::Role" })) };
  });
  m.iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[] }) => ({ EvaluationResults: input.ActionNames.map((a) => ({ EvalActionName: a, EvalDecision: "allowed" })) }));
  // A stage without DNS: the serving primary's health path at its load balancer's address, which
  // the primary's Compute stack publishes in the DR region's SSM; it answers the contract.
  m.ssm.on(GetParameterCommand, { Name: "/pilot-light/test/primary/alb-dns" }).resolves({ Parameter: { Value: "primary-alb-1.eu-west-1.elb.amazonaws.com" } });
  vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => (String(url) === "http://primary-alb-1.eu-west-1.elb.amazonaws.com/health.php" ? Response.json({ status: "ok", db: "ok", readOnly: false }) : new Response(null, { status: 404 })));
}

describe("EvaluateReadiness", () => {
  it("records a ready stage under READINESS#last and counts no failing check", async () => {
    readyAccount();
    const counted = vi.spyOn(metrics, "addMetric");
    expect(await handler({}, lambdaContext("EvaluateReadiness"))).toEqual({ ready: true, failing: [] });
    expect(counted).toHaveBeenCalledWith("ReadinessFindings", "Count", 0);
    expect(await Readiness.loadEvaluation(dynamo.doc, table)).toMatchObject({ ready: true, failing: [] });
  });

  it("records each failing check with what to do, counts them, and a read that fails is one of them", async () => {
    readyAccount();
    m.sq.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 0.25 } });
    m.sns.on(ListSubscriptionsByTopicCommand).rejects(Object.assign(new Error("not authorized to perform: SNS:ListSubscriptionsByTopic"), { name: "AuthorizationError" }));
    const counted = vi.spyOn(metrics, "addMetric");
    expect(await handler({}, lambdaContext("EvaluateReadiness"))).toEqual({ ready: false, failing: ["dr-quota", "alerts", "alerts"] });
    expect(counted).toHaveBeenCalledWith("ReadinessFindings", "Count", 3);
    const last = await Readiness.loadEvaluation(dynamo.doc, table);
    expect(last?.failing.find((f) => f.check === "dr-quota")?.action).toMatch(/request-service-quota-increase --region eu-central-1/);
  });
});
