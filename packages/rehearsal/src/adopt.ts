/**
 * A team's primary adopted in the world (docs/adopt.md), for the rehearsal (`pnpm rehearse
 * --adopted`) and the adopted round trip (packages/functions/test/failback/adopted.test.ts).
 */
import { CreateDBParameterGroupCommand, ModifyDBInstanceCommand, RDSClient, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { Adoption } from "@pilot-light/core";
import { iamOf, type AdoptedIds, type WorldState } from "@pilot-light/world";

/**
 * The adoption as a team runs it (docs/adopt.md): the plan applied (its bucket rule merged, the
 * simple record made a failover pair), then the commands the plan gives for a database on a
 * `default.*` group (its own group, attached, a reboot). Outside any function: the operator's.
 */
export async function adoptPrimary(world: WorldState, ids: AdoptedIds, stage: string): Promise<void> {
  const rds = new RDSClient({ region: ids.primaryRegion });
  const target: Adoption.AdoptionTarget = {
    stage,
    region: ids.primaryRegion,
    bucket: ids.primaryBucket,
    replicationRule: { id: Adoption.replicationRuleId, destinationBucket: ids.drBucket, roleArn: ids.replicationRoleArn },
    dns: { hostedZoneId: ids.hostedZoneId, recordName: ids.recordName, healthCheckId: ids.primaryHealthCheckId, drAlb: { dnsName: ids.drAlbDns, hostedZoneId: ids.albZoneId } },
    database: { identifier: ids.primaryDb, parameterGroup: ids.primaryParameterGroup },
  };
  await iamOf(world).outsideFunctions(async () => {
    await Adoption.adopt({ s3: new S3Client({ region: ids.primaryRegion }), rds, route53: new Route53Client({ region: ids.drRegion }) }, target, { apply: true });
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: ids.primaryParameterGroup, DBParameterGroupFamily: "mysql8.4", Description: "pilot-light fence" }));
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb, DBParameterGroupName: ids.primaryParameterGroup, ApplyImmediately: true }));
    await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb }));
  });
}
