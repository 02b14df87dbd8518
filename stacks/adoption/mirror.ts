/**
 * An adopting stage's DR task definition follows the team's (docs/adopt.md): MirrorTaskDefinition
 * in the DR region, every `readinessSchedule`, sets the DR service to a mirror of what the team's
 * service runs, before any outage (a failover never reads the failed region). A failed pass is
 * told to the alert topic; the DR service keeps the last mirror.
 */
import { Function } from "sst/constructs";
import { Duration, type Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Stage } from "@pilot-light/core";
import { functionSuppressions, suppress, tracingSuppression, wildcardResources } from "../nag";
import { mirrorStatements } from "./mirror-grants";

export interface MirrorWiring {
  config: Stage.StageConfig & { adopt: Stage.AdoptConfig };
  names: ReturnType<typeof Stage.resourceNames>;
  /** pilot-light's DR task definition: its roles are the mirror's. */
  taskDefinition: ecs.TaskDefinition;
  /** The DR replica's endpoint address. */
  drDbEndpoint: string;
  topic: sns.ITopic;
}

export function mirrorTaskDefinition(stack: Stack, w: MirrorWiring) {
  const { config, names } = w;
  const fn = new Function(stack, "MirrorTaskDefinition", {
    handler: "packages/functions/src/mirror-task-definition.handler",
    description: `pilot-light ${config.stage}: the DR service set to a mirror of ${names.primaryService}'s task definition, every ${config.readinessSchedule}`,
    timeout: 60,
    memorySize: 256,
    environment: {
      PRIMARY_REGION: config.primaryRegion,
      DR_REGION: config.drRegion,
      PRIMARY_CLUSTER: names.primaryCluster,
      PRIMARY_SERVICE: names.primaryService,
      DR_CLUSTER: names.cluster,
      DR_SERVICE: names.service,
      DR_PILOT_TASK_COUNT: String(config.drPilotTaskCount),
      MIRROR_FAMILY: names.mirrorFamily,
      PRIMARY_DB_ENDPOINT: config.adopt.database.endpoint,
      DR_DB_ENDPOINT: w.drDbEndpoint,
    },
  });
  const roleArns = [w.taskDefinition.obtainExecutionRole().roleArn, w.taskDefinition.taskRole.roleArn];
  const statements = mirrorStatements(stack, { names, primaryRegion: config.primaryRegion, drRegion: config.drRegion, roleArns });
  for (const s of statements) fn.addToRolePolicy(s);
  new events.Rule(stack, "MirrorSchedule", {
    ruleName: `${names.prefix}-mirror-task-definition`,
    description: `pilot-light ${config.stage}: the DR task definition mirrored from the team's`,
    schedule: events.Schedule.expression(config.readinessSchedule),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
  });
  const period = Math.min(Stage.scheduleMinutes(config.readinessSchedule) ?? 30, 720);
  new cloudwatch.Alarm(stack, "MirrorFailed", {
    alarmName: `${names.prefix}-mirror-task-definition-failed`,
    alarmDescription: `The DR task definition of stage ${config.stage} could not be mirrored from ${names.primaryService}'s: a failover would start the last mirror, not what you run now. Read the MirrorTaskDefinition function's logs (each refusal says what to set); docs/adopt.md, "The DR task definition follows yours".`,
    metric: fn.metricErrors({ period: Duration.minutes(period), statistic: "Sum" }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }).addAlarmAction(new actions.SnsAction(w.topic));
  suppress(fn, [
    ...functionSuppressions,
    tracingSuppression,
    {
      id: "AwsSolutions-IAM5",
      reason:
        "ecs:DescribeTaskDefinition, ListTaskDefinitions and DeregisterTaskDefinition have no resource type in the Service Authorization Reference (the team's revision is named only at run time; only the mirror's own family's old revisions are deregistered); RegisterTaskDefinition names the mirror's own family, whose next revision number ECS chooses.",
      appliesTo: wildcardResources(stack, statements),
    },
  ]);
  return fn;
}
