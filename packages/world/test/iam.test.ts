/**
 * The world's IAM evaluator and request model: policy evaluation as IAM documents it, and the
 * actions, ARNs and condition keys the Service Authorization Reference gives each API; the roles
 * a stage's stacks create, as CloudFormation names them, under their IAM path.
 */
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { authRequests, conditionHolds, deployedRoleName, deployStackRoles, evaluate, functionRoles, generatedRoleName, iamOf, installApis, pilotLightWorld, type PolicyStatement } from "../src";

const request = (action: string, resource: string, context: Record<string, string[]> = {}) => ({ action, resource, context });

describe("IAM policy evaluation", () => {
  const rows: PolicyStatement = {
    Effect: "Allow",
    Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
    Resource: "arn:aws:dynamodb:eu-central-1:123456789012:table/state",
    Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LOCK#failover"] } },
  };
  const table = "arn:aws:dynamodb:eu-central-1:123456789012:table/state";

  it.each([
    ["the allowed key", ["LOCK#failover"], true],
    ["another key", ["OUTCOME#x"], false],
  ])("decides a row condition on %s", (_, keys, allowed) => {
    expect(evaluate([rows], request("dynamodb:GetItem", table, { "dynamodb:LeadingKeys": keys })).allowed).toBe(allowed);
  });

  it("treats ForAllValues over a request without the key as true (IAM's documented pitfall)", () => {
    expect(conditionHolds("ForAllValues:StringLike", "dynamodb:LeadingKeys", ["LOCK#failover"], {})).toBe(true);
    expect(conditionHolds("ForAnyValue:StringLike", "dynamodb:LeadingKeys", ["LOCK#failover"], {})).toBe(false);
  });

  it("needs a single-valued key unless the operator says IfExists", () => {
    expect(conditionHolds("StringEquals", "kms:ViaService", ["rds.eu-central-1.amazonaws.com"], {})).toBe(false);
    expect(conditionHolds("StringEqualsIfExists", "kms:ViaService", ["rds.eu-central-1.amazonaws.com"], {})).toBe(true);
  });

  it("matches actions case-insensitively and resources with IAM's wildcards", () => {
    const s: PolicyStatement = { Effect: "Allow", Action: "RDS:describe*", Resource: "arn:aws:secretsmanager:eu-central-1:1:secret:app/db-??????" };
    expect(evaluate([s], request("rds:DescribeDBInstances", "arn:aws:secretsmanager:eu-central-1:1:secret:app/db-AbCdEf")).allowed).toBe(true);
    expect(evaluate([s], request("rds:DescribeDBInstances", "arn:aws:secretsmanager:eu-central-1:1:secret:app/db-AbCdE")).allowed).toBe(false);
  });

  it("lets an explicit Deny win over an Allow", () => {
    const allow: PolicyStatement = { Effect: "Allow", Action: "*", Resource: "*" };
    const deny: PolicyStatement = { Effect: "Deny", Action: "rds:PromoteReadReplica", Resource: "*" };
    expect(evaluate([allow, deny], request("rds:PromoteReadReplica", "arn:aws:rds:eu-central-1:1:db:x"))).toEqual({ allowed: false, explicitDeny: true });
  });

  it("refuses to guess an operator it does not implement", () => {
    expect(() => conditionHolds("DateGreaterThan", "aws:CurrentTime", ["2020-01-01"], { "aws:CurrentTime": ["2021-01-01"] })).toThrow(/does not implement/);
  });
});

describe("what each API needs (Service Authorization Reference)", () => {
  const { world } = pilotLightWorld();

  it("builds the DB instance ARN from the request with the reference's format", async () => {
    expect(await authRequests("rds:PromoteReadReplica", { DBInstanceIdentifier: "db-1" }, "eu-central-1", "123456789012", world)).toEqual([
      { action: "rds:PromoteReadReplica", resource: "arn:aws:rds:eu-central-1:123456789012:db:db-1", context: {} },
    ]);
  });

  it("authorises an action without resource-level permissions on *", async () => {
    expect(await authRequests("elasticloadbalancing:DescribeTargetHealth", {}, "eu-central-1", "1", world)).toEqual([{ action: "elasticloadbalancing:DescribeTargetHealth", resource: "*", context: {} }]);
  });

  it("gives Route 53 the normalized record names of a change batch", async () => {
    const [r] = await authRequests(
      "route53:ChangeResourceRecordSets",
      { HostedZoneId: "/hostedzone/Z1", ChangeBatch: { Changes: [{ Action: "UPSERT", ResourceRecordSet: { Name: "App.Example.com.", Type: "A" } }] } },
      "us-east-1",
      "1",
      world,
    );
    expect(r).toMatchObject({ resource: "arn:aws:route53:::hostedzone/Z1", context: { "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["app.example.com"] } });
  });

  it("adds the implicit actions: tags on a create, KMS for an encrypted cross-Region replica, the role S3 replication is passed", async () => {
    const replica = await authRequests(
      "rds:CreateDBInstanceReadReplica",
      { DBInstanceIdentifier: "db-2", SourceDBInstanceIdentifier: "arn:aws:rds:eu-west-1:1:db:db-1", KmsKeyId: "arn:aws:kms:eu-central-1:1:key/k", Tags: [{ Key: "app", Value: "pl" }] },
      "eu-central-1",
      "1",
      world,
    );
    expect(replica.map((r) => `${r.action} ${r.resource}`)).toEqual([
      "rds:CreateDBInstanceReadReplica arn:aws:rds:eu-central-1:1:db:db-2",
      "rds:CreateDBInstanceReadReplica arn:aws:rds:eu-west-1:1:db:db-1",
      "rds:AddTagsToResource arn:aws:rds:eu-central-1:1:db:db-2",
      "kms:CreateGrant arn:aws:kms:eu-central-1:1:key/k",
      "kms:DescribeKey arn:aws:kms:eu-central-1:1:key/k",
    ]);
    expect(replica.at(-1)?.context).toEqual({ "kms:ViaService": ["rds.eu-central-1.amazonaws.com"] });
    const s3 = await authRequests("s3:PutBucketReplication", { Bucket: "b", ReplicationConfiguration: { Role: "arn:aws:iam::1:role/r" } }, "eu-central-1", "1", world);
    expect(s3.map((r) => r.action)).toEqual(["s3:PutReplicationConfiguration", "iam:PassRole"]);
  });

  it("fails loudly for an API it does not model", async () => {
    await expect(authRequests("rds:DeleteDBInstance", {}, "eu-central-1", "1", world)).rejects.toThrow(/does not model IAM/);
  });
});

describe("roles read from a template", () => {
  it("resolves Ref, Fn::Join, Fn::ImportValue and the placeholder account to the world's", () => {
    const template = {
      Resources: {
        Fn: { Type: "AWS::Lambda::Function", Properties: { Role: { "Fn::GetAtt": ["FnRole", "Arn"] } } },
        FnRole: { Type: "AWS::IAM::Role", Properties: {} },
        FnPolicy: {
          Type: "AWS::IAM::Policy",
          Properties: {
            Roles: [{ Ref: "FnRole" }],
            PolicyDocument: {
              Statement: [
                { Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":rds:eu-central-1:my-account:db:", { "Fn::ImportValue": "Data:Replica" }]] } },
              ],
            },
          },
        },
      },
    };
    expect(functionRoles(template, { region: "eu-central-1", account: "123456789012", templateAccount: "my-account", imports: { "Data:Replica": "r-1" } })).toEqual([
      { functionId: "Fn", roleName: "FnRole", statements: [{ Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: "arn:aws:rds:eu-central-1:123456789012:db:r-1" }] },
    ]);
    expect(() => functionRoles(template, { region: "eu-central-1", account: "1" })).toThrow(/no such export/);
  });
});

describe("who calls", () => {
  it("authorises a function's call against its role, and only counts the calls of a function it holds no role for", async () => {
    const { world, ids } = pilotLightWorld();
    const restore = installApis(world);
    try {
      const iam = iamOf(world);
      iam.addRoles([{ functionId: "Reader", roleName: "ReaderRole", statements: [{ Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: ids.replicaArn }] }]);
      const rds = new RDSClient({ region: ids.drRegion });
      const describe = (id: string) => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      await iam.runAs("Reader", () => describe(ids.replicaDb));
      await expect(iam.runAs("Reader", () => describe(ids.primaryDb))).rejects.toMatchObject({ name: "AccessDenied" });
      await iam.runUnchecked("Unknown", () => describe(ids.replicaDb));
      expect(iam.decisions.map((d) => d.allowed)).toEqual([true, false]);
      expect(iam.unattributed).toBe(1);
    } finally {
      restore();
    }
  });
});

describe("the roles a stage's stacks create", () => {
  it("are named as CloudFormation names them: the stack name whole within 64 characters, cut to 25 past them", () => {
    expect(generatedRoleName("test-pilot-light-Compute", "TaskExecutionRole250D2532", "ABCDEFGHIJKLM")).toBe("test-pilot-light-Compute-TaskExecutionRole250D2532-ABCDEFGHIJKLM");
    const long = generatedRoleName("payments-eu-staging-2-pilot-light-Failover", "PromoteReplicaServiceRole0A1B2C3D", "ABCDEFGHIJKLM");
    expect(long).toBe("payments-eu-staging-2-pil-PromoteReplicaServiceRol-ABCDEFGHIJKLM");
    expect(long).toHaveLength(64);
  });

  it("carry their path in their ARN: GetRole answers it and is judged on it, the simulator knows no role at another path", async () => {
    const { world, ids } = pilotLightWorld();
    deployStackRoles(world, ids.drRegion, "test-pilot-light-Failover", [{ functionId: "Step", roleName: "StepServiceRole0A1B2C3D", statements: [] }], "/pilot-light/test/");
    const name = deployedRoleName(world, ids.drRegion, "test-pilot-light-Failover", "StepServiceRole0A1B2C3D")!;
    const arn = `arn:aws:iam::123456789012:role/pilot-light/test/${name}`;
    expect((await authRequests("iam:GetRole", { RoleName: name }, ids.drRegion, "123456789012", world))[0]?.resource).toBe(arn);
    const restore = installApis(world);
    try {
      const iam = new IAMClient({ region: "us-east-1" });
      expect((await iam.send(new GetRoleCommand({ RoleName: name }))).Role).toMatchObject({ Arn: arn, Path: "/pilot-light/test/" });
      await expect(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ["rds:DescribeDBInstances"] }))).resolves.toMatchObject({ EvaluationResults: [{ EvalDecision: "implicitDeny" }] });
      await expect(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::123456789012:role/${name}`, ActionNames: ["rds:DescribeDBInstances"] }))).rejects.toMatchObject({ name: "NoSuchEntityException" });
    } finally {
      restore();
    }
  });
});
