/**
 * `pnpm dr readiness` end to end through `run`, against an account played by
 * aws-sdk-client-mock: a ready stage exits 0; each seeded problem exits 1 with its finding and
 * what to do; a read that fails is a finding, not a crash. Stage dnsdemo (it has DNS).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeImagesCommand, DescribeRegistryCommand, ECRClient, ImageNotFoundException } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from "@aws-sdk/client-ecs";
import { CloudFormationClient, ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { GetRoleCommand, IAMClient, NoSuchEntityException, SimulatePrincipalPolicyCommand, type EvaluationResult, type SimulatePrincipalPolicyCommandInput } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeDBInstancesCommand, type DBInstance, RDSClient } from "@aws-sdk/client-rds";
import { GetHealthCheckStatusCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, NoSuchResourceException, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { Clients } from "../src/cli/aws";
import { readinessClients } from "../src/cli/readiness";
import { run, type Terminal } from "../src/dr";
import { Readiness } from "@pilot-light/core";
import { stageConfig } from "../../../stacks/stages";
import { stepNames } from "../../../stacks/failover/steps";
import { failbackStepNames } from "../../../stacks/failback/steps";

const account = "123456789012";
const now = new Date("2026-12-07T10:00:00.000Z");
const image = `${account}.dkr.ecr.eu-central-1.amazonaws.com/cdk-hnb659fds-container-assets-${account}-eu-central-1:4f1c2d`;

const mocks = {
  sts: mockClient(STSClient),
  rds: mockClient(RDSClient),
  sns: mockClient(SNSClient),
  kms: mockClient(KMSClient),
  ecs: mockClient(ECSClient),
  ecr: mockClient(ECRClient),
  ssm: mockClient(SSMClient),
  route53: mockClient(Route53Client),
  iam: mockClient(IAMClient),
  serviceQuotas: mockClient(ServiceQuotasClient),
  cfn: mockClient(CloudFormationClient),
  secrets: mockClient(SecretsManagerClient),
};

/** What IAM's simulator answers for a request: every action on every resource allowed, unless `refuse` says otherwise. */
const simulator = (refuse: (action: string) => Partial<EvaluationResult> | undefined = () => undefined) => (input: SimulatePrincipalPolicyCommandInput) => ({
  EvaluationResults: (input.ActionNames ?? []).flatMap((action) => (input.ResourceArns ?? ["*"]).map((resource) => ({ EvalActionName: action, EvalResourceName: resource, EvalDecision: "allowed" as const, ...refuse(action) }))),
});
const roleOf = (step: string) => `dnsdemo-pilot-light-Failover-${step}Role`;

const taskDefinition = (over: Partial<TaskDefinition> = {}): { taskDefinition: TaskDefinition } => ({
  taskDefinition: { taskDefinitionArn: "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:7", status: "ACTIVE", executionRoleArn: `arn:aws:iam::${account}:role/dnsdemo-web-execution`, containerDefinitions: [{ name: "web", image }], ...over },
});

const database = (over: Partial<DBInstance>): DBInstance => ({
  DBInstanceStatus: "available",
  BackupRetentionPeriod: 7,
  LatestRestorableTime: new Date("2026-12-07T09:55:00Z"),
  KmsKeyId: `arn:aws:kms:eu-central-1:${account}:key/dr`,
  ...over,
});

/** What each region's health path answers (by URL): the serving primary's, the contract with "readOnly": false. */
let healthBody: Record<string, unknown>;
const healthUrls: string[] = [];

function healthyAccount() {
  for (const m of Object.values(mocks)) m.reset();
  healthBody = { status: "ok", db: "ok", readOnly: false };
  healthUrls.length = 0;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
    healthUrls.push(String(url));
    return Response.json(healthBody);
  });
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/Operator/alice` });
  mocks.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-dnsdemo-primary" }).resolves({
    DBInstances: [database({ DBInstanceIdentifier: "pilot-light-dnsdemo-primary", DBParameterGroups: [{ DBParameterGroupName: "pilot-light-dnsdemo-primary" }], KmsKeyId: `arn:aws:kms:eu-west-1:${account}:key/primary` })],
  });
  mocks.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-dnsdemo-replica" }).resolves({
    DBInstances: [
      database({
        DBInstanceIdentifier: "pilot-light-dnsdemo-replica",
        ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:eu-west-1:${account}:db:pilot-light-dnsdemo-primary`,
        StatusInfos: [{ StatusType: "read replication", Status: "replicating", Normal: true }],
        DBParameterGroups: [{ DBParameterGroupName: "pilot-light-dnsdemo-replica" }],
      }),
    ],
  });
  mocks.ecs.on(DescribeServicesCommand, { cluster: "pilot-light-dnsdemo", services: ["pilot-light-dnsdemo-web"] }).resolves({ services: [{ serviceName: "pilot-light-dnsdemo-web", taskDefinition: "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:7" }] });
  mocks.ecs.on(DescribeTaskDefinitionCommand).resolves(taskDefinition());
  mocks.iam.on(GetRoleCommand, { RoleName: "dnsdemo-web-execution" }).resolves({ Role: { RoleName: "dnsdemo-web-execution", Arn: `arn:aws:iam::${account}:role/dnsdemo-web-execution`, Path: "/", RoleId: "r", CreateDate: now } });
  // An account that never raised the quota: GetServiceQuota has no applied value, the default answers.
  mocks.serviceQuotas.on(GetServiceQuotaCommand).rejects(new NoSuchResourceException({ message: "The request failed because the specified service quota does not exist.", $metadata: {} }));
  mocks.cfn.on(ListStackResourcesCommand, { StackName: "dnsdemo-pilot-light-Failover" }).resolves({
    StackResourceSummaries: stepNames.flatMap((step) => [
      { LogicalResourceId: `${step}ServiceRole0A1B2C3D`, ResourceType: "AWS::IAM::Role", PhysicalResourceId: roleOf(step), ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: now },
      { LogicalResourceId: `${step}9F8E7D6C`, ResourceType: "AWS::Lambda::Function", PhysicalResourceId: `fn-${step}`, ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: now },
    ]),
  });
  mocks.cfn.on(ListStackResourcesCommand, { StackName: "dnsdemo-pilot-light-Failback" }).resolves({
    StackResourceSummaries: [
      ...failbackStepNames.map((step) => ({ LogicalResourceId: `${step}ServiceRole0A1B2C3D`, ResourceType: "AWS::IAM::Role", PhysicalResourceId: roleOf(step), ResourceStatus: "CREATE_COMPLETE" as const, LastUpdatedTimestamp: now })),
      { LogicalResourceId: "ReverseReplicationRole4E5F6A7B", ResourceType: "AWS::IAM::Role", PhysicalResourceId: "dnsdemo-pilot-light-Failback-ReverseReplicationRole", ResourceStatus: "CREATE_COMPLETE" as const, LastUpdatedTimestamp: now },
    ],
  });
  mocks.sns.on(GetTopicAttributesCommand).resolves({ Attributes: { KmsMasterKeyId: `arn:aws:kms:eu-central-1:${account}:key/topic` } });
  mocks.iam.on(SimulatePrincipalPolicyCommand).callsFake(simulator());
  mocks.serviceQuotas.on(GetAWSDefaultServiceQuotaCommand, { ServiceCode: "fargate", QuotaCode: "L-3032A538" }).resolves({ Quota: { ServiceCode: "fargate", QuotaCode: "L-3032A538", Value: 6 } });
  mocks.ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ["4f1c2d"] }] });
  for (const region of ["eu-west-1", "eu-central-1"]) {
    mocks.sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: `arn:aws:sns:${region}:${account}:pilot-light-dnsdemo-alerts` })
      .resolves({ Subscriptions: [{ Endpoint: "oncall@example.com", Protocol: "email", SubscriptionArn: `arn:aws:sns:${region}:${account}:pilot-light-dnsdemo-alerts:1` }] });
  }
  mocks.kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "Enabled" } });
  mocks.secrets.on(DescribeSecretCommand).resolves({ PrimaryRegion: "eu-west-1", ReplicationStatus: [{ Region: "eu-central-1", KmsKeyId: "alias/aws/secretsmanager", Status: "InSync" }] });
  mocks.ssm.on(GetParameterCommand, { Name: "/pilot-light/dnsdemo/dr/primary-health-check-id" }).resolves({ Parameter: { Value: "hc-1" } });
  mocks.route53.on(GetHealthCheckStatusCommand, { HealthCheckId: "hc-1" }).resolves({
    HealthCheckObservations: [{ Region: "us-east-1", StatusReport: { Status: "Success: HTTP Status Code 200, OK", CheckedTime: new Date("2026-12-07T09:59:50Z") } }],
  });
  mocks.route53.on(ListResourceRecordSetsCommand, { HostedZoneId: "Z0123456789EXAMPLE" }).resolves({
    ResourceRecordSets: [{ Name: "app.example.com.", Type: "A", SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: "hc-1", AliasTarget: { DNSName: "primary-alb.eu-west-1.elb.amazonaws.com.", HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } }],
    IsTruncated: false,
  });
}

class FakeTerminal implements Terminal {
  readonly isInteractive = false;
  printed: string[] = [];
  async ask() {
    return "";
  }
  print(text: string) {
    this.printed.push(text);
  }
  progress() {}
  get output() {
    return this.printed.join("\n");
  }
}

const deps = {
  makeClients: (config: { drRegion: string }) => ({ sts: new STSClient({ region: config.drRegion }) }) as unknown as Clients,
  makeReadinessClients: readinessClients,
  now: () => now,
};

async function readiness(...extra: string[]) {
  const terminal = new FakeTerminal();
  const code = await run(["readiness", "--stage", "dnsdemo", ...extra], terminal, deps);
  return { code, output: terminal.output };
}

beforeEach(healthyAccount);
afterEach(() => void vi.restoreAllMocks());

describe("pnpm dr readiness", () => {
  it("reports a ready stage and exits 0, having only read", async () => {
    const { code, output } = await readiness();
    expect(output).toMatch(/^Readiness of stage dnsdemo at 2026-12-07T10:00:00.000Z: READY/);
    expect(output).not.toContain("FAIL");
    // The figure docs/runbook.md gives for a stage with DNS.
    expect(output).toMatch(/ok {3}permissions +19 failover and 21 failback steps' roles are allowed every action their grants name \(186 action-resource pairs simulated\)/);
    expect(code).toBe(0);
    // The serving primary's health path, at its own name (what the monitor and the verify steps probe).
    expect(healthUrls).toEqual(["https://eu-west-1.app.example.com/health.php"]);
    expect(output).toMatch(/ok {3}health-contract +the serving region's \(eu-west-1\) health path answers the health contract: 200 with "readOnly": false/);
    const sent = Object.values(mocks).flatMap((m) => m.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name));
    // IAM's policy simulator evaluates; it changes nothing.
    expect(sent.filter((name) => !/^(Describe|List|Get|SimulatePrincipalPolicy)/.test(name))).toEqual([]);
    expect(mocks.sns.commandCalls(ListSubscriptionsByTopicCommand).map((c) => c.args[0].input.TopicArn).sort()).toEqual([
      `arn:aws:sns:eu-central-1:${account}:pilot-light-dnsdemo-alerts`,
      `arn:aws:sns:eu-west-1:${account}:pilot-light-dnsdemo-alerts`,
    ]);
  });

  it.each<[string, () => void, RegExp]>([
    ["a replica before its first backup", () => mocks.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-dnsdemo-replica" }).resolves({ DBInstances: [database({ DBInstanceIdentifier: "pilot-light-dnsdemo-replica", ReadReplicaSourceDBInstanceIdentifier: "arn:src", StatusInfos: [{ StatusType: "read replication", Status: "replicating", Normal: true }], DBParameterGroups: [{ DBParameterGroupName: "g" }], LatestRestorableTime: undefined })] }), /FAIL replica-backups +the replica has no backup yet[\s\S]*→ wait for its first automated backup/],
    ["no replica", () => mocks.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-dnsdemo-replica" }).rejects(Object.assign(new Error("DBInstance pilot-light-dnsdemo-replica not found."), { name: "DBInstanceNotFoundFault" })), /FAIL replica +no DR database in eu-central-1/],
    ["the DR image missing", () => mocks.ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: "not found", $metadata: {} })), /FAIL dr-image +.*is not in eu-central-1's registry: the DR service cannot start/],
    ["a DR task definition pulling from the primary region", () => mocks.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: "web", image: `${account}.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2` }] } }), /FAIL dr-image +.*a failover would pull it from eu-west-1/],
    ["an inactive DR task definition", () => mocks.ecs.on(DescribeTaskDefinitionCommand).resolves(taskDefinition({ status: "INACTIVE" })), /FAIL dr-task-definition +arn:aws:ecs:eu-central-1:123456789012:task-definition\/web:7 is INACTIVE[\s\S]*→ deploy the stage again/],
    ["a DR execution role deleted", () => mocks.iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: "The role with name dnsdemo-web-execution cannot be found.", $metadata: {} })), /FAIL dr-task-definition +.*execution role arn:aws:iam::123456789012:role\/dnsdemo-web-execution does not exist/],
    ["a Fargate quota lowered below the scale-up", () => mocks.serviceQuotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 0.25 } }), /FAIL dr-quota +a failover runs 2 tasks of 0.25 vCPU \(0.5 vCPU\) but the Fargate On-Demand vCPU quota in eu-central-1 is 0.25[\s\S]*→ aws service-quotas request-service-quota-increase --region eu-central-1/],
    ["a Deny attached to a step's role", () => mocks.iam.on(SimulatePrincipalPolicyCommand, { PolicySourceArn: `arn:aws:iam::${account}:role/pilot-light/dnsdemo/${roleOf("PromoteReplica")}` }).callsFake(simulator((a) => (a === "rds:PromoteReadReplica" ? { EvalDecision: "explicitDeny", MatchedStatements: [{ SourcePolicyId: "no-promotions" }] } : undefined))), /FAIL permissions +step PromoteReplica, role arn:aws:iam::123456789012:role\/pilot-light\/dnsdemo\/dnsdemo-pilot-light-Failover-PromoteReplicaRole, would be refused rds:PromoteReadReplica on arn:aws:rds:eu-central-1:123456789012:db:pilot-light-dnsdemo-replica: explicitDeny \(a Deny in no-promotions\)[\s\S]*→ a failover stops at PromoteReplica/],
    ["an organization SCP refusing a step's action", () => mocks.iam.on(SimulatePrincipalPolicyCommand, { PolicySourceArn: `arn:aws:iam::${account}:role/pilot-light/dnsdemo/${roleOf("SwitchDns")}` }).callsFake(simulator((a) => (a === "route53:ChangeResourceRecordSets" ? { EvalDecision: "implicitDeny", OrganizationsDecisionDetail: { AllowedByOrganizations: false } } : undefined))), /FAIL permissions +step SwitchDns.*route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone\/Z0123456789EXAMPLE: implicitDeny \(an organization SCP\)/],
    ["a step's role missing from the deployed stack", () => mocks.cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] }), /FAIL permissions +step AcquireLock: no execution role in the deployed Failover stack/],
    ["an unconfirmed e-mail in the DR region", () => mocks.sns.on(ListSubscriptionsByTopicCommand, { TopicArn: `arn:aws:sns:eu-central-1:${account}:pilot-light-dnsdemo-alerts` }).resolves({ Subscriptions: [{ Endpoint: "oncall@example.com", Protocol: "email", SubscriptionArn: "PendingConfirmation" }] }), /FAIL alerts +eu-central-1: nobody is told \(1 pending confirmation: oncall@example.com\)/],
    ["no health check", () => mocks.ssm.on(GetParameterCommand).rejects(Object.assign(new Error("missing"), { name: "ParameterNotFound" })), /FAIL health-check +no Route 53 health check on the primary/],
    ["a simple record, not a failover pair", () => mocks.route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: "app.example.com.", Type: "A", AliasTarget: { DNSName: "shop-alb.eu-west-1.elb.amazonaws.com.", HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } }], IsTruncated: false }), /FAIL dns-record +app\.example\.com in zone Z0123456789EXAMPLE is not a failover pair[\s\S]*→ make the pair: pnpm deploy:all --stage dnsdemo --apply-adoption/],
    ["a primary on a default parameter group", () => mocks.rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "pilot-light-dnsdemo-primary" }).resolves({ DBInstances: [database({ DBInstanceIdentifier: "pilot-light-dnsdemo-primary", DBParameterGroups: [{ DBParameterGroupName: "default.mysql8.4" }] })] }), /FAIL fence-parameter-group +pilot-light-dnsdemo-primary uses default.mysql8.4[\s\S]*→ give it its own group: aws rds create-db-parameter-group --region eu-west-1/],
    ["a KMS key disabled", () => mocks.kms.on(DescribeKeyCommand, { KeyId: `arn:aws:kms:eu-central-1:${account}:key/dr` }).resolves({ KeyMetadata: { KeyId: "dr", KeyState: "Disabled" } }), /FAIL kms-keys +KMS keys not usable: arn:aws:kms:eu-central-1:123456789012:key\/dr \(eu-central-1\): Disabled/],
    ["the database secret not replicated to the DR region", () => mocks.secrets.on(DescribeSecretCommand).resolves({ PrimaryRegion: "eu-west-1" }), /FAIL secret-replica +secret pilot-light-dnsdemo\/db-credentials has no replica in eu-central-1[\s\S]*→ .*replicate-secret-to-regions --region eu-west-1/],
    ["a health path whose readOnly is a string", () => void (healthBody = { status: "ok", db: "ok", readOnly: "false" }), /FAIL health-contract +GET https:\/\/eu-west-1\.app\.example\.com\/health\.php answered 200 without the health contract's boolean readOnly \(readOnly: "false";[\s\S]*→ make the health path answer the contract/],
    ["SNS denied in the primary region", () => mocks.sns.on(ListSubscriptionsByTopicCommand, { TopicArn: `arn:aws:sns:eu-west-1:${account}:pilot-light-dnsdemo-alerts` }).rejects(Object.assign(new Error("not authorized to perform: SNS:ListSubscriptionsByTopic"), { name: "AuthorizationError" })), /FAIL alerts +could not read the subscriptions of arn:aws:sns:eu-west-1:.*AuthorizationError/],
  ])("reports %s, says what to do, and exits 1", async (_what, seed, finding) => {
    seed();
    const { code, output } = await readiness();
    expect(output).toContain("NOT READY");
    expect(output).toMatch(finding);
    expect(code).toBe(1);
  });

  it("asks the simulator about each step's own grants, on the stage's resources, with the rows its conditions allow", async () => {
    await readiness();
    const calls = mocks.iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    const promote = calls.find((c) => c.ActionNames?.includes("rds:PromoteReadReplica"));
    expect(promote).toMatchObject({ PolicySourceArn: `arn:aws:iam::${account}:role/pilot-light/dnsdemo/${roleOf("PromoteReplica")}`, ResourceArns: [`arn:aws:rds:eu-central-1:${account}:db:pilot-light-dnsdemo-replica`] });
    const lock = calls.find((c) => c.PolicySourceArn?.endsWith(roleOf("AcquireLock")) && c.ActionNames?.includes("dynamodb:PutItem"));
    expect(lock?.ContextEntries).toEqual([{ ContextKeyName: "dynamodb:LeadingKeys", ContextKeyValues: ["LOCK#failover"], ContextKeyType: "stringList" }]);
    expect(calls.some((c) => c.PolicySourceArn?.endsWith(roleOf("ValidateInput")))).toBe(false);
  });

  it("prints the findings as JSON with --json", async () => {
    mocks.kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: "k", KeyState: "PendingDeletion" } });
    const { code, output } = await readiness("--json");
    const report = JSON.parse(output) as { ready: boolean; findings: { check: string; ok: boolean; action?: string }[] };
    expect(report.ready).toBe(false);
    expect(report.findings.filter((f) => !f.ok).map((f) => f.check)).toEqual(["kms-keys"]);
    expect(code).toBe(1);
  });
});

describe("a prebuilt image's registry replication", () => {
  const config = stageConfig("dnsdemo");
  const target = { ...Readiness.targetOf(config), image: { account, region: "eu-west-1", repository: "shop/web" } };
  const judge = async () => Readiness.judgeReadiness(await Readiness.observeReadiness(readinessClients(config), target, account), now).findings.find((f) => f.check === "image-replication");

  it("reads the primary region's registry and passes a rule that sends the repository to DR", async () => {
    mocks.ecr.on(DescribeRegistryCommand).resolves({ registryId: account, replicationConfiguration: { rules: [{ destinations: [{ region: "eu-central-1", registryId: account }], repositoryFilters: [{ filter: "shop/", filterType: "PREFIX_MATCH" }] }] } });
    expect(await judge()).toMatchObject({ ok: true });
    const call = mocks.ecr.commandCalls(DescribeRegistryCommand)[0]!;
    expect(await call.thisValue.config.region()).toBe("eu-west-1");
  });

  it("reports a configuration another stage replaced (its rule sends only its own repository)", async () => {
    mocks.ecr.on(DescribeRegistryCommand).resolves({ registryId: account, replicationConfiguration: { rules: [{ destinations: [{ region: "eu-central-1", registryId: account }], repositoryFilters: [{ filter: "blog/web", filterType: "PREFIX_MATCH" }] }] } });
    expect(await judge()).toMatchObject({ ok: false, detail: expect.stringMatching(/no replication rule sending shop\/web to eu-central-1/) });
  });

  it("reads no registry for a stage that builds its image (CDK publishes it to each region)", async () => {
    await Readiness.observeReadiness(readinessClients(config), Readiness.targetOf(config), account);
    expect(mocks.ecr.commandCalls(DescribeRegistryCommand)).toEqual([]);
  });
});
