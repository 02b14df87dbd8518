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
  executeLocally,
  installApis,
  lambdaContext,
  pilotLightWorld,
  startHealthServer,
  stepEnvironment,
  type AslDefinition,
  type ExecutionRecord,
  type HealthServer,
  type LocalHandler,
  type PilotLightIds,
  type PilotLightOptions,
  type WorldState,
} from "../../../world/src";
import { State } from "@pilot-light/core";
import { extractAsl } from "../../../tools/src/asl";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../../stacks/failover/steps";
import { startDynalite, type LocalDynamo } from "../../../core/test/support/dynalite";

/**
 * The synthesized definition: the Failover stack's phase builders synthesized (CDK) into a
 * template and extracted as ASL. stacks/test/failover-structure.test.ts proves this equals the
 * definition in the app's synthesized DR Failover stack, state for state (the app synth takes
 * about a minute, so it is done once there, not in every test file).
 */
export async function synthesizedDefinition(): Promise<{ definition: AslDefinition; source: string }> {
  const { standaloneFailoverTemplate } = await import("../../../../stacks/failover/standalone");
  const [sm] = extractAsl(standaloneFailoverTemplate().toJSON());
  if (!sm) throw new Error("no state machine in the standalone template");
  return { definition: sm.definition as AslDefinition, source: "synthesized phase builders" };
}

export interface Rig {
  world: WorldState;
  ids: PilotLightIds;
  table: string;
  dynamo: LocalDynamo;
  /** Hooks run before a state's handler: throw to fail the invocation, or inject world faults. */
  before: Partial<Record<StepName, (invocation: number) => void>>;
  invocations: Partial<Record<StepName, number>>;
  run(input: unknown, executionName?: string): Promise<ExecutionRecord>;
  lockItem(): Promise<Record<string, unknown> | undefined>;
  outcome(executionName: string): Promise<Record<string, unknown> | undefined>;
}

export interface Suite {
  definition: AslDefinition;
  source: string;
  /** A fresh world (and fresh handler modules reading its settings) for one test. */
  rig(options?: PilotLightOptions & { primaryDown?: boolean }): Promise<Rig>;
  close(): Promise<void>;
}

type MiddyHandler = (event: unknown, context: Context) => Promise<unknown>;

export async function startSuite(): Promise<Suite> {
  const { definition, source } = await synthesizedDefinition();
  const dynamo = await startDynalite();
  let current: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!current) throw new Error("no world");
    return current;
  });
  let restoreApis: (() => void) | undefined;
  let executions = 0;

  return {
    definition,
    source,
    async rig(options = {}) {
      restoreApis?.();
      const { world, ids } = pilotLightWorld(options);
      if (options.primaryDown) world.regionsDown.add(ids.primaryRegion);
      current = world;
      restoreApis = installApis(world);
      const table = await dynamo.createStateTable();
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
      const before: Rig["before"] = {};
      const invocations: Rig["invocations"] = {};
      const handlers = Object.fromEntries(
        modules.map(([step, mod]): [StepName, LocalHandler] => [
          step,
          async (input) => {
            const n = (invocations[step] = (invocations[step] ?? 0) + 1);
            try {
              before[step]?.(n);
              return await mod.handler(input, lambdaContext(`pilot-light-test-${step}`));
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
        invocations,
        // Each Lambda's timeout is its Task's minus 5 s, as the Failover stack sets it.
        run: (input, executionName = `exec-${++executions}`) =>
          executeLocally(definition, input, { clock: world.clock, handlers, executionName, lambdaTimeoutSeconds: (s) => taskTimeoutSeconds(s as StepName) - 5 }),
        async lockItem() {
          const out = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }));
          return out.Item;
        },
        async outcome(executionName) {
          const out = await dynamo.doc.send(new GetCommand({ TableName: table, Key: { pk: State.keys.outcome(executionName) }, ConsistentRead: true }));
          return out.Item;
        },
      };
      return rig;
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

/** A permanent failure: a name no Retry lists (as AWS answers a missing IAM permission). */
export function permanentError(step: string): Error {
  return Object.assign(new Error(`User is not authorized to perform this action (${step})`), { name: "AccessDeniedException" });
}

export const failoverInput = (extra: Record<string, unknown> = {}) => ({
  mode: "failover",
  reason: "primary /health.php failed 3 consecutive checks",
  requestedBy: "health-monitor",
  incidentId: "inc-20260101-0300",
  ...extra,
});
