/**
 * Test rig for executing the failover state machine locally: the extracted, synthesized ASL
 * run by aws-local-stepfunctions, every Task bound to its real handler (through the real
 * middy wrapper), AWS answered by the emulated world, the lock/outcome table by dynalite.
 * `Date` follows the world's virtual clock, so timings in outcomes are virtual seconds.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { vi } from "vitest";
import {
  assertInvariants,
  enforceFailoverRoles,
  executeLocally,
  functionIdOf,
  iamOf,
  installApis,
  lambdaContext,
  pilotLightWorld,
  startHealthServer,
  stepEnvironment,
  type AslDefinition,
  type CfnTemplateJson,
  type ExecutionRecord,
  type HealthServer,
  type LocalHandler,
  type PilotLightIds,
  type PilotLightOptions,
  type WorldState,
} from "../../../world/src";
import { Failover, State } from "@pilot-light/core";
import { extractAsl } from "../../../tools/src/asl";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../../stacks/failover/steps";
import { startDynalite, type LocalDynamo } from "../../../core/test/support/dynalite";

/**
 * The synthesized definition: the Failover stack's phase builders synthesized (CDK) into a
 * template and extracted as ASL. stacks/test/failover-structure.test.ts proves this equals the
 * definition in the app's synthesized DR Failover stack, state for state (the app synth takes
 * about a minute, so it is done once there, not in every test file).
 */
export async function synthesizedDefinition(): Promise<{ definition: AslDefinition; source: string; template: CfnTemplateJson }> {
  const { standaloneFailoverTemplate } = await import("../../../../stacks/failover/standalone");
  const template = standaloneFailoverTemplate().toJSON() as CfnTemplateJson;
  const [sm] = extractAsl(template);
  if (!sm) throw new Error("no state machine in the standalone template");
  return { definition: sm.definition as AslDefinition, source: "synthesized phase builders", template };
}

export interface Rig {
  world: WorldState;
  ids: PilotLightIds;
  table: string;
  dynamo: LocalDynamo;
  /** Hooks run before a state's handler: throw to fail the invocation, or inject world faults. */
  before: Partial<Record<StepName, (invocation: number) => void>>;
  /** Hooks run after a state's handler returned: throw to lose its answer (the effect stays). */
  after: Partial<Record<StepName, (invocation: number, output: unknown) => void | Promise<void>>>;
  invocations: Partial<Record<StepName, number>>;
  run(input: unknown, executionName?: string): Promise<ExecutionRecord>;
  lockItem(): Promise<Record<string, unknown> | undefined>;
  outcome(executionName: string): Promise<Record<string, unknown> | undefined>;
  /** One pass of the scheduled CompleteFence handler (what its next tick does after a failover). */
  completeFence(): Promise<Failover.FenceCompletion>;
  /** The world's invariants (packages/world/src/invariants.ts); throws listing the violations. */
  assertInvariants(): Promise<void>;
  /** Why this test may leave the failover lock held (the invariants then accept it). */
  lockHeldBecause?: string;
}

export interface Suite {
  definition: AslDefinition;
  source: string;
  /** The standalone failover template the roles come from. */
  template: CfnTemplateJson;
  /** A fresh world (and fresh handler modules reading its settings) for one test. */
  rig(options?: PilotLightOptions & { primaryDown?: boolean }): Promise<Rig>;
  /**
   * After every test: one pass of the monitor's fence completion (its next tick), then the
   * world's invariants on the test's rig. Throws listing what is violated.
   */
  checkInvariants(): Promise<void>;
  close(): Promise<void>;
}

type MiddyHandler = (event: unknown, context: Context) => Promise<unknown>;

export async function startSuite(): Promise<Suite> {
  const { definition, source, template } = await synthesizedDefinition();
  const dynamo = await startDynalite();
  let current: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!current) throw new Error("no world");
    return current;
  });
  let restoreApis: (() => void) | undefined;
  let executions = 0;
  let last: Rig | undefined;

  return {
    definition,
    source,
    template,
    async rig(options = {}) {
      restoreApis?.();
      const { world, ids } = pilotLightWorld(options);
      if (options.primaryDown) world.regionsDown.add(ids.primaryRegion);
      current = world;
      restoreApis = installApis(world);
      const table = await dynamo.createStateTable();
      // Every step runs as its role in the synthesized template (packages/world/src/iam.ts).
      enforceFailoverRoles(world, template, ids, table);
      Object.assign(process.env, stepEnvironment(ids, health.url(ids.drRegion), table), {
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        // The stage setting the Failover stack passes (the world's stepEnvironment predates it).
        RTO_TARGET_SECONDS: "600",
      });
      if (!ids.dns) for (const k of ["HOSTED_ZONE_ID", "RECORD_NAME", "DR_ALB_DNS", "DR_ALB_ZONE_ID"]) delete process.env[k];
      vi.useFakeTimers({ toFake: ["Date"] });
      world.clock.onAdvance((ms) => vi.setSystemTime(ms));
      // Fresh handler modules: each reads this world's settings once, as a new Lambda sandbox would.
      vi.resetModules();
      const modules = await Promise.all(stepNames.map(async (s) => [s, (await import(`../../src/${handlerFile(s)}.ts`)) as { handler: MiddyHandler }] as const));
      // EventBridge's rule on FAILED, TIMED_OUT and ABORTED runs ExecutionEnded (stacks/Operations.ts).
      const ended = (await import("../../src/execution-ended")) as { handler: MiddyHandler };
      // The scheduled CompleteFence (stacks/Failover.ts): its next tick after a failover.
      const fence = (await import("../../src/complete-fence")) as { handler: MiddyHandler };
      world.onExecutionStatusChange(async (e) => {
        const detail = { executionArn: e.arn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startMs, stopDate: e.stopMs, error: e.error ?? null, cause: e.cause ?? null };
        const change = { version: "0", "detail-type": "Step Functions Execution Status Change", source: "aws.states", detail };
        // EventBridge retries a target that fails (ExecutionEnded fails when it cannot publish), then drops the event.
        for (let attempt = 1; attempt <= 2; attempt++) {
          try {
            await iamOf(world).runAs(functionIdOf(world, "ExecutionEnded"), () => ended.handler(change, lambdaContext("pilot-light-test-ExecutionEnded")));
            return;
          } catch {
            // The next attempt, as EventBridge's retry policy makes it; what it could not tell, its OpsItem or alarm did.
          }
        }
      });
      const before: Rig["before"] = {};
      const after: Rig["after"] = {};
      const invocations: Rig["invocations"] = {};
      const handlers = Object.fromEntries(
        modules.map(([step, mod]): [StepName, LocalHandler] => [
          step,
          async (input) => {
            const n = (invocations[step] = (invocations[step] ?? 0) + 1);
            try {
              // The hooks are the test's own hand (an operator, a fault), not the step's role.
              iamOf(world).outsideFunctions(() => before[step]?.(n));
              const output = await mod.handler(input, lambdaContext(`pilot-light-test-${step}`));
              // An async hook (another copy's pass at that moment) is awaited; a plain one changes no timing.
              const hook = iamOf(world).outsideFunctions(() => after[step]?.(n, output));
              if (hook) await hook;
              return output;
            } catch (error) {
              throw asLambdaError(error as Error);
            }
          },
        ]),
      );
      const rig: Rig = {
        world,
        ids,
        table,
        dynamo,
        before,
        after,
        invocations,
        // Each Lambda's timeout is its Task's minus 5 s, as the Failover stack sets it.
        run: (input, executionName = `exec-${++executions}`) =>
          executeLocally(definition, input, {
            clock: world.clock,
            handlers,
            executionName,
            lambdaTimeoutSeconds: (s) => taskTimeoutSeconds(s as StepName) - 5,
            world,
            stateMachineArn: ids.stateMachineArn,
          }),
        async lockItem() {
          const out = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }));
          return out.Item;
        },
        async outcome(executionName) {
          const out = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.outcome(executionName) }, ConsistentRead: true }));
          return out.Item;
        },
        completeFence: () =>
          iamOf(world).runAs(functionIdOf(world, "CompleteFence"), () => fence.handler({ "detail-type": "Scheduled Event", source: "aws.events", time: new Date().toISOString() }, lambdaContext("pilot-light-test-CompleteFence"))) as Promise<Failover.FenceCompletion>,
        async assertInvariants() {
          assertInvariants(world, ids, { lock: await rig.lockItem(), ...(rig.lockHeldBecause ? { lockHeldBecause: rig.lockHeldBecause } : {}) });
        },
      };
      last = rig;
      return rig;
    },
    async checkInvariants() {
      const rig = last;
      last = undefined;
      if (!rig) return;
      await rig.completeFence();
      await rig.assertInvariants();
    },
    async close() {
      restoreApis?.();
      vi.useRealTimers();
      await health.close();
      await dynamo.stop();
    },
  };
}

/**
 * What Step Functions sees when a Lambda throws: the error's name as `Error` and a JSON
 * envelope as `Cause` (aws-local-stepfunctions passes the message through as the cause).
 * Lambda.* service errors come from Lambda itself and keep their plain message.
 */
function asLambdaError(error: Error): Error {
  if (error.name.startsWith("Lambda.")) return error;
  const envelope = JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] });
  return Object.assign(new Error(envelope), { name: error.name });
}

/** A transient failure the Retry lists name: Lambda's own service error. */
export function lambdaServiceError(step: string): Error {
  return Object.assign(new Error(`Lambda service error while invoking ${step}`), { name: "Lambda.ServiceException" });
}

/** A Lambda that timed out after its work applied: the Task's answer is lost (Step Functions' Lambda.Unknown). */
export function lambdaTimeout(): Error {
  return Object.assign(new Error(JSON.stringify({ errorMessage: "Task timed out after 25.00 seconds" })), { name: "Lambda.Unknown" });
}

/** A permanent failure: a name no Retry lists (as AWS answers a missing IAM permission). */
export function permanentError(step: string): Error {
  return Object.assign(new Error(`User is not authorized to perform this action (${step})`), { name: "AccessDeniedException" });
}

/** An operator's failover (an automatic one, `requestedBy: "health-monitor"`, re-checks the primary before promoting). */
export const failoverInput = (extra: Record<string, unknown> = {}) => ({
  mode: "failover",
  reason: "primary /health.php failed 3 consecutive checks",
  requestedBy: "oncall@example.com",
  incidentId: "inc-20260101-0300",
  ...extra,
});

/** The health monitor's failover input. */
export const automaticInput = (extra: Record<string, unknown> = {}) => failoverInput({ requestedBy: "health-monitor", ...extra });
