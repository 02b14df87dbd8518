/**
 * The LAMP application per region: an ALB and an ECS Fargate service running the image built
 * from packages/web-app. Desired counts follow the stage's active region: the active side runs
 * its full count, the DR side idles at its pilot-light count (0), and once `activeRegion` is
 * "dr" a deploy keeps DR scaled up and the old primary at 0. Each region's deploy pushes the
 * image to that region's own registry, so the DR region never pulls from the failed one.
 * The primary publishes its ALB's address into the DR region's SSM (see `publishToDr`), so the
 * DR region's stacks read it in their own region and deploy while the primary region is down.
 */
import { Function, StackContext, use } from "sst/constructs";
import { ArnFormat, Aws, type CfnElement, CustomResource, Duration, Lazy, Stack, Token } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ecrAssets from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as route53Targets from "aws-cdk-lib/aws-route53-targets";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Stage } from "@pilot-light/core";
import * as logs from "aws-cdk-lib/aws-logs";
import * as cr from "aws-cdk-lib/custom-resources";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Alerts } from "./Alerts";
import { mirrorTaskDefinition } from "./adoption/mirror";
import { primaryAddressParameters, useStage } from "./context";
import { functionSuppressions, suppress, suppressLogRetention, tracingSuppression } from "./nag";
import { Data } from "./Data";
import { Network } from "./Network";
import { publishToRegion } from "./publish";
import { Storage } from "./Storage";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));

/** Desired task count of this region's service for the stage's active region. */
export function desiredCount(
  config: { activeRegion: "primary" | "dr"; primaryTaskCount: number; drTaskCount: number; drPilotTaskCount: number },
  isPrimary: boolean,
): number {
  if (isPrimary) return config.activeRegion === "primary" ? config.primaryTaskCount : 0;
  return config.activeRegion === "dr" ? config.drTaskCount : config.drPilotTaskCount;
}

export function Compute({ stack, app }: StackContext) {
  const { config, names, isPrimary, role, adopted } = useStage(app);
  const { vpc, albSg, ecsSg } = use(Network);
  if (adopted) return adoptedCompute(stack, { ...config, adopt: adopted }, names, vpc);
  const { endpoint, secret } = use(Data);
  const { logs: logBucket } = use(Storage);
  if (!logBucket) throw new Error("Compute: Storage made no log bucket in a region where pilot-light serves");
  const { topic } = use(Alerts);

  const cluster = new ecs.Cluster(stack, "Cluster", { vpc, clusterName: names.cluster, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, "Task", {
    cpu: config.sizes.taskCpu,
    memoryLimitMiB: config.sizes.taskMemoryMiB,
    runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
  });
  const application = config.application;
  taskDefinition.addContainer("web", {
    image: containerImage(),
    portMappings: [{ containerPort: application.containerPort }],
    // The adopted primary's database name on its replica (a replica holds its source's databases).
    environment: { DB_HOST: endpoint, DB_NAME: config.adopt?.database.databaseName ?? "app", APP_REGION: app.region, ...application.environment },
    secrets: {
      DB_USER: ecs.Secret.fromSecretsManager(secret, "username"),
      DB_PASSWORD: ecs.Secret.fromSecretsManager(secret, "password"),
      // Read in this region when a task starts: the secret must exist under its name in both regions.
      ...Object.fromEntries(
        Object.entries(application.secrets).map(([name, ref]) => [
          name,
          ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, `AppSecret${name}`, ref.secretName), ref.jsonKey),
        ]),
      ),
    },
    logging: ecs.LogDrivers.awsLogs({
      streamPrefix: "web",
      logGroup: new logs.LogGroup(stack, "WebLogs", { retention: logs.RetentionDays.ONE_MONTH }),
    }),
  });

  suppress(taskDefinition, [
    { id: "AwsSolutions-ECS2", reason: "Environment holds only non-secret settings (DB host, DB name, region); credentials come from Secrets Manager." },
    {
      id: "AwsSolutions-IAM5",
      reason: "ecr:GetAuthorizationToken cannot be scoped to a resource; the execution role's other grants name their ARNs.",
      appliesTo: ["Resource::*"],
    },
  ]);

  const count = desiredCount(config, isPrimary);
  const service = new ecs.FargateService(stack, "Service", {
    cluster,
    serviceName: names.service,
    taskDefinition,
    desiredCount: count,
    securityGroups: [ecsSg],
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    assignPublicIp: false,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { rollback: true },
    // Short grace: the image answers /health.php as soon as Apache and the DB are up.
    healthCheckGracePeriod: Duration.seconds(30),
  });
  keepServingCount(stack, service, { region: app.region, cluster: names.cluster, service: names.service, role, configured: count, stage: config.stage });

  const alb = new elbv2.ApplicationLoadBalancer(stack, "Alb", {
    vpc,
    internetFacing: true,
    securityGroup: albSg,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    dropInvalidHeaderFields: true,
  });
  alb.logAccessLogs(logBucket, "alb");
  const web: elbv2.AddApplicationTargetsProps = {
    port: application.containerPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [service],
    deregistrationDelay: Duration.seconds(15),
    // Tuned for a fast start: two passes 5 s apart mark a new task healthy in ~10 s.
    healthCheck: {
      path: application.healthPath,
      interval: Duration.seconds(5),
      timeout: Duration.seconds(4),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
      healthyHttpCodes: "200",
    },
  };
  const { targetGroup, healthUrl } = config.dns ? https(config.dns) : { targetGroup: alb.addListener("Http", { port: 80, open: false }).addTargets("Web", web), healthUrl: Stage.healthUrl(config, `http://${alb.loadBalancerDnsName}`) };

  alarms();
  if (isPrimary) replicateImageOf(stack, config);
  // An adopting stage's DR service runs a mirror of the team's task definition, not this one (docs/adopt.md).
  if (!isPrimary && config.adopt) mirrorTaskDefinition(stack, { config: { ...config, adopt: config.adopt }, names, taskDefinition, drDbEndpoint: endpoint, topic });

  if (isPrimary) publishToDr(stack, config, primaryAddressParameters(names), { albDns: alb.loadBalancerDnsName, albZone: alb.loadBalancerCanonicalHostedZoneId });
  return { cluster, service, targetGroup, alb, healthUrl, desiredCount: count };

  /**
   * A stage with a domain serves HTTPS: an ACM certificate for the record and this region's own
   * name (DNS-validated in the stage's zone), TLS 1.2+ on 443, and 80 redirected to 443. The
   * regional name (`<region>.<record>`) is an alias to this ALB, so health checks probe it over
   * HTTPS with a certificate that matches.
   */
  function https(dns: NonNullable<typeof config.dns>) {
    const host = Stage.regionalHost(dns, app.region);
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, "Zone", { hostedZoneId: dns.hostedZoneId, zoneName: dns.hostedZoneName });
    const certificate = new acm.Certificate(stack, "Certificate", {
      domainName: dns.recordName,
      subjectAlternativeNames: [host],
      validation: acm.CertificateValidation.fromDns(zone),
    });
    const listener = alb.addListener("Https", { port: 443, open: false, certificates: [certificate], sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS });
    alb.addListener("Http", { port: 80, open: false, defaultAction: elbv2.ListenerAction.redirect({ protocol: "HTTPS", port: "443", permanent: true }) });
    new route53.ARecord(stack, "RegionalRecord", { zone, recordName: host, target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(alb)) });
    return { targetGroup: listener.addTargets("Web", web), healthUrl: Stage.healthUrl(config, `https://${host}`) };
  }

  /**
   * A Dockerfile folder is built for X86_64 (what the task runs) on any machine: an image built
   * on an arm64 laptop would otherwise fail with "exec format error", and the DR side would find
   * out in a failover. Each region's deploy pushes it to that region's own registry. A prebuilt
   * image runs from this region's registry: the DR region's copy is ECR's replica of the
   * primary's, so a failover never pulls from the failed region.
   */
  function containerImage(): ecs.ContainerImage {
    const image = application.image;
    if ("directory" in image) return ecs.ContainerImage.fromAsset(join(repositoryRoot, image.directory), { platform: ecrAssets.Platform.LINUX_AMD64 });
    const parsed = Stage.parseEcrImageUri(image.uri);
    if (!parsed) throw new Error(`application.image.uri ${image.uri} is not an ECR image URI (the stage schema should have refused it)`);
    const repositoryArn = stack.formatArn({ service: "ecr", region: app.region, account: parsed.account, resource: "repository", resourceName: parsed.repository });
    const repository = ecr.Repository.fromRepositoryAttributes(stack, "ImageRepository", { repositoryArn, repositoryName: parsed.repository });
    return ecs.ContainerImage.fromEcrRepository(repository, parsed.tagOrDigest);
  }

  function alarms() {
    const notify = new actions.SnsAction(topic);
    const side = isPrimary ? "primary" : "DR";
    if (count > 0) {
      new cloudwatch.Alarm(stack, "RunningBelowDesired", {
        alarmName: `${names.prefix}-${app.region}-running-below-desired`,
        alarmDescription: `${side} ECS service ${names.service} runs fewer than ${count} tasks. Check the service's events in the ECS console (failed health checks, image pull errors, capacity).`,
        metric: new cloudwatch.Metric({
          namespace: "ECS/ContainerInsights",
          metricName: "RunningTaskCount",
          dimensionsMap: { ClusterName: names.cluster, ServiceName: names.service },
          statistic: "Minimum",
          period: Duration.minutes(1),
        }),
        threshold: count,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }).addAlarmAction(notify);
    }
    new cloudwatch.Alarm(stack, "TargetResponseTime", {
      alarmName: `${names.prefix}-${app.region}-slow-responses`,
      alarmDescription: `${side} ALB p95 target response time above 1 s for 5 minutes. Look at the ECS service's CPU and the database's load.`,
      metric: alb.metrics.targetResponseTime({ statistic: "p95", period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
    new cloudwatch.Alarm(stack, "Target5xx", {
      alarmName: `${names.prefix}-${app.region}-5xx`,
      alarmDescription: `${side} application answers 5xx (more than 10 a minute for 3 minutes). Read the web logs; a database outage shows as 503 from ${application.healthPath}.`,
      metric: alb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: "Sum", period: Duration.minutes(1) }),
      threshold: 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
  }
}

/**
 * An adopted primary's service and load balancer (docs/adopt.md): the team's, imported from the
 * stage's settings with no lookup; pilot-light sets no count on their service and adds nothing
 * to their load balancer. With DNS it adds its own regional name (`<region>.<record>`, an alias
 * to their load balancer) for Route 53's health check, as on a primary it created. The DR region
 * reads the load balancer's address from SSM, as it reads a created primary's.
 */
function adoptedCompute(stack: Stack, config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, names: ReturnType<typeof Stage.resourceNames>, vpc: ec2.IVpc) {
  const { loadBalancer, service: team } = config.adopt;
  const cluster = ecs.Cluster.fromClusterAttributes(stack, "Cluster", { clusterName: team.clusterName, vpc });
  const service = ecs.FargateService.fromFargateServiceAttributes(stack, "Service", { cluster, serviceName: team.serviceName });
  const alb = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, "Alb", {
    loadBalancerArn: loadBalancer.arn,
    securityGroupId: loadBalancer.securityGroupId,
    loadBalancerDnsName: loadBalancer.dnsName,
    loadBalancerCanonicalHostedZoneId: loadBalancer.canonicalHostedZoneId,
    vpc,
  });
  const targetGroup = elbv2.ApplicationTargetGroup.fromTargetGroupAttributes(stack, "Web", { targetGroupArn: loadBalancer.targetGroupArn, loadBalancerArns: loadBalancer.arn });
  let healthUrl = Stage.healthUrl(config, `http://${loadBalancer.dnsName}`);
  if (config.dns) {
    const host = Stage.regionalHost(config.dns, config.primaryRegion);
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, "Zone", { hostedZoneId: config.dns.hostedZoneId, zoneName: config.dns.hostedZoneName });
    new route53.ARecord(stack, "RegionalRecord", { zone, recordName: host, target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(alb)) });
    healthUrl = Stage.healthUrl(config, `https://${host}`);
  }
  replicateImageOf(stack, config);
  publishToDr(stack, config, primaryAddressParameters(names), { albDns: loadBalancer.dnsName, albZone: loadBalancer.canonicalHostedZoneId });
  return { cluster, service, targetGroup, alb, healthUrl, desiredCount: desiredCount(config, true) };
}

/** A prebuilt image the stage replicates: the primary region's registry sends it to the DR region's. */
function replicateImageOf(stack: Stack, config: Stage.StageConfig) {
  const image = config.application.image;
  if ("uri" in image && image.replicate) replicateImage(stack, image.uri, config.drRegion);
}

/**
 * The registry's replication configuration (primary region): the stage's repository to the DR
 * region's registry of the same account; ECR creates the repository there at the first
 * replicated push. ECR holds one configuration per registry and this resource replaces it
 * whole, which is why a stage can say `replicate: false` (docs/deploy.md, "Your own application").
 */
function replicateImage(stack: Stack, uri: string, drRegion: string) {
  const image = Stage.parseEcrImageUri(uri);
  if (!image) throw new Error(`application.image.uri ${uri} is not an ECR image URI`);
  // The deploying account's own registry in the DR region (AWS::AccountId: `stack.account` is a
  // placeholder in an environment-agnostic synthesis, which ECR's ^[0-9]{12}$ refuses).
  new ecr.CfnReplicationConfiguration(stack, "ImageReplication", {
    replicationConfiguration: {
      rules: [{ destinations: [{ region: drRegion, registryId: Aws.ACCOUNT_ID }], repositoryFilters: [{ filter: image.repository, filterType: "PREFIX_MATCH" }] }],
    },
  });
}

/**
 * The service's DesiredCount comes from a custom resource that reads the live service just
 * before CloudFormation updates it (Compute.deployCount): a deploy never scales a serving DR
 * service down, whichever way it is run (`sst deploy` of one region included). The resource
 * carries the service's other properties, so any change that updates the service runs it first.
 */
function keepServingCount(
  stack: Stack,
  service: ecs.FargateService,
  props: { region: string; cluster: string; service: string; role: "primary" | "dr"; configured: number; stage: string },
) {
  const fn = new Function(stack, "DeployCount", {
    handler: "packages/functions/src/deploy-count.handler",
    description: `pilot-light ${props.stage}: the ECS service's task count for a deploy (never lowers a serving DR service)`,
    timeout: 30,
    memorySize: 256,
  });
  const serviceArn = stack.formatArn({ service: "ecs", resource: "service", resourceName: `${props.cluster}/${props.service}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  fn.attachPermissions([new iam.PolicyStatement({ actions: ["ecs:DescribeServices"], resources: [serviceArn] })]);
  const provider = new cr.Provider(stack, "DeployCountProvider", { onEventHandler: fn });
  const cfn = service.node.defaultChild as ecs.CfnService;
  const count = new CustomResource(stack, "DesiredCount", {
    serviceToken: provider.serviceToken,
    resourceType: "Custom::DesiredCount",
    properties: {
      Region: props.region,
      Cluster: props.cluster,
      Service: props.service,
      Role: props.role,
      Configured: props.configured,
      ServiceProperties: Lazy.any({ produce: () => serviceProperties(cfn) }),
    },
  });
  cfn.desiredCount = Token.asNumber(count.getAtt("DesiredCount"));
  suppress(fn, [...functionSuppressions, tracingSuppression]);
  suppress(provider, [
    {
      id: "AwsSolutions-IAM4",
      reason: "CDK's custom-resource Provider framework; the AWS managed basic execution role only lets it write its own logs.",
      appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
    },
    {
      id: "AwsSolutions-IAM5",
      reason: "CDK's Provider framework invokes the one DeployCount function and its versions (<arn>:*).",
      appliesTo: [`Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`],
    },
    { id: "AwsSolutions-L1", reason: "CDK's Provider framework function, with the runtime its library ships; not configurable here." },
  ]);
  suppressLogRetention(stack);
}

/** The service's CloudFormation properties but its DesiredCount (which comes from the custom resource). */
function serviceProperties(cfn: ecs.CfnService): Record<string, unknown> {
  // cfnProperties is the L1's protected view of every property it renders.
  const { desiredCount: _count, ...rest } = (cfn as unknown as { cfnProperties: Record<string, unknown> }).cfnProperties;
  return rest;
}

/**
 * Writes the primary ALB's address into SSM parameters in the DR region, at the primary's deploy
 * (./publish): the DR region's stacks resolve them in their own region, so no DR deploy calls into
 * the primary region, and nothing is exported across stacks that a replaced ALB would have to
 * change. With DNS, the same parameters in this region too: `pnpm dr point-users` reads them here
 * to send users to this region while the DR region is down.
 */
function publishToDr(stack: Stack, config: Stage.StageConfig, names: { albDns: string; albZone: string }, values: { albDns: string; albZone: string }) {
  for (const key of ["albDns", "albZone"] as const) {
    publishToRegion(stack, key === "albDns" ? "DrAlbDnsParameter" : "DrAlbZoneParameter", config.drRegion, names[key], values[key]);
    if (config.dns) new ssm.StringParameter(stack, key === "albDns" ? "AlbDnsParameter" : "AlbZoneParameter", { parameterName: names[key], stringValue: values[key] });
  }
}
