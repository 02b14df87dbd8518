/**
 * Adopting a primary the team built before pilot-light (docs/adopt.md), against the world: the
 * plan stated from what the account shows, applied, and the team's own fix of its parameter
 * group; run again, it changes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CreateDBInstanceReadReplicaCommand, CreateDBParameterGroupCommand, ModifyDBInstanceCommand, RDSClient, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { ReplicateSecretToRegionsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Adoption } from "@pilot-light/core";
import { adoptPrimary, adoptedPrimaryWorld, failbackState, installApis, invariantViolations, placementOf, setPlacement, type AdoptedIds, type WorldState } from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function adopted() {
  const { world, ids } = adoptedPrimaryWorld();
  restore = installApis(world);
  const clients = { s3: new S3Client({ region: ids.primaryRegion }), rds: new RDSClient({ region: ids.primaryRegion }), route53: new Route53Client({ region: ids.drRegion }), secretsManager: new SecretsManagerClient({ region: ids.primaryRegion }), now: () => new Date(world.clock.nowMs()) };
  return { world, ids, clients, target: target(ids) };
}

function target(ids: AdoptedIds): Adoption.AdoptionTarget {
  return {
    stage: "shop",
    region: ids.primaryRegion,
    bucket: ids.primaryBucket,
    replicationRule: { id: Adoption.replicationRuleId, destinationBucket: ids.drBucket, roleArn: ids.replicationRoleArn },
    dns: { hostedZoneId: ids.hostedZoneId, recordName: ids.recordName, healthCheckId: ids.primaryHealthCheckId, drAlb: { dnsName: ids.drAlbDns, hostedZoneId: ids.albZoneId } },
    database: { identifier: ids.primaryDb, parameterGroup: ids.primaryParameterGroup },
    secret: { name: ids.secretName, drRegion: ids.drRegion, kmsKeyId: "alias/aws/secretsmanager" },
  };
}

/** The team's secret before pilot-light: no replica in the DR region. */
function withoutReplica(world: WorldState, ids: AdoptedIds) {
  world.secrets.delete(world.secretKey(ids.drRegion, ids.secretName));
}

/** The team runs the commands the plan gave it (the AWS CLI's calls), as itself. */
async function runTeamCommands(world: WorldState, ids: AdoptedIds, rds: RDSClient) {
  await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: ids.primaryParameterGroup, DBParameterGroupFamily: "mysql8.4", Description: "fence" }));
  await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb, DBParameterGroupName: ids.primaryParameterGroup, ApplyImmediately: true }));
  expect(world.databases.get(ids.primaryDb)?.parameterGroup, "a new group waits for the reboot").toBeUndefined();
}

describe("an unencrypted team database", () => {
  it("is reported by the plan before the deploy; RDS (the world) refuses an encrypted cross-Region replica of it", async () => {
    const { world, ids, clients, target: t } = adopted();
    // The team's instance as created without storage encryption.
    setPlacement(world, ids.primaryDb, { ...placementOf(world, world.databases.get(ids.primaryDb)!)!, kmsKeyId: "" });
    const plan = await Adoption.adopt(clients, t, { apply: false });
    expect(plan.findings.map((f) => f.kind)).toEqual(["parameter-group", "database-encryption"]);
    expect(plan.findings[1]!.says).toMatch(/database shop-mysql-prod is not encrypted, and RDS refuses an encrypted cross-Region read replica/);
    const source = world.databases.get(ids.primaryDb)!.arn;
    const dr = new RDSClient({ region: ids.drRegion });
    await expect(dr.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: "shop-dr-encrypted", SourceDBInstanceIdentifier: source, KmsKeyId: `arn:aws:kms:${ids.drRegion}:${ids.account}:key/dr` }))).rejects.toMatchObject({
      name: "InvalidParameterCombination",
      message: expect.stringMatching(/encrypted read replica from the unencrypted DB instance shop-mysql-prod/),
    });
    expect(world.databases.has("shop-dr-encrypted")).toBe(false);
  });
});

describe("adopting the team's primary in the world", () => {
  it("states every change and finding before making any", async () => {
    const { world, clients, target } = adopted();
    const plan = await Adoption.adopt(clients, target, { apply: false });
    expect(plan.changes.map((c) => c.kind)).toEqual(["bucket-replication", "dns-failover-pair"]);
    expect(plan.findings.map((f) => [f.kind, f.commands.length])).toEqual([["parameter-group", 2]]);
    expect(plan.findings[0]?.commands[0]).toMatch(/^aws rds create-db-parameter-group --region eu-west-1 --db-parameter-group-name shop-mysql84 --db-parameter-group-family mysql8.4/);
    expect(world.mutatingCalls()).toEqual([]);
  });

  it("merges the bucket's replication and turns the simple record into a failover pair in one batch, leaving the database to the team", async () => {
    const { world, ids, clients, target } = adopted();
    await Adoption.adopt(clients, target, { apply: true });
    const replication = failbackState(world).buckets.get(ids.primaryBucket)?.replication;
    expect(replication?.Role).toBe(ids.teamReplicationRoleArn);
    expect(replication?.Rules.map((r) => [r.ID, r.Destination?.Bucket, r.Priority])).toEqual([
      ["invoices-to-archive", `arn:aws:s3:::${ids.archiveBucket}`, 1],
      ["pilot-light-dr", `arn:aws:s3:::${ids.drBucket}`, 2],
    ]);
    expect(replication?.Rules[0]).toMatchObject({ Filter: { Prefix: "invoices/" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { StorageClass: "GLACIER" } });
    expect(world.callsTo("route53:ChangeResourceRecordSets")).toHaveLength(1);
    expect(world.zones.get(ids.hostedZoneId)).toEqual([
      { ...ids.simpleRecord, SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: ids.primaryHealthCheckId },
      { Name: ids.simpleRecord.Name, Type: "A", SetIdentifier: "secondary", Failover: "SECONDARY", AliasTarget: { DNSName: ids.drAlbDns, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: false } },
    ]);
    // Users still reach the team's load balancer while it is healthy.
    expect(world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName).toBe(ids.simpleRecord.AliasTarget?.DNSName);
    expect(world.mutatingCalls().map((c) => c.api).filter((api) => api.startsWith("rds:"))).toEqual([]);
  });

  it("finishes a batch whose answer was lost: the SDK's retry is refused (the pair exists), and what the zone shows is what counts", async () => {
    const { world, ids, clients, target } = adopted();
    world.inject({ api: "route53:ChangeResourceRecordSets", error: "ServiceUnavailable", applied: true, times: 1 });
    await Adoption.adopt(clients, target, { apply: true });
    expect(world.callsTo("route53:ChangeResourceRecordSets").length).toBeGreaterThan(1);
    expect(world.zones.get(ids.hostedZoneId)?.map((r) => r.SetIdentifier)).toEqual(["primary", "secondary"]);
  });

  it("reports the moved group until the reboot, then nothing: run again, it changes nothing", async () => {
    const { world, ids, clients, target } = adopted();
    await Adoption.adopt(clients, target, { apply: true });
    await runTeamCommands(world, ids, clients.rds);
    const waiting = await Adoption.adopt(clients, target, { apply: false });
    expect(waiting.findings).toMatchObject([{ kind: "parameter-group", commands: [`aws rds reboot-db-instance --region ${ids.primaryRegion} --db-instance-identifier ${ids.primaryDb}`] }]);
    await clients.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb }));
    expect(world.databases.get(ids.primaryDb)?.parameterGroup).toBe(ids.primaryParameterGroup);
    const before = world.mutatingCalls().length;
    expect(await Adoption.adopt(clients, target, { apply: true })).toEqual({ changes: [], findings: [] });
    expect(world.mutatingCalls()).toHaveLength(before);
  });

  describe("a failover that moves no one", () => {
    /** What a failover does to the databases and services, whatever it did to DNS: DR promoted and at full size, the primary region down. */
    const failedOverDatabases = (world: WorldState, ids: AdoptedIds) => {
      world.regionsDown.add(ids.primaryRegion);
      world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
      world.setDesired(world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!, ids.drTaskCount);
      world.clock.advance(120);
    };

    it("users resolve a team's simple record to its load balancer, whatever the health checks say (Route 53's simple routing)", () => {
      const { world, ids } = adopted();
      world.regionsDown.add(ids.primaryRegion);
      expect(world.resolve(ids.hostedZoneId, ids.recordName)).toEqual(ids.simpleRecord);
    });

    it("flags users left on a simple record in a region that is down while DR's database is writable", () => {
      const { world, ids } = adopted();
      failedOverDatabases(world, ids);
      expect(invariantViolations(world, ids, { lock: undefined })).toEqual([
        `users resolve to ${ids.primaryRegion} (a simple record: no failover pair to move), which is down, while ${ids.replicaDb} in ${ids.drRegion} is writable, and nobody was told`,
      ]);
    });

    it("finds nothing wrong once the record is a failover pair: its health check sends users to DR", async () => {
      const { world, ids } = adopted();
      await adoptPrimary(world, ids, "shop");
      failedOverDatabases(world, ids);
      expect(invariantViolations(world, ids, { lock: undefined })).toEqual([]);
    });
  });
});

describe("the team's database secret in the DR region", () => {
  it("is replicated by the applied plan with the DR region's Secrets Manager key, read again, and then left alone", async () => {
    const { world, ids, clients, target } = adopted();
    withoutReplica(world, ids);
    const plan = await Adoption.adopt(clients, target, { apply: false });
    expect(plan.changes.find((c) => c.kind === "secret-replica")).toMatchObject({ secretId: ids.secretName, region: ids.drRegion, kmsKeyId: "alias/aws/secretsmanager" });
    expect(world.findSecret(ids.drRegion, ids.secretName)).toBeUndefined();
    await Adoption.adopt(clients, target, { apply: true });
    expect(world.findSecret(ids.drRegion, ids.secretName)).toMatchObject({ primaryRegion: ids.primaryRegion, kmsKeyId: "alias/aws/secretsmanager", secretString: world.findSecret(ids.primaryRegion, ids.secretName)?.secretString });
    expect(world.callsTo("secretsmanager:DescribeSecret").length).toBeGreaterThanOrEqual(2);
    const again = await Adoption.adopt(clients, target, { apply: false });
    expect(again.changes.map((c) => c.kind)).not.toContain("secret-replica");
    expect(again.findings.map((f) => f.kind)).not.toContain("secret");
  });

  it("fails, saying so, where a secret of that name is the team's own in the DR region; the plan's command overwrites it", async () => {
    const { world, ids, clients, target } = adopted();
    withoutReplica(world, ids);
    const arn = `arn:aws:secretsmanager:${ids.drRegion}:${ids.account}:secret:${ids.secretName}-AbCdEf`;
    world.secrets.set(world.secretKey(ids.drRegion, ids.secretName), { name: ids.secretName, region: ids.drRegion, arn, primaryRegion: ids.drRegion, secretString: "theirs" });
    await expect(Adoption.adopt(clients, target, { apply: true })).rejects.toMatchObject({ name: "ConfigurationError", message: expect.stringMatching(/replication to eu-central-1 failed \(Secret with this name already exists in this region\)/) });
    const plan = await Adoption.adopt(clients, target, { apply: false });
    const finding = plan.findings.find((f) => f.kind === "secret");
    expect(finding?.says).toMatch(/is Failed \(Secret with this name already exists in this region\)/);
    expect(finding?.commands).toEqual([`aws secretsmanager replicate-secret-to-regions --region ${ids.primaryRegion} --secret-id ${ids.secretName} --add-replica-regions Region=${ids.drRegion},KmsKeyId=alias/aws/secretsmanager --force-overwrite-replica-secret`]);
    expect(world.findSecret(ids.drRegion, ids.secretName)?.secretString, "the team's secret is not overwritten by pilot-light").toBe("theirs");
    // The team runs the command.
    await clients.secretsManager.send(new ReplicateSecretToRegionsCommand({ SecretId: ids.secretName, AddReplicaRegions: [{ Region: ids.drRegion, KmsKeyId: "alias/aws/secretsmanager" }], ForceOverwriteReplicaSecret: true }));
    expect((await Adoption.adopt(clients, target, { apply: false })).findings.map((f) => f.kind)).not.toContain("secret");
  });

  it("judges a replication whose every answer was lost by what the secret shows", async () => {
    const { world, ids, clients, target } = adopted();
    withoutReplica(world, ids);
    world.inject({ api: "secretsmanager:ReplicateSecretToRegions", error: "ServiceUnavailable", applied: true, times: 10 });
    await Adoption.adopt(clients, target, { apply: true });
    expect(world.callsTo("secretsmanager:ReplicateSecretToRegions").length).toBeGreaterThan(1);
    expect(world.findSecret(ids.drRegion, ids.secretName)?.primaryRegion).toBe(ids.primaryRegion);
  });

  it("reports a replication still in progress instead of replicating again", async () => {
    const { world, ids, clients, target } = adopted();
    withoutReplica(world, ids);
    world.findSecret(ids.primaryRegion, ids.secretName)!.pendingReplicas = { [ids.drRegion]: { status: "InProgress", message: "Replication in progress" } };
    const plan = await Adoption.adopt(clients, target, { apply: true });
    expect(plan.findings.find((f) => f.kind === "secret")?.says).toMatch(/its replica in eu-central-1 is still being created/);
    expect(world.callsTo("secretsmanager:ReplicateSecretToRegions")).toEqual([]);
  });
});

describe("the failover pair only while Route 53 sees the primary healthy", () => {
  /** The team's app stops answering its health path (no HTTPS on 443 under the name would look the same to the checkers). */
  const primaryUnhealthy = (world: WorldState, ids: AdoptedIds) => {
    world.setDesired(world.services.get(world.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService))!, 0);
    world.clock.advance(120);
  };

  it("is not made while the checkers fail the primary: users stay on the simple record, the plan says why and refuses the deploy", async () => {
    const { world, ids, clients, target } = adopted();
    primaryUnhealthy(world, ids);
    const plan = await Adoption.adopt(clients, target, { apply: true });
    expect(plan.changes.map((c) => c.kind)).toEqual(["bucket-replication"]);
    const dns = plan.findings.find((f) => f.kind === "dns");
    expect(dns?.says).toMatch(new RegExp(`Route 53's health check ${ids.primaryHealthCheckId} does not see your primary healthy .*would send every user to the DR region.*HTTPS on 443`));
    expect(dns?.commands).toEqual([`aws route53 get-health-check-status --health-check-id ${ids.primaryHealthCheckId}`]);
    expect(world.zones.get(ids.hostedZoneId)).toEqual([ids.simpleRecord]);
    expect(world.resolve(ids.hostedZoneId, ids.recordName)).toEqual(ids.simpleRecord);
  });

  it("is made once the checkers see the primary healthy again", async () => {
    const { world, ids, clients, target } = adopted();
    primaryUnhealthy(world, ids);
    await Adoption.adopt(clients, target, { apply: true });
    world.setDesired(world.services.get(world.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService))!, 2);
    world.clock.advance(300);
    const plan = await Adoption.adopt(clients, target, { apply: true });
    expect(plan.changes.map((c) => c.kind)).toEqual(["dns-failover-pair"]);
    expect(world.zones.get(ids.hostedZoneId)?.map((r) => r.Failover).sort()).toEqual(["PRIMARY", "SECONDARY"]);
  });

  it("names a health check Route 53 does not have instead of converting behind it", async () => {
    const { ids, clients, target } = adopted();
    const plan = await Adoption.adopt(clients, { ...target, dns: { ...target.dns!, healthCheckId: "0f0e0d0c-0000-4000-8000-000000000000" } }, { apply: false });
    expect(plan.changes.map((c) => c.kind)).not.toContain("dns-failover-pair");
    expect(plan.findings.find((f) => f.kind === "dns")?.says).toMatch(/Route 53 has no health check 0f0e0d0c-0000-4000-8000-000000000000/);
    expect(ids.primaryHealthCheckId).not.toBe("0f0e0d0c-0000-4000-8000-000000000000");
  });

  it("reads no health check before the deploy that creates it", async () => {
    const { world, clients, target } = adopted();
    const plan = await Adoption.adopt(clients, { ...target, dns: { ...target.dns!, healthCheckId: Adoption.notYetDeployed } }, { apply: false });
    expect(plan.changes.map((c) => c.kind)).toContain("dns-failover-pair");
    expect(world.callsTo("route53:GetHealthCheckStatus")).toEqual([]);
  });
});

describe("a deregistered task definition revision (ECS DeregisterTaskDefinition)", () => {
  it("is INACTIVE: family names the latest ACTIVE one, ListTaskDefinitions lists ACTIVE ones, a service running it keeps scaling it but no service is set to it", async () => {
    const { world, ids } = adopted();
    const ecs = new ECSClient({ region: ids.drRegion });
    const register = () =>
      ecs.send(new RegisterTaskDefinitionCommand({ family: "shop-mirror", containerDefinitions: [{ name: "web", image: "nginx", portMappings: [{ containerPort: 80 }] }], networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" }));
    const arns = [(await register()).taskDefinition!.taskDefinitionArn!, (await register()).taskDefinition!.taskDefinitionArn!];
    const svc = world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!;
    await ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, taskDefinition: arns[1] }));
    await expect(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "shop-mirror" }))).rejects.toMatchObject({ name: "ClientException" });
    expect((await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "shop-mirror:2" }))).taskDefinition?.status).toBe("INACTIVE");
    expect((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "shop-mirror" }))).taskDefinition?.taskDefinitionArn).toBe(arns[0]);
    expect((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "shop-mirror" }))).taskDefinitionArns).toEqual([arns[0]]);
    expect((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "shop-mirror", status: "INACTIVE" }))).taskDefinitionArns).toEqual([arns[1]]);
    await ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, desiredCount: ids.drTaskCount }));
    world.clock.advance(600);
    expect(world.running(svc)).toBe(ids.drTaskCount);
    await ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, taskDefinition: arns[0] }));
    await expect(ecs.send(new UpdateServiceCommand({ cluster: ids.cluster, service: ids.service, taskDefinition: arns[1] }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});
