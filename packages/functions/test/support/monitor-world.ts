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
import { Scheduler, enforceFailoverRoles, functionIdOf, iamOf, lambdaContext, mirrorIds, regionalCopy, type ExecutionRecord, type PilotLightIds, type WorldState } from "../../../world/src";
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
  arming?: Health.Arming;
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
   * `time` (default: the scheduled time), for a clock that lies; `until(summaries)`: true ends
   * the play after that tick (executions it started still run: `settle`).
   */
  play(options: {
    ticks: number;
    until?: (summaries: TickSummary[]) => boolean;
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
  /**
   * The primary region's copy of the orchestrator's monitor (stage option `primaryRegionMonitor`):
   * it watches the DR region, with its own table and alert topic, as its synthesized role; it
   * ticks right after the DR region's monitor, skipped while its own region is down.
   */
  peer?: { ids: PilotLightIds; ticks: TickSummary[]; state(): Promise<Health.HealthState> };
}

export interface MonitorWorldSuite {
  stage(options?: Parameters<Suite["rig"]>[0] & { env?: Record<string, string>; primaryRegionMonitor?: boolean }): Promise<MonitorWorld>;
  close(): Promise<void>;
}

type MonitorHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<TickSummary>;

export async function startMonitorWorld(): Promise<MonitorWorldSuite> {
  const suite = await startSuite();
  return {
    async stage(options = {}) {
      const { env = {}, primaryRegionMonitor = false, ...rigOptions } = options;
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
        // Run-time arming, as the Monitor stack configures it: this region's database, the watched one's.
        LOCAL_DB_ID: ids.replicaDb,
        WATCHED_DB_ID: ids.primaryDb,
        WATCHED_DB_ARN: ids.primaryArn,
        LOCAL_ALB_DNS: ids.drAlbDns,
        ...(ids.dns ? { HEALTH_CHECK_ID: ids.primaryHealthCheckId, HOSTED_ZONE_ID: ids.hostedZoneId, RECORD_NAME: ids.recordName } : {}),
        ...env,
      });
      vi.resetModules();
      const monitor = (await import("../../src/health-monitor")).handler as unknown as MonitorHandler;
      const store: Health.HealthStore = { db: rig.dynamo.doc, table: rig.table };
      const peer = primaryRegionMonitor ? await peerMonitor(rig, suite, healthUrl) : undefined;
      let originMs = world.clock.nowMs();

      return {
        rig,
        world,
        executions,
        startExecution,
        async play({ ticks, until = () => false, periodSeconds = 300, changes = [], delaySeconds = () => 0, dated = (_n, scheduledMs) => scheduledMs }) {
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
            // A Lambda in a region that is down does not run (as the peer below): nothing ticks there.
            const summary: TickSummary = world.regionsDown.has(ids.drRegion)
              ? { atMs: dueMs, healthy: false, consecutiveFailures: -1, error: "not run: its region is down" }
              : await scheduler.run(() =>
                  // The monitor runs as its synthesized role (stacks/failover/monitor-grants.ts).
                  iamOf(world).runAs(functionIdOf(world, "HealthMonitor"), () => monitor(event, lambdaContext("pilot-light-test-HealthMonitor"))).catch((error: Error): TickSummary => ({ atMs: dueMs, healthy: false, consecutiveFailures: -1, error: `${error.name}: ${error.message}` })),
                );
            summaries.push({ ...summary, atMs: dueMs });
            if (peer && !world.regionsDown.has(peer.ids.drRegion)) peer.ticks.push({ ...(await scheduler.run(() => peer.tick(event))), atMs: dueMs });
            runStarted();
            if (until(summaries)) break;
          }
          return summaries;
        },
        async settle() {
          await Promise.all(executions.map((e) => e.done));
        },
        state: () => Health.loadState(store, "primary"),
        since: (ms) => (ms - originMs) / 1000,
        ...(peer ? { peer: { ids: peer.ids, ticks: peer.ticks, state: peer.state } } : {}),
      };
    },
    async close() {
      await suite.close();
    },
  };
}

/**
 * The primary region's monitor: the same handler with the environment the Monitor stack gives it
 * there (it watches the DR region; `mirrorIds`), its own state table and topic, run as its role.
 * Its settings are read at its first tick (as a new Lambda sandbox would), with its environment in
 * place only then: a tick before the test's first, while no step runs to read the wrong settings.
 */
async function peerMonitor(rig: Rig, suite: Suite, healthUrl: (region: string) => string) {
  const { world, ids } = rig;
  const peerIds = mirrorIds(ids);
  const table = await rig.dynamo.createStateTable();
  enforceFailoverRoles(world, suite.template, peerIds, table, { functions: ["HealthMonitor"], region: peerIds.drRegion });
  const env: Record<string, string> = {
    AWS_REGION: peerIds.drRegion,
    STATE_TABLE: table,
    TOPIC_ARN: peerIds.topicArn,
    STATE_MACHINE_ARN: peerIds.stateMachineArn,
    PRIMARY_HEALTH_URL: healthUrl(peerIds.primaryRegion),
    WATCHED: "dr",
    LOCAL_DB_ID: peerIds.replicaDb,
    WATCHED_DB_ID: peerIds.primaryDb,
    WATCHED_DB_ARN: peerIds.primaryArn,
    LOCAL_ALB_DNS: peerIds.drAlbDns,
    // Its second opinion: the Monitor stack's Route 53 health check on the DR region's endpoint.
    ...(ids.dns ? { HEALTH_CHECK_ID: peerIds.primaryHealthCheckId, HOSTED_ZONE_ID: ids.hostedZoneId, RECORD_NAME: ids.recordName } : {}),
  };
  const withEnv = async <T>(work: () => Promise<T>): Promise<T> => {
    const saved = Object.fromEntries(["HEALTH_CHECK_ID", ...Object.keys(env)].map((k) => [k, process.env[k]]));
    delete process.env.HEALTH_CHECK_ID;
    Object.assign(process.env, env);
    try {
      return await work();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  vi.resetModules();
  const handler = await withEnv(async () => (await import("../../src/health-monitor")).handler as unknown as MonitorHandler);
  const functionId = regionalCopy(functionIdOf(world, "HealthMonitor"), peerIds.drRegion);
  const invoke = (time: string) =>
    iamOf(world).runAs(functionId, () => handler({ time, source: "aws.events", "detail-type": "Scheduled Event" }, lambdaContext("pilot-light-test-HealthMonitor")));
  // Its cold start, now (nothing runs yet): one tick a schedule period before the test's first.
  await Scheduler.of(world.clock).run(() => withEnv(() => invoke(new Date(world.clock.nowMs() - 300_000).toISOString().replace(/\.\d{3}Z$/, "Z"))));
  const store: Health.HealthStore = { db: rig.dynamo.doc, table };
  return {
    ids: peerIds,
    ticks: [] as TickSummary[],
    state: () => Health.loadState(store, "dr"),
    tick: (event: Record<string, string>): Promise<TickSummary> =>
      invoke(event.time ?? "").catch((error: Error): TickSummary => ({ atMs: 0, healthy: false, consecutiveFailures: -1, error: `${error.name}: ${error.message}` })),
  };
}
