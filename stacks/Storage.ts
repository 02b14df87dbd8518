/**
 * Application assets and backups. Primary: a versioned bucket with lifecycle rules that
 * replicates every object (and delete markers) to a versioned DR bucket, stored there as
 * STANDARD_IA. Both: public access blocked, TLS only, access logs to a per-region log bucket
 * (also used by the ALB). Bucket names are deterministic so the primary can name its
 * replication destination without a cross-region reference; the DR region deploys first.
 */
import { StackContext } from "sst/constructs";
import { Aws, Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Stage } from "@pilot-light/core";
import { useStage } from "./context";
import { suppress } from "./nag";

// The names are core's (`pnpm dr readiness` binds the failback steps' grants to them too).
const { bucketNames } = Stage;
export { bucketNames };

export function Storage({ stack, app }: StackContext) {
  const { config, isPrimary, adopted, names: stageNames } = useStage(app);
  const names = bucketNames(config.stage, app.region, Aws.ACCOUNT_ID);
  if (adopted) return adoptedStorage(stack, adopted, stageNames, bucketNames(config.stage, config.drRegion, Aws.ACCOUNT_ID).data, config.drRegion);
  const secure = {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: s3.BucketEncryption.S3_MANAGED,
    autoDeleteObjects: config.isDevelopment,
    removalPolicy: config.isDevelopment ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  } as const;

  const logs = new s3.Bucket(stack, "Logs", {
    ...secure,
    bucketName: names.logs,
    // ALB access logs support SSE-S3 only; object ownership lets the log delivery write.
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ id: "expire-logs", expiration: Duration.days(90) }],
  });

  const lifecycleRules: s3.LifecycleRule[] = [
    { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(7) },
    { id: "expire-old-versions", noncurrentVersionExpiration: Duration.days(30) },
  ];

  if (!isPrimary) {
    const bucket = new s3.Bucket(stack, "Data", {
      ...secure,
      bucketName: names.data,
      versioned: true,
      lifecycleRules,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: "s3/",
    });
    // An adopted primary's bucket replicates as the team's role when its configuration has one
    // (a configuration has one role): same account, so this policy alone lets that role write replicas.
    const teamRole = config.adopt?.bucket.replicationRoleArn;
    if (teamRole) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "TeamReplicationRole",
          principals: [new iam.ArnPrincipal(teamRole)],
          actions: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
          resources: [bucket.arnForObjects("*")],
        }),
      );
    }
    return { bucket, logs };
  }

  const drBucketName = bucketNames(config.stage, config.drRegion, Aws.ACCOUNT_ID).data;
  const drBucket = s3.Bucket.fromBucketAttributes(stack, "DrData", {
    bucketName: drBucketName,
    region: config.drRegion,
    account: Aws.ACCOUNT_ID,
  });
  // Our own role: CDK's default (feature flag off) is named "CDKReplicationRole" in every app,
  // so a second stage in the account, or any other CDK app, would collide with it.
  const replicationRole = new iam.Role(stack, "ReplicationRole", {
    assumedBy: new iam.ServicePrincipal("s3.amazonaws.com"),
    description: `${config.app}-${config.stage}: S3 replication of the data bucket to ${config.drRegion}`,
  });
  const bucket = new s3.Bucket(stack, "Data", {
    ...secure,
    bucketName: names.data,
    versioned: true,
    replicationRole,
    lifecycleRules: [...lifecycleRules, { id: "infrequent-access", transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] }],
    serverAccessLogsBucket: logs,
    serverAccessLogsPrefix: "s3/",
    replicationRules: [
      {
        id: "to-dr-region",
        destination: drBucket,
        storageClass: s3.StorageClass.INFREQUENT_ACCESS,
        deleteMarkerReplication: true,
        priority: 1,
      },
    ],
  });
  bucket.grantReplicationPermission(replicationRole, { destinations: [{ bucket: drBucket }] });
  suppress(replicationRole, [
    {
      id: "AwsSolutions-IAM5",
      reason: "S3 replication reads and writes object versions: object-level wildcards on exactly the source and destination buckets.",
      appliesTo: ["Resource::<Data666C94C7.Arn>/*", `Resource::arn:<AWS::Partition>:s3:::pl-${config.stage}-data-${config.drRegion}-<AWS::AccountId>/*`],
    },
  ]);
  return { bucket, logs };
}

/**
 * An adopted primary's bucket (docs/adopt.md): the team's, imported by name; CloudFormation never
 * writes its replication configuration (the adoption plan merges pilot-light's rule into theirs).
 * Created here: the role that rule runs as when the team has none, allowed to read the team's
 * bucket and write to the DR bucket only. No log bucket: nothing of pilot-light's serves here.
 */
function adoptedStorage(stack: Stack, adopted: Stage.AdoptConfig, names: { prefix: string; adoptedReplicationRole: string }, drBucketName: string, drRegion: string) {
  const bucket = s3.Bucket.fromBucketName(stack, "Data", adopted.bucket.name);
  const drBucket = s3.Bucket.fromBucketAttributes(stack, "DrData", { bucketName: drBucketName, region: drRegion, account: Aws.ACCOUNT_ID });
  const replicationRole = new iam.Role(stack, "ReplicationRole", {
    // Named: `pnpm deploy:all` states the adoption plan's rule (run as this role) before a deploy.
    roleName: names.adoptedReplicationRole,
    assumedBy: new iam.ServicePrincipal("s3.amazonaws.com"),
    description: `${names.prefix}: S3 replication of ${adopted.bucket.name} to ${drRegion} (pilot-light's rule)`,
  });
  bucket.grantReplicationPermission(replicationRole, { destinations: [{ bucket: drBucket }] });
  suppress(replicationRole, [
    {
      id: "AwsSolutions-IAM5",
      reason: "S3 replication reads and writes object versions: object-level wildcards on exactly the source and destination buckets.",
      appliesTo: [`Resource::arn:<AWS::Partition>:s3:::${adopted.bucket.name}/*`, `Resource::arn:<AWS::Partition>:s3:::${drBucketName.replace(Aws.ACCOUNT_ID, "<AWS::AccountId>")}/*`],
    },
  ]);
  return { bucket, logs: undefined, replicationRole };
}
