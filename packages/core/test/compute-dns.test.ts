import { afterEach, describe, expect, it } from "vitest";
import { DescribeServicesCommand, ECSClient, TagResourceCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { RDSClient } from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { mockClient } from "aws-sdk-client-mock";
import { Compute, Dns, Failover } from "@pilot-light/core";

type Stub = {
  on(command: unknown): { resolves(v: unknown): Stub; rejects(e: unknown): Stub };
  commandCalls(command: unknown): { args: [{ input: Record<string, unknown> }] }[];
  reset(): void;
};
const stub = (client: unknown) => mockClient(client as never) as unknown as Stub;
const ecsMock = stub(ECSClient);
const r53Mock = stub(Route53Client);
afterEach(() => {
  ecsMock.reset();
  r53Mock.reset();
});
const ecs = new ECSClient({ region: "eu-central-1" });
const r53 = new Route53Client({ region: "us-east-1" });
const now = new Date("2026-01-01T03:00:00Z");
const service = (desiredCount: number) => ({ services: [{ status: "ACTIVE", desiredCount, runningCount: desiredCount, pendingCount: 0, taskDefinition: "td", deployments: [{}] }] });

describe("compute adapters", () => {
  it.each([
    [{ desired: 2, running: 2, pending: 0, deployments: 1 }, 2, true],
    [{ desired: 2, running: 2, pending: 0, deployments: 1 }, 1, false],
    [{ desired: 2, running: 1, pending: 1, deployments: 1 }, 2, false],
    [{ desired: 2, running: 2, pending: 0, deployments: 2 }, 2, false],
  ])("isStable(%j, healthy %i) is %s", (s, healthy, stable) => {
    expect(Compute.isStable({ cluster: "c", service: "s", status: "ACTIVE", taskDefinition: "td", ...s }, healthy, 2)).toBe(stable);
  });

  it("does not call UpdateService when the desired count is already right", async () => {
    ecsMock.on(DescribeServicesCommand).resolves(service(2));
    await Compute.scaleService(ecs, { cluster: "c", service: "s" }, 2, now);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it("sets the absolute desired count", async () => {
    ecsMock.on(DescribeServicesCommand).resolves(service(0)).on(UpdateServiceCommand).resolves({});
    await Compute.scaleService(ecs, { cluster: "c", service: "s" }, 2, now);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: "c", service: "s", desiredCount: 2 });
  });

  it("fences a service by tagging it first (deploys read the tag) and then setting it to 0", async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ ...service(2).services[0], serviceArn: "arn:svc", tags: [] }] }).on(TagResourceCommand).resolves({}).on(UpdateServiceCommand).resolves({});
    expect(await Compute.fenceService(ecs, { cluster: "c", service: "s" }, "failover x")).toMatchObject({ done: true });
    expect(ecsMock.commandCalls(TagResourceCommand)[0]?.args[0].input).toEqual({ resourceArn: "arn:svc", tags: [{ key: Compute.fenceTagKey, value: "failover x" }] });
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({ cluster: "c", service: "s", desiredCount: 0 });
  });

  it("changes nothing on a service already fenced", async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ ...service(0).services[0], serviceArn: "arn:svc", tags: [{ key: Compute.fenceTagKey, value: "x" }] }] });
    expect(await Compute.fenceService(ecs, { cluster: "c", service: "s" }, "again")).toMatchObject({ done: true, detail: expect.stringContaining("already fenced") });
    expect(ecsMock.commandCalls(TagResourceCommand)).toHaveLength(0);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it("fences without throwing when the primary region is unreachable", async () => {
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError" }));
    const fence = await Failover.fencePrimary(
      { ecs, rds: new RDSClient({ region: "eu-west-1" }) },
      { region: "eu-west-1", service: { cluster: "c", service: "s" }, database: "db", dns: { hostedZoneId: "Z1", recordName: "a", drAlbDns: "d", drAlbZoneId: "Z" } },
      "failover x",
      now,
    );
    expect(fence).toMatchObject({ fenced: false, service: { done: false } });
  });
});

describe("DNS adapters", () => {
  const target = { hostedZoneId: "Z1", recordName: "app.example.com", drAlbDns: "dr-alb.eu-central-1.elb.amazonaws.com", drAlbZoneId: "ZALB" };
  const primaryRecord = (dns: string, healthCheck?: string) => ({
    ResourceRecordSets: [{ Name: "app.example.com.", Type: "A", SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: healthCheck, AliasTarget: { DNSName: dns, HostedZoneId: "ZALB", EvaluateTargetHealth: true } }],
  });

  it("pins the PRIMARY record to the DR ALB without a health check and keeps the previous record", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves(primaryRecord("dualstack.primary-alb.eu-west-1.elb.amazonaws.com.", "hc-1")).on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: "/change/C1", Status: "PENDING" } });
    const result = await Dns.pinToDr(r53, target, now);
    const change = r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input as { ChangeBatch: { Changes: { ResourceRecordSet: Record<string, unknown> }[] } };
    const rrs = change.ChangeBatch.Changes[0]?.ResourceRecordSet;
    expect(rrs).toMatchObject({ SetIdentifier: "primary", Failover: "PRIMARY", AliasTarget: { DNSName: target.drAlbDns, EvaluateTargetHealth: false } });
    expect(rrs).not.toHaveProperty("HealthCheckId");
    expect(result).toMatchObject({ switched: true, changeId: "/change/C1", insync: false, previous: { HealthCheckId: "hc-1" } });
  });

  it("makes no change when the record is already pinned to DR", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves(primaryRecord(`dualstack.${target.drAlbDns}.`));
    expect(await Dns.pinToDr(r53, target, now)).toMatchObject({ alreadyPinned: true, insync: true });
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it("points the PRIMARY record back at the primary ALB with its health check (the switchback's direction of the same change)", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves(primaryRecord(`dualstack.${target.drAlbDns}.`)).on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: "/change/C2", Status: "PENDING" } });
    const result = await Dns.pointPrimaryRecord(r53, target, { albDns: "primary-alb.eu-west-1.elb.amazonaws.com", albZoneId: "ZP", healthCheckId: "hc-1" }, now);
    const change = r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0]?.args[0].input as { ChangeBatch: { Changes: { ResourceRecordSet: Record<string, unknown> }[] } };
    expect(change.ChangeBatch.Changes[0]?.ResourceRecordSet).toMatchObject({ SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: "hc-1", AliasTarget: { DNSName: "primary-alb.eu-west-1.elb.amazonaws.com", HostedZoneId: "ZP", EvaluateTargetHealth: true } });
    expect(result).toMatchObject({ alreadyPinned: false, changeId: "/change/C2", insync: false });
  });

  it("makes no change when the record already is the primary's with its health check, and changes a pinned one that lacks it", async () => {
    const back = { albDns: "primary-alb.eu-west-1.elb.amazonaws.com", albZoneId: "ZP", healthCheckId: "hc-1" };
    r53Mock.on(ListResourceRecordSetsCommand).resolves(primaryRecord("dualstack.primary-alb.eu-west-1.elb.amazonaws.com.", "hc-1"));
    expect(await Dns.pointPrimaryRecord(r53, target, back, now)).toMatchObject({ alreadyPinned: true, insync: true });
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    r53Mock.on(ListResourceRecordSetsCommand).resolves(primaryRecord("dualstack.primary-alb.eu-west-1.elb.amazonaws.com.")).on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: "/change/C3", Status: "INSYNC" } });
    expect(await Dns.pointPrimaryRecord(r53, target, back, now)).toMatchObject({ alreadyPinned: false, insync: true });
  });
});
