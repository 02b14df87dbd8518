/**
 * Adopting an existing primary: a stage names the primary region's resources the team already
 * runs (VPC and subnets, the RDS MySQL instance, the ECS cluster and service, the ALB, the S3
 * bucket) instead of having pilot-light create them. Every identifier is checked against the
 * pattern AWS documents for it, so a typo stops at synth with the field's name, not at deploy.
 * The workflows take these identifiers from here (Stage.resourceNames), never from
 * pilot-light's own naming conventions.
 */
import * as z from "zod";

/** EC2 resource ids: a prefix and 8 (older) or 17 hexadecimal characters (EC2 API Reference, "Resource IDs"). */
const ec2Id = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`), `must be ${what} id: ${prefix}- and 8 or 17 hexadecimal characters`);

/** RDS DB instance identifiers: 1-63 letters, digits or hyphens, starting with a letter, no trailing hyphen, no two hyphens in a row. */
const rdsIdentifier = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,62}$/, `must be ${what}: 1-63 letters, digits or hyphens, starting with a letter, no two hyphens in a row`)
    .refine((s) => !s.endsWith("-"), `must be ${what}: it cannot end with a hyphen`);

/** ECS cluster and service names: up to 255 letters, digits, hyphens and underscores. */
const ecsName = (what: string) => z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, `must be an ECS ${what} name: 1-255 letters, digits, hyphens or underscores`);

const availabilityZone = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, "must be an availability zone name such as eu-west-1a");

/** S3 general purpose bucket naming rules (S3 User Guide, "Bucket naming rules"). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return "must be 3-63 characters long";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return "must be lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit";
  if (name.includes("..")) return "must not hold two adjacent dots";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "must not be formatted as an IP address";
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return "must not start with xn--, sthree- or amzn-s3-demo-";
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return "must not end with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3";
  return undefined;
}

const bucketName = z.string().superRefine((name, ctx) => {
  const problem = bucketNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem} (S3 bucket naming rules)` });
});

const albArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    "must be an Application Load Balancer ARN: arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<16 hex>",
  );
const listenerArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:listener\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
    "must be an ALB listener ARN: arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<16 hex>/<16 hex>",
  );
const targetGroupArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
    "must be a target group ARN: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex>",
  );

export const AdoptConfig = z
  .object({
    vpc: z
      .object({
        vpcId: ec2Id("vpc", "a VPC"),
        /** The zones of the subnets below, in the same order (two or more: RDS and the ALB need two). */
        availabilityZones: z.array(availabilityZone).min(2, "must name at least two zones (the ALB and a Multi-AZ database need two)"),
        publicSubnetIds: z.array(ec2Id("subnet", "a subnet")).min(2),
        privateSubnetIds: z.array(ec2Id("subnet", "a subnet")).min(2),
      })
      .strict()
      .refine((v) => v.publicSubnetIds.length === v.availabilityZones.length, { path: ["publicSubnetIds"], message: "must name one subnet per availability zone, in their order" })
      .refine((v) => v.privateSubnetIds.length === v.availabilityZones.length, { path: ["privateSubnetIds"], message: "must name one subnet per availability zone, in their order" }),
    database: z
      .object({
        // A re-protect or a switchback renames the old primary aside as <id>-r<yyyymmddhhmmss>
        // (Failback.retiredName), which must be an identifier too: 16 of RDS's 63 characters.
        instanceIdentifier: rdsIdentifier("an RDS DB instance identifier").refine(
          (id) => id.length <= 47,
          "must be at most 47 characters: a re-protect or a switchback renames it aside as <identifier>-r<yyyymmddhhmmss>, and RDS identifiers are at most 63 (rename the instance first: aws rds modify-db-instance --new-db-instance-identifier)",
        ),
        /**
         * The DB parameter group the failover's fence sets read_only = 1 in. RDS refuses to modify
         * a default group, so this is the team's own; `pnpm synth` states the one command that
         * moves an instance still on `default.*` to it.
         */
        parameterGroup: rdsIdentifier("a DB parameter group name").refine((g) => !g.startsWith("default."), "cannot be a default.* group: RDS refuses to modify default parameter groups, and the fence sets read_only in it"),
        /** The instance's endpoint address (the DR region's tasks never use it; the replica names its source by ARN). */
        endpoint: z.string().regex(/^[a-z0-9.-]+\.rds\.amazonaws\.com$/, "must be the instance's endpoint address (<id>.<random>.<region>.rds.amazonaws.com)"),
        port: z.number().int().min(1150).max(65535).default(3306),
        /** The database the application uses (its DB_NAME). */
        databaseName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be a MySQL database name: a letter, then up to 63 letters, digits or underscores").default("app"),
        /** Security group on the instance: pilot-light adds nothing to it. */
        securityGroupId: ec2Id("sg", "a security group"),
        /** Secrets Manager secret with the credentials; pilot-light replicates it to the DR region. */
        secretName: z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "must be a Secrets Manager secret name (letters, digits, /_+=.@-)"),
      })
      .strict(),
    service: z
      .object({
        clusterName: ecsName("cluster"),
        serviceName: ecsName("service"),
        /** Security group of its tasks. */
        securityGroupId: ec2Id("sg", "a security group"),
      })
      .strict(),
    loadBalancer: z
      .object({
        arn: albArn,
        dnsName: z.string().regex(/^[a-z0-9.-]+\.elb\.amazonaws\.com$/i, "must be the load balancer's DNS name (<name>-<id>.<region>.elb.amazonaws.com)"),
        /** The load balancer's canonical hosted zone id (an alias record's target zone). */
        canonicalHostedZoneId: z.string().regex(/^Z[A-Z0-9]+$/, "must be a Route 53 zone id (Z...)"),
        listenerArn,
        /** The target group the service's tasks are registered in. */
        targetGroupArn,
        securityGroupId: ec2Id("sg", "a security group"),
      })
      .strict(),
    bucket: z
      .object({
        name: bucketName,
        /**
         * The role of the bucket's own replication configuration, when it has one: a configuration
         * has one role, so pilot-light's rule runs as it, and the DR bucket's policy lets it write
         * replicas (the adoption plan reports a role that is not named here).
         */
        replicationRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>").optional(),
      })
      .strict(),
  })
  .strict()
  .refine((a) => regionOfArn(a.loadBalancer.listenerArn) === regionOfArn(a.loadBalancer.arn) && regionOfArn(a.loadBalancer.targetGroupArn) === regionOfArn(a.loadBalancer.arn), {
    path: ["loadBalancer"],
    message: "the load balancer, its listener and its target group must be in one region",
  });

export type AdoptConfig = z.infer<typeof AdoptConfig>;

export function regionOfArn(arn: string): string | undefined {
  return arn.split(":")[3];
}
