/**
 * Application assets and backups. Primary: a versioned bucket with lifecycle rules that
 * replicates every object (and delete markers) to a versioned DR bucket, stored there as
 * STANDARD_IA. Both: public access blocked, TLS only, access logs to a per-region log bucket
 * (also used by the ALB). Bucket names are deterministic so the primary can name its
 * replication destination without a cross-region reference; the DR region deploys first.
 */
import { StackContext } from "sst/constructs";
import { Aws, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Stage } from "@pilot-light/core";
import { useStage } from "./context";
import { suppress } from "./nag";

// The names are core's (`pnpm dr readiness` binds the failback steps' grants to them too).
const { bucketNames } = Stage;
export { bucketNames };

export function Storage({ stack, app }: StackContext) {
  const { config, isPrimary } = useStage(app);
  const names = bucketNames(config.stage, app.region, Aws.ACCOUNT_ID);
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
