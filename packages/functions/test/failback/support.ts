/**
 * Test rig for the failback state machine (and the failover's, for the round trip): both
 * synthesized definitions run by aws-local-stepfunctions, every Task bound to its real handler,
 * AWS answered by the emulated world (with the failback's topology: placements, buckets, the DB
 * probe), the lock and outcomes in dynalite, users' writes flowing by DNS. `invariants` checks
 * what must hold after every step of the round trip.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { expect, vi } from "vitest";
import {
  adoptedPrimaryWorld,
  createReadReplica,
  enforceFailbackRoles,
  enforceFailoverRoles,
  executeLocally,
  failbackState,
  failbackEnvironment,
  failbackWorld,
  functionIdOf,
  iamOf,
  installApis,
  invariantViolations,
  lambdaContext,
  placementOf,
  renameInstance,
  startHealthServer,
  startTraffic,
  stepEnvironment,
  type AslDefinition,
  type CfnTemplateJson,
  type ExecutionRecord,
  type FailbackIds,
  type FailbackLatencies,
  type HealthServer,
  type LocalHandler,
  type PilotLightOptions,
  type WorldState,
} from "../../../world/src";
import { State } from "@pilot-light/core";
import { extractAsl } from "../../../tools/src/asl";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../../stacks/failover/steps";
import { failbackHandlerFile, failbackStepNames, failbackTaskTimeoutSeconds, type FailbackStepName } from "../../../../stacks/failback/steps";
import { startDynalite, type LocalDynamo } from "../../../core/test/support/dynalite";

type MiddyHandler = (event: unknown, context: Context) => Promise<unknown>;
type AnyStep = StepName | FailbackStepName;

export async function failbackDefinitionAsl(): Promise<AslDefinition> {
  return (await synthesized("failback")).definition;
}

/** A standalone template (its steps' roles) and its state machine's definition. */
async function synthesized(which: "failover" | "failback" | "failback-adopted"): Promise<{ definition: AslDefinition; template: CfnTemplateJson }> {
  const template = (
    which === "failover"
      ? (await import("../../../../stacks/failover/standalone")).standaloneFailoverTemplate()
      : (await import("../../../../stacks/failback/standalone")).standaloneFailbackTemplate(undefined, undefined, { adopted: which === "failback-adopted" })
  ).toJSON() as CfnTemplateJson;
  const [sm] = extractAsl(template);
  if (!sm) throw new Error(`no state machine in the standalone ${which} template`);
  return { definition: sm.definition as AslDefinition, template };
}

export interface FailbackRig {
  world: WorldState;
  ids: FailbackIds;
  table: string;
  before: Partial<Record<AnyStep, (invocation: number) => void | Promise<void>>>;
  /** Hooks run after a step's handler returned: throw to lose its answer (its effects stay). */
  after: Partial<Record<AnyStep, (invocation: number) => void>>;
  invocations: Partial<Record<AnyStep, number>>;
  failover(input: unknown, name?: string): Promise<ExecutionRecord>;
  failback(input: unknown, name?: string): Promise<ExecutionRecord>;
  lockItem(): Promise<Record<string, unknown> | undefined>;
  outcome(name: string): Promise<Record<string, unknown> | undefined>;
  /** One pass of the scheduled CompleteFence (stacks/Failover.ts), as after the old region returns. */
  completeFence(): Promise<unknown>;
}

export interface FailbackSuite {
  definition: AslDefinition;
  /**
   * `failbackCopy: "primary"`: the failback runs as the primary region's copy (its settings, table, topic and roles).
   * `adopted`: the primary a team built before pilot-light (packages/world/src/adopted.ts), before its adoption.
   */
  rig(options?: PilotLightOptions & { failbackLatencies?: Partial<FailbackLatencies>; writesPerSecond?: number; failbackCopy?: "primary" | "dr"; adopted?: boolean }): Promise<FailbackRig>;
  close(): Promise<void>;
}

function asLambdaError(error: Error): Error {
  if (error.name.startsWith("Lambda.")) return error;
  return Object.assign(new Error(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] })), { name: error.name });
}

export async function startFailbackSuite(): Promise<FailbackSuite> {
  const [failback, failover] = await Promise.all([synthesized("failback"), synthesized("failover")]);
  const { definition } = failback;
  const failoverDefinition = failover.definition;
  const dynamo: LocalDynamo = await startDynalite();
  let current: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!current) throw new Error("no world");
    return current;
  });
  let restoreApis: (() => void) | undefined;
  let executions = 0;
  // The failback grants of a stage that adopts its primary name its resources (synthesized once, on first use).
  let adoptedTemplate: Promise<CfnTemplateJson> | undefined;
  return {
    definition,
    async rig(allOptions = {}) {
      restoreApis?.();
      const { failbackCopy = "dr", ...options } = allOptions;
      const { world, ids } = options.adopted ? adoptedPrimaryWorld({ replicaBackup: null, ...options }) : failbackWorld({ replicaBackup: null, ...options });
      current = world;
      restoreApis = installApis(world);
      const table = await dynamo.createStateTable();
      // Every step (and CompleteFence) runs as its role in the synthesized templates (packages/world/src/iam.ts).
      enforceFailoverRoles(world, failover.template, ids, table);
      // The primary region's copy: its own region, topic and roles; its Tasks invoke its own functions.
      const copy = failbackCopy === "primary" ? { region: ids.primaryRegion, topicArn: ids.topicArn.replace(`:${ids.drRegion}:`, `:${ids.primaryRegion}:`) } : undefined;
      enforceFailbackRoles(world, options.adopted ? await (adoptedTemplate ??= synthesized("failback-adopted").then((s) => s.template)) : failback.template, ids, table, copy);
      const failbackAsl = copy ? (JSON.parse(JSON.stringify(definition).replace(/(:function:[A-Za-z0-9]+)/g, `$1@${copy.region}`)) as AslDefinition) : definition;
      for (const k of ["HOSTED_ZONE_ID", "RECORD_NAME", "DR_ALB_DNS", "DR_ALB_ZONE_ID", "PRIMARY_ALB_DNS", "PRIMARY_ALB_ZONE_ID", "PRIMARY_HEALTH_CHECK_ID"]) delete process.env[k];
      Object.assign(process.env, stepEnvironment(ids, health.url(ids.drRegion), table), failbackEnvironment(ids, { primary: health.url(ids.primaryRegion), dr: health.url(ids.drRegion) }, table, copy ? { region: "primary", topicArn: copy.topicArn } : { region: "dr" }), {
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        RTO_TARGET_SECONDS: "600",
      });
      if (options.writesPerSecond !== 0) startTraffic(world, { writesPerSecond: options.writesPerSecond ?? 2, dns: ids.dns ? { zoneId: ids.hostedZoneId, recordName: ids.recordName } : null });
      vi.useFakeTimers({ toFake: ["Date"] });
      world.clock.onAdvance((ms) => vi.setSystemTime(ms));
      vi.resetModules();
      const load = async <S extends string>(names: readonly S[], file: (s: S) => string) =>
        Promise.all(names.map(async (s) => [s, (await import(`../../src/${file(s)}.ts`)) as { handler: MiddyHandler }] as const));
      const modules = [...(await load(stepNames, handlerFile)), ...(await load(failbackStepNames, failbackHandlerFile))];
      const fence = (await import("../../src/complete-fence")) as { handler: MiddyHandler };
      const before: FailbackRig["before"] = {};
      const after: FailbackRig["after"] = {};
      const invocations: FailbackRig["invocations"] = {};
      const handlers: Record<string, LocalHandler> = Object.fromEntries(
        modules.map(([step, mod]) => [
          step,
          async (input: unknown) => {
            const n = (invocations[step] = (invocations[step] ?? 0) + 1);
            try {
              // The hooks are the test's own hand (an operator, a fault), not the step's role.
              await iamOf(world).outsideFunctions(() => before[step]?.(n));
              const output = await mod.handler(input, lambdaContext(`pilot-light-test-${step}`));
              iamOf(world).outsideFunctions(() => after[step]?.(n));
              return output;
            } catch (error) {
              throw asLambdaError(error as Error);
            }
          },
        ]),
      );
      const timeout = (s: string) => ((failbackStepNames as readonly string[]).includes(s) ? failbackTaskTimeoutSeconds(s as FailbackStepName) : taskTimeoutSeconds(s as StepName)) - 5;
      // Each run is an execution in its copy's region: an outage of that region stalls it (docs/aws-behaviour.md).
      const stateMachineArn = `arn:aws:states:${copy?.region ?? ids.drRegion}:123456789012:stateMachine:pilot-light-test`;
      const run = (asl: AslDefinition, input: unknown, executionName: string) =>
        executeLocally(asl, input, { clock: world.clock, handlers, executionName, lambdaTimeoutSeconds: timeout, iam: iamOf(world), stateMachineArn, regionsDown: world.regionsDown });
      const item = async (pk: string) => (await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }))).Item;
      return {
        world,
        ids,
        table,
        before,
        after,
        invocations,
        failover: (input, name = `failover-${++executions}`) => run(failoverDefinition, input, name),
        failback: (input, name = `failback-${++executions}`) => run(failbackAsl, input, name),
        lockItem: () => item(State.keys.failoverLock()),
        outcome: (name) => item(State.keys.outcome(name)),
        completeFence: () => iamOf(world).runAs(functionIdOf(world, "CompleteFence"), () => fence.handler({ "detail-type": "Scheduled Event", source: "aws.events" }, lambdaContext("pilot-light-test-CompleteFence"))),
      };
    },
    async close() {
      restoreApis?.();
      vi.useRealTimers();
      await health.close();
      await dynamo.stop();
    },
  };
}

export const reprotectInput = { mode: "reprotect", reason: "the primary region answers again", requestedBy: "oncall" };
export const switchbackInput = { mode: "switchback", reason: "planned move back to the primary region", requestedBy: "oncall" };
export const failoverInput = { mode: "failover", reason: "primary region outage", requestedBy: "health-monitor", incidentId: "inc-1" };

const service = (world: WorldState, region: string) => [...world.services.values()].find((s) => s.region === region)!;

/**
 * What holds after every step: at most one writable database, whether under a CloudFormation
 * name or renamed aside (a copy kept aside must be read-only), no user
 * answered by a region without a writable database, each service's count one of its known
 * counts, the lock released or held by a named run, and a notification naming the failed step
 * for every failed run.
 */
export async function expectInvariants(rig: FailbackRig, lastRun?: ExecutionRecord, options: { oldPrimaryUnfenced?: boolean } = {}): Promise<void> {
  const { world, ids } = rig;
  // Every database, those renamed aside too: a copy kept aside must be read-only.
  const writable = [...world.databases.keys()].filter((id) => world.isWritable(id));
  expect(writable.length, `writable databases: ${writable.join(", ")}`).toBeLessThanOrEqual(options.oldPrimaryUnfenced ? 2 : 1);
  const region = world.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName?.match(/\.([a-z]{2}-[a-z]+-\d)\.elb/)?.[1];
  if (region && world.healthStatus(region) === 200) expect(world.isWritable(service(world, region).database), `users reach ${region}, whose database is not writable`).toBe(true);
  expect([0, ids.primaryTaskCount]).toContain(service(world, ids.primaryRegion).desired);
  expect([ids.drPilotTaskCount, ids.drTaskCount]).toContain(service(world, ids.drRegion).desired);
  const lock = await rig.lockItem();
  if (lock) expect(String(lock.owner)).not.toBe("");
  // And the world's own invariants (packages/world/src/invariants.ts). These executions run
  // outside world.executions, so the lock is judged just above.
  if (!options.oldPrimaryUnfenced) expect(invariantViolations(world, ids, { lock, lockHeldBecause: "a failback run's lock is judged by expectInvariants" })).toEqual([]);
  if (lastRun?.status === "FAILED" && !["FailbackInputRejected", "FailbackAlreadyRunning", "FailbackLockNotAcquired"].includes(lastRun.states.at(-1) ?? "")) {
    const last = world.inbox.at(-1);
    expect(last?.kind ?? "", `no failure notification for ${lastRun.error}`).toMatch(/\.(failed|needs-operator|not-protected)$/);
  }
}

/**
 * The world as a failover and a re-protect leave it, built directly (faster than running both):
 * DR promoted and serving at full size with DNS pinned to it and its secret standalone, the old
 * primary renamed aside, the primary region's name a ready read replica of the DR database with
 * backups, the DR bucket replicating to the primary's, the primary service at 0.
 */
export function reachReprotected(rig: FailbackRig, replicaLag: number[] = [1]): void {
  const { world, ids } = rig;
  const dr = world.databases.get(ids.replicaDb)!;
  dr.promotionRequestedAtMs = world.clock.nowMs() - 3600_000;
  const drService = service(world, ids.drRegion);
  world.setDesired(drService, ids.drTaskCount);
  for (const t of drService.tasks) t.runningAtMs = t.healthyAtMs = world.clock.nowMs();
  world.setDesired(service(world, ids.primaryRegion), 0);
  const record = world.record(ids.hostedZoneId, ids.recordName, "primary");
  if (record) {
    delete record.HealthCheckId;
    record.AliasTarget = { DNSName: ids.drAlbDns, HostedZoneId: ids.albZoneId, EvaluateTargetHealth: false };
  }
  world.findSecret(ids.drRegion, ids.secretName)!.primaryRegion = ids.drRegion;
  const old = world.databases.get(ids.primaryDb)!;
  const placement = placementOf(world, old)!;
  // The failover's fence: read_only = 1 in the group the old primary uses.
  world.parameterGroups.get(old.parameterGroup!)!.parameters.set("read_only", "1");
  renameInstance(world, old, `${ids.primaryDb}-r20260101000000`);
  old.baseStatus = "available";
  const replica = createReadReplica(world, dr, ids.primaryDb, ids.primaryRegion, placement, replicaLag);
  replica.baseStatus = "available";
  // Re-protect gives the replica a group of its own.
  replica.parameterGroup = `${ids.primaryDb}-g20260101000000`;
  world.parameterGroups.set(replica.parameterGroup, { name: replica.parameterGroup, region: ids.primaryRegion, arn: `arn:aws:rds:${ids.primaryRegion}:${ids.account}:pg:${replica.parameterGroup}`, parameters: new Map() });
  replica.backupRetentionDays = ids.backupRetentionDays;
  failbackState(world).pending.length = 0;
  failbackState(world).extras.get(replica)!.replicatingFromMs = world.clock.nowMs();
  failbackState(world).buckets.get(ids.drBucket)!.replication = {
    Role: ids.reverseReplicationRoleArn,
    Rules: [{ ID: "pilot-light-failback", Status: "Enabled", Priority: 1, Destination: { Bucket: `arn:aws:s3:::${ids.primaryBucket}` } }],
  };
  world.clock.advance(60);
}

/** Short latencies for workflow tests (minutes of virtual time, not hours). */
export const shortLatencies = {
  latencies: { promotionSeconds: 120, taskStartSeconds: 30, firstHealthCheckSeconds: 5, dnsInsyncSeconds: 20 },
  failbackLatencies: { renameSeconds: 120, replicaCreateSeconds: 600, enableBackupsSeconds: 30, firstBackupSeconds: 120 },
};

/** Shorter still, for the matrices that run a workflow once per step and fault. */
export const shortestLatencies = {
  latencies: { promotionSeconds: 60, taskStartSeconds: 30, firstHealthCheckSeconds: 5, dnsInsyncSeconds: 20 },
  failbackLatencies: { renameSeconds: 60, replicaCreateSeconds: 300, enableBackupsSeconds: 30, firstBackupSeconds: 60 },
};
