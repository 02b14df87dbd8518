/**
 * Every operator command end to end through `run`: AWS APIs mocked with aws-sdk-client-mock,
 * the orchestrator's state table on dynalite (a real DynamoDB engine), DNS through an injected
 * resolver. Assertions on the commands sent and on the text the operator reads.
 */
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { Failover, Health, State } from "@pilot-light/core";
import { startDynalite, type LocalDynamo } from "../../core/test/support/dynalite";
import { credentialChainOptions, type Clients, type DnsResolver } from "../src/cli/aws";
import { CredentialsError, MissingStackError, NetworkError, RefusedError, ThrottledError, UsageError } from "../src/cli/errors";
import { realDependencies, run, type Terminal } from "../src/dr";

const region = "eu-central-1";
const account = "123456789012";
const machine = `arn:aws:states:${region}:${account}:stateMachine:pilot-light-ops-failover`;
const console = (arn: string) => `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
const now = new Date("2026-11-28T05:30:00.000Z");
const table = "pilot-light-ops-state";

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const cw = mockClient(CloudWatchClient);
const ecs = mockClient(ECSClient);
const rds = mockClient(RDSClient);
// Route 53 answers nothing here: where DNS points is not known (packages/tools/test/cli-regions.test.ts reads it).
const route53 = mockClient(Route53Client);

let dynamo: LocalDynamo;
let dnsAnswers: Record<string, string[]> = {};
let aliasAnswers: Record<string, string[]> = {};
const dns: DnsResolver = {
  async resolveCname(host) {
    const answer = dnsAnswers[host];
    if (answer) return answer;
    if (aliasAnswers[host]) throw Object.assign(new Error(`queryCname ENODATA ${host}`), { code: "ENODATA" });
    throw Object.assign(new Error(`queryCname ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  },
  async resolve4(host) {
    const answer = aliasAnswers[host];
    if (!answer) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return answer;
  },
};

function clients(): Clients {
  return {
    sts: new STSClient({ region }),
    cfn: new CloudFormationClient({ region }),
    sfn: new SFNClient({ region }),
    db: dynamo.doc,
    cloudwatch: new CloudWatchClient({ region }),
    ecs: new ECSClient({ region }),
    rds: new RDSClient({ region }),
    route53: new Route53Client({ region: "us-east-1" }),
    dns,
  };
}

class FakeTerminal implements Terminal {
  printed: string[] = [];
  asked: string[] = [];
  constructor(
    readonly isInteractive: boolean,
    private readonly answer = "",
  ) {}
  async ask(question: string) {
    this.asked.push(question);
    return this.answer;
  }
  progressed: string[] = [];
  print(text: string) {
    this.printed.push(text);
  }
  progress(text: string) {
    this.progressed.push(text);
  }
  get output() {
    return this.printed.join("\n");
  }
}

const deps = { makeClients: clients, now: () => now, sleep: async () => undefined };
const exec = (name: string) => `arn:aws:states:${region}:${account}:execution:pilot-light-ops-failover:${name}`;

async function seedHealth(state: Partial<Health.HealthState>, stateTable = table) {
  await dynamo.doc.send(new DeleteCommand({ TableName: stateTable, Key: { pk: "HEALTH#primary" } }));
  await Health.saveState({ db: dynamo.doc, table: stateTable }, { ...Health.emptyState("primary"), version: 1, ...state });
}

const failingCheck: Health.Evidence = {
  at: "2026-11-28T05:25:00.000Z",
  url: "http://primary-alb.eu-west-1.elb.amazonaws.com/health.php",
  ok: false,
  probes: [
    { ok: false, latencyMs: 5001, failure: "timeout", error: "no complete answer within 5000 ms" },
    { ok: false, latencyMs: 5002, failure: "timeout", error: "no complete answer within 5000 ms" },
    { ok: true, latencyMs: 40, status: 200 },
  ],
};
const incident: Health.Incident = {
  id: "primary-20261128T052500Z",
  openedAt: "2026-11-28T05:25:03.000Z",
  action: "recommend",
  reason: "primary /health.php failed 3 consecutive checks (threshold 3)",
  trigger: "consecutive",
  attempt: 1,
  startAttempts: 0,
  history: [],
};

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createStateTable(table);
  await dynamo.createStateTable("pilot-light-dnsdemo-state");
});
afterAll(async () => dynamo.stop());

beforeEach(async () => {
  for (const m of [sts, cfn, sfn, cw, ecs, rds, route53]) m.reset();
  dnsAnswers = {};
  aliasAnswers = {};
  await dynamo.doc.send(new DeleteCommand({ TableName: table, Key: { pk: State.keys.failoverLock() } }));
  sts.on(GetCallerIdentityCommand).resolves({ Account: account, Arn: `arn:aws:sts::${account}:assumed-role/Operator/alice` });
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "x", StackStatus: "UPDATE_COMPLETE", CreationTime: now }] });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  await seedHealth({ consecutiveFailures: 0, lastCheck: { ...failingCheck, ok: true, probes: [{ ok: true, latencyMs: 41, status: 200 }] } });
});

describe("status", () => {
  beforeEach(() => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: "pilot-light-ops-replica",
          DBInstanceStatus: "available",
          ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:eu-west-1:${account}:db:pilot-light-ops-primary`,
          BackupRetentionPeriod: 7,
        },
      ],
    });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [0.4, 1] }] });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: "pilot-light-ops-web", status: "ACTIVE", desiredCount: 0, runningCount: 0, pendingCount: 0 }] });
  });

  it("reports a healthy, idle pilot light with the last drill's outcome and its console link", async () => {
    const name = "drill-ops-20261120T100000Z";
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: exec(name), stateMachineArn: machine, name, status: "SUCCEEDED", startDate: new Date("2026-11-20T10:00:00Z"), stopDate: new Date("2026-11-20T10:02:10Z") },
      ],
    });
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.outcome(name), status: "succeeded", rtoSeconds: 92.4, rpoSeconds: 1 } }));
    const terminal = new FakeTerminal(false);

    expect(await run(["status", "--stage", "ops"], terminal, deps)).toBe(0);

    const out = terminal.output;
    expect(out).toContain("pilot-light ops: primary eu-west-1, DR eu-central-1, account 123456789012");
    expect(out).toMatch(/HEALTHY: last check 2026-11-28T05:25:00Z \(5 min ago\), 0\/1 probes failed/);
    expect(out).toContain("consecutive failures: 0/3");
    expect(out).toContain("no open incident");
    expect(out).toContain("pilot-light-ops-replica: available, read replica");
    expect(out).toContain("lag 1 s: within the RPO budget of 60 s");
    expect(out).toContain("pilot-light-ops-web: 0 running, 0 pending, desired 0 (pilot light; pilot 0, full 2)");
    expect(out).toContain("this stage has no Route 53 records");
    expect(out).toMatch(/SUCCEEDED +drill-ops-20261120T100000Z {2}2026-11-20T10:00:00Z, 130 s; succeeded, RTO 92.4 s, RPO 1 s/);
    expect(out).toContain(console(exec(name)));
    expect(out).toContain("Dashboard:      https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/pilot-light-ops-dr");
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ stateMachineArn: machine });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({ cluster: "pilot-light-ops", services: ["pilot-light-ops-web"] });
  });

  it("shows the stage's settings and judges a recorded execution against its targets, with what to change", async () => {
    const name = "failover-primary-20261120T100000Z";
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: exec(name), stateMachineArn: machine, name, status: "SUCCEEDED", startDate: new Date("2026-11-20T10:00:00Z"), stopDate: new Date("2026-11-20T10:07:00Z") }],
    });
    const targets: Failover.Targets = {
      rto: { targetSeconds: 600, actualSeconds: 1032, measuredFrom: "last-healthy-check", met: false },
      rpo: { budgetSeconds: 60, actualSeconds: 2, met: true },
    };
    const advice = ["detection is 70 % of RTO (12 min): a faster health profile"];
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.outcome(name), status: "succeeded", rtoSeconds: 1032, rpoSeconds: 2, targets, advice } }));
    const terminal = new FakeTerminal(false);

    expect(await run(["status", "--stage", "ops"], terminal, deps)).toBe(0);

    expect(terminal.output).toContain("Targets: RTO 600 s (outage → DR serving), RPO 60 s (replica lag)");
    expect(terminal.output).toContain("Settings (stacks/stages.ts): primary 2 tasks; DR 2 tasks at full size, 0 as a pilot light; database db.t4g.small");
    expect(terminal.output).toContain("succeeded; RTO 1032 s (from the last passing health check), target 600 s: MISSED; RPO estimate 2 s, budget 60 s: met");
    expect(terminal.output).toContain("change: detection is 70 % of RTO (12 min)");
  });

  it("names the step a failed execution stopped at, with its error", async () => {
    const name = "failover-primary-20261121T100000Z";
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ executionArn: exec(name), stateMachineArn: machine, name, status: "FAILED", startDate: new Date("2026-11-21T10:00:00Z"), stopDate: new Date("2026-11-21T10:20:00Z") }],
    });
    const failure = { step: "PromoteAndScale", error: "PromotionTimeoutError", cause: "CheckPromotion: the database was not writable after 80 checks 15 s apart" };
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.outcome(name), status: "needs-operator", rtoSeconds: null, rpoSeconds: 3, failure } }));
    const terminal = new FakeTerminal(false);
    expect(await run(["status", "--stage", "ops"], terminal, deps)).toBe(0);
    expect(terminal.output).toContain("FAILED at CheckPromotion: PromotionTimeoutError: the database was not writable after 80 checks 15 s apart");
  });

  it("shows an open incident, unknown lag, the DNS answer's region, and a section it could not read", async () => {
    await seedHealth({ consecutiveFailures: 3, lastCheck: failingCheck, lastFailure: failingCheck, incident }, "pilot-light-dnsdemo-state");
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [-1] }] });
    ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error("User is not authorized to perform: ecs:DescribeServices"), { name: "AccessDeniedException" }));
    dnsAnswers["app.example.com"] = ["dr-alb-123.eu-central-1.elb.amazonaws.com"];
    const terminal = new FakeTerminal(false);

    expect(await run(["status", "--stage", "dnsdemo"], terminal, deps)).toBe(0);

    const out = terminal.output;
    expect(out).toContain("FAILING: last check 2026-11-28T05:25:00Z (5 min ago), 2/3 probes failed: no complete answer within 5000 ms (5001 ms); no complete answer within 5000 ms (5002 ms)");
    expect(out).toContain("consecutive failures: 3/3");
    expect(out).toContain("OPEN INCIDENT primary-20261128T052500Z since 2026-11-28T05:25:03Z: failover recommended (auto-failover off)");
    expect(out).toContain('pnpm dr close-incident --stage dnsdemo --note "<what was done>"');
    expect(out).toContain("lag unknown (no ReplicaLag data in 10 minutes): UNKNOWN the RPO budget of 60 s");
    expect(out).toContain("DR capacity (ECS)\n  unavailable: User is not authorized to perform: ecs:DescribeServices");
    expect(out).toContain("app.example.com → dr-alb-123.eu-central-1.elb.amazonaws.com: the DR region (eu-central-1)");
    expect(out).toContain("none yet: run a drill (pnpm dr drill --stage dnsdemo)");
  });

  it("shows what the monitor did with an incident: its attempts, the next one, a withheld failover", async () => {
    const withheld: Health.Incident = {
      ...incident,
      action: "failover",
      attempt: 2,
      nextAttemptAt: "2026-11-28T05:40:00.000Z",
      withheldAt: "2026-11-28T05:45:00.000Z",
      confirmation: { verdict: "disagrees", detail: "Route 53 health checkers see the primary healthy from 8 of 8 locations (us-east-1, ...)", at: "2026-11-28T05:45:00.000Z" },
      history: [{ attempt: 1, name: `failover-${incident.id}`, status: "FAILED", error: "RpoBudgetExceededError", endedAt: "2026-11-28T05:35:00.000Z" }],
    };
    await seedHealth({ consecutiveFailures: 5, lastCheck: failingCheck, lastFailure: failingCheck, incident: withheld });
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain(`attempt 1: failover-${incident.id} ended FAILED (RpoBudgetExceededError) at 2026-11-28T05:35:00Z`);
    expect(terminal.output).toContain("next: attempt 2 at the first failed check from 2026-11-28T05:40:00Z");
    expect(terminal.output).toContain("WITHHELD: Route 53 health checkers see the primary healthy from 8 of 8 locations");
  });

  it("shows a pinned alias record's addresses and says it cannot tell the region", async () => {
    aliasAnswers["app.example.com"] = ["203.0.113.10", "203.0.113.11"];
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "dnsdemo"], terminal, deps);
    expect(terminal.output).toContain("app.example.com → 203.0.113.10, 203.0.113.11: an unknown target");
  });

  it("reports a DNS lookup that fails", async () => {
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "dnsdemo"], terminal, deps);
    expect(terminal.output).toContain("DNS\n  unavailable: queryCname ENOTFOUND app.example.com");
  });

  it.each([
    ["sealed by a switchback (read_only = 1): not writable", [{ ParameterName: "read_only", ParameterValue: "1" }], "pilot-light-ops-replica: available, PROMOTED, read-only (read_only = 1 in its parameter group: fenced or sealed, takes no writes)"],
    ["read_only not set: writable", [], "pilot-light-ops-replica: available, PROMOTED (standalone, writable)"],
  ])("shows a promoted DR database %s", async (_what, parameters, line) => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: "pilot-light-ops-replica", DBInstanceStatus: "available", BackupRetentionPeriod: 7, DBParameterGroups: [{ DBParameterGroupName: "pilot-light-ops-replica-g1", ParameterApplyStatus: "in-sync" }] }],
    });
    rds.on(DescribeDBParametersCommand, { DBParameterGroupName: "pilot-light-ops-replica-g1" }).resolves({ Parameters: parameters });
    const terminal = new FakeTerminal(false);
    expect(await run(["status", "--stage", "ops"], terminal, deps)).toBe(0);
    expect(terminal.output).toContain(line);
  });

  it("shows a free failover lock", async () => {
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain("Failover lock\n  free");
  });

  it("points at the runbook when the lock is held by an execution that is not running", async () => {
    await dynamo.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: State.keys.failoverLock(), owner: "failover-ops-20261128T040000Z", mode: "failover", acquiredAt: "2026-11-28T04:00:00.000Z", expiresAt: 1764309600 },
      }),
    );
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain("HELD by failover failover-ops-20261128T040000Z since 2026-11-28T04:00:00.000Z (expires 2025-11-28T06:00:00.000Z)");
    expect(terminal.output).toContain('docs/runbook.md, "An execution timed out or was aborted"');
  });

  it("flags a last check older than two schedule periods as stale", async () => {
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, { ...deps, now: () => new Date("2026-11-28T05:36:00.000Z") });
    expect(terminal.output).toContain("STALE: no check for more than 10 minutes (two schedule periods): is the monitor running?");
  });

  it("does not flag a check within two schedule periods", async () => {
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).not.toContain("STALE");
  });

  it("says the monitor never ran when there is no health item", async () => {
    await dynamo.doc.send(new DeleteCommand({ TableName: table, Key: { pk: "HEALTH#primary" } }));
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain("NO CHECK YET: the monitor has never written a result");
  });
});

describe("drill and dry-run", () => {
  it("starts a drill under a deterministic name with an input the state machine accepts, and prints the console link", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec("drill-ops-20261128T053000Z"), startDate: now });
    const terminal = new FakeTerminal(false);

    expect(await run(["drill", "--stage", "ops"], terminal, deps)).toBe(0);

    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(machine);
    expect(call.name).toBe("drill-ops-20261128T053000Z");
    const input = Failover.FailoverInput.parse(JSON.parse(call.input ?? ""));
    expect(input).toEqual({
      mode: "drill",
      reason: "DR drill started from the operator CLI",
      requestedBy: "assumed-role/Operator/alice",
      options: { switchDns: true, acknowledgeRpoBreach: false },
    });
    expect(terminal.output).toContain("Started a DR drill (non-destructive");
    expect(terminal.output).toContain(`watch it:  ${console(exec("drill-ops-20261128T053000Z"))}`);
    expect(terminal.asked).toEqual([]);
  });

  it("waits for a dry-run and prints what a failover would do", async () => {
    const arn = exec("dry-run-ops-20261128T053000Z");
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: now });
    const report: Failover.PreflightReport = {
      mode: "dry-run",
      checkedAt: now.toISOString(),
      replica: { identifier: "pilot-light-ops-replica", status: "available", sourceIdentifier: "arn:...", backupRetentionDays: 7 },
      alreadyPromoted: false,
      lag: { seconds: 2, budgetSeconds: 60, withinBudget: true, acknowledged: false },
      service: { cluster: "pilot-light-ops", service: "pilot-light-ops-web", desired: 0, running: 0, taskDefinition: "td" },
      targetCount: 2,
      pilotCount: 0,
      dns: { configured: false, willSwitch: false },
      blockers: [],
      wouldProceed: true,
      plan: ["promote pilot-light-ops-replica", "scale pilot-light-ops-web 0 → 2"],
    };
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: arn, status: "RUNNING", startDate: now, stateMachineArn: machine })
      .resolves({ executionArn: arn, status: "SUCCEEDED", startDate: now, stopDate: new Date("2026-11-28T05:30:04Z"), stateMachineArn: machine, output: JSON.stringify(report) });
    const terminal = new FakeTerminal(false);

    expect(await run(["dry-run", "--stage", "ops", "--reason", "quarterly check"], terminal, deps)).toBe(0);

    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input ?? "")).toMatchObject({ mode: "dry-run", reason: "quarterly check" });
    expect(terminal.output).toContain("Execution ended: SUCCEEDED at 2026-11-28T05:30:04Z");
    expect(terminal.output).toContain("A failover now WOULD PROCEED.");
    expect(terminal.output).toContain("replica lag 2 s (budget 60 s)");
    expect(terminal.output).toContain("    - scale pilot-light-ops-web 0 → 2");
  });

  it("exits 1 with the error when the waited-for execution fails", async () => {
    const arn = exec("drill-ops-20261128T053000Z");
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: now });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: arn, status: "FAILED", startDate: now, stateMachineArn: machine, error: "RpoBudgetExceededError", cause: "replica lag 300 s > 60 s" });
    const terminal = new FakeTerminal(false);
    expect(await run(["drill", "--stage", "ops", "--wait"], terminal, deps)).toBe(1);
    expect(terminal.output).toContain("Execution ended: FAILED");
    expect(terminal.output).toContain("error: RpoBudgetExceededError: replica lag 300 s > 60 s");
  });

  it("refuses to start while another execution runs, naming it", async () => {
    const name = "drill-ops-20261128T052000Z";
    sfn.on(ListExecutionsCommand, { stateMachineArn: machine, statusFilter: "RUNNING", maxResults: 5 }).resolves({
      executions: [{ executionArn: exec(name), stateMachineArn: machine, name, status: "RUNNING", startDate: now }],
    });
    await expect(run(["drill", "--stage", "ops"], new FakeTerminal(false), deps)).rejects.toThrow(RefusedError);
    await expect(run(["drill", "--stage", "ops"], new FakeTerminal(false), deps)).rejects.toThrow(`${name}: ${console(exec(name))}`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe("failover", () => {
  it("refuses without a terminal and without --yes, before any AWS call", async () => {
    await expect(run(["failover", "--stage", "ops", "--reason", "eu-west-1 down"], new FakeTerminal(false), deps)).rejects.toThrow(
      /needs a person's confirmation: run it on a terminal, or pass --yes/,
    );
    expect(sts.calls()).toHaveLength(0);
  });

  it("starts nothing when the operator does not type the stage name", async () => {
    const terminal = new FakeTerminal(true, "y");
    expect(await run(["failover", "--stage", "ops", "--reason", "eu-west-1 down"], terminal, deps)).toBe(1);
    expect(terminal.asked[0]).toContain('REAL failover of stage "ops"');
    expect(terminal.output).toContain("Not confirmed: nothing was started.");
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("after confirmation, fails over under the open incident's id and the monitor's execution name", async () => {
    await seedHealth({ consecutiveFailures: 3, lastCheck: failingCheck, incident });
    const name = `failover-${incident.id}`;
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec(name), startDate: now });
    const terminal = new FakeTerminal(true, "ops");

    expect(await run(["failover", "--stage", "ops", "--reason", "eu-west-1 down", "--no-dns"], terminal, deps)).toBe(0);

    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.name).toBe(name);
    expect(Failover.FailoverInput.parse(JSON.parse(call.input ?? ""))).toEqual({
      mode: "failover",
      reason: "eu-west-1 down",
      requestedBy: "assumed-role/Operator/alice",
      incidentId: incident.id,
      options: { switchDns: false, acknowledgeRpoBreach: false },
    });
    expect(terminal.output).toContain("Started a FAILOVER to the DR region.");
    expect(terminal.output).toContain(console(exec(name)));
  });

  it("with --yes and no incident, names the run failover-<stage>-<time>", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec("failover-ops-20261128T053000Z"), startDate: now });
    expect(await run(["failover", "--stage", "ops", "--reason", "r", "--yes", "--acknowledge-rpo-breach"], new FakeTerminal(false), deps)).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.name).toBe("failover-ops-20261128T053000Z");
    expect(JSON.parse(call.input ?? "")).toMatchObject({ options: { acknowledgeRpoBreach: true } });
  });

  it("refuses when the monitor already started the failover for the open incident", async () => {
    const arn = exec(`failover-${incident.id}`);
    await seedHealth({ consecutiveFailures: 3, incident: { ...incident, action: "failover", executionArn: arn, startedAt: "2026-11-28T05:25:04Z" } });
    sfn.on(DescribeExecutionCommand, { executionArn: arn }).resolves({ executionArn: arn, status: "RUNNING", startDate: now, stateMachineArn: machine });
    const attempt = run(["failover", "--stage", "ops", "--reason", "r", "--yes"], new FakeTerminal(false), deps);
    await expect(attempt).rejects.toThrow(RefusedError);
    await expect(attempt).rejects.toThrow(`already started the failover for incident ${incident.id} (RUNNING):\n  ${console(arn)}`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("runs again for an incident whose first failover failed, under a new name and the same incident id", async () => {
    const first = exec(`failover-${incident.id}`);
    await seedHealth({ consecutiveFailures: 5, incident: { ...incident, action: "failover", executionArn: first, startedAt: "2026-11-28T05:25:04Z" } });
    sfn.on(DescribeExecutionCommand, { executionArn: first }).resolves({ executionArn: first, status: "FAILED", startDate: now, stateMachineArn: machine });
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec("failover-ops-20261128T053000Z"), startDate: now });

    expect(await run(["failover", "--stage", "ops", "--reason", "resume after NeedsOperator", "--yes"], new FakeTerminal(false), deps)).toBe(0);

    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.name).toBe("failover-ops-20261128T053000Z");
    expect(JSON.parse(call.input ?? "")).toMatchObject({ incidentId: incident.id, reason: "resume after NeedsOperator" });
  });

  it("explains a name clash instead of starting a second execution", async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "Execution Already Exists", $metadata: {} }));
    await expect(run(["failover", "--stage", "ops", "--reason", "r", "--yes"], new FakeTerminal(false), deps)).rejects.toThrow(
      /an execution named failover-ops-20261128T053000Z already exists/,
    );
  });

  it("says the DR region lacks the state machine when it does not exist", async () => {
    sfn.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: "State Machine Does Not Exist", $metadata: {} }));
    const attempt = run(["drill", "--stage", "ops"], new FakeTerminal(false), deps);
    await expect(attempt).rejects.toThrow(MissingStackError);
    await expect(attempt).rejects.toThrow("state machine pilot-light-ops-failover does not exist in eu-central-1");
  });
});

describe("close-incident", () => {
  it("archives the open incident with who and why and resets the count", async () => {
    await seedHealth({ consecutiveFailures: 4, incident });
    const terminal = new FakeTerminal(false);

    expect(await run(["close-incident", "--stage", "ops", "--note", "primary back after AZ event"], terminal, deps)).toBe(0);

    const state = await Health.loadState({ db: dynamo.doc, table }, "primary");
    expect(state.incident).toBeUndefined();
    expect(state.consecutiveFailures).toBe(0);
    const archived = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: `INCIDENT#${incident.id}` } }));
    expect(archived.Item).toMatchObject({ id: incident.id, closedBy: "assumed-role/Operator/alice", note: "primary back after AZ event", failuresAtClose: 4 });
    expect(terminal.output).toContain(`Closed incident ${incident.id} (opened 2026-11-28T05:25:03Z) as assumed-role/Operator/alice: primary back after AZ event`);
  });

  it("refuses when no incident is open", async () => {
    await expect(run(["close-incident", "--stage", "ops", "--note", "n"], new FakeTerminal(false), deps)).rejects.toThrow(
      "no incident is open on primary for stage ops: nothing to close",
    );
  });

  it("refuses to close a different incident than the open one", async () => {
    await seedHealth({ consecutiveFailures: 3, incident });
    await expect(run(["close-incident", "--stage", "ops", "--note", "n", "--incident", "primary-20260101T000000Z"], new FakeTerminal(false), deps)).rejects.toThrow(
      `incident primary-20260101T000000Z is not open on primary (open: ${incident.id})`,
    );
  });

  it("refuses while the incident's failover is still running", async () => {
    const arn = exec(`failover-${incident.id}`);
    await seedHealth({ consecutiveFailures: 3, incident: { ...incident, action: "failover", executionArn: arn } });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: arn, status: "RUNNING", startDate: now, stateMachineArn: machine });
    await expect(run(["close-incident", "--stage", "ops", "--note", "n"], new FakeTerminal(false), deps)).rejects.toThrow(/still running; close the incident after it ends/);
  });
});

describe("errors an operator can act on", () => {
  it("names missing credentials and how to set them", async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    const attempt = run(["status", "--stage", "ops"], new FakeTerminal(false), deps);
    await expect(attempt).rejects.toThrow(CredentialsError);
    await expect(attempt).rejects.toThrow(/could not confirm your AWS identity with STS in eu-central-1: Could not load credentials from any providers\nSet credentials .*AWS_PROFILE/);
    expect(cfn.calls()).toHaveLength(0);
  });

  /** No network: no keys, no profile files, no ECS endpoint, and EC2 instance metadata a closed local port. */
  async function withoutCredentials(check: () => Promise<void>): Promise<void> {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    await new Promise((closed) => server.close(closed));
    const none = join(tmpdir(), `s25-no-aws-${process.pid}`);
    const unset = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    for (const name of unset) vi.stubEnv(name, undefined);
    vi.stubEnv("AWS_CONFIG_FILE", join(none, "config"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", join(none, "credentials"));
    vi.stubEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT", `http://127.0.0.1:${port}`);
    try {
      await check();
    } finally {
      vi.unstubAllEnvs();
    }
  }

  it("with no credentials anywhere, says which sources it tried before any AWS call, its remote sources asked once with 1 s each", async () => {
    await withoutCredentials(async () => {
      expect(credentialChainOptions).toEqual({ timeout: 1000, maxRetries: 0 });
      const attempt = run(["status", "--stage", "ops"], new FakeTerminal(false), realDependencies());
      await expect(attempt).rejects.toThrow(CredentialsError);
      await expect(attempt).rejects.toThrow(/^no AWS credentials found: tried environment variables .*~\/\.aws\/config .*the ECS container endpoint .*EC2 instance metadata \(.*\)\.\nSet credentials .*AWS_PROFILE/);
      expect(sts.calls()).toHaveLength(0);
    });
  });

  it("refuses a failover nobody can confirm before it looks for credentials", async () => {
    await withoutCredentials(async () => {
      await expect(run(["failover", "--stage", "ops", "--reason", "r"], new FakeTerminal(false), realDependencies())).rejects.toThrow(/failover needs a person's confirmation/);
    });
  });

  it("says the stage is not deployed when its stack does not exist", async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({ name: "ValidationError", $fault: "client", message: "Stack with id ops-pilot-light-State does not exist", $metadata: {} }),
    );
    const attempt = run(["status", "--stage", "ops"], new FakeTerminal(false), deps);
    await expect(attempt).rejects.toThrow(MissingStackError);
    await expect(attempt).rejects.toThrow(/stage "ops" is not deployed in eu-central-1 of account 123456789012: stack ops-pilot-light-State does not exist.\nCheck --stage/);
  });

  it("names the configured stages when a stage that is not configured has no stack", async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({ name: "ValidationError", $fault: "client", message: "Stack with id prodd-pilot-light-State does not exist", $metadata: {} }),
    );
    await expect(run(["status", "--stage", "prodd"], new FakeTerminal(false), deps)).rejects.toThrow(
      /"prodd" is not one of the stages in stacks\/stages.ts \(dnsdemo, prod[^)]*\); personal stages get the defaults/,
    );
  });

  it("checks the Failover stack before starting a drill", async () => {
    cfn.on(DescribeStacksCommand, { StackName: "ops-pilot-light-Failover" }).rejects(
      new CloudFormationServiceException({ name: "ValidationError", $fault: "client", message: "Stack with id ops-pilot-light-Failover does not exist", $metadata: {} }),
    );
    await expect(run(["drill", "--stage", "ops"], new FakeTerminal(false), deps)).rejects.toThrow(/stack ops-pilot-light-Failover does not exist/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("treats a rolled-back stack as not deployed", async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "ops-pilot-light-State", StackStatus: "ROLLBACK_COMPLETE", CreationTime: now }] });
    await expect(run(["status", "--stage", "ops"], new FakeTerminal(false), deps)).rejects.toThrow("stack ops-pilot-light-State in eu-central-1 is ROLLBACK_COMPLETE: deploy the stage first");
  });

  it("rejects a stage name that cannot exist, before any AWS call", async () => {
    await expect(run(["status", "--stage", "Prod_1"], new FakeTerminal(false), deps)).rejects.toThrow(UsageError);
    expect(sts.calls()).toHaveLength(0);
  });

  it("exits 2 without a command, with usage on stderr and nothing on stdout", async () => {
    const terminal = new FakeTerminal(false);
    expect(await run([], terminal, deps)).toBe(2);
    expect(terminal.output).toBe("");
    expect(terminal.progressed.join("\n")).toMatch(/^Usage: pnpm dr <command>[\s\S]*needs a command/);
    expect(sts.calls()).toHaveLength(0);
  });

  it("prints usage for help and exits 0", async () => {
    const terminal = new FakeTerminal(false);
    expect(await run(["--help"], terminal, deps)).toBe(0);
    expect(terminal.output).toMatch(/^Usage: pnpm dr <command> --stage <stage> \[options\]/);
    expect(sts.calls()).toHaveLength(0);
  });

  it.each([
    ["a DNS failure", Object.assign(new Error("getaddrinfo ENOTFOUND sts.eu-central-1.amazonaws.com"), { code: "ENOTFOUND" }), NetworkError, /AWS could not be reached.*\nThis is the network, not your credentials/s],
    ["a timeout", Object.assign(new Error("socket timed out"), { name: "TimeoutError" }), NetworkError, /not your credentials/],
    ["throttling", Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } }), ThrottledError, /throttled the call \(Rate exceeded\)\. Wait a minute/],
    ["an expired token", Object.assign(new Error("The security token included in the request is expired"), { name: "ExpiredToken" }), CredentialsError, /Set credentials/],
  ])("gives advice that matches %s from STS", async (_what, failure, kind, advice) => {
    sts.on(GetCallerIdentityCommand).rejects(failure);
    const attempt = run(["status", "--stage", "ops"], new FakeTerminal(false), deps);
    await expect(attempt).rejects.toThrow(kind);
    await expect(attempt).rejects.toThrow(advice);
    if (kind !== CredentialsError) await expect(attempt).rejects.not.toThrow(/Set credentials/);
  });

  it("explains a network failure while reading the stacks as the network", async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error("connect ETIMEDOUT 52.94.1.1:443"), { code: "ETIMEDOUT" }));
    await expect(run(["status", "--stage", "ops"], new FakeTerminal(false), deps)).rejects.toThrow(NetworkError);
  });
});

describe("status: the scheduled readiness evaluation", () => {
  beforeEach(() => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: "pilot-light-ops-replica", DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: "arn:src", BackupRetentionPeriod: 7 }] });
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "lag", Values: [1] }] });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: "pilot-light-ops-web", status: "ACTIVE", desiredCount: 0, runningCount: 0, pendingCount: 0 }] });
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  });

  it("shows the last evaluation's failing checks, each with what to do", async () => {
    await dynamo.doc.send(new DeleteCommand({ TableName: table, Key: { pk: State.keys.readiness() } }));
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain("Readiness (evaluated rate(30 minutes); now: pnpm dr readiness --stage ops)\n  NOT EVALUATED YET");

    await dynamo.doc.send(
      new PutCommand({
        TableName: table,
        Item: { pk: State.keys.readiness(), checkedAt: "2026-11-28T05:20:00.000Z", ready: false, checks: 14, failing: [{ check: "dr-quota", ok: false, detail: "a failover runs 2 tasks of 0.25 vCPU (0.5 vCPU) but the quota is 0", action: "aws service-quotas request-service-quota-increase ..." }] },
      }),
    );
    const again = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], again, deps);
    expect(again.output).toMatch(/NOT READY: last evaluation 2026-11-28T05:20:00Z \(10 min ago\), 1 of 14 checks failing\n {2}FAIL dr-quota: a failover runs 2 tasks[^\n]*\n {7}→ aws service-quotas request-service-quota-increase/);
    expect(again.output).not.toContain("STALE: no evaluation");
    const json = new FakeTerminal(false);
    await run(["status", "--stage", "ops", "--json"], json, deps);
    expect((JSON.parse(json.printed[0]!) as { readiness: unknown }).readiness).toMatchObject({ ok: true, value: { ready: false, checks: 14, failing: [{ check: "dr-quota" }] } });
  });

  it("says when the last evaluation is older than two schedule periods", async () => {
    await dynamo.doc.send(new PutCommand({ TableName: table, Item: { pk: State.keys.readiness(), checkedAt: "2026-11-28T03:00:00.000Z", ready: true, checks: 14, failing: [] } }));
    const terminal = new FakeTerminal(false);
    await run(["status", "--stage", "ops"], terminal, deps);
    expect(terminal.output).toContain("READY: last evaluation 2026-11-28T03:00:00Z (150 min ago), 0 of 14 checks failing");
    expect(terminal.output).toContain("STALE: no evaluation for more than 60 minutes");
    await dynamo.doc.send(new DeleteCommand({ TableName: table, Key: { pk: State.keys.readiness() } }));
  });
});

describe("machine-readable output and progress", () => {
  it("prints status as JSON on stdout with --json, with the stage's targets", async () => {
    await seedHealth({ consecutiveFailures: 0, lastCheck: { ...failingCheck, ok: true } });
    const terminal = new FakeTerminal(false);
    expect(await run(["status", "--stage", "ops", "--json"], terminal, deps)).toBe(0);
    expect(terminal.printed).toHaveLength(1);
    const status = JSON.parse(terminal.printed[0]!) as Record<string, unknown>;
    expect(status).toMatchObject({ stage: "ops", account, settings: { rtoTargetSeconds: 600, rpoBudgetSeconds: 60, primaryTaskCount: 2, drTaskCount: 2, drPilotTaskCount: 0, dbInstanceClass: "db.t4g.small" }, health: { ok: true } });
    expect(Object.keys(status)).toEqual(expect.arrayContaining(["replica", "capacity", "dns", "executions", "lock"]));
  });

  it("prints a started drill as JSON without waiting", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec("drill-ops-20261128T053000Z"), startDate: now });
    const terminal = new FakeTerminal(false);
    expect(await run(["drill", "--stage", "ops", "--json"], terminal, deps)).toBe(0);
    const out = JSON.parse(terminal.output) as { started: { name: string; mode: string; consoleUrl: string } };
    expect(out.started).toMatchObject({ name: "drill-ops-20261128T053000Z", mode: "drill", consoleUrl: console(exec("drill-ops-20261128T053000Z")) });
  });

  it("while waiting, prints each state the execution enters from its history, polling loops condensed", async () => {
    const arn = exec("drill-ops-20261128T053000Z");
    sfn.on(StartExecutionCommand).resolves({ executionArn: arn, startDate: now });
    sfn.on(DescribeExecutionCommand).resolvesOnce({ executionArn: arn, status: "RUNNING", startDate: now, stateMachineArn: machine })
      .resolves({ executionArn: arn, status: "SUCCEEDED", startDate: now, stopDate: now, stateMachineArn: machine, output: "{}" });
    const at = (s: number) => new Date(now.getTime() + s * 1000);
    const entered = (id: number, name: string) => ({ id, type: "TaskStateEntered" as const, timestamp: at(id), stateEnteredEventDetails: { name } });
    const first = [{ id: 1, type: "ExecutionStarted" as const, timestamp: at(0) }, entered(2, "ValidateInput"), entered(3, "AcquireLock")];
    const loop = Array.from({ length: 12 }, (_, i) => entered(4 + i, "CheckDrService"));
    const last = [entered(16, "VerifyDrHealth"), { id: 17, type: "ExecutionSucceeded" as const, timestamp: at(17) }];
    // Newest first, as reverseOrder asks; the second poll sees the whole history again.
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: [...first].reverse() }).resolves({ events: [...first, ...loop, ...last].reverse() });

    const terminal = new FakeTerminal(false);
    expect(await run(["drill", "--stage", "ops", "--wait", "--json"], terminal, deps)).toBe(0);
    expect(terminal.progressed.slice(1)).toEqual([
      "2026-11-28T05:30:00Z  execution started",
      "2026-11-28T05:30:02Z  → ValidateInput",
      "2026-11-28T05:30:03Z  → AcquireLock",
      "2026-11-28T05:30:04Z  → CheckDrService",
      "2026-11-28T05:30:13Z  → CheckDrService (10th time)",
      "2026-11-28T05:30:16Z  → VerifyDrHealth",
      "2026-11-28T05:30:17Z  execution succeeded",
    ]);
    const out = JSON.parse(terminal.output) as { started: { name: string }; finished: { status: string } };
    expect(out).toMatchObject({ started: { name: "drill-ops-20261128T053000Z" }, finished: { status: "SUCCEEDED" } });
  });
});
