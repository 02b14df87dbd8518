/**
 * `pnpm dr` on a stage whose orchestrator runs in both regions (dnsdemo: DNS): the command starts
 * the workflow in the region that must act, decided from what AWS shows (which database is
 * writable, which replicates from which, where the PRIMARY record sends users), and `status`
 * shows both copies. Every region's clients are their own instances, each mocked on its own with
 * aws-sdk-client-mock, so a call in the wrong region finds no answer.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient, type DBInstance } from "@aws-sdk/client-rds";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { Health, type Stage } from "@pilot-light/core";
import type { Clients } from "../src/cli/aws";
import { UndecidedRegionError } from "../src/cli/regions";
import { run } from "../src/dr";
import { FakeTerminal } from "./fake-terminal";

const account = "123456789012";
const primaryRegion = "eu-west-1";
const drRegion = "eu-central-1";
const primaryDb = "pilot-light-dnsdemo-primary";
const replicaDb = "pilot-light-dnsdemo-replica";
const arn = (region: string, id: string) => `arn:aws:rds:${region}:${account}:db:${id}`;
const albs = { primary: "dualstack.pl-dnsdemo-alb-1.eu-west-1.elb.amazonaws.com.", dr: "dualstack.pl-dnsdemo-alb-2.eu-central-1.elb.amazonaws.com." };

function regionClients(region: string): Clients {
  return {
    sts: new STSClient({ region }),
    cfn: new CloudFormationClient({ region }),
    sfn: new SFNClient({ region }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    cloudwatch: new CloudWatchClient({ region }),
    ecs: new ECSClient({ region }),
    rds: new RDSClient({ region }),
    route53: new Route53Client({ region: "us-east-1" }),
    dns: { resolveCname: async () => [], resolve4: async () => [] },
  };
}

let byRegion: Record<string, Clients>;
let mocks: Record<string, { sfn: ReturnType<typeof mockClient>; rds: ReturnType<typeof mockClient>; cfn: ReturnType<typeof mockClient>; db: ReturnType<typeof mockClient> }>;
let route53: ReturnType<typeof mockClient>;
const makeClients = (config: Stage.StageConfig, region: string = config.drRegion) => {
  const c = byRegion[region];
  if (!c) throw new Error(`no clients for ${region}`);
  return c;
};


const now = new Date("2026-12-07T10:00:00.000Z");
const deps = { makeClients, now: () => now, sleep: async () => undefined };

type Role = "writable" | "replica" | "sealed" | "unreachable";

/**
 * What RDS shows of each region's database: writable, a replica of the other's, sealed (no
 * replica, read_only = 1 in its own group: a fenced old primary, a switchback's sealed DR
 * database), or absent/unreachable.
 */
function databases(o: { primary: Role; dr: Role }) {
  const instance = (id: string, role: Exclude<Role, "unreachable">, source: string): DBInstance => ({
    DBInstanceIdentifier: id,
    DBInstanceStatus: "available",
    BackupRetentionPeriod: 7,
    DBParameterGroups: [{ DBParameterGroupName: `${id}-g1`, ParameterApplyStatus: "in-sync" }],
    ...(role === "replica" ? { ReadReplicaSourceDBInstanceIdentifier: source, StatusInfos: [{ StatusType: "read replication", Status: "replicating", Normal: true }] } : {}),
  });
  for (const [region, id, role, source] of [
    [primaryRegion, primaryDb, o.primary, arn(drRegion, replicaDb)],
    [drRegion, replicaDb, o.dr, arn(primaryRegion, primaryDb)],
  ] as const) {
    const rds = mocks[region]!.rds;
    if (role === "unreachable") rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error(`connect ETIMEDOUT rds.${region}.amazonaws.com`), { code: "ETIMEDOUT" }));
    else rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance(id, role, source)] });
    rds.on(DescribeDBParametersCommand, { DBParameterGroupName: `${id}-g1` }).resolves({ Parameters: role === "sealed" ? [{ ParameterName: "read_only", ParameterValue: "1" }] : [] });
  }
}

function dnsTo(side: "primary" | "dr" | "nowhere") {
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets:
      side === "nowhere"
        ? []
        : [{ Name: "app.example.com.", Type: "A", SetIdentifier: "primary", Failover: "PRIMARY", AliasTarget: { DNSName: albs[side], HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } }],
    IsTruncated: false,
    MaxItems: 2,
  });
}

const started = (region: string) => mocks[region]!.sfn.commandCalls(StartExecutionCommand).map((c) => (c.args[0].input as { stateMachineArn?: string }).stateMachineArn);

beforeEach(() => {
  byRegion = { [primaryRegion]: regionClients(primaryRegion), [drRegion]: regionClients(drRegion) };
  mocks = {};
  route53 = mockClient(byRegion[drRegion]!.route53);
  for (const region of [primaryRegion, drRegion]) {
    const c = byRegion[region]!;
    // Only the DR region's Route 53 client is read; the other answers nothing.
    mockClient(c.route53);
    mockClient(c.sts).on(GetCallerIdentityCommand).resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/Operator/alice` });
    const db = mockClient(c.db);
    db.on(GetCommand).resolves({});
    mockClient(c.cloudwatch).on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [2] }] });
    mockClient(c.ecs).on(DescribeServicesCommand).resolves({ services: [{ serviceName: "svc", desiredCount: 0, runningCount: 0, pendingCount: 0 }] });
    const sfn = mockClient(c.sfn);
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn?: string; name?: string }) => ({ executionArn: `${input.stateMachineArn?.replace(":stateMachine:", ":execution:")}:${input.name}`, startDate: now }));
    const cfn = mockClient(c.cfn);
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "x", StackStatus: "UPDATE_COMPLETE", CreationTime: now }] });
    mocks[region] = { sfn, rds: mockClient(c.rds), cfn, db };
  }
  route53 = mockClient(byRegion[drRegion]!.route53);
});

describe("pnpm dr starts the workflow in the region that must act", () => {
  it("a drill before any failover: the DR region holds the replica of the primary's database, so its copy runs it", async () => {
    databases({ primary: "writable", dr: "replica" });
    dnsTo("primary");
    const t = new FakeTerminal();
    expect(await run(["drill", "--stage", "dnsdemo"], t, deps)).toBe(0);
    expect(started(drRegion)).toEqual([`arn:aws:states:${drRegion}:${account}:stateMachine:pilot-light-dnsdemo-failover`]);
    expect(started(primaryRegion)).toEqual([]);
    expect(t.output).toContain(`Starting it in ${drRegion}: ${replicaDb} in ${drRegion} is the read replica of the primary region's database`);
  });

  it("a failover after a re-protect (DR serves, the primary region holds its replica): the primary region's copy fails over to its own region, even with the DR region unreadable", async () => {
    databases({ primary: "replica", dr: "unreachable" });
    dnsTo("dr");
    const t = new FakeTerminal();
    expect(await run(["failover", "--stage", "dnsdemo", "--yes", "--reason", "DR region down after re-protect"], t, deps)).toBe(0);
    expect(started(primaryRegion)).toEqual([`arn:aws:states:${primaryRegion}:${account}:stateMachine:pilot-light-dnsdemo-failover`]);
    expect(started(drRegion)).toEqual([]);
    // The stacks were confirmed where it starts.
    expect(mocks[primaryRegion]!.cfn.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input.StackName)).toEqual(["dnsdemo-pilot-light-State", "dnsdemo-pilot-light-Failover"]);
    // The open incident is the one this copy's monitor counts: the DR region, which it watches.
    expect(mocks[primaryRegion]!.db.commandCalls(GetCommand).map((c) => (c.args[0].input as { Key?: { pk?: string } }).Key?.pk)).toEqual(["HEALTH#dr"]);
  });

  it("a re-protect after a DR→primary failover: the primary serves, so its copy runs it; with the old DR database back and writable too, DNS decides", async () => {
    databases({ primary: "writable", dr: "writable" });
    dnsTo("primary");
    const t = new FakeTerminal();
    expect(await run(["reprotect", "--stage", "dnsdemo"], t, deps)).toBe(0);
    expect(started(primaryRegion)).toEqual([`arn:aws:states:${primaryRegion}:${account}:stateMachine:pilot-light-dnsdemo-failback`]);
    expect(t.output).toContain(`both databases are writable and DNS sends users to ${primaryRegion}`);
  });

  it("a switchback while DR serves runs in the DR region", async () => {
    databases({ primary: "replica", dr: "writable" });
    dnsTo("dr");
    expect(await run(["switchback", "--stage", "dnsdemo", "--yes"], new FakeTerminal(), deps)).toBe(0);
    expect(started(drRegion)).toEqual([`arn:aws:states:${drRegion}:${account}:stateMachine:pilot-light-dnsdemo-failback`]);
  });

  it("refuses, saying what it saw, when no region holds a replica of the other's database, and starts nothing", async () => {
    databases({ primary: "writable", dr: "writable" });
    dnsTo("primary");
    const error = await run(["drill", "--stage", "dnsdemo"], new FakeTerminal(), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndecidedRegionError);
    expect((error as Error).message).toContain("cannot decide which region must run the drill");
    expect((error as Error).message).toContain(`primary region ${primaryRegion}: ${primaryDb} available, writable`);
    expect((error as Error).message).toContain("DNS: sends users to the primary region");
    expect([...started(primaryRegion), ...started(drRegion)]).toEqual([]);
  });

  it("counts a sealed database as no writable one: a re-protect with the fenced old DR database back runs where the writable one is, whatever DNS says", async () => {
    databases({ primary: "writable", dr: "sealed" });
    route53.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
    const t = new FakeTerminal();
    expect(await run(["reprotect", "--stage", "dnsdemo"], t, deps)).toBe(0);
    expect(started(primaryRegion)).toEqual([`arn:aws:states:${primaryRegion}:${account}:stateMachine:pilot-light-dnsdemo-failback`]);
    expect(t.output).toContain(`${primaryDb} in ${primaryRegion} is the writable database`);
  });

  it("refuses a re-protect when both databases are writable and DNS cannot be read", async () => {
    databases({ primary: "writable", dr: "writable" });
    route53.on(ListResourceRecordSetsCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
    const error = await run(["reprotect", "--stage", "dnsdemo"], new FakeTerminal(), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndecidedRegionError);
    expect((error as Error).message).toContain("both databases are writable and DNS does not say which one users reach");
    expect([...started(primaryRegion), ...started(drRegion)]).toEqual([]);
  });

  it("a stage without DNS reads nothing to decide: its orchestrator is in the DR region only", async () => {
    const t = new FakeTerminal();
    expect(await run(["drill", "--stage", "ops"], t, deps)).toBe(0);
    expect(started(drRegion)).toEqual([`arn:aws:states:${drRegion}:${account}:stateMachine:pilot-light-ops-failover`]);
    expect(mocks[drRegion]!.rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(0);
    expect(route53.calls()).toHaveLength(0);
  });
});

describe("pnpm dr status shows both copies", () => {
  it("before any failover: the DR copy is armed and watches the primary region; the primary copy serves", async () => {
    databases({ primary: "writable", dr: "replica" });
    dnsTo("primary");
    const t = new FakeTerminal();
    expect(await run(["status", "--stage", "dnsdemo"], t, deps)).toBe(0);
    expect(t.output).toContain(`primary region ${primaryRegion}: serving: users are sent here; the other region's copy watches this one; watches ${drRegion}; ${primaryDb} available, writable`);
    expect(t.output).toContain(`dr region ${drRegion}: ARMED: fails over by itself if the region it watches fails; watches ${primaryRegion}; ${replicaDb} available, replica of the primary region's database`);
    expect(t.output).toContain(`DNS (Route 53 PRIMARY record): sends users to the primary region (${albs.primary.replace(/\.$/, "")})`);
  });

  it("after a re-protect the other way: the primary copy is armed; a DR region that does not answer is said, not fatal (exit 3: partial)", async () => {
    databases({ primary: "replica", dr: "unreachable" });
    dnsTo("dr");
    const t = new FakeTerminal();
    expect(await run(["status", "--stage", "dnsdemo", "--json"], t, deps)).toBe(3);
    const report = JSON.parse(t.output) as {
      copies: { ok: boolean; value: { copies: Record<string, { arming: { kind: string }; database: unknown; error: string | null }> } };
      unanswered: { side: string; region: string; error: string }[];
    };
    expect(report.unanswered).toEqual([{ side: "dr", region: drRegion, error: expect.stringContaining("ETIMEDOUT") }]);
    expect(report.copies.ok).toBe(true);
    expect(report.copies.value.copies.primary?.arming.kind).toBe("armed");
    expect(report.copies.value.copies.dr?.arming.kind).toBe("unknown");
    expect(report.copies.value.copies.dr?.database).toBeNull();
    expect(report.copies.value.copies.dr?.error).toContain("ETIMEDOUT");
  });

  it("shows a sealed database as read-only, naming the group that holds read_only, not writable", async () => {
    databases({ primary: "writable", dr: "sealed" });
    dnsTo("primary");
    const t = new FakeTerminal();
    expect(await run(["status", "--stage", "dnsdemo", "--json"], t, deps)).toBe(0);
    const report = JSON.parse(t.output) as { copies: { value: { copies: Record<string, { database: { writable: boolean; readOnlyIn: string | null } }> } } };
    expect(report.copies.value.copies.dr?.database).toMatchObject({ writable: false, readOnlyIn: `${replicaDb}-g1` });
    expect(report.copies.value.copies.primary?.database).toMatchObject({ writable: true, readOnlyIn: null });
    const text = new FakeTerminal();
    await run(["status", "--stage", "dnsdemo"], text, deps);
    expect(text.output).toContain(`${replicaDb} available, read-only (read_only = 1 in ${replicaDb}-g1)`);
  });

  it("a stage without DNS has one copy and no copies section", async () => {
    const t = new FakeTerminal();
    expect(await run(["status", "--stage", "ops"], t, deps)).toBe(0);
    expect(t.output).not.toContain("Orchestrator copies");
  });
});

/** Every call a region's clients make fails as calls to a region in an outage do (the bounded clients' timeout). */
function regionDown(region: string) {
  const c = byRegion[region]!;
  const timeout = () => Object.assign(new Error(`connect ETIMEDOUT ${region}`), { name: "TimeoutError", code: "ETIMEDOUT" });
  mockClient(c.sts).onAnyCommand().rejects(timeout());
  mockClient(c.cfn).onAnyCommand().rejects(timeout());
  mockClient(c.sfn).onAnyCommand().rejects(timeout());
  mockClient(c.db).onAnyCommand().rejects(timeout());
  mockClient(c.cloudwatch).onAnyCommand().rejects(timeout());
  mockClient(c.ecs).onAnyCommand().rejects(timeout());
  mockClient(c.rds).onAnyCommand().rejects(timeout());
}

const openIncident = (target: "primary" | "dr", id: string) => ({
  Item: { pk: `HEALTH#${target}`, ...Health.emptyState(target), version: 4, consecutiveFailures: 3, incident: { id, openedAt: "2026-12-07T09:00:03.000Z", action: "failover", reason: `${target} /health.php failed 3 consecutive checks (threshold 3)`, trigger: "consecutive", attempt: 1, startAttempts: 1, history: [] } },
});

describe("pnpm dr in both regions: status and close-incident go on when a region does not answer", () => {
  it("status with the DR region down: shows the primary region's copy (its incident on DR, its database), names the DR region as not answering, exit 3", async () => {
    regionDown(drRegion);
    databases({ primary: "replica", dr: "unreachable" });
    dnsTo("dr");
    mocks[primaryRegion]!.db.on(GetCommand, { Key: { pk: "HEALTH#dr" } }).resolves(openIncident("dr", "dr-20261207T090000Z"));
    const t = new FakeTerminal();
    expect(await run(["status", "--stage", "dnsdemo"], t, deps)).toBe(3);
    expect(t.output).toContain(`NOT ANSWERING: the DR region ${drRegion} did not answer`);
    expect(t.output).toContain(`the ${primaryRegion} copy's`);
    expect(t.output).toContain("OPEN INCIDENT dr-20261207T090000Z");
    expect(t.output).toContain(`${primaryDb}: available, read replica`);
  });

  it("status with every region answering exits 0", async () => {
    databases({ primary: "writable", dr: "replica" });
    dnsTo("primary");
    expect(await run(["status", "--stage", "dnsdemo"], new FakeTerminal(), deps)).toBe(0);
  });

  it("close-incident closes the primary region's copy's incident (HEALTH#dr) in the primary region's table", async () => {
    mocks[primaryRegion]!.db.on(GetCommand, { Key: { pk: "HEALTH#dr" } }).resolves(openIncident("dr", "dr-20261207T090000Z"));
    mocks[primaryRegion]!.db.on(PutCommand).resolves({});
    const t = new FakeTerminal();
    expect(await run(["close-incident", "--stage", "dnsdemo", "--note", "failed over to eu-west-1, re-protected"], t, deps)).toBe(0);
    expect(t.output).toContain(`Closed incident dr-20261207T090000Z`);
    expect(t.output).toContain(`in ${primaryRegion}`);
    const saved = mocks[primaryRegion]!.db.commandCalls(PutCommand).map((c) => c.args[0].input.Item as { pk?: string; incident?: unknown });
    expect(saved.find((i) => i.pk === "HEALTH#dr")).toMatchObject({ pk: "HEALTH#dr" });
    expect(saved.find((i) => i.pk === "HEALTH#dr")?.incident).toBeUndefined();
    expect(mocks[drRegion]!.db.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("close-incident with the DR region down closes what the primary region holds; with nothing there, refuses naming the region that did not answer", async () => {
    regionDown(drRegion);
    const error = await run(["close-incident", "--stage", "dnsdemo", "--note", "n"], new FakeTerminal(), deps).catch((e: unknown) => e);
    expect((error as Error).message).toContain("no incident is open for stage dnsdemo in the regions that answered");
    expect((error as Error).message).toContain(`The dr region ${drRegion} did not answer`);
    mocks[primaryRegion]!.db.on(GetCommand, { Key: { pk: "HEALTH#dr" } }).resolves(openIncident("dr", "dr-20261207T090000Z"));
    mocks[primaryRegion]!.db.on(PutCommand).resolves({});
    expect(await run(["close-incident", "--stage", "dnsdemo", "--note", "n"], new FakeTerminal(), deps)).toBe(0);
  });

  it("close-incident with an incident open in each region refuses and names both, each with its command; --incident picks one", async () => {
    mocks[drRegion]!.db.on(GetCommand, { Key: { pk: "HEALTH#primary" } }).resolves(openIncident("primary", "primary-20261207T080000Z"));
    mocks[primaryRegion]!.db.on(GetCommand, { Key: { pk: "HEALTH#dr" } }).resolves(openIncident("dr", "dr-20261207T090000Z"));
    for (const r of [drRegion, primaryRegion]) mocks[r]!.db.on(PutCommand).resolves({});
    const error = await run(["close-incident", "--stage", "dnsdemo", "--note", "n"], new FakeTerminal(), deps).catch((e: unknown) => e);
    expect((error as Error).message).toContain("an incident is open in each region");
    expect((error as Error).message).toContain("--incident primary-20261207T080000Z");
    expect((error as Error).message).toContain("--incident dr-20261207T090000Z");
    expect(await run(["close-incident", "--stage", "dnsdemo", "--note", "n", "--incident", "primary-20261207T080000Z"], new FakeTerminal(), deps)).toBe(0);
    expect(mocks[drRegion]!.db.commandCalls(PutCommand).some((c) => (c.args[0].input.Item as { pk?: string }).pk === "HEALTH#primary")).toBe(true);
    expect(mocks[primaryRegion]!.db.commandCalls(PutCommand)).toHaveLength(0);
  });
});
