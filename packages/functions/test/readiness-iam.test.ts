/**
 * The scheduled readiness evaluation's grants (stacks/readiness/grants.ts) allow every call it
 * makes, as IAM authorises each (the world's request model over the Service Authorization
 * Reference, packages/world/src/iam-requests.ts), and nothing beside: its one write is its own
 * row. The calls are the real ones: Readiness.observeReadiness and recordEvaluation against an
 * account played by aws-sdk-client-mock, their inputs read back from the mocks.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { App, Stack } from "aws-cdk-lib";
import { DescribeImagesCommand, DescribeRegistryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { CloudFormationClient, ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetHealthCheckStatusCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { Readiness, Stage } from "@pilot-light/core";
import { authRequests, evaluate, pilotLightWorld, resolveValue, type PolicyStatement } from "../../world/src";
import { readinessStatements } from "../../../stacks/readiness/grants";

const account = "123456789012";
const [primaryRegion, drRegion] = ["eu-west-1", "eu-central-1"];
const names = Stage.resourceNames({ app: "pilot-light", stage: "prod" });
const target: Readiness.ReadinessTarget = { app: "pilot-light", stage: "prod", primaryRegion, drRegion, hasDns: true, drTaskCount: 2, taskCpu: 512, image: { account, region: primaryRegion, repository: "shop/web" }, record: { hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" } };
const stackNames = ["prod-pilot-light-Failover", "prod-pilot-light-Failback"];
const permissions: Readiness.PermissionTarget = { app: "pilot-light", stage: "prod", primaryRegion, drRegion, dns: { hostedZoneId: "Z0123456789EXAMPLE", recordName: "app.example.com" } };
const image = `${account}.dkr.ecr.${drRegion}.amazonaws.com/shop/web:1.4.2`;

const m = {
  rds: mockClient(RDSClient),
  sns: mockClient(SNSClient),
  kms: mockClient(KMSClient),
  ecs: mockClient(ECSClient),
  ecr: mockClient(ECRClient),
  ssm: mockClient(SSMClient),
  servicequotas: mockClient(ServiceQuotasClient),
  iam: mockClient(IAMClient),
  route53: mockClient(Route53Client),
  cloudformation: mockClient(CloudFormationClient),
  dynamodb: mockClient(DynamoDBDocumentClient),
  secretsmanager: mockClient(SecretsManagerClient),
};

/** The role's statements as a deploy in `account` resolves them. */
function grants(prebuiltImage: boolean): PolicyStatement[] {
  const stack = new Stack(new App(), "Operations", { env: { account, region: drRegion } });
  const statements = readinessStatements(stack, { names, primaryRegion, drRegion, tableArn: `arn:aws:dynamodb:${drRegion}:${account}:table/${names.stateTable}`, healthCheckId: "hc-1", hostedZoneId: "Z0123456789EXAMPLE", prebuiltImage, stackNames });
  return statements.map((s) => resolveValue(stack.resolve(s.toStatementJson()), { region: drRegion, account }) as PolicyStatement);
}

beforeEach(() => {
  for (const stub of Object.values(m)) stub.reset();
  const db = (id: string, region: string) => ({ DBInstanceIdentifier: id, DBInstanceStatus: "available", BackupRetentionPeriod: 7, KmsKeyId: `arn:aws:kms:${region}:${account}:key/k-${region}`, DBParameterGroups: [{ DBParameterGroupName: `${id}-g20261207`, ParameterApplyStatus: "in-sync" }] });
  m.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: names.primaryDb }).resolves({ DBInstances: [db(names.primaryDb, primaryRegion)] });
  m.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: names.replicaDb }).resolves({ DBInstances: [db(names.replicaDb, drRegion)] });
  m.rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
  m.sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
  m.kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Enabled" } });
  m.ecs.on(DescribeServicesCommand).resolves({ services: [{ taskDefinition: `arn:aws:ecs:${drRegion}:${account}:task-definition/web:7` }] });
  // A secret named only in the DR task definition: found in the DR region, its execution role (the Compute stack's) simulated reading it.
  const stripe = `arn:aws:secretsmanager:${drRegion}:${account}:secret:shop/stripe-AbCdEf`;
  m.ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: { status: "ACTIVE", executionRoleArn: `arn:aws:iam::${account}:role${names.rolePath}prod-pilot-light-Compute-TaskExecutionRole-1A2B3C4D5E6F`, containerDefinitions: [{ name: "web", image, secrets: [{ name: "STRIPE_KEY", valueFrom: stripe }] }] },
  });
  m.secretsmanager.on(DescribeSecretCommand).resolves({ ARN: stripe, Name: "shop/stripe" });
  m.ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{}] });
  m.ecr.on(DescribeRegistryCommand).resolves({ replicationConfiguration: { rules: [] } });
  m.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: "hc-1" } });
  m.servicequotas.on(GetServiceQuotaCommand).rejects(Object.assign(new Error("no applied value"), { name: "NoSuchResourceException" }));
  m.servicequotas.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { Value: 6 } });
  m.iam.on(GetRoleCommand).resolves({});
  m.route53.on(GetHealthCheckStatusCommand).resolves({ HealthCheckObservations: [] });
  m.route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
  m.dynamodb.on(PutCommand).resolves({});
  // The permission check: the topic's key, each stack's step roles (as CloudFormation names them), the simulator.
  m.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { KmsMasterKeyId: `arn:aws:kms:${drRegion}:${account}:key/topic` } });
  m.cloudformation.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => ({
    StackResourceSummaries: [
      { LogicalResourceId: `${input.StackName.endsWith("Failover") ? "PromoteReplica" : "ReverseReplication"}ServiceRole0A1B2C3D`, PhysicalResourceId: `${input.StackName}-StepServiceRole-1A2B3C4D5E6F`, ResourceType: "AWS::IAM::Role", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: new Date(0) },
    ],
  }));
  m.iam.on(SimulatePrincipalPolicyCommand).resolves({ EvaluationResults: [], IsTruncated: false });
});

/** Every call the evaluation made: its API as IAM names it, its input, its client's region. */
async function calls() {
  const clients = Readiness.readinessClients(target);
  const evaluation = await Readiness.evaluateReadiness(clients, target, account, () => new Date("2026-12-07T10:00:00Z"), { target: permissions, catalogue: Readiness.stepCatalogue, partition: "aws" });
  await Readiness.recordEvaluation(DynamoDBDocumentClient.from(new DynamoDBClient({ region: drRegion })), names.stateTable, evaluation);
  const made = [];
  for (const [prefix, stub] of Object.entries(m)) {
    for (const call of stub.calls()) {
      const command = call.args[0] as { constructor: { name: string }; input: unknown };
      const client = call.thisValue as { config: { region: () => Promise<string> } };
      // lib-dynamodb's PutCommand is DynamoDB's PutItem.
      const name = command.constructor.name.replace(/Command$/, "").replace(/^Put$/, "PutItem");
      made.push({ api: `${prefix}:${name}`, input: command.input, region: await client.config.region() });
    }
  }
  return made;
}

// The stage's world: IAM authorises a secret named by its name against its ARN there.
const { world } = pilotLightWorld({ prefix: names.prefix });

describe("the readiness evaluation's role", () => {
  it("allows every call the evaluation makes, in both regions", async () => {
    const statements = grants(true);
    const made = await calls();
    expect(new Set(made.map((c) => c.api)).size).toBe(19);
    expect(made.filter((c) => c.api === "secretsmanager:DescribeSecret").map((c) => c.region).sort()).toEqual([drRegion, primaryRegion]);
    const denied = [];
    for (const c of made) {
      for (const request of await authRequests(c.api, c.input, c.region, account, world)) {
        if (!evaluate(statements, request).allowed) denied.push(`${request.action} on ${request.resource}`);
      }
    }
    expect(denied).toEqual([]);
  });

  it("allows no write but its own row, and no read of another stage's database or topic", async () => {
    const statements = grants(true);
    const denied = async (api: string, input: object, region = drRegion) => {
      const requests = await authRequests(api, input, region, account, world);
      return requests.some((r) => !evaluate(statements, r).allowed);
    };
    expect(await denied("dynamodb:PutItem", { TableName: names.stateTable, Item: { pk: { S: "HEALTH#primary" } } })).toBe(true);
    expect(await denied("dynamodb:PutItem", { TableName: names.stateTable, Item: { pk: { S: "READINESS#last" } } })).toBe(false);
    expect(await denied("rds:DescribeDBInstances", { DBInstanceIdentifier: "pilot-light-staging-replica" })).toBe(true);
    expect(await denied("sns:ListSubscriptionsByTopic", { TopicArn: `arn:aws:sns:${primaryRegion}:${account}:pilot-light-staging-alerts` }, primaryRegion)).toBe(true);
    expect(await denied("ecs:UpdateService", { cluster: names.cluster, service: names.service })).toBe(true);
  });

  it("reads the registry's replication only for a prebuilt image", async () => {
    const request = (await authRequests("ecr:DescribeRegistry", {}, primaryRegion, account, world))[0]!;
    expect(evaluate(grants(true), request).allowed).toBe(true);
    expect(evaluate(grants(false), request).allowed).toBe(false);
  });
});
