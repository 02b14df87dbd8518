/**
 * The adoption plan of a stage that adopts an existing primary, as `pnpm deploy:all` states it
 * before a deploy and applies it after (docs/adopt.md). The changes to the team's resources (the
 * bucket's replication merged, the simple record turned into the failover pair) need what the
 * deploy creates: the DR bucket, the replication role, Route 53's health check and the DR load
 * balancer, whose addresses the DR region's Dns stack publishes in SSM. Before a first deploy
 * they are named as "created by this deploy"; a plan is only ever applied with the real values.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Adoption, Stage } from "@pilot-light/core";
import { cliClientBounds } from "./cli/aws";

/** What the DR region's stacks published for the plan (absent before their first deploy). */
export interface DeployedForAdoption {
  healthCheckId?: string | undefined;
  drAlb?: { dnsName: string; hostedZoneId: string } | undefined;
}

/** Said in the plan for what the deploy has not created yet (the plan reads no health check under it). */
export const createdByThisDeploy = Adoption.notYetDeployed;

/** The account and partition of the adopted primary: its load balancer's ARN names them. */
function accountOf(adopt: Stage.AdoptConfig): { partition: string; account: string } {
  const [, partition = "aws", , , account = ""] = adopt.loadBalancer.arn.split(":");
  return { partition, account };
}

/**
 * The DR region's copy of the team's secret is encrypted with that region's AWS managed key for
 * Secrets Manager: reading it needs secretsmanager:GetSecretValue alone (a customer managed key
 * would need kms:Decrypt for every reader: the DR task's execution role, the failover's steps).
 */
export const secretReplicaKey = "alias/aws/secretsmanager";

/** The plan's target from the stage's settings and what the DR region published. */
export function adoptionTarget(config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, deployed: DeployedForAdoption): Adoption.AdoptionTarget {
  const names = Stage.resourceNames(config);
  const { partition, account } = accountOf(config.adopt);
  const pilotLightRole = `arn:${partition}:iam::${account}:role/${names.adoptedReplicationRole}`;
  const teamRole = config.adopt.bucket.replicationRoleArn;
  return {
    stage: config.stage,
    region: config.primaryRegion,
    bucket: config.adopt.bucket.name,
    replicationRule: {
      id: Adoption.replicationRuleId,
      // As stacks/Storage.ts names it (bucketNames): pl-<stage>-data-<region>-<account>.
      destinationBucket: `pl-${config.stage}-data-${config.drRegion}-${account}`,
      roleArn: teamRole ?? pilotLightRole,
      admittedRoles: [pilotLightRole, ...(teamRole ? [teamRole] : [])],
    },
    dns: config.dns
      ? {
          hostedZoneId: config.dns.hostedZoneId,
          recordName: config.dns.recordName,
          healthCheckId: deployed.healthCheckId ?? createdByThisDeploy,
          drAlb: deployed.drAlb ?? { dnsName: createdByThisDeploy, hostedZoneId: createdByThisDeploy },
          probe: Stage.healthUrl(config, `https://${Stage.regionalHost(config.dns, config.primaryRegion)}`),
        }
      : undefined,
    database: { identifier: config.adopt.database.instanceIdentifier, parameterGroup: config.adopt.database.parameterGroup },
    secret: { name: config.adopt.database.secretName, drRegion: config.drRegion, kmsKeyId: secretReplicaKey },
  };
}

/** Whether every value the plan's DNS change needs has been published (the DR region is deployed). */
export function isDeployed(config: Stage.StageConfig, deployed: DeployedForAdoption): boolean {
  return !config.dns || (deployed.healthCheckId !== undefined && deployed.drAlb !== undefined);
}

/** Reads the DR region's SSM parameters the Dns stack writes for an adopting stage. */
export async function readDeployedForAdoption(config: Stage.StageConfig, ssm: SSMClient): Promise<DeployedForAdoption> {
  if (!config.dns) return {};
  const names = Stage.resourceNames(config);
  const address = Stage.drAddressParameters(names);
  const check = Stage.primaryHealthCheckParameter(names);
  const out = await ssm.send(new GetParametersCommand({ Names: [check, address.albDns, address.albZone] }));
  const value = (name: string) => out.Parameters?.find((p) => p.Name === name)?.Value;
  const dnsName = value(address.albDns);
  const hostedZoneId = value(address.albZone);
  return { healthCheckId: value(check), drAlb: dnsName && hostedZoneId ? { dnsName, hostedZoneId } : undefined };
}

/**
 * Reads the account and states the adoption plan; with `apply`, makes its changes (Adoption.adopt
 * reads again before each write, so a run cut short is finished by the next). Applying needs the
 * DR region deployed: a plan is never applied with a value still "created by this deploy".
 */
export async function adoptStage(config: Stage.StageConfig & { adopt: Stage.AdoptConfig }, options: { apply: boolean }): Promise<Adoption.AdoptionPlan> {
  const s3 = new S3Client({ region: config.primaryRegion, ...cliClientBounds });
  const rds = new RDSClient({ region: config.primaryRegion, ...cliClientBounds });
  const secretsManager = new SecretsManagerClient({ region: config.primaryRegion, ...cliClientBounds });
  // Route 53 is global; its API is reached whichever region the client names.
  const route53 = new Route53Client({ region: config.drRegion, ...cliClientBounds });
  const ssm = new SSMClient({ region: config.drRegion, ...cliClientBounds });
  try {
    const deployed = await readDeployedForAdoption(config, ssm);
    if (options.apply && !isDeployed(config, deployed)) {
      throw new Error(`the DR region ${config.drRegion} has not published Route 53's health check and its load balancer's address (the Dns stack's SSM parameters): deploy it before applying the adoption plan`);
    }
    return await Adoption.adopt({ s3, rds, route53, secretsManager }, adoptionTarget(config, deployed), options);
  } finally {
    for (const client of [s3, rds, route53, ssm, secretsManager]) client.destroy();
  }
}

/** What `pnpm synth` says of an adopting stage: what its templates import, and where the plan is stated (synth is offline). */
export function adoptionNotice(config: Stage.StageConfig & { adopt: Stage.AdoptConfig }): string[] {
  const a = config.adopt;
  return [
    `Stage ${config.stage} adopts its primary in ${config.primaryRegion} (docs/adopt.md): the primary region's templates import your VPC ${a.vpc.vpcId}, database ${a.database.instanceIdentifier}, service ${a.service.clusterName}/${a.service.serviceName}, load balancer ${a.loadBalancer.dnsName} and bucket ${a.bucket.name}, and create none of them.`,
    `The changes pilot-light makes to them (its replication rule merged into the bucket's configuration${config.dns ? `, the record ${config.dns.recordName} made a failover pair` : ""}, your secret ${a.database.secretName} replicated to ${config.drRegion}) depend on what your account shows, which this offline synthesis does not read:`,
    `  pnpm deploy:all --stage ${config.stage} --plan    states the adoption plan from your account (credentials needed), and runs nothing`,
  ];
}
