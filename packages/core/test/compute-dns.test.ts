import { afterEach, describe, expect, it } from "vitest";
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { mockClient } from "aws-sdk-client-mock";
import { Compute, Dns } from "@pilot-light/core";

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

  it("fences without throwing when the primary region is unreachable", async () => {
    ecsMock.on(DescribeServicesCommand).rejects(Object.assign(new Error("connect ETIMEDOUT"), { name: "TimeoutError" }));
    expect(await Compute.fenceService(ecs, "eu-west-1", { cluster: "c", service: "s" }, now)).toMatchObject({ fenced: false });
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
});
