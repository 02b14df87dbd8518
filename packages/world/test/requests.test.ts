/**
 * The world refuses what AWS refuses in a request itself (docs/aws-behaviour.md, "Requests AWS
 * refuses"), through the real SDK clients, and a refused request changes nothing.
 */
import { ECSClient, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import { CreateDBInstanceReadReplicaCommand, ModifyDBInstanceCommand, RDSClient } from "@aws-sdk/client-rds";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { failbackWorld, installApis } from "../src";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function setup() {
  const { world, ids } = failbackWorld({ replicaBackup: null });
  restore = installApis(world);
  return { world, ids };
}

describe("requests AWS refuses", () => {
  it("seeds CloudFormation's own aws:cloudformation:* tags on the instances and services the stacks create", () => {
    const { world, ids } = setup();
    const service = world.services.get(world.serviceKey(ids.primaryRegion, ids.cluster, ids.service));
    expect([...(service?.tags.keys() ?? [])]).toEqual(expect.arrayContaining(["aws:cloudformation:stack-name", "aws:cloudformation:stack-id", "aws:cloudformation:logical-id"]));
  });

  it.each([
    ["a key with CloudFormation's reserved prefix", { Key: "aws:cloudformation:stack-name", Value: "test-pilot-light-Data" }],
    ["a key with RDS's reserved prefix", { Key: "rds:x", Value: "y" }],
    ["a value with brackets", { Key: "note", Value: "failover (incident 1)" }],
    ["a key longer than 128", { Key: "k".repeat(129), Value: "" }],
  ])("CreateDBInstanceReadReplica with %s: InvalidParameterValue, nothing created", async (_what, tag) => {
    const { world, ids } = setup();
    world.databases.get(ids.primaryDb)!.backupRetentionDays = 7;
    const rds = new RDSClient({ region: ids.drRegion });
    const create = rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: "pilot-light-test-new", SourceDBInstanceIdentifier: ids.primaryArn, KmsKeyId: "k", Tags: [tag] }));
    await expect(create).rejects.toMatchObject({ name: "InvalidParameterValue" });
    expect(world.databases.has("pilot-light-test-new")).toBe(false);
  });

  it.each(["pilot-light-test--x", "pilot-light-test-", "1pilot", "p".repeat(64), "pilot_light"])("refuses the DB instance identifier %j", async (name) => {
    const { world, ids } = setup();
    const rds = new RDSClient({ region: ids.primaryRegion });
    await expect(rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ids.primaryDb, NewDBInstanceIdentifier: name, ApplyImmediately: true }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    expect(world.databases.has(ids.primaryDb)).toBe(true);
  });

  it("refuses an ECS tag value with brackets, and an aws: key, leaving the service's tags as they were", async () => {
    const { world, ids } = setup();
    const service = world.services.get(world.serviceKey(ids.primaryRegion, ids.cluster, ids.service))!;
    const before = new Map(service.tags);
    const ecs = new ECSClient({ region: ids.primaryRegion });
    for (const tag of [{ key: "pilot-light:fenced", value: "failover x (incident y)" }, { key: "aws:mine", value: "x" }]) {
      await expect(ecs.send(new TagResourceCommand({ resourceArn: service.arn, tags: [tag] }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    }
    await expect(ecs.send(new UntagResourceCommand({ resourceArn: service.arn, tagKeys: ["aws:cloudformation:stack-name"] }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    expect(service.tags).toEqual(before);
  });

  it.each([
    ["non-ASCII", "Failover → DR"],
    ["a line break", "Failover\nDR"],
    ["100 characters", "x".repeat(100)],
  ])("refuses an SNS subject with %s", async (_what, subject) => {
    const { world, ids } = setup();
    const sns = new SNSClient({ region: ids.drRegion });
    await expect(sns.send(new PublishCommand({ TopicArn: ids.topicArn, Subject: subject, Message: "m" }))).rejects.toMatchObject({ name: "InvalidParameter" });
    expect(world.inbox).toHaveLength(0);
  });
});
