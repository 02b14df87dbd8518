/**
 * `pnpm dr reprotect` and `pnpm dr switchback` against the emulated world: the CLI's real `run`,
 * its StartExecution answered by running the synthesized failback state machine locally (real
 * handlers, the world behind every AWS call), DescribeExecution by that run's result.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { Route53Client } from "@aws-sdk/client-route-53";
import { RDSClient } from "@aws-sdk/client-rds";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { ExecutionRecord } from "@pilot-light/world";
import { expectInvariants, failoverInput, reachReprotected, startFailbackSuite, type FailbackRig, type FailbackSuite } from "../../functions/test/failback/support";
import type { Clients } from "../src/cli/aws";
import { run } from "../src/dr";
import { FakeTerminal } from "./fake-terminal";

const region = "eu-central-1";
const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);

let suite: FailbackSuite;
let rig: FailbackRig;
let last: { name: string; record: ExecutionRecord } | undefined;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

beforeEach(async () => {
  rig = await suite.rig({
    latencies: { promotionSeconds: 120, taskStartSeconds: 30, firstHealthCheckSeconds: 5, dnsInsyncSeconds: 20 },
    failbackLatencies: { renameSeconds: 120, replicaCreateSeconds: 600, enableBackupsSeconds: 30, firstBackupSeconds: 120 },
  });
  last = undefined;
  for (const m of [sts, cfn, sfn]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: rig.ids.account, Arn: `arn:aws:sts::${rig.ids.account}:assumed-role/Admin/alice` });
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "x", StackStatus: "UPDATE_COMPLETE", CreationTime: new Date() }] });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  sfn.on(StartExecutionCommand).callsFake(async (input: { name?: string; input?: string; stateMachineArn?: string }) => {
    const name = input.name ?? "";
    last = { name, record: await rig.failback(JSON.parse(input.input ?? "{}"), name) };
    return { executionArn: `${input.stateMachineArn?.replace(":stateMachine:", ":execution:")}:${name}`, startDate: new Date() };
  });
  sfn.on(DescribeExecutionCommand).callsFake(() => {
    if (!last) throw new Error("nothing started");
    const r = last.record;
    return { status: r.status, stopDate: new Date(r.endedAtMs), output: r.output === null ? undefined : JSON.stringify(r.output), error: r.error, cause: r.cause };
  });
});


const clients = (): Clients => ({
  sts: new STSClient({ region }),
  cfn: new CloudFormationClient({ region }),
  sfn: new SFNClient({ region }),
  db: undefined as unknown as Clients["db"],
  cloudwatch: new CloudWatchClient({ region }),
  ecs: new ECSClient({ region }),
  rds: new RDSClient({ region }),
  route53: new Route53Client({ region: "us-east-1" }),
  dns: { resolveCname: async () => [], resolve4: async () => [] },
});
const deps = { makeClients: clients, now: () => new Date(rig.world.clock.nowMs()), sleep: async () => undefined };

describe("pnpm dr reprotect", () => {
  it("re-protects the stage after a failover and prints what it restored", async () => {
    rig.world.regionsDown.add(rig.ids.primaryRegion);
    rig.world.clock.advance(12 * 60);
    expect((await rig.failover(failoverInput)).status).toBe("SUCCEEDED");
    rig.world.regionsDown.delete(rig.ids.primaryRegion);
    const t = new FakeTerminal();
    expect(await run(["reprotect", "--stage", "test", "--wait"], t, deps)).toBe(0);
    expect(t.output).toContain("Started a RE-PROTECT");
    expect(t.output).toContain("Execution ended: SUCCEEDED");
    expect(t.output).toMatch(/protection: pilot-light-test-primary in eu-west-1 replicates from the serving database; kept aside: pilot-light-test-primary-r\d{14}/);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(`arn:aws:states:${region}:${rig.ids.account}:stateMachine:pilot-light-test-failback`);
    expect(rig.world.databases.get(rig.ids.primaryDb)?.sourceIdentifier).toBe(rig.ids.replicaArn);
    await expectInvariants(rig, last?.record);
  });
});

describe("pnpm dr switchback", () => {
  it("--dry-run asks nothing, waits, prints the plan, and changes nothing", async () => {
    reachReprotected(rig);
    const t = new FakeTerminal();
    expect(await run(["switchback", "--stage", "test", "--dry-run"], t, deps)).toBe(0);
    expect(t.asked).toEqual([]);
    expect(t.output).toContain("A switchback now WOULD PROCEED");
    expect(t.output).toContain("seal the DR database");
    expect(rig.world.mutatingCalls()).toEqual([]);
  });

  it("refuses without a terminal and without --yes, before any AWS call", async () => {
    await expect(run(["switchback", "--stage", "test"], new FakeTerminal(false), deps)).rejects.toThrow(/needs a person's confirmation/);
    expect(sts.calls()).toHaveLength(0);
  });

  it("after the stage name is typed, switches back and prints the write downtime and no data loss", async () => {
    reachReprotected(rig);
    const t = new FakeTerminal(true, "test");
    expect(await run(["switchback", "--stage", "test", "--wait"], t, deps)).toBe(0);
    expect(t.asked[0]).toContain("SWITCHBACK");
    expect(t.output).toMatch(/write downtime \d+(\.\d)? s, data loss: none/);
    expect(rig.world.isWritable(rig.ids.primaryDb)).toBe(true);
    await expectInvariants(rig, last?.record);
  });
});
