/**
 * `pnpm deploy:all` on a stage that adopts its primary (docs/adopt.md): the adoption plan is read
 * from the account and stated before any step; the deploy is refused while the plan would change
 * the team's resources unless the operator says it may (--apply-adoption), and then the plan is
 * applied after the stacks it needs are deployed, with the health check and DR load balancer
 * they published. The account is aws-sdk-client-mock clients over a small stateful account.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, GetHealthCheckStatusCommand, ListResourceRecordSetsCommand, type ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import { GetBucketReplicationCommand, PutBucketReplicationCommand, type ReplicationConfiguration, S3Client } from "@aws-sdk/client-s3";
import { DescribeSecretCommand, ReplicateSecretToRegionsCommand, type ReplicationStatusType, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParametersCommand, type Parameter, SSMClient } from "@aws-sdk/client-ssm";
import { stages } from "../../../stacks/stages";
import { adoptStage } from "../src/adopt";
import type { Io } from "../src/cli/program";
import { run as deploy, type DeployDeps } from "../src/deploy";
import { run as synth } from "../src/synth";
import { shopPrimary } from "../../core/test/support/adopted";

const s3 = mockClient(S3Client);
const rds = mockClient(RDSClient);
const route53 = mockClient(Route53Client);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);

const teamRole = "arn:aws:iam::123456789012:role/shop-s3-replication";
const teamRule = { ID: "invoices-to-archive", Priority: 1, Status: "Enabled" as const, Filter: { Prefix: "invoices/" }, DeleteMarkerReplication: { Status: "Disabled" as const }, Destination: { Bucket: "arn:aws:s3:::shop-archive" } };
const simple: ResourceRecordSet = { Name: "shop.acme-shop.io.", Type: "A", AliasTarget: { DNSName: `dualstack.${shopPrimary.loadBalancer.dnsName}.`, HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } };

/** What the account shows; the mocks read and write it as S3, RDS, Route 53, SSM and Secrets Manager would. */
let account: { replication: ReplicationConfiguration; records: ResourceRecordSet[]; parameterGroup: string; published: Parameter[]; secretReplicas: ReplicationStatusType[] };
let calls: string[];

beforeEach(() => {
  stages.shop = {
    dns: { hostedZoneName: "acme-shop.io", hostedZoneId: "Z0SHOP0ACME", recordName: "shop.acme-shop.io" },
    adopt: { ...shopPrimary, bucket: { name: shopPrimary.bucket.name, replicationRoleArn: teamRole } },
  };
  account = { replication: { Role: teamRole, Rules: [teamRule] }, records: [structuredClone(simple)], parameterGroup: "shop-mysql84", published: [], secretReplicas: [] };
  calls = [];
  s3.on(GetBucketReplicationCommand).callsFake(async () => ({ ReplicationConfiguration: structuredClone(account.replication) }));
  s3.on(PutBucketReplicationCommand).callsFake(async (input: { ReplicationConfiguration: ReplicationConfiguration }) => {
    calls.push("PutBucketReplication");
    account.replication = structuredClone(input.ReplicationConfiguration);
    return {};
  });
  rds.on(DescribeDBInstancesCommand).callsFake(async () => ({
    DBInstances: [{ DBInstanceIdentifier: "shop-mysql-prod", EngineVersion: "8.4.3", StorageEncrypted: true, DBParameterGroups: [{ DBParameterGroupName: account.parameterGroup, ParameterApplyStatus: "in-sync" }] }],
  }));
  rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
  route53.on(ListResourceRecordSetsCommand).callsFake(async () => ({ ResourceRecordSets: structuredClone(account.records) }));
  // Route 53's checkers see the team's load balancer answer its health path (checked just now).
  route53.on(GetHealthCheckStatusCommand).callsFake(async () => ({
    HealthCheckObservations: ["us-east-1", "us-west-1", "eu-west-1"].map((Region) => ({ Region, StatusReport: { Status: "Success: HTTP Status Code 200, OK", CheckedTime: new Date() } })),
  }));
  route53.on(ChangeResourceRecordSetsCommand).callsFake(async (input: { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: ResourceRecordSet }[] } }) => {
    calls.push(`ChangeResourceRecordSets ${input.ChangeBatch.Changes.map((c) => c.Action).join(" ")}`);
    for (const c of input.ChangeBatch.Changes) {
      if (c.Action === "DELETE") account.records = account.records.filter((r) => JSON.stringify(r) !== JSON.stringify(c.ResourceRecordSet));
      else account.records.push(structuredClone(c.ResourceRecordSet));
    }
    return { ChangeInfo: { Id: "C1", Status: "PENDING", SubmittedAt: new Date() } };
  });
  secrets.on(DescribeSecretCommand).callsFake(async () => ({ Name: "shop/prod/mysql", PrimaryRegion: "eu-west-1", ReplicationStatus: structuredClone(account.secretReplicas) }));
  secrets.on(ReplicateSecretToRegionsCommand).callsFake(async (input: { AddReplicaRegions: { Region: string; KmsKeyId?: string }[] }) => {
    calls.push(`ReplicateSecretToRegions ${input.AddReplicaRegions.map((r) => `${r.Region} ${r.KmsKeyId}`).join(", ")}`);
    account.secretReplicas.push(...input.AddReplicaRegions.map((r) => ({ Region: r.Region, KmsKeyId: r.KmsKeyId, Status: "InSync" as const })));
    return {};
  });
  ssm.on(GetParametersCommand).callsFake(async (input: { Names: string[] }) => ({ Parameters: account.published.filter((p) => input.Names.includes(p.Name!)) }));
});

afterEach(() => {
  delete stages.shop;
  for (const mock of [s3, rds, route53, ssm, secrets]) mock.reset();
});

/** What the DR region's Dns stack writes at its deploy. */
const publish = () => {
  account.published = [
    { Name: "/pilot-light/shop/dr/primary-health-check-id", Value: "hc-0123" },
    { Name: "/pilot-light/shop/dr/alb-dns", Value: "pilot-dr-123.eu-central-1.elb.amazonaws.com" },
    { Name: "/pilot-light/shop/dr/alb-zone", Value: "Z215JYRZR1TBD5" },
  ];
};

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const channel: Io = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false };
  return { io: channel, text: () => out.join("\n"), errors: () => err.join("\n") };
}

/** The real adoption (./adopt.ts over the mocked clients); `sst` deploys and, at the DR region's full deploy, publishes. */
function deps(): DeployDeps {
  return {
    sst: (args) => {
      calls.push(`sst ${args[4]}${args[5] ? ` ${args[5]}` : ""}`);
      if (args[4] === "eu-central-1" && !args[5]) publish();
      return 0;
    },
    describeReplica: async () => ({ ReadReplicaSourceDBInstanceIdentifier: "arn:aws:rds:eu-west-1:123456789012:db:shop-mysql-prod" }),
    describeParameterGroups: async () => [],
    replacementCheck: async () => undefined,
    recordDeployed: () => "stacks/deployed-settings.json",
    ask: async () => "",
    adoption: adoptStage,
  };
}

describe("pnpm deploy:all on a stage that adopts its primary", () => {
  it("states the adoption plan before the first deploy and, without --apply-adoption, deploys nothing", async () => {
    const h = io();
    expect(await deploy(["--stage", "shop"], h.io, deps())).toBe(1);
    expect(h.text()).toContain("bucket shop-prod-uploads: add replication rule pilot-light-dr (every object and delete marker to pl-shop-data-eu-central-1-123456789012 in the DR region); your rules invoices-to-archive are kept");
    expect(h.text()).toMatch(/the simple record shop\.acme-shop\.io\. becomes a failover pair in one change batch.*health check \(created by this deploy\) passes, SECONDARY the DR region's load balancer \(created by this deploy\)/);
    expect(h.text()).toContain("secret shop/prod/mysql: replicate it to eu-central-1 (encrypted there with alias/aws/secretsmanager)");
    expect(h.errors()).toContain("pnpm deploy:all --stage shop --apply-adoption");
    expect(calls).toEqual([]);
  });

  it("with --apply-adoption deploys every step, then makes the plan's changes with what the deploy published", async () => {
    const h = io();
    expect(await deploy(["--stage", "shop", "--apply-adoption"], h.io, deps()), h.errors()).toBe(0);
    expect(calls).toEqual(["sst eu-central-1 network|alerts|storage", "sst eu-west-1", "sst eu-central-1", "PutBucketReplication", "ChangeResourceRecordSets DELETE CREATE CREATE", "ReplicateSecretToRegions eu-central-1 alias/aws/secretsmanager"]);
    expect(account.replication.Role).toBe(teamRole);
    expect(account.replication.Rules?.map((r) => [r.ID, r.Destination?.Bucket])).toEqual([
      ["invoices-to-archive", "arn:aws:s3:::shop-archive"],
      ["pilot-light-dr", "arn:aws:s3:::pl-shop-data-eu-central-1-123456789012"],
    ]);
    expect(account.records.map((r) => [r.Failover, r.HealthCheckId, r.AliasTarget?.DNSName])).toEqual([
      ["PRIMARY", "hc-0123", simple.AliasTarget?.DNSName],
      ["SECONDARY", undefined, "pilot-dr-123.eu-central-1.elb.amazonaws.com"],
    ]);
    expect(account.secretReplicas.map((r) => [r.Region, r.Status])).toEqual([["eu-central-1", "InSync"]]);
    expect(h.text()).toContain("Applied the adoption plan (3 changes to your resources).");
  });

  it("deploys a stage whose plan is applied without asking anything of the operator, and changes nothing of the team's", async () => {
    await deploy(["--stage", "shop", "--apply-adoption"], io().io, deps());
    calls.length = 0;
    const h = io();
    expect(await deploy(["--stage", "shop"], h.io, deps())).toBe(0);
    expect(h.text()).toContain("none: everything pilot-light needs is in place");
    expect(calls).toEqual(["sst eu-central-1 network|alerts|storage", "sst eu-west-1", "sst eu-central-1"]);
  });

  it("refuses, deploying nothing, while the plan lists what the team must do, with the command", async () => {
    account.parameterGroup = "default.mysql8.4";
    const h = io();
    expect(await deploy(["--stage", "shop", "--apply-adoption"], h.io, deps())).toBe(1);
    expect(h.text()).toContain("aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-mysql-prod --db-parameter-group-name shop-mysql84 --apply-immediately");
    expect(h.errors()).toContain("lists what you must do first");
    expect(calls).toEqual([]);
  });

  it("refuses, deploying nothing, while the secret's replication to the DR region has failed, with the command that settles it", async () => {
    account.secretReplicas = [{ Region: "eu-central-1", Status: "Failed", StatusMessage: "Secret with this name already exists in this region" }];
    const h = io();
    expect(await deploy(["--stage", "shop", "--apply-adoption"], h.io, deps())).toBe(1);
    expect(h.text()).toContain("secret shop/prod/mysql: its replication to eu-central-1 is Failed (Secret with this name already exists in this region)");
    expect(h.text()).toContain("aws secretsmanager replicate-secret-to-regions --region eu-west-1 --secret-id shop/prod/mysql --add-replica-regions Region=eu-central-1,KmsKeyId=alias/aws/secretsmanager --force-overwrite-replica-secret");
    expect(calls).toEqual([]);
  });

  it("reports a replication role the DR bucket does not admit instead of writing it", async () => {
    stages.shop = { ...stages.shop, adopt: shopPrimary };
    const h = io();
    expect(await deploy(["--stage", "shop", "--apply-adoption"], h.io, deps())).toBe(1);
    expect(h.text()).toContain(`adopt.bucket.replicationRoleArn: "${teamRole}"`);
    expect(calls).toEqual([]);
  });

  it("--plan states the adoption plan and the steps, and runs nothing", async () => {
    const h = io();
    expect(await deploy(["--stage", "shop", "--plan"], h.io, deps())).toBe(0);
    expect(h.text()).toMatch(/add replication rule pilot-light-dr[\s\S]*\[1\/3\] DR region eu-central-1/);
    expect(calls).toEqual([]);
  });
});

describe("pnpm synth on a stage that adopts its primary", () => {
  it("says what the templates import and which command states the adoption plan, reading no account", async () => {
    const h = io();
    const synthesized: string[] = [];
    const code = await synth(["--stage", "shop", "--out", "/nonexistent/pilot-light-out"], h.io, {
      synthToDisk: async (stage) => {
        synthesized.push(stage);
        return [];
      },
    });
    expect(code).toBe(0);
    expect(synthesized).toEqual(["shop"]);
    expect(h.text()).toContain("import your VPC vpc-0a1b2c3d4e5f60718, database shop-mysql-prod, service shop-prod/storefront");
    expect(h.text()).toContain("pnpm deploy:all --stage shop --plan");
    for (const mock of [s3, rds, route53, ssm, secrets]) expect(mock.calls()).toEqual([]);
  });
});
