import { describe, expect, it } from "vitest";
import { Errors, Stage } from "@pilot-light/core";
import { shopPrimary } from "./support/adopted";


const resolve = (adopt: unknown, extra: Stage.StageSettingsInput = {}) => Stage.resolveStageConfig("shop", { shop: { ...extra, adopt: adopt as Stage.StageSettingsInput["adopt"] } });
const withField = (path: string, value: unknown) => {
  const copy = structuredClone(shopPrimary) as Record<string, Record<string, unknown>>;
  const [group, key] = path.split(".") as [string, string];
  copy[group]![key] = value;
  return copy;
};

describe("adopting an existing primary", () => {
  it("takes the primary's identifiers from the stage's settings, never from pilot-light's naming", () => {
    const names = Stage.resourceNames(resolve(shopPrimary));
    expect(names).toMatchObject({
      primaryDb: "shop-mysql-prod",
      primaryParameterGroup: "shop-mysql84",
      primaryCluster: "shop-prod",
      primaryService: "storefront",
      secretName: "shop/prod/mysql",
      // What pilot-light adds keeps its own names.
      replicaDb: "pilot-light-shop-replica",
      cluster: "pilot-light-shop",
      service: "pilot-light-shop-web",
    });
  });

  it("names pilot-light's own resources in both regions when the stage adopts nothing", () => {
    const names = Stage.resourceNames(Stage.resolveStageConfig("alice", {}));
    expect(names).toMatchObject({ primaryDb: "pilot-light-alice-primary", primaryParameterGroup: "pilot-light-alice-primary", primaryCluster: "pilot-light-alice", primaryService: "pilot-light-alice-web", secretName: "pilot-light-alice/db-credentials" });
  });

  it("defaults the port to 3306", () => {
    expect(resolve(shopPrimary).adopt?.database.port).toBe(3306);
  });

  it.each([
    ["vpc.vpcId", "vpc-123", /adopt.vpc.vpcId: must be a VPC id: vpc- and 8 or 17 hexadecimal characters/],
    ["vpc.publicSubnetIds", ["subnet-0aa1bb2cc3dd4ee5f"], /adopt.vpc.publicSubnetIds/],
    ["vpc.privateSubnetIds", ["subnet-2aa1bb2cc3dd4ee5f", "subnet-3aa1bb2cc3dd4ee5f", "subnet-4aa1bb2cc3dd4ee5f"], /adopt.vpc.privateSubnetIds: must name one subnet per availability zone/],
    ["vpc.availabilityZones", ["eu-central-1a", "eu-central-1b"], /adopt.vpc.availabilityZones: must be zones of the primary region/],
    ["database.instanceIdentifier", "1shop", /adopt.database.instanceIdentifier: must be an RDS DB instance identifier/],
    ["database.instanceIdentifier", "shop--db", /adopt.database.instanceIdentifier: must be an RDS DB instance identifier/],
    ["database.instanceIdentifier", "shop-db-", /adopt.database.instanceIdentifier: .*cannot end with a hyphen/],
    ["database.instanceIdentifier", "a".repeat(64), /adopt.database.instanceIdentifier/],
    ["database.instanceIdentifier", "a".repeat(48), /adopt.database.instanceIdentifier: must be at most 47 characters: a re-protect or a switchback renames it aside as <identifier>-r<yyyymmddhhmmss>/],
    ["database.parameterGroup", "default.mysql8.4", /adopt.database.parameterGroup: cannot be a default.\* group: RDS refuses to modify default parameter groups/],
    ["database.endpoint", "shop-mysql-prod.c9akciq32.eu-central-1.rds.amazonaws.com", /adopt.database.endpoint: must be an endpoint in the primary region/],
    ["database.endpoint", "10.0.3.17", /adopt.database.endpoint: must be the instance's endpoint address/],
    ["database.securityGroupId", "sg-zz", /adopt.database.securityGroupId: must be a security group id/],
    ["database.databaseName", "shop-db", /adopt.database.databaseName: must be a MySQL database name/],
    ["service.clusterName", "shop prod", /adopt.service.clusterName: must be an ECS cluster name/],
    ["service.serviceName", "", /adopt.service.serviceName: must be an ECS service name/],
    ["loadBalancer.arn", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/shop/50dc6c495c0c9188", /adopt.loadBalancer.arn: must be an Application Load Balancer ARN/],
    ["loadBalancer.listenerArn", "arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/app/shop-prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2", /adopt.loadBalancer: the load balancer, its listener and its target group must be in one region/],
    ["loadBalancer.targetGroupArn", "storefront", /adopt.loadBalancer.targetGroupArn: must be a target group ARN/],
    ["loadBalancer.canonicalHostedZoneId", "z32o12", /adopt.loadBalancer.canonicalHostedZoneId: must be a Route 53 zone id/],
    ["bucket.name", "Shop_Uploads", /adopt.bucket.name: must be lowercase letters, digits, dots and hyphens/],
    ["bucket.name", "shop..uploads", /adopt.bucket.name: must not hold two adjacent dots/],
    ["bucket.name", "192.168.5.4", /adopt.bucket.name: must not be formatted as an IP address/],
    ["bucket.name", "xn--shop", /adopt.bucket.name: must not start with xn--/],
    ["bucket.name", "shop-s3alias", /adopt.bucket.name: must not end with -s3alias/],
    ["bucket.name", "ab", /adopt.bucket.name: must be 3-63 characters long/],
    ["bucket.replicationRoleArn", "arn:aws:iam::123456789012:user/shop", /adopt.bucket.replicationRoleArn: must be an IAM role ARN/],
    ["bucket.bucketName", "shop", /adopt.bucket: Unrecognized key/],
  ])("refuses %s = %j naming the setting and the rule", (path, value, message) => {
    expect(() => resolve(withField(path, value))).toThrow(Errors.ValidationError);
    expect(() => resolve(withField(path, value))).toThrow(message);
  });

  it("refuses a load balancer outside the primary region", () => {
    const lb = { ...shopPrimary.loadBalancer, arn: shopPrimary.loadBalancer.arn.replace("eu-west-1", "eu-central-1"), listenerArn: shopPrimary.loadBalancer.listenerArn.replace("eu-west-1", "eu-central-1"), targetGroupArn: shopPrimary.loadBalancer.targetGroupArn.replace("eu-west-1", "eu-central-1") };
    expect(() => resolve({ ...shopPrimary, loadBalancer: lb })).toThrow(/adopt.loadBalancer.arn: must be in the primary region/);
  });

  it("refuses an adopt block missing a resource", () => {
    const { bucket: _bucket, ...rest } = shopPrimary;
    expect(() => resolve(rest)).toThrow(/adopt.bucket/);
  });
});
