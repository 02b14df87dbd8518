/**
 * A stage that adopts a team's existing primary (variant `adopted`, docs/adopt.md): the primary
 * region's templates hold none of the team's resources, so no deploy can replace, modify or
 * delete them, and what pilot-light adds names them from the settings; the DR region's stacks
 * build the replica of their database, a task running their database's name, a DR bucket their
 * replication role may write to, and leave the failover records to the adoption plan.
 */
import { describe, expect, it } from "vitest";
import { synthStage } from "./support/synth";

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const resourcesOf = (templates: Record<string, { toJSON(): unknown }>) =>
  Object.entries(templates).flatMap(([stack, t]) => Object.entries((t.toJSON() as { Resources?: Resources }).Resources ?? {}).map(([id, r]) => ({ stack, id, ...r })));
const team = {
  db: "shop-mysql-prod",
  group: "shop-mysql84",
  cluster: "shop-prod",
  service: "storefront",
  bucket: "shop-prod-uploads",
  record: "shop.example.org",
  securityGroups: ["sg-0123456789abcdef0", "sg-1123456789abcdef0", "sg-2123456789abcdef0"],
};

describe("a stage that adopts its primary: the primary region", () => {
  const primary = resourcesOf(synthStage("adopted").primary);

  it("creates none of the team's kinds of resource: no VPC, database, group, cluster, service, load balancer, bucket or security group rule", () => {
    const theirs = /^AWS::(EC2::(VPC|Subnet|SecurityGroup.*|VPCEndpoint|FlowLog)|RDS::.*|ECS::.*|ElasticLoadBalancingV2::.*|S3::.*|SecretsManager::.*|CertificateManager::.*)$/;
    expect(primary.filter((r) => theirs.test(r.Type) || r.Type === "Custom::DesiredCount").map((r) => `${r.stack} ${r.Type}`)).toEqual([]);
    // The only key is the alert topic's (pilot-light's own); none for a database.
    expect(primary.filter((r) => r.Type === "AWS::KMS::Key").map((r) => r.stack)).toEqual(["Alerts"]);
  });

  it("adds only pilot-light's own names to the team's zone: the regional name of their load balancer, for the health check", () => {
    const records = primary.filter((r) => r.Type === "AWS::Route53::RecordSet");
    expect(records.map((r) => [r.Properties?.Name, (r.Properties?.AliasTarget as { DNSName?: string }).DNSName])).toEqual([
      ["eu-west-1.shop.example.org.", "dualstack.shop-prod-alb-1234567890.eu-west-1.elb.amazonaws.com"],
    ]);
  });

  it("its copy of the orchestrator names the team's database, service, load balancer and secret", () => {
    const env = primary.find((r) => r.stack === "Failover" && r.Type === "AWS::Lambda::Function" && (r.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.REPLICA_ID);
    expect((env?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      REPLICA_ID: team.db,
      DR_CLUSTER: team.cluster,
      DR_SERVICE: team.service,
      TARGET_GROUP_ARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/storefront/73e2d6bc24d8a067",
      SECRET_ID: "shop/prod/mysql",
    });
  });

  it("publishes the team's load balancer to the DR region, and makes the replication role pilot-light's rule may run as, on their bucket and the DR bucket only", () => {
    const published = primary.filter((r) => r.Type === "Custom::AWS").map((r) => JSON.parse(String(r.Properties?.Create)) as { parameters: { Name: string; Value: string } });
    expect(published.map((p) => [p.parameters.Name, p.parameters.Value])).toEqual([
      ["/pilot-light/adopted/primary/alb-dns", "shop-prod-alb-1234567890.eu-west-1.elb.amazonaws.com"],
      ["/pilot-light/adopted/primary/alb-zone", "Z32O12XQLNTSW2"],
    ]);
    const role = primary.find((r) => r.stack === "Storage" && r.Type === "AWS::IAM::Role" && r.Properties?.RoleName);
    expect(role?.Properties?.RoleName).toBe("pilot-light-adopted-s3-replication");
    const policy = JSON.stringify(primary.filter((r) => r.stack === "Storage" && r.Type === "AWS::IAM::Policy").map((r) => r.Properties?.PolicyDocument));
    expect(policy).toContain(`s3:::${team.bucket}/*`);
    expect(policy).toContain("s3:::pl-adopted-data-eu-central-1-");
  });
});

describe("a stage that adopts its primary: the DR region", () => {
  const dr = resourcesOf(synthStage("adopted").dr);

  it("replicates the team's database by its ARN, from their endpoint", () => {
    const replica = dr.find((r) => r.Type === "AWS::RDS::DBInstance");
    expect(JSON.stringify(replica?.Properties?.SourceDBInstanceIdentifier)).toContain(`:db:${team.db}`);
    expect(replica?.Properties?.SourceRegion).toBe("eu-west-1");
  });

  it("runs the application against the replica under the team's database name", () => {
    const task = dr.find((r) => r.Type === "AWS::ECS::TaskDefinition");
    const environment = (task?.Properties?.ContainerDefinitions as { Environment: { Name: string; Value: unknown }[] }[])[0]!.Environment;
    expect(environment.find((e) => e.Name === "DB_NAME")?.Value).toBe("shop");
  });

  it("mirrors the team's task definition into the DR service on the readiness schedule, with grants on the team's service and its own family only", () => {
    const fn = dr.find((r) => r.stack === "Compute" && r.Type === "AWS::Lambda::Function" && (r.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.MIRROR_FAMILY);
    expect((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      PRIMARY_CLUSTER: team.cluster,
      PRIMARY_SERVICE: team.service,
      MIRROR_FAMILY: "pilot-light-adopted-web-mirror",
      PRIMARY_DB_ENDPOINT: "shop-mysql-prod.c9akciq32.eu-west-1.rds.amazonaws.com",
    });
    const rule = dr.find((r) => r.Type === "AWS::Events::Rule" && r.Properties?.Name === "pilot-light-adopted-mirror-task-definition");
    expect(rule?.Properties?.ScheduleExpression).toBe("rate(30 minutes)");
    const grants = JSON.stringify(dr.filter((r) => r.stack === "Compute" && r.Type === "AWS::IAM::Policy").map((r) => r.Properties));
    expect(grants).toContain(`:service/${team.cluster}/${team.service}`);
    expect(grants).toContain(":task-definition/pilot-light-adopted-web-mirror:*");
    // Its old revisions: neither action has a resource type (Service Authorization Reference).
    expect(grants).toContain('"Action":["ecs:ListTaskDefinitions","ecs:DeregisterTaskDefinition"],"Effect":"Allow","Resource":"*"');
    expect(dr.some((r) => r.Type === "AWS::CloudWatch::Alarm" && r.Properties?.AlarmName === "pilot-light-adopted-mirror-task-definition-failed")).toBe(true);
  });

  it("its failover's ScaleDrService starts the mirror's latest revision (MIRROR_FAMILY, DescribeTaskDefinition granted); the primary region's copy scales the team's own service", () => {
    const scale = (resources: typeof dr) => resources.find((r) => r.stack === "Failover" && r.Type === "AWS::Lambda::Function" && r.id.startsWith("ScaleDrService"));
    expect((scale(dr)?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({ MIRROR_FAMILY: "pilot-light-adopted-web-mirror" });
    const policy = JSON.stringify(dr.filter((r) => r.stack === "Failover" && r.Type === "AWS::IAM::Policy" && r.id.startsWith("ScaleDrService")).map((r) => r.Properties?.PolicyDocument));
    expect(policy).toContain("ecs:DescribeTaskDefinition");
    const primaryCopy = scale(resourcesOf(synthStage("adopted").primary));
    expect((primaryCopy?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.MIRROR_FAMILY).toBeUndefined();
  });

  it("lets the team's replication role write replicas into the DR bucket, and nothing more", () => {
    const policy = dr.find((r) => r.Type === "AWS::S3::BucketPolicy" && JSON.stringify(r.Properties).includes("shop-s3-replication"));
    const statement = (policy?.Properties?.PolicyDocument as { Statement: { Sid?: string; Principal?: unknown; Action?: unknown }[] }).Statement.find((s) => s.Sid === "TeamReplicationRole");
    expect(statement).toMatchObject({ Principal: { AWS: "arn:aws:iam::123456789012:role/shop-s3-replication" }, Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"] });
  });

  it("declares no failover record (the adoption plan makes the pair from the team's record) and publishes what that pair needs", () => {
    const dns = dr.filter((r) => r.stack === "Dns");
    expect(dns.filter((r) => r.Type === "AWS::Route53::RecordSet")).toEqual([]);
    expect(dns.filter((r) => r.Type === "AWS::SSM::Parameter").map((r) => r.Properties?.Name)).toEqual(["/pilot-light/adopted/dr/primary-health-check-id", "/pilot-light/adopted/dr/alb-dns", "/pilot-light/adopted/dr/alb-zone"]);
  });

  it("its orchestrator fences the team's database in the team's parameter group", () => {
    const env = dr.find((r) => r.stack === "Failover" && r.Type === "AWS::Lambda::Function" && (r.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.PRIMARY_ID);
    expect((env?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({ PRIMARY_ID: team.db, PRIMARY_CLUSTER: team.cluster, PRIMARY_SERVICE: team.service });
    expect(JSON.stringify(dr.filter((r) => r.stack === "Failover" && r.Type === "AWS::IAM::Policy").map((r) => r.Properties))).toContain(`:pg:${team.group}`);
  });
});
