/**
 * Both regions: the database position probe (db-probe), a Lambda in the region's VPC with the
 * ECS tasks' security group (the one RDS and the Secrets Manager endpoint already admit), under
 * a deterministic name the DR region's failback steps invoke across Regions. In the primary
 * region also the ReplicaLag alarm of the primary-named database, which is a read replica after
 * a re-protect (the DR region's Data stack has the same alarm for its replica); while that
 * database is the primary it reports no ReplicaLag and the alarm stays INSUFFICIENT_DATA.
 */
import { Function, StackContext, use } from "sst/constructs";
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Alerts } from "./Alerts";
import { withEventStreams } from "./bundling";
import { useStage } from "./context";
import { functionSuppressions, suppress, suppressLogRetention, tracingSuppression } from "./nag";
import { Network } from "./Network";
import { probeFunctionName, probeStatements } from "./failback/grants";

// The name lives with the failback grants (which invoke it) so they load without SST.
export { probeFunctionName };


export function Probe({ stack, app }: StackContext) {
  const { config, names, isPrimary } = useStage(app);
  const { vpc, ecsSg } = use(Network);
  const secretName = names.secretName;
  const probe = new Function(stack, "DbProbe", {
    functionName: probeFunctionName(names.prefix),
    handler: "packages/functions/src/db-probe.handler",
    description: `pilot-light ${config.stage}: reads this region's database replication positions (read-only) for the failback`,
    timeout: 20,
    memorySize: 256,
    nodejs: withEventStreams,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    // The tasks' group: RDS admits it on 3306 and the Secrets Manager endpoint on 443.
    securityGroups: [ecsSg],
    environment: {
      SECRET_ID: secretName,
      // Lambda's Node 20+ runtimes do not trust the RDS certificate authorities unless told to.
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    },
  });
  // As the world authorises the handler's call (packages/functions/test/db-probe-world.test.ts).
  probe.attachPermissions(probeStatements(stack, secretName));
  suppress(probe, [
    ...functionSuppressions,
    tracingSuppression,
    {
      id: "AwsSolutions-IAM4",
      reason: "A function in a VPC needs the AWS managed VPC access role to create its network interfaces.",
      appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"],
    },
    {
      id: "AwsSolutions-IAM5",
      reason: "The DB secret's ARN ends in a random 6-character suffix Secrets Manager adds.",
      appliesTo: [`Resource::arn:<AWS::Partition>:secretsmanager:${app.region}:<AWS::AccountId>:secret:${secretName}-??????`],
    },
  ]);
  suppressLogRetention(stack);

  if (isPrimary) {
    new cloudwatch.Alarm(stack, "StandbyReplicaLag", {
      alarmName: `${names.prefix}-${app.region}-replica-lag`,
      alarmDescription: `After a re-protect ${names.primaryDb} is a cross-Region read replica of the DR database: it lags more than the RPO budget (${config.rpoBudgetSeconds} s), or reports replication stopped (-1), for 3 minutes. A switchback now would wait that long with writes stopped; look for write bursts in the DR region or a replication error in the replica's events. While ${names.primaryDb} is the primary it reports no ReplicaLag (INSUFFICIENT_DATA).`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(lag < 0, ${config.rpoBudgetSeconds + 1}, lag)`,
        usingMetrics: {
          lag: new cloudwatch.Metric({ namespace: "AWS/RDS", metricName: "ReplicaLag", dimensionsMap: { DBInstanceIdentifier: names.primaryDb }, statistic: "Maximum", period: Duration.minutes(1) }),
        },
        label: "ReplicaLag (s; -1 counted as a breach)",
        period: Duration.minutes(1),
      }),
      threshold: config.rpoBudgetSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    }).addAlarmAction(new actions.SnsAction(use(Alerts).topic));
  }
  return { probe };
}
