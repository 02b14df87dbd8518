/**
 * The real health monitor handler on its schedule, in the emulated world, next to the real
 * synthesized state machine (the failover test rig). The world's Step Functions answers the
 * monitor's StartExecution and DescribeExecution (name + input idempotency, RUNNING, then the
 * end status with the Fail state's error); every execution it starts is then run here, in the
 * background on the world's virtual clock. Ticks and executions share one scheduler, so a run
 * and the monitor's checks interleave in virtual time as they do in the cloud.
 */
import { StartExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { vi } from "vitest";
import { Health } from "@pilot-light/core";
import { Scheduler, functionIdOf, iamOf, lambdaContext, type ExecutionRecord, type WorldState } from "../../../world/src";
import { startSuite, type Rig, type Suite } from "../failover/support";

export interface Execution {
  name: string;
  input: Record<string, unknown>;
  startedAtMs: number;
  record?: ExecutionRecord;
  done: Promise<void>;
}

export interface TickSummary {
  atMs: number;
  healthy: boolean;
  consecutiveFailures: number;
  incidentId?: string;
  execution?: { name: string; started: boolean };
  secondOpinion?: Health.SecondOpinion;
  followed?: { status: string; error?: string };
  closedIncident?: string;
  error?: string;
}

export interface MonitorWorld {
  rig: Rig;
  world: WorldState;
  executions: Execution[];
  /** Starts an execution as an operator would (through the same Step Functions stand-in). */
  startExecution(name: string, input: Record<string, unknown>): Execution;
  /**
   * Runs `ticks` scheduled ticks `periodSeconds` apart from now (the first at once), applying each
   * change when its time comes; executions run meanwhile. Returns every tick's summary.
   * `delaySeconds(n)`: tick n is delivered that long after its scheduled time (EventBridge fires a
   * scheduled rule within its minute, not on the 0th second); `dated(n, scheduledMs)`: the event's
   * `time` (default: the scheduled time), for a clock that lies.
   */
  play(options: {
    ticks: number;
    periodSeconds?: number;
    changes?: { atSeconds: number; apply: (world: WorldState) => void }[];
    delaySeconds?: (n: number) => number;
    dated?: (n: number, scheduledMs: number) => number;
  }): Promise<TickSummary[]>;
  /** Waits for every started execution to end. */
  settle(): Promise<void>;
  state(): Promise<Health.HealthState>;
  /** Seconds since play() began. */
  since(ms: number): number;
}

export interface MonitorWorldSuite {
  stage(options?: Parameters<Suite["rig"]>[0] & { env?: Record<string, string> }): Promise<MonitorWorld>;
  close(): Promise<void>;
}

type MonitorHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<TickSummary>;

export async function startMonitorWorld(): Promise<MonitorWorldSuite> {
  const suite = await startSuite();
  return {
    async stage(options = {}) {
      const { env = {}, ...rigOptions } = options;
      const rig = await suite.rig(rigOptions);
      const { world, ids } = rig;
      const scheduler = Scheduler.of(world.clock);
      const executions: Execution[] = [];
      /** Runs every execution the world's Step Functions holds as RUNNING that nothing runs yet. */
      const runStarted = () => {
        for (const e of world.executions.values()) {
          if (e.status !== "RUNNING" || executions.some((x) => x.name === e.name)) continue;
          const execution: Execution = { name: e.name, input: e.input as Record<string, unknown>, startedAtMs: e.startMs, done: Promise.resolve() };
          execution.done = rig.run(e.input, e.name).then((record) => {
            execution.record = record;
          });
          executions.push(execution);
        }
      };
      const sfn = new SFNClient({ region: ids.drRegion });
      const startExecution = (name: string, input: Record<string, unknown>): Execution => {
        const started = sfn.send(new StartExecutionCommand({ stateMachineArn: ids.stateMachineArn, name, input: JSON.stringify(input) })).then(() => runStarted());
        const execution: Execution = { name, input, startedAtMs: world.clock.nowMs(), done: started.then(() => executions.find((x) => x.name === name)?.done) };
        return execution;
      };

      // The monitor as the Monitor stack configures it, reading this world's settings once.
      const healthUrl = (region: string) => (process.env.HEALTH_URL ?? "").replace(`/${ids.drRegion}/`, `/${region}/`);
      for (const k of ["DR_HEALTH_URL", "HEALTH_CHECK_ID"]) delete process.env[k];
      Object.assign(process.env, {
        AWS_REGION: ids.drRegion,
        STATE_TABLE: rig.table,
        TOPIC_ARN: ids.topicArn,
        STATE_MACHINE_ARN: ids.stateMachineArn,
        PRIMARY_HEALTH_URL: healthUrl(ids.primaryRegion),
        FAILURE_THRESHOLD: "3",
        PROBE_TIMEOUT_MS: "1000",
        PROBES_PER_CHECK: "3",
        PROBE_SPACING_MS: "0",
        AUTO_FAILOVER: "true",
        START_LEASE_MS: "70000",
        STAGE_LABEL: "pilot-light test",
        ...(ids.dns ? { HEALTH_CHECK_ID: "hc-primary-0001" } : {}),
        ...env,
      });
      vi.resetModules();
      const monitor = (await import("../../src/health-monitor")).handler as unknown as MonitorHandler;
      const store: Health.HealthStore = { db: rig.dynamo.doc, table: rig.table };
      let originMs = world.clock.nowMs();

      return {
        rig,
        world,
        executions,
        startExecution,
        async play({ ticks, periodSeconds = 300, changes = [], delaySeconds = () => 0, dated = (_n, scheduledMs) => scheduledMs }) {
          originMs = world.clock.nowMs();
          const pending = [...changes].sort((a, b) => a.atSeconds - b.atSeconds);
          const summaries: TickSummary[] = [];
          for (let n = 0; n < ticks; n++) {
            const scheduledMs = originMs + n * periodSeconds * 1000;
            const dueMs = scheduledMs + delaySeconds(n) * 1000;
            // Changes happen at their own times, while executions run.
            while (pending.length > 0 && originMs + pending[0]!.atSeconds * 1000 <= dueMs) {
              const change = pending.shift()!;
              await scheduler.sleep((originMs + change.atSeconds * 1000 - world.clock.nowMs()) / 1000);
              change.apply(world);
            }
            await scheduler.sleep((dueMs - world.clock.nowMs()) / 1000);
            const event = { time: new Date(dated(n, scheduledMs)).toISOString().replace(".000Z", "Z"), source: "aws.events", "detail-type": "Scheduled Event" };
            const summary = await scheduler.run(() =>
              // The monitor runs as its synthesized role (stacks/failover/monitor-grants.ts).
              iamOf(world).runAs(functionIdOf(world, "HealthMonitor"), () => monitor(event, lambdaContext("pilot-light-test-HealthMonitor"))).catch((error: Error): TickSummary => ({ atMs: dueMs, healthy: false, consecutiveFailures: -1, error: `${error.name}: ${error.message}` })),
            );
            summaries.push({ ...summary, atMs: dueMs });
            runStarted();
          }
          return summaries;
        },
        async settle() {
          await Promise.all(executions.map((e) => e.done));
        },
        state: () => Health.loadState(store, "primary"),
        since: (ms) => (ms - originMs) / 1000,
      };
    },
    async close() {
      await suite.close();
    },
  };
}
