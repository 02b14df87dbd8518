/**
 * The application's MySQL database. Primary: RDS MySQL 8.4, Multi-AZ, 7-day automated
 * backups, KMS-encrypted, credentials in Secrets Manager replicated to the DR region.
 * The primary has its own parameter group, in which the failover's fence sets read_only.
 * DR: a cross-region read replica encrypted with a DR-region key. Replica backups must be on,
 * or RDS refuses to promote while the first backup runs ("backing-up").
 * The replica's definition never changes with the active region: after a promotion the
 * resource is left exactly as CloudFormation knows it, so a later deploy does not touch it.
 */
import { StackContext, use } from "sst/constructs";
import { Arn, ArnFormat, Aws, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as kms from "aws-cdk-lib/aws-kms";
import * as rds from "aws-cdk-lib/aws-rds";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Alerts } from "./Alerts";
import { useStage } from "./context";
import { suppress } from "./nag";
import { Network } from "./Network";

// 8.4 (LTS): 8.0 left RDS standard support on 31 July 2026, and new 8.0 instances are enrolled in
// paid Extended Support. The major version only: RDS picks the minor, autoMinorVersionUpgrade keeps it.
/**
 * The replica's daily backup window (UTC). RDS refuses to promote a replica while it is
 * `backing-up`, so the window is fixed and documented rather than left to RDS's random
 * choice: a failover in it waits (Preflight retries ReplicaNotReadyError). The emulated world
 * assumes the same window (packages/world defaultReplicaBackup; stacks/test checks they agree).
 */
export const replicaBackupWindow = "01:00-01:30";

const engine = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.of("8.4", "8.4") });

/** The automated backups' retention of the databases pilot-light creates (and what a promotion keeps). */
const backupRetentionDays = 7;

export function Data({ stack, app }: StackContext) {
  const { config, names, isPrimary, adopted } = useStage(app);
  const { vpc, rdsSg } = use(Network);
  const keep = config.isDevelopment ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  const secretName = names.secretName;
  const primaryArn = Arn.format({
    partition: Aws.PARTITION,
    service: "rds",
    region: config.primaryRegion,
    account: Aws.ACCOUNT_ID,
    resource: "db",
    resourceName: names.primaryDb,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  if (adopted) {
    // The team's database and secret, imported: nothing of theirs is in this template, so no
    // deploy can replace, modify or delete them (docs/adopt.md). Its fence's group is theirs too
    // (adopt.database.parameterGroup); the adoption plan says how to move a default.* one.
    const instance = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, "Primary", {
      instanceIdentifier: names.primaryDb,
      instanceEndpointAddress: adopted.database.endpoint,
      port: adopted.database.port,
      securityGroups: [rdsSg],
      engine,
    });
    return {
      instance,
      endpoint: adopted.database.endpoint,
      secret: secretsmanager.Secret.fromSecretNameV2(stack, "DbSecret", secretName),
      primaryIdentifier: names.primaryDb,
      primaryArn,
      backupRetentionDays,
    };
  }

  const key = new kms.Key(stack, "DbKey", {
    description: `${names.prefix} database storage (${app.region})`,
    enableKeyRotation: true,
    removalPolicy: keep,
  });
  const common = {
    instanceType: new ec2.InstanceType(config.sizes.dbInstanceClass.replace(/^db\./, "")),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [rdsSg],
    storageEncryptionKey: key,
    backupRetention: Duration.days(backupRetentionDays),
    deletionProtection: !config.isDevelopment,
    removalPolicy: keep,
    iamAuthentication: true,
    cloudwatchLogsExports: ["error", "slowquery"],
    autoMinorVersionUpgrade: true,
  };

  const suppressions = (multiAz: boolean) => [
    { id: "AwsSolutions-RDS11", reason: "Port 3306 is reachable only from the ECS tasks' security group; a non-default port adds no protection." },
    ...(config.isDevelopment
      ? [{ id: "AwsSolutions-RDS10", reason: `Development stage "${config.stage}": databases are removed with the stage; other stages enable deletion protection.` }]
      : []),
    ...(multiAz
      ? []
      : [{ id: "AwsSolutions-RDS3", reason: "Pilot-light replica runs single-AZ to save cost; the runbook converts it to Multi-AZ after promotion." }]),
  ];

  if (isPrimary) {
    // Its own parameter group, so the failover's fence can set read_only = 1 in it (a dynamic
    // parameter: RDS applies it at once) when the DR replica is promoted. read_only is left
    // out of the template on purpose: no deploy may reset a fence (docs/aws-behaviour.md).
    const parameterGroup = new rds.ParameterGroup(stack, "PrimaryParameters", {
      engine,
      name: names.primaryParameterGroup,
      description: `${names.prefix} primary database; the failover fence sets read_only here`,
      parameters: {},
      removalPolicy: keep,
    });
    const instance = new rds.DatabaseInstance(stack, "Primary", {
      ...common,
      engine,
      parameterGroup,
      instanceIdentifier: names.primaryDb,
      allocatedStorage: config.sizes.dbAllocatedStorageGiB,
      multiAz: true,
      databaseName: "app",
      credentials: rds.Credentials.fromGeneratedSecret("app_admin", {
        secretName,
        // The DR region's tasks read the replica of this secret, never the failed region.
        replicaRegions: [{ region: config.drRegion }],
      }),
    });
    suppress(instance, [
      ...suppressions(true),
      {
        id: "AwsSolutions-SMG4",
        reason: "Running tasks read the password at start, so single-user rotation would break them; rotation needs the alternating-users scheme plus a rolling restart (docs/deploy.md).",
      },
    ]);
    return {
      instance,
      endpoint: instance.instanceEndpoint.hostname,
      secret: instance.secret!,
      primaryIdentifier: names.primaryDb,
      primaryArn,
      parameterGroup,
      backupRetentionDays,
    };
  }

  const source = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, "Source", {
    instanceIdentifier: names.primaryDb,
    instanceEndpointAddress: config.adopt?.database.endpoint ?? `${names.primaryDb}.${config.primaryRegion}.rds.amazonaws.com`,
    port: config.adopt?.database.port ?? 3306,
    securityGroups: [],
    engine,
  });
  // Its own parameter group too: once promoted it is a primary, and the switchback seals it
  // read-only (read_only = 1 here) before it is renamed aside for good; a default group cannot
  // be modified. Attached from the first deploy: a group attached later applies at a reboot.
  const replicaParameters = new rds.ParameterGroup(stack, "ReplicaParameters", {
    engine,
    name: names.replicaParameterGroup,
    description: `${names.prefix} DR database; the switchback's seal sets read_only here`,
    parameters: {},
    removalPolicy: keep,
  });
  const replica = new rds.DatabaseInstanceReadReplica(stack, "Replica", {
    ...common,
    parameterGroup: replicaParameters,
    sourceDatabaseInstance: source,
    instanceIdentifier: names.replicaDb,
    // A pilot light: single-AZ until promoted (docs/deploy.md: convert to Multi-AZ after a failover).
    multiAz: false,
    preferredBackupWindow: replicaBackupWindow,
  });
  suppress(replica, suppressions(false));
  const cfn = replica.node.defaultChild as rds.CfnDBInstance;
  // Cross-region replicas name their source by ARN.
  cfn.sourceDbInstanceIdentifier = primaryArn;
  cfn.sourceRegion = config.primaryRegion;
  new cloudwatch.Alarm(stack, "ReplicaLag", {
    alarmName: `${names.prefix}-replica-lag`,
    alarmDescription: `Cross-region replica ${names.replicaDb} lags more than the RPO budget (${config.rpoBudgetSeconds} s), or reports replication stopped (-1), for 3 minutes. A failover now would lose more data than budgeted: look for write bursts or long DDL on the primary, or a replication error in the replica's events.`,
    // RDS reports -1 while replication is not running: count that as a breach. A promoted
    // replica reports nothing at all, which is the end of replication, not a breach: missing
    // data leaves the alarm INSUFFICIENT_DATA instead of in ALARM for ever after a failover.
    metric: new cloudwatch.MathExpression({
      expression: `IF(lag < 0, ${config.rpoBudgetSeconds + 1}, lag)`,
      usingMetrics: { lag: replica.metric("ReplicaLag", { statistic: "Maximum", period: Duration.minutes(1) }) },
      label: "ReplicaLag (s; -1 counted as a breach)",
      period: Duration.minutes(1),
    }),
    threshold: config.rpoBudgetSeconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
  }).addAlarmAction(new actions.SnsAction(use(Alerts).topic));
  const secret = secretsmanager.Secret.fromSecretNameV2(stack, "DbSecret", secretName);
  return {
    replica,
    endpoint: replica.instanceEndpoint.hostname,
    secret,
    replicaIdentifier: names.replicaDb,
    primaryIdentifier: names.primaryDb,
    primaryArn,
    backupRetentionDays,
  };
}
