/**
 * One SNS topic per region for alarms and orchestrator notifications, with the stage's
 * e-mail subscriptions (each address must confirm once). KMS-encrypted; CloudWatch alarms
 * may publish through the key.
 */
import { StackContext } from "sst/constructs";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subs from "aws-cdk-lib/aws-sns-subscriptions";
import { useStage } from "./context";

export function Alerts({ stack, app }: StackContext) {
  const { config, names } = useStage(app);
  const key = new kms.Key(stack, "AlertsKey", {
    description: `${names.prefix} alerts topic encryption`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(7),
    removalPolicy: config.isDevelopment ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  // Alarms publish as cloudwatch.amazonaws.com; without this grant they fail silently.
  key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
  const topic = new sns.Topic(stack, "Topic", {
    topicName: names.topic,
    displayName: `pilot-light ${config.stage}`,
    masterKey: key,
    enforceSSL: true,
  });
  for (const email of config.alertEmails) topic.addSubscription(new subs.EmailSubscription(email));
  return { topic, key };
}
