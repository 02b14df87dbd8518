/**
 * The lifecycle rehearsal: outage after outage, generation after generation, through the real
 * workflows end to end. Both regions run their copy of the orchestrator (monitor, failover state
 * machine, CompleteFence, ExecutionEnded), each with the settings its stacks give it, each as
 * its synthesized roles, each armed or not at run time from what the world shows; the DR
 * region's failback state machine re-protects and switches back when an operator starts it.
 * Users write all along (the world counts lost and refused writes). Generation n: the serving
 * region fails, its copy's peer fails over by itself, the failed region comes back, an operator
 * re-protects; every third generation ends with a planned switchback; in the others the region
 * that took over fails too before re-protect (nothing can take over: people must be
 * told). And the world is struck while it is not at rest: every generation begins with a
 * partition between the regions (both monitors ticking), and in turn the standby-to-be region
 * fails while re-protect runs, the failed region returns while the failover runs, the primary
 * region fails during the switchback before its promotion, and the DR region, where the
 * switchback runs, fails during the operator's rerun after the primary's promotion
 * (`LifecycleInterruption`; the operator reruns what failed once the region is back). Nothing here decides
 * anything the product decides: it moves time, breaks regions, starts what an operator starts
 * and writes down what the world shows after every workflow.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import FakeTimers from "@sinonjs/fake-timers";
import type { Context } from "aws-lambda";
import { Failover, Stage, State } from "@pilot-light/core";
import {
  Scheduler,
  enforceFailbackRoles,
  enforceFailoverRoles,
  executeLocally,
  failbackEnvironment,
  functionIdOf,
  iamOf,
  installApis,
  healPartition,
  invariantViolations,
  lambdaContext,
  lostWrites,
  mirrorIds,
  partition,
  refusedWriteSeconds,
  regionalCopy,
  startDynalite,
  startHealthServer,
  startTraffic,
  stepEnvironment,
  type ExecutionRecord,
  type HealthServer,
  type LocalHandler,
  type PilotLightIds,
  type WorldState,
} from "@pilot-light/world";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../stacks/failover/steps";
import { failbackHandlerFile, failbackStepNames, failbackTaskTimeoutSeconds, type FailbackStepName } from "../../../stacks/failback/steps";
import { adoptIfAsked, definitionOf, failbackLatencyModel, isOriginalTopology, rehearsalWorld, type WorldChoice } from "./failback";
import { samplePert, sampleLatencies, type LatencySample } from "./latency";
import { useLambdaLikeEnvironment } from "./lambda-env";
import { seededRandom } from "./random";

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** One region's copy of the orchestrator: its settings, its table, its sandboxes. */
interface Copy {
  /** The region it is deployed in, by the stage's names ("dr": the DR region's, the original one). */
  side: "primary" | "dr";
  region: string;
  /** Ids as this copy's settings name them: "dr" is its own region (mirrored for the primary region's copy). */
  ids: PilotLightIds;
  table: string;
  stateMachineArn: string;
  env: Record<string, string>;
  /** Its Lambdas' world scope (core's `lazy` values): made per copy, as separate sandboxes. */
  scope: object;
  /** `functionId` → the id its role has in this world (the primary region's copy: `<id>@<region>`). */
  functionId: (id: string) => string;
}

export interface LifecycleWorkflow {
  workflow: "failover" | "reprotect" | "switchback";
  /** The copy that ran it (the region its state machine is in). */
  region: string;
  execution: string;
  status: string;
  endState: string;
  startSeconds: number;
  endSeconds: number;
  /** The world's invariants right after it ended (packages/world/src/invariants.ts). */
  invariantViolations: string[];
}

export interface LifecycleEndState {
  writableDatabases: string[];
  /** Where DNS sends users (the region of the answer's load balancer). */
  dnsRegion: string | null;
  /** Users reach a region that answers healthy with a writable database behind it. */
  usersServed: boolean;
  /** Database identifier → what it is: writable, a replica of whom, fenced. */
  databases: { identifier: string; region: string; role: string }[];
}

/**
 * Something that strikes while the world is not at rest (issue 21): a partition between the
 * regions with both monitors ticking, the failed region returning while the failover runs, the
 * standby-to-be region failing while re-protect builds its replica, the region being switched to
 * failing while a switchback runs before its promotion, the serving region (where the switchback
 * runs) failing after the promotion. Each is seeded (when, at which step).
 */
export interface LifecycleInterruption {
  kind: "partition" | "return-mid-failover" | "standby-down-during-reprotect" | "target-down-during-switchback" | "serving-down-after-promotion";
  /** The region that failed or came back (for a partition: the two regions). */
  region: string;
  atSeconds: number | null;
  /** The workflow step running when it struck (null: between workflows, or it never struck). */
  duringStep: string | null;
  /** What the interrupted workflow ended with, and (when it failed) what the operator's rerun ended with. */
  outcome: string;
  /** A notification to the alert topic about the interrupted workflow (failover or failback: its failure or success). */
  told: boolean;
  /** Partitions: failovers started while the regions could not see each other (must be 0), most writable databases at any tick. */
  failoversStarted?: number;
  maxWritableDatabases?: number;
  /**
   * Strikes of a region (the standby's, the one being switched to, the serving one): strike → the
   * first message on either alert topic (null: none), which must come within one detection period;
   * for the serving region's strike also users' refused writes from the strike to the end of the rerun, writes lost by the move.
   */
  toldAfterSeconds?: number | null;
  writeDowntimeSeconds?: number;
  lostWrites?: number | null;
  /** Ended as the design says: no double promotion, at most one writable database, failed-and-told or succeeded, never half done. */
  ok: boolean;
  detail: string;
}

export interface LifecycleGeneration {
  generation: number;
  /** The region that failed (the serving one). */
  failedRegion: string;
  /** Which copy failed over (the region it promoted to), or null when none did. */
  failedOverTo: string | null;
  /** Outage start → users served healthy by the other region (VerifyDrHealth of the run that promoted). */
  rtoSeconds: number | null;
  detectionSeconds: number | null;
  /** The failover's own figure (replica lag when it decided), and the writes the world shows lost. */
  rpoSeconds: number | null;
  lostWritesInFailover: number | null;
  reprotected: boolean;
  /**
   * Generations 1, 2, 4, 5 … (not those with a switchback): before re-protect, the region that took over fails too. Nothing can
   * take over (the other region's database is the fenced old primary, not a replica): by design
   * the other region's copy tells its alert topic within one detection period, with the command
   * to run, and starts nothing.
   */
  strandedOutage: { region: string; toldAfterSeconds: number | null; command: boolean; failoversStarted: number } | null;
  /** The planned move home: its write downtime (users' refused writes), lost writes (must be 0), and whether it ended in the original topology. */
  switchback: { status: string; seconds: number; writeDowntimeSeconds: number; lostWrites: number | null; originalTopology: boolean } | null;
  /** What struck while a workflow ran, or the regions could not see each other (every generation: a partition before its outage). */
  interruptions: LifecycleInterruption[];
  workflows: LifecycleWorkflow[];
  notifications: { atSeconds: number; region: string; kind: string }[];
  endState: LifecycleEndState;
  /** Exactly one writable database, users on it, invariants after every workflow, zero lost writes in a switchback. */
  met: boolean;
  problems: string[];
}

export interface LifecycleReport {
  scenario: "lifecycle";
  seed: number;
  generations: LifecycleGeneration[];
  events: { atSeconds: number; text: string }[];
  met: boolean;
  wallMilliseconds: number;
}

export interface LifecycleRehearsal {
  rehearse(options: { seed: number; generations: number; onEvent?: (e: { atSeconds: number; text: string }) => void }): Promise<LifecycleReport>;
  close(): Promise<void>;
}

const prefix = "pilot-light-rehearsal";
const periodSeconds = 300;
const failureThreshold = 3;
/** One detection period: the threshold's checks, the last delivered up to a minute late. */
const detectionPeriodSeconds = failureThreshold * periodSeconds + 60;
/** How long a generation waits for a failover to end (the monitor's re-drives back off up to 30 minutes each). */
const followHours = 4;

/**
 * Two copies' Lambdas in one process: `process.env` and core's world scope read through the copy
 * whose code is running (an AsyncLocalStorage), so each copy's settings and clients are its own,
 * whichever copy's calls interleave on the virtual clock. Outside any copy, the process's own.
 */
function copyContext(): { run<T>(copy: Copy | undefined, work: () => Promise<T>): Promise<T>; install(): () => void } {
  const current = new AsyncLocalStorage<Copy>();
  const scopeKey = Symbol.for("pilot-light.world-scope");
  return {
    run: (copy, work) => (copy ? current.run(copy, work) : work()),
    install() {
      const base = process.env;
      const view = (): Record<string, string | undefined> => {
        const copy = current.getStore();
        return copy ? { ...base, ...copy.env } : base;
      };
      process.env = new Proxy(base, {
        get: (_t, key) => (typeof key === "string" ? view()[key] : undefined),
        has: (_t, key) => typeof key === "string" && key in view(),
        ownKeys: () => Object.keys(view()),
        getOwnPropertyDescriptor: (_t, key) => (typeof key === "string" && key in view() ? { value: view()[key], enumerable: true, configurable: true, writable: true } : undefined),
        set: (_t, key, value: string) => {
          if (typeof key === "string") base[key] = value;
          return true;
        },
        deleteProperty: (_t, key) => {
          if (typeof key === "string") delete base[key];
          return true;
        },
      });
      const g = globalThis as Record<symbol, unknown>;
      let outside = g[scopeKey];
      Object.defineProperty(g, scopeKey, {
        configurable: true,
        get: () => current.getStore()?.scope ?? outside,
        set: (v: unknown) => {
          outside = v;
        },
      });
      return () => {
        process.env = base;
        Object.defineProperty(g, scopeKey, { configurable: true, writable: true, value: outside });
      };
    },
  };
}

/** `choice.adopted`: every seed's world is a team's primary, adopted before the first generation (docs/adopt.md). */
export async function createLifecycleRehearsal(choice: WorldChoice = {}): Promise<LifecycleRehearsal> {
  const [failoverSynth, failbackSynth] = await Promise.all([definitionOf("failover"), definitionOf("failback", choice.adopted)]);
  const fakeDate = FakeTimers.withGlobal(globalThis).install({ toFake: ["Date"], now: Date.now() });
  const dynamo = await startDynalite();
  let world: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!world) throw new Error("no world");
    return world;
  });
  useLambdaLikeEnvironment();
  const context = copyContext();
  const uninstall = context.install();
  const { ids } = rehearsalWorld(choice, { prefix });
  const tables = { dr: `${prefix}-state-dr`, primary: `${prefix}-state-primary` };
  const lookback = Failover.lagLookbackSeconds({ periodSeconds, failureThreshold });
  const rtoTargetSeconds = Stage.resolveStageConfig("rehearsal", {}).rtoTargetSeconds;
  const monitorEnv = (own: PilotLightIds, watched: "primary" | "dr", table: string): Record<string, string> => ({
    AWS_REGION: own.drRegion,
    STATE_TABLE: table,
    STATE_MACHINE_ARN: own.stateMachineArn,
    PRIMARY_HEALTH_URL: health.url(own.primaryRegion),
    PROBE_TIMEOUT_MS: "5000",
    PROBES_PER_CHECK: "3",
    // As the outage rehearsal: the world answers on the virtual clock (engine.ts).
    PROBE_SPACING_MS: "0",
    AUTO_FAILOVER: "true",
    FAILURE_THRESHOLD: String(failureThreshold),
    STAGE_LABEL: "pilot-light rehearsal",
    WATCHED: watched,
    // Run-time arming (stacks/Monitor.ts): this region's database, the watched one's, this region's load balancer.
    LOCAL_DB_ID: own.replicaDb,
    WATCHED_DB_ID: own.primaryDb,
    WATCHED_DB_ARN: own.primaryArn,
    LOCAL_ALB_DNS: own.drAlbDns,
    HOSTED_ZONE_ID: own.hostedZoneId,
    RECORD_NAME: own.recordName,
    // The second opinion on the watched region: the Dns stack's health check on the primary
    // region's name, the primary region's Monitor stack's on the DR region's (mirrorIds swaps them).
    HEALTH_CHECK_ID: own.primaryHealthCheckId,
  });
  const copyOf = (side: "primary" | "dr"): Copy => {
    const own: PilotLightIds = side === "dr" ? ids : { ...ids, ...mirrorIds(ids) };
    const table = tables[side];
    return {
      side,
      region: own.drRegion,
      ids: own,
      table,
      stateMachineArn: own.stateMachineArn,
      env: {
        ...stepEnvironment(own, health.url(own.drRegion), table, lookback, health.url(own.primaryRegion)),
        ...monitorEnv(own, side === "dr" ? "primary" : "dr", table),
        STAGE: "rehearsal",
        RTO_TARGET_SECONDS: String(rtoTargetSeconds),
        // As stacks/Failover.ts: the other region's pilot light (the primary region's is 0).
        PEER_PILOT_TASK_COUNT: String(side === "dr" ? 0 : ids.drPilotTaskCount),
      },
      scope: {},
      functionId: side === "dr" ? (id) => id : (id) => regionalCopy(id, own.drRegion),
    };
  };
  /** The DR region's failback Lambdas (the Failback stack is deployed there only). */
  const failbackCopyOf = (): Copy => ({
    side: "dr",
    region: ids.drRegion,
    ids,
    table: tables.dr,
    stateMachineArn: `arn:aws:states:${ids.drRegion}:${ids.account}:stateMachine:${prefix}-failback`,
    env: {
      ...failbackEnvironment(ids, { primary: health.url(ids.primaryRegion), dr: health.url(ids.drRegion) }, tables.dr),
      AWS_REGION: ids.drRegion,
      STAGE: "rehearsal",
      RTO_TARGET_SECONDS: String(rtoTargetSeconds),
    },
    scope: {},
    functionId: (id) => id,
  });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  const load = async <S extends string>(names: readonly S[], file: (s: S) => string) =>
    Promise.all(names.map(async (s) => [s, (await import(`../../functions/src/${file(s)}.ts`)).handler as LambdaHandler] as const));
  // Each module is imported in the DR copy's context (the monitor reads its settings at its cold start).
  const drBoot = copyOf("dr");
  const modules = await context.run(drBoot, async () => ({
    failover: Object.fromEntries(await load(stepNames, handlerFile)) as Record<StepName, LambdaHandler>,
    failback: Object.fromEntries(await load(failbackStepNames, failbackHandlerFile)) as Record<FailbackStepName, LambdaHandler>,
    monitor: (await import("../../functions/src/health-monitor")).handler as LambdaHandler,
    executionEnded: (await import("../../functions/src/execution-ended")).handler as LambdaHandler,
    completeFence: (await import("../../functions/src/complete-fence")).handler as LambdaHandler,
  }));

  return {
    async rehearse({ seed, generations, onEvent }) {
      const wallStart = performance.now();
      const random = seededRandom(seed);
      const latency: LatencySample = sampleLatencies(random);
      const draw = (f: { best: number; typical: number; bad: number }) => samplePert({ ...f, source: "" }, random);
      const built = rehearsalWorld(choice, {
        prefix,
        latencies: { promotionSeconds: latency.promotion, promotionRaceSeconds: latency.promotionRace, taskStartSeconds: latency.taskStart, firstHealthCheckSeconds: latency.firstHealthCheck, dnsInsyncSeconds: latency.dnsInsync },
        failbackLatencies: { renameSeconds: draw(failbackLatencyModel.rename), replicaCreateSeconds: draw(failbackLatencyModel.replicaCreate), firstBackupSeconds: draw(failbackLatencyModel.firstBackup) },
        replicaLag: [latency.replicaLag, latency.replicaLag, latency.replicaLag],
      });
      const w = built.world;
      world = w;
      const restoreApis = installApis(w);
      // Every world is its own set of Lambda sandboxes: each copy's settings and clients are made again in it.
      const copies = { dr: copyOf("dr"), primary: copyOf("primary") };
      const failbackCopy = failbackCopyOf();
      const copyAt = (region: string) => (region === ids.drRegion ? copies.dr : copies.primary);
      try {
        for (const t of Object.values(tables)) await dynamo.resetStateTable(t);
        enforceFailoverRoles(w, failoverSynth.template, copies.dr.ids, tables.dr);
        const functions = [...new Set([...iamOf(w).roles.keys()].map((id) => id.replace(/[0-9A-F]{8}$/, "")))];
        enforceFailoverRoles(w, failoverSynth.template, copies.primary.ids, tables.primary, { functions, region: copies.primary.region });
        enforceFailbackRoles(w, failbackSynth.template, built.ids, tables.dr);
        w.clock.onAdvance((ms) => fakeDate.setSystemTime(ms));
        await adoptIfAsked(choice, w, built.ids);
        startTraffic(w, { writesPerSecond: 5, dns: { zoneId: ids.hostedZoneId, recordName: ids.recordName } });
        const scheduler = Scheduler.of(w.clock);
        const originMs = w.clock.nowMs();
        const at = (ms: number) => Math.round((ms - originMs) / 100) / 10;
        const events: LifecycleReport["events"] = [];
        const say = (text: string, ms = w.clock.nowMs()) => {
          const e = { atSeconds: at(ms), text };
          events.push(e);
          onEvent?.(e);
        };
        const asRole = <T>(copy: Copy, name: string, work: () => Promise<T>): Promise<T> =>
          context.run(copy, () => iamOf(w).runAs(copy.functionId(functionIdOf(w, name)), work));

        // Executions the world's Step Functions started (the monitors') that this rehearsal runs.
        const launched = new Map<string, { copy: Copy; done: Promise<ExecutionRecord>; record?: ExecutionRecord }>();
        const timings: { execution: string; step: string; startMs: number; endMs: number; ok: boolean }[] = [];
        /** Strikes waiting for the nth start of a workflow's step (an outage while a re-protect or a switchback runs). */
        const atStep: { execution: string; step: string; nth: number; seen: number; strike: () => void }[] = [];
        /** The step each execution runs now (the last one started). */
        const runningStep = new Map<string, string>();
        const handlersFor = (copy: Copy, execution: string, which: "failover" | "failback"): Record<string, LocalHandler> =>
          Object.fromEntries(
            Object.entries(which === "failover" ? modules.failover : modules.failback).map(([step, fn]) => [
              step,
              async (input: unknown) => {
                runningStep.set(execution, step);
                for (const s of atStep) if (s.execution === execution && s.step === step && ++s.seen === s.nth) s.strike();
                const startMs = w.clock.nowMs();
                let ok = false;
                try {
                  const out = await context.run(copy, () => (fn as LambdaHandler)(input, lambdaContext(`${prefix}-${step}`)));
                  ok = true;
                  return out;
                } finally {
                  timings.push({ execution, step, startMs, endMs: w.clock.nowMs(), ok });
                }
              },
            ]),
          );
        const timeout = (s: string) => ((failbackStepNames as readonly string[]).includes(s) ? failbackTaskTimeoutSeconds(s as FailbackStepName) : taskTimeoutSeconds(s as StepName)) - 5;
        w.onExecutionStatusChange(async (e) => {
          const copy = [copies.dr, copies.primary].find((c) => c.stateMachineArn === e.stateMachineArn);
          if (!copy || w.regionsDown.has(copy.region)) return;
          const detail = { executionArn: e.arn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startMs, stopDate: e.stopMs, error: e.error ?? null, cause: e.cause ?? null };
          await asRole(copy, "ExecutionEnded", () =>
            modules.executionEnded({ version: "0", "detail-type": "Step Functions Execution Status Change", source: "aws.states", detail }, lambdaContext(`${prefix}-ExecutionEnded`)),
          );
        });
        const launchStarted = () => {
          for (const e of w.executions.values()) {
            if (e.status !== "RUNNING" || launched.has(e.name)) continue;
            const copy = [copies.dr, copies.primary].find((c) => c.stateMachineArn === e.stateMachineArn);
            if (!copy) continue;
            const entry: { copy: Copy; done: Promise<ExecutionRecord>; record?: ExecutionRecord } = {
              copy,
              done: context.run(copy, () =>
                executeLocally(failoverSynth.definition, e.input, {
                  clock: w.clock,
                  handlers: handlersFor(copy, e.name, "failover"),
                  executionName: e.name,
                  lambdaTimeoutSeconds: timeout,
                  world: w,
                  stateMachineArn: copy.stateMachineArn,
                  ...(copy.side === "primary" ? { regionalCopy: copy.region } : {}),
                }),
              ),
            };
            void entry.done.then((r) => {
              entry.record = r;
              say(`${copy.side === "dr" ? "DR" : "primary"} region's failover ${e.name} ${r.status === "SUCCEEDED" ? "succeeded" : `failed (${r.error}: ${r.cause ?? ""})`} in ${r.states.at(-1) ?? "?"}`, r.endedAtMs);
            });
            launched.set(e.name, entry);
            say(`the ${copy.side === "dr" ? "DR" : "primary"} region's monitor started failover ${e.name}`, e.startMs);
          }
        };
        let tick = 0;
        /** Looks at the world on every schedule period (the most writable databases while a strike lasts). */
        const tickWatchers = new Set<() => void>();
        /** One schedule period: both monitors and both CompleteFence passes (in regions that are up), then what they started runs. */
        const runTick = async () => {
          tick += 1;
          for (const watch of tickWatchers) watch();
          const nominal = originMs + tick * periodSeconds * 1000;
          const fire = nominal + samplePert({ best: 0, typical: 20, bad: 60, source: "" }, random) * 1000;
          if (fire > w.clock.nowMs()) await scheduler.sleep((fire - w.clock.nowMs()) / 1000);
          for (const copy of [copies.dr, copies.primary]) {
            if (w.regionsDown.has(copy.region)) continue;
            const event = { time: new Date(nominal).toISOString().replace(".000Z", "Z"), source: "aws.events", "detail-type": "Scheduled Event" };
            await scheduler.run(() => asRole(copy, "HealthMonitor", () => modules.monitor(event, lambdaContext(`${prefix}-HealthMonitor`)))).catch((error: Error) => say(`${copy.side} monitor failed: ${error.name}: ${error.message}`));
            const fence = (await scheduler.run(() => asRole(copy, "CompleteFence", () => modules.completeFence({}, lambdaContext(`${prefix}-CompleteFence`)))).catch((error: Error) => ({ error: `${error.name}: ${error.message}` }))) as { changed?: boolean; detail?: string; error?: string };
            if (fence.changed) say(`the ${copy.side === "dr" ? "DR" : "primary"} region's CompleteFence: ${fence.detail ?? ""}`);
            if (fence.error) say(`the ${copy.side === "dr" ? "DR" : "primary"} region's CompleteFence failed: ${fence.error}`);
          }
          launchStarted();
        };
        const ticksUntil = async (done: () => boolean, hours: number) => {
          const limit = w.clock.nowMs() + hours * 3600_000;
          while (!done() && w.clock.nowMs() < limit) await runTick();
          return done();
        };
        const ticksFor = async (seconds: number) => {
          const end = w.clock.nowMs() + seconds * 1000;
          await ticksUntil(() => w.clock.nowMs() >= end, seconds / 3600 + 1);
        };
        const lockOf = async (copy: Copy) => (await dynamo.doc.send(new GetCommand({ TableName: copy.table, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }))).Item;
        const invariantsAfter = async (copy: Copy) => invariantViolations(w, copy.ids, { lock: await lockOf(copy) });
        const servingRegion = () => [ids.primaryRegion, ids.drRegion].find((r) => [...w.databases.values()].some((d) => d.region === r && w.isWritable(d.identifier)));
        const endState = (): LifecycleEndState => {
          const writable = [...w.databases.keys()].filter((id) => w.isWritable(id));
          const answer = w.resolve(ids.hostedZoneId, ids.recordName)?.AliasTarget?.DNSName ?? "";
          const dnsRegion = /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(answer)?.[1] ?? null;
          const service = [...w.services.values()].find((s) => s.region === dnsRegion);
          return {
            writableDatabases: writable,
            dnsRegion,
            usersServed: Boolean(dnsRegion && service && w.healthStatus(dnsRegion) === 200 && w.healthyTargets(service) > 0 && w.isWritable(service.database)),
            databases: [...w.databases.values()].map((d) => {
              const view = w.dbView(d);
              const source = view.sourceIdentifier ? ` of ${view.sourceIdentifier.split(":").pop() ?? ""}` : "";
              return { identifier: d.identifier, region: d.region, role: w.isWritable(d.identifier) ? "writable" : view.sourceIdentifier ? `replica${source}` : view.status };
            }),
          };
        };
        const runFailback = async (mode: "reprotect" | "switchback", gen: number, again = false): Promise<{ record: ExecutionRecord; workflow: LifecycleWorkflow }> => {
          const name = `${mode}-rehearsal-${seed}-g${gen}${again ? "-again" : ""}`;
          say(`an operator starts ${mode === "reprotect" ? "re-protect" : "the switchback"} (${name})`);
          const record = await context.run(failbackCopy, () =>
            executeLocally(failbackSynth.definition, { mode, reason: `rehearsal: lifecycle generation ${gen}`, requestedBy: "pnpm rehearse" }, {
              clock: w.clock,
              handlers: handlersFor(failbackCopy, name, "failback"),
              executionName: name,
              lambdaTimeoutSeconds: timeout,
              iam: iamOf(w),
              stateMachineArn: failbackCopy.stateMachineArn,
              regionsDown: w.regionsDown,
            }),
          );
          say(`${mode} ${record.status === "SUCCEEDED" ? "succeeded" : `failed (${record.error})`} in ${record.states.at(-1) ?? "?"}`, record.endedAtMs);
          return {
            record,
            workflow: {
              workflow: mode,
              region: failbackCopy.region,
              execution: name,
              status: record.status,
              endState: record.states.at(-1) ?? "?",
              startSeconds: at(record.startedAtMs),
              endSeconds: at(record.endedAtMs),
              invariantViolations: await invariantsAfter(copyAt(servingRegion() ?? ids.primaryRegion) === copies.dr ? copies.dr : copies.primary),
            },
          };
        };
        /** A failback run keeps the monitors ticking beside it, as they do on their schedule. */
        const beside = async <T>(work: Promise<T>): Promise<T> => {
          let finished = false;
          const result = work.finally(() => {
            finished = true;
          });
          await ticksUntil(() => finished, 12);
          return result;
        };
        /**
         * Both monitors tick through a partition between the regions (18 to 25 minutes: past the
         * failure threshold's three checks, so the armed copy decides): each region's probes of
         * the other fail, Route 53's checkers still reach both. Nothing may be promoted; at most
         * one database is writable at every tick.
         */
        const partitionBothWays = async (gen: number): Promise<LifecycleInterruption> => {
          const [a, b] = [ids.primaryRegion, ids.drRegion];
          const startMs = w.clock.nowMs();
          const runsBefore = launched.size;
          const inboxAt = w.inbox.length;
          const minutes = 18 + random.next() * 7;
          partition(w, a, b);
          say(`generation ${gen}: a partition: ${a} and ${b} cannot reach each other for ${Math.round(minutes)} min (Route 53's checkers reach both)`);
          let maxWritable = 0;
          while (w.clock.nowMs() < startMs + minutes * 60_000) {
            await runTick();
            maxWritable = Math.max(maxWritable, [...w.databases.keys()].filter((id) => w.isWritable(id)).length);
          }
          healPartition(w, a, b);
          say(`generation ${gen}: the partition heals`);
          // Whatever the monitors started runs to its end before the invariants are read.
          const started = [...launched.values()].slice(runsBefore);
          for (const r of started) await r.done;
          const violations = await invariantsAfter(copyAt(servingRegion() ?? ids.primaryRegion));
          return {
            kind: "partition",
            region: `${a} | ${b}`,
            atSeconds: at(startMs),
            duringStep: null,
            outcome: `${started.length} failover(s) started; at most ${maxWritable} writable database(s) at any tick`,
            told: w.inbox.length > inboxAt,
            failoversStarted: started.length,
            maxWritableDatabases: maxWritable,
            ok: started.length === 0 && maxWritable <= 1 && violations.length === 0,
            detail: violations.join("; ") || `${Math.round(minutes)} min with both monitors ticking`,
          };
        };
        /**
         * An outage of `region` at the `nth` start of `step` in `execution`, 10 to 30 minutes
         * long (what the workflow does with it is decided within minutes; a longer outage only
         * makes the operator's rerun wait longer).
         */
        const strikeDuring = (execution: string, step: string, nth: number, region: string, what: string) => {
          const strike = { region, step, nth, downSeconds: 600 + random.next() * 1200, atMs: null as number | null };
          atStep.push({
            execution,
            step,
            nth,
            seen: 0,
            strike: () => {
              strike.atMs = w.clock.nowMs();
              w.regionsDown.add(region);
              say(`while ${execution} runs ${step}, ${region} (${what}) goes down`);
              void scheduler.sleep(strike.downSeconds).then(() => {
                w.regionsDown.delete(region);
                say(`${region} answers again`);
              });
            },
          });
          return strike;
        };
        /** After the struck workflow ended: the region back, three schedule periods for the monitors and CompleteFence to see it; whether the alert topic heard how it ended. */
        const afterStrike = async (strike: { region: string; atMs: number | null }, inboxAt: number, mode: "reprotect" | "switchback") => {
          while (w.regionsDown.has(strike.region)) await runTick();
          if (strike.atMs !== null) await ticksFor(3 * periodSeconds);
          return { struck: strike.atMs !== null, told: w.inbox.slice(inboxAt).some((m) => m.kind?.startsWith(`${mode}.`) && m.kind !== `${mode}.started`) };
        };

        /**
         * The first message on either alert topic from the strike on that tells people what to run
         * (names a `pnpm dr` command: a workflow's "started" or a monitor's "degraded" is no
         * telling), and after how many seconds.
         */
        const firstTold = (strike: { atMs: number | null }, inboxAt: number) => {
          if (strike.atMs === null) return { message: undefined, seconds: null };
          const message = w.inbox.slice(inboxAt).find((m) => m.atMs >= (strike.atMs ?? 0) && !m.kind?.endsWith(".started") && m.message.includes("pnpm dr "));
          return { message, seconds: message ? Math.round((message.atMs - (strike.atMs ?? 0)) / 100) / 10 : null };
        };
        /** Told within one detection period; an outage shorter than that may end before its threshold's checks (as for a failover's detection). */
        const inTime = (seconds: number | null, strike: { downSeconds: number }) => (seconds !== null && seconds <= detectionPeriodSeconds) || strike.downSeconds < detectionPeriodSeconds;

        // Ten minutes of users' writes and two healthy checks before the first outage.
        await ticksFor(600);
        const report: LifecycleGeneration[] = [];
        for (let gen = 1; gen <= generations; gen++) {
          const problems: string[] = [];
          const workflows: LifecycleWorkflow[] = [];
          // Each generation draws its own latencies (the first the world was built with).
          if (gen > 1) {
            const l = sampleLatencies(random);
            Object.assign(w.latencies, { promotionSeconds: l.promotion, promotionRaceSeconds: l.promotionRace, taskStartSeconds: l.taskStart, firstHealthCheckSeconds: l.firstHealthCheck, dnsInsyncSeconds: l.dnsInsync });
          }
          const inboxBefore = w.inbox.length;
          const interruptions: LifecycleInterruption[] = [];
          interruptions.push(await partitionBothWays(gen));
          const failedRegion = servingRegion() ?? ids.primaryRegion;
          const survivor = copyAt(failedRegion === ids.primaryRegion ? ids.drRegion : ids.primaryRegion);
          const oldServing = [...w.databases.values()].find((d) => d.region === failedRegion && w.isWritable(d.identifier));
          const standby = w.databases.get(survivor.ids.replicaDb);
          // The outage comes somewhere in a schedule period.
          await scheduler.sleep(random.next() * periodSeconds);
          const outageMs = w.clock.nowMs();
          w.regionsDown.add(failedRegion);
          say(`generation ${gen}: the serving region ${failedRegion} goes down`);
          const before = new Set(launched.keys());
          const newRuns = () => [...launched.entries()].filter(([name]) => !before.has(name));
          const promoted = () => newRuns().some(([, r]) => r.record?.status === "SUCCEEDED");
          const settled = () => promoted() || (newRuns().length > 0 && newRuns().every(([, r]) => r.record) && w.clock.nowMs() - outageMs > followHours * 3600_000 - periodSeconds * 1000);
          // Generations 2, 5 …: the failed region comes back while the failover runs (0 to 4 minutes after it started).
          const midReturn = { atMs: null as number | null, step: null as string | null, execution: "" };
          if (gen % 3 === 2) {
            await ticksUntil(() => newRuns().length > 0, followHours);
            const first = newRuns()[0];
            if (first) {
              midReturn.execution = first[0];
              void scheduler.sleep(random.next() * 240).then(() => {
                if (!w.regionsDown.has(failedRegion)) return;
                w.regionsDown.delete(failedRegion);
                midReturn.atMs = w.clock.nowMs();
                midReturn.step = first[1].record ? null : (runningStep.get(first[0]) ?? null);
                say(`generation ${gen}: ${failedRegion} answers again while failover ${first[0]} runs (${midReturn.step ?? "it has ended"})`);
              });
            }
          }
          await ticksUntil(settled, followHours);
          const runs = newRuns();
          for (const [name, r] of runs) {
            const record = r.record ?? (await r.done);
            workflows.push({
              workflow: "failover",
              region: r.copy.region,
              execution: name,
              status: record.status,
              endState: record.states.at(-1) ?? "?",
              startSeconds: at(record.startedAtMs),
              endSeconds: at(record.endedAtMs),
              invariantViolations: await invariantsAfter(r.copy),
            });
          }
          const winner = runs.find(([, r]) => r.record?.status === "SUCCEEDED");
          if (!winner) problems.push(`no automatic failover of the ${failedRegion} outage succeeded (${runs.length} run(s) started)`);
          const verified = winner ? timings.filter((t) => t.execution === winner[0] && t.step === "VerifyDrHealth" && t.ok).at(-1) : undefined;
          const outcome = winner
            ? ((await dynamo.doc.send(new GetCommand({ TableName: winner[1].copy.table, Key: { pk: State.keys.outcome(winner[0]) }, ConsistentRead: true }))).Item as { rpoSeconds?: number | null } | undefined)
            : undefined;
          const firstStart = runs[0]?.[1].record?.startedAtMs;
          const lostInFailover = winner && oldServing && standby && standby.promotionRequestedAtMs !== null ? lostWrites(w, oldServing, standby) : null;
          // The failed region comes back after the drawn outage (at least once the failover has ended).
          const backMs = outageMs + draw(failbackLatencyModel.outage) * 1000;
          if (w.regionsDown.has(failedRegion)) {
            if (backMs > w.clock.nowMs()) await ticksFor((backMs - w.clock.nowMs()) / 1000);
            w.regionsDown.delete(failedRegion);
            say(`generation ${gen}: ${failedRegion} answers again`);
          }
          if (gen % 3 === 2) {
            const writable = [...w.databases.keys()].filter((id) => w.isWritable(id));
            const told = w.inbox.slice(inboxBefore).some((m) => m.kind?.startsWith("failover.") && m.kind !== "failover.stranded");
            const violations = workflows.flatMap((wf) => wf.invariantViolations);
            const struck = midReturn.atMs !== null && midReturn.step !== null;
            interruptions.push({
              kind: "return-mid-failover",
              region: failedRegion,
              atSeconds: midReturn.atMs === null ? null : at(midReturn.atMs),
              duringStep: midReturn.step,
              outcome: runs.map(([name, r]) => `${name} ${r.record?.status ?? "RUNNING"} in ${r.record?.states.at(-1) ?? "?"}`).join(", ") || "no failover started",
              told,
              ok: writable.length <= 1 && violations.length === 0 && told && Boolean(winner),
              detail: struck ? `${writable.length} writable database(s) after the failover: ${writable.join(", ") || "none"}` : "the failover ended before the region came back",
            });
          }
          // Half an hour for the schedule's CompleteFence and monitors to see the region back.
          await ticksFor(1800);
          let strandedOutage: LifecycleGeneration["strandedOutage"] = null;
          const tookOver = servingRegion();
          if (gen % 3 !== 0 && winner && tookOver) {
            await scheduler.sleep(random.next() * periodSeconds);
            const downMs = w.clock.nowMs();
            const inboxAt = w.inbox.length;
            const runsBefore = launched.size;
            w.regionsDown.add(tookOver);
            say(`generation ${gen}: before re-protect, ${tookOver} (serving) goes down too`);
            await ticksFor(detectionPeriodSeconds + periodSeconds);
            const told = w.inbox.slice(inboxAt).find((m) => m.kind === "failover.stranded");
            strandedOutage = {
              region: tookOver,
              toldAfterSeconds: told ? Math.round((told.atMs - downMs) / 100) / 10 : null,
              command: Boolean(told?.message.includes("Run now: pnpm dr")),
              failoversStarted: launched.size - runsBefore,
            };
            if (!told || (strandedOutage.toldAfterSeconds ?? Infinity) > detectionPeriodSeconds) problems.push(`the stranded outage of ${tookOver} was not told within one detection period (${detectionPeriodSeconds} s)`);
            else if (!strandedOutage.command) problems.push("the stranded message names no command to run");
            if (strandedOutage.failoversStarted > 0) problems.push(`${strandedOutage.failoversStarted} failover(s) started while nothing could take over`);
            // Back after a drawn outage; then as after the first return.
            await ticksFor(draw(failbackLatencyModel.outage));
            w.regionsDown.delete(tookOver);
            say(`generation ${gen}: ${tookOver} answers again`);
            await ticksFor(1800);
          }
          // Generations 1, 4 …: the standby-to-be region (the one that failed) fails again while re-protect builds its replica.
          const standbyDown = gen % 3 === 1 ? strikeDuring(`reprotect-rehearsal-${seed}-g${gen}`, "ReconcileStandbyDatabase", 1 + Math.floor(random.next() * 6), failedRegion, "the standby-to-be") : null;
          const inboxAtReprotect = w.inbox.length;
          let rp = await beside(runFailback("reprotect", gen));
          workflows.push(rp.workflow);
          if (standbyDown) {
            const first = rp.record;
            const { struck, told } = await afterStrike(standbyDown, inboxAtReprotect, "reprotect");
            // The serving region's monitor tells the standby's loss within one detection period (protection.lost).
            const lossTold = firstTold(standbyDown, inboxAtReprotect);
            // Failed and told: once the region is back, the operator runs it again (the command the message names).
            if (first.status !== "SUCCEEDED") {
              rp = await beside(runFailback("reprotect", gen, true));
              workflows.push(rp.workflow);
            }
            interruptions.push({
              kind: "standby-down-during-reprotect",
              region: failedRegion,
              atSeconds: struck ? at(standbyDown.atMs ?? 0) : null,
              duringStep: struck ? standbyDown.step : null,
              outcome: first.status === "SUCCEEDED" ? `re-protect ${first.status} once the region was back` : `re-protect ${first.status} in ${first.states.at(-1) ?? "?"} (${first.error ?? ""}); the operator's rerun ${rp.record.status}`,
              told,
              toldAfterSeconds: lossTold.seconds,
              ok: rp.record.status === "SUCCEEDED" && (!struck || (told && inTime(lossTold.seconds, standbyDown))),
              detail: struck
                ? `down for ${Math.round(standbyDown.downSeconds)} s from the ${standbyDown.nth}. ${standbyDown.step}; told ${lossTold.message ? `(${lossTold.message.kind ?? "?"}) after ${Math.round(lossTold.seconds ?? 0)} s` : "by NOBODY"}`
                : "re-protect ended before the outage struck",
            });
          }
          let switchback: LifecycleGeneration["switchback"] = null;
          if (gen % 3 === 0 && rp.record.status === "SUCCEEDED" && servingRegion() === ids.drRegion) {
            // A maintenance window an hour later: the planned move home.
            await ticksFor(3600);
            const drServing = [...w.databases.values()].find((d) => d.region === ids.drRegion && w.isWritable(d.identifier));
            // The region being switched to fails while the switchback runs, before its promotion (a step drawn per seed).
            const beforePromotion = ["PrepareStandbyService", "StopWrites", "SealOldServing", "PromoteStandby"] as const;
            const targetDown = strikeDuring(`switchback-rehearsal-${seed}-g${gen}`, beforePromotion[Math.floor(random.next() * beforePromotion.length)] ?? "StopWrites", 1, ids.primaryRegion, "the region being switched to");
            const inboxAtSwitchback = w.inbox.length;
            let sb = await beside(runFailback("switchback", gen));
            workflows.push(sb.workflow);
            {
              const first = sb.record;
              const rightAfter = endState();
              const primaryDb = w.databases.get(ids.primaryDb);
              const promotedAway = Boolean(primaryDb && primaryDb.promotionRequestedAtMs !== null && primaryDb.promotionRequestedAtMs >= first.startedAtMs);
              const primaryService = w.services.get(w.serviceKey(ids.primaryRegion, ids.primaryCluster, ids.primaryService));
              const { struck, told } = await afterStrike(targetDown, inboxAtSwitchback, "switchback");
              // The standby region down while DR serves: DR's monitor tells the loss (or the switchback its rollback) within one detection period.
              const downTold = firstTold(targetDown, inboxAtSwitchback);
              // Judged once the DR service's tasks, set back by the rollback, had time to start.
              const rolledBack = endState();
              const servedFromDr = rolledBack.writableDatabases.length === 1 && rolledBack.writableDatabases[0] === drServing?.identifier && rolledBack.dnsRegion === ids.drRegion && rolledBack.usersServed;
              // The rollback cannot set the primary region's service while that region is down: once it is back, the scheduled CompleteFence does.
              const standbyTasks = primaryService?.desired ?? null;
              const standbyHandled = standbyTasks === 0;
              if (first.status !== "SUCCEEDED") {
                // The operator's rerun runs in the DR region, which serves until the promotion: it fails after the primary's promotion (a step drawn per seed).
                const afterPromotion = ["CheckStandbyPromotion", "VerifyNewPrimary", "RestoreDns", "CheckDnsRestore", "ReconcileStandbyDatabase"] as const;
                const servingDown = strikeDuring(`switchback-rehearsal-${seed}-g${gen}-again`, afterPromotion[Math.floor(random.next() * afterPromotion.length)] ?? "VerifyNewPrimary", 1, ids.drRegion, "the serving region, where the switchback runs");
                const inboxAtRerun = w.inbox.length;
                let maxWritable = 0;
                const watch = () => {
                  if (servingDown.atMs !== null) maxWritable = Math.max(maxWritable, [...w.databases.keys()].filter((id) => w.isWritable(id)).length);
                };
                tickWatchers.add(watch);
                sb = await beside(runFailback("switchback", gen, true));
                workflows.push(sb.workflow);
                const rerun = sb.record;
                await afterStrike(servingDown, inboxAtRerun, "switchback");
                tickWatchers.delete(watch);
                const { message: told, seconds: toldAfterSeconds } = firstTold(servingDown, inboxAtRerun);
                const primaryNow = w.databases.get(ids.primaryDb);
                const lost = drServing && primaryNow && primaryNow.promotionRequestedAtMs !== null ? lostWrites(w, drServing, primaryNow) : null;
                const after = endState();
                const struck = servingDown.atMs !== null;
                interruptions.push({
                  kind: "serving-down-after-promotion",
                  region: ids.drRegion,
                  atSeconds: struck ? at(servingDown.atMs ?? 0) : null,
                  duringStep: struck ? servingDown.step : null,
                  outcome: `switchback ${rerun.status} in ${rerun.states.at(-1) ?? "?"}${rerun.error ? ` (${rerun.error})` : ""}; then ${after.writableDatabases.join(", ") || "no database"} writable, users ${after.usersServed ? "served" : "NOT served"} (DNS → ${after.dnsRegion ?? "nothing"}); write downtime ${Math.round(refusedWriteSeconds(w, rerun.startedAtMs, rerun.endedAtMs))} s, lost writes ${lost ?? "unknown"}`,
                  told: Boolean(told),
                  toldAfterSeconds,
                  maxWritableDatabases: maxWritable,
                  writeDowntimeSeconds: refusedWriteSeconds(w, rerun.startedAtMs, rerun.endedAtMs),
                  lostWrites: lost,
                  ok: struck ? maxWritable <= 1 && after.writableDatabases.length === 1 && after.usersServed && lost === 0 && Boolean(told) && inTime(toldAfterSeconds, servingDown) : rerun.status === "SUCCEEDED",
                  detail: struck ? `down for ${Math.round(servingDown.downSeconds)} s from ${servingDown.step}; told ${told ? `(${told.kind ?? "?"}) after ${Math.round((told.atMs - (servingDown.atMs ?? 0)) / 1000)} s` : "by NOBODY"}; at most ${maxWritable} writable database(s) at any tick` : "the switchback ended before the outage struck",
                });
              }
              interruptions.push({
                kind: "target-down-during-switchback",
                region: ids.primaryRegion,
                atSeconds: struck ? at(targetDown.atMs ?? 0) : null,
                duringStep: struck ? targetDown.step : null,
                outcome: `switchback ${first.status} in ${first.states.at(-1) ?? "?"}${first.error ? ` (${first.error})` : ""}${servedFromDr ? ", users served from the DR region" : ""}; the operator's rerun ${first.status === "SUCCEEDED" ? "not needed" : sb.record.status}`,
                told,
                toldAfterSeconds: downTold.seconds,
                ok: struck ? first.status !== "SUCCEEDED" && servedFromDr && !promotedAway && told && inTime(downTold.seconds, targetDown) && standbyHandled : first.status === "SUCCEEDED",
                detail: `${promotedAway ? "the primary was promoted" : "no promotion"}; ${downTold.message ? `told (${downTold.message.kind ?? "?"}) after ${Math.round(downTold.seconds ?? 0)} s` : "told by NOBODY"}; as the rollback ended, ${rightAfter.writableDatabases.join(", ") || "no database"} writable and users ${rightAfter.usersServed ? "served" : "not yet served"} (DNS → ${rightAfter.dnsRegion ?? "nothing"}); once back, the primary region's service wanted ${standbyTasks ?? "?"} task(s)${standbyHandled ? "" : " (NOT set back to its pilot light, 0)"}`,
              });
            }
            const primary = w.databases.get(ids.primaryDb);
            const lost = drServing && primary && primary.promotionRequestedAtMs !== null ? lostWrites(w, drServing, primary) : null;
            switchback = {
              status: sb.record.status,
              seconds: Math.round((sb.record.endedAtMs - sb.record.startedAtMs) / 1000),
              writeDowntimeSeconds: refusedWriteSeconds(w, sb.record.startedAtMs, sb.record.endedAtMs),
              lostWrites: lost,
              originalTopology: isOriginalTopology(w, built.ids),
            };
            if (sb.record.status !== "SUCCEEDED") problems.push(`the switchback ended ${sb.record.status} (${sb.record.error ?? ""})`);
            if (lost !== 0) problems.push(`the switchback lost ${lost ?? "an unknown number of"} write(s)`);
            if (!switchback.originalTopology) problems.push("the switchback did not end in the original topology");
          }
          await ticksFor(2 * periodSeconds);
          const end = endState();
          if (rp.record.status !== "SUCCEEDED") problems.push(`re-protect ended ${rp.record.status} (${rp.record.error ?? ""})`);
          if (end.writableDatabases.length !== 1) problems.push(`${end.writableDatabases.length} writable databases at the end: ${end.writableDatabases.join(", ")}`);
          if (!end.usersServed) problems.push(`users are not served at the end (DNS → ${end.dnsRegion ?? "nothing"})`);
          for (const wf of workflows) for (const v of wf.invariantViolations) problems.push(`after ${wf.workflow} ${wf.execution}: ${v}`);
          for (const i of interruptions) if (!i.ok) problems.push(`${i.kind} (${i.region}): ${i.outcome}; ${i.detail}`);
          report.push({
            generation: gen,
            failedRegion,
            failedOverTo: winner ? winner[1].copy.region : null,
            rtoSeconds: verified ? Math.round((verified.endMs - outageMs) / 100) / 10 : null,
            detectionSeconds: firstStart !== undefined ? Math.round((firstStart - outageMs) / 100) / 10 : null,
            rpoSeconds: outcome?.rpoSeconds ?? null,
            lostWritesInFailover: lostInFailover,
            reprotected: rp.record.status === "SUCCEEDED",
            strandedOutage,
            switchback,
            interruptions,
            workflows,
            notifications: w.inbox.slice(inboxBefore).map((m) => ({ atSeconds: at(m.atMs), region: m.topicArn.split(":")[3] ?? "", kind: m.kind ?? "" })),
            endState: end,
            met: problems.length === 0,
            problems,
          });
          say(`generation ${gen} ${problems.length === 0 ? "ends protected" : `ends with problems: ${problems.join("; ")}`}`);
          if (problems.length > 0 && (end.writableDatabases.length !== 1 || !rp.record.status.startsWith("SUCC"))) break;
        }
        return { scenario: "lifecycle", seed, generations: report, events, met: report.length === generations && report.every((g) => g.met), wallMilliseconds: Math.round(performance.now() - wallStart) };
      } finally {
        restoreApis();
        world = undefined;
      }
    },
    async close() {
      uninstall();
      fakeDate.uninstall();
      await health.close();
      await dynamo.stop();
    },
  };
}

/** Nearest-rank percentile of the numbers given (null when none). */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

export interface LifecycleSummary {
  seeds: number[];
  /** Seeds whose every generation met (one writable database, users on it, invariants, no lost switchback write). */
  met: number;
  perGeneration: {
    generation: number;
    runs: number;
    met: number;
    failedOverAutomatically: number;
    rtoP50Seconds: number | null;
    rtoP95Seconds: number | null;
    lostWritesInFailoverP50: number | null;
    lostWritesInFailoverMax: number | null;
    switchbacks: number;
    lostWritesInSwitchbacks: number | null;
    /** Outages of the region that took over, before re-protect: how many, and the longest until the alert topic was told (null: one was never told). */
    strandedOutages: number;
    strandedToldMaxSeconds: number | null;
    /** What struck while a workflow ran (or a partition), per kind: how many, how many struck a running step, how many ended as designed. */
    interruptions: { kind: LifecycleInterruption["kind"]; runs: number; struck: number; ok: number; toldMaxSeconds?: number | null; writeDowntimeMaxSeconds?: number; lostWrites?: number | null }[];
  }[];
  wallSecondsTotal: number;
  wallSecondsPerSeedP50: number | null;
}

/** The figures over seeds, per generation (what docs/rehearsal.md and the README quote). */
export function summarizeLifecycle(reports: LifecycleReport[]): LifecycleSummary {
  const count = Math.max(0, ...reports.map((r) => r.generations.length));
  const perGeneration = Array.from({ length: count }, (_, i) => {
    const gens = reports.map((r) => r.generations[i]).filter((g): g is LifecycleGeneration => g !== undefined);
    const rtos = gens.map((g) => g.rtoSeconds).filter((x): x is number => x !== null);
    const lost = gens.map((g) => g.lostWritesInFailover).filter((x): x is number => x !== null);
    const switchbacks = gens.filter((g) => g.switchback !== null);
    return {
      generation: i + 1,
      runs: gens.length,
      met: gens.filter((g) => g.met).length,
      failedOverAutomatically: gens.filter((g) => g.failedOverTo !== null).length,
      rtoP50Seconds: percentile(rtos, 50),
      rtoP95Seconds: percentile(rtos, 95),
      lostWritesInFailoverP50: percentile(lost, 50),
      lostWritesInFailoverMax: lost.length > 0 ? Math.max(...lost) : null,
      switchbacks: switchbacks.length,
      // null when any switchback's count is not known (it never promoted).
      strandedOutages: gens.filter((g) => g.strandedOutage !== null).length,
      strandedToldMaxSeconds: gens.some((g) => g.strandedOutage && g.strandedOutage.toldAfterSeconds === null)
        ? null
        : Math.max(0, ...gens.map((g) => g.strandedOutage?.toldAfterSeconds ?? 0)),
      lostWritesInSwitchbacks: switchbacks.some((g) => g.switchback?.lostWrites === null) ? null : switchbacks.reduce((sum, g) => sum + (g.switchback?.lostWrites ?? 0), 0),
      interruptions: [...new Set(gens.flatMap((g) => g.interruptions.map((i) => i.kind)))].map((kind) => {
        const all = gens.flatMap((g) => g.interruptions.filter((i) => i.kind === kind));
        const base = { kind, runs: all.length, struck: all.filter((i) => i.kind === "partition" || i.duringStep !== null).length, ok: all.filter((i) => i.ok).length };
        const timed = all.filter((i) => i.toldAfterSeconds !== undefined && i.duringStep !== null);
        const measured = all.filter((i) => i.writeDowntimeSeconds !== undefined && i.duringStep !== null);
        // Strikes of a region: the slowest telling (null: one was never told); of the serving region also the longest write downtime, the writes lost in all.
        return {
          ...base,
          ...(timed.length > 0 ? { toldMaxSeconds: timed.some((i) => i.toldAfterSeconds == null) ? null : Math.max(...timed.map((i) => i.toldAfterSeconds ?? 0)) } : {}),
          ...(measured.length > 0
            ? {
                writeDowntimeMaxSeconds: Math.max(...measured.map((i) => i.writeDowntimeSeconds ?? 0)),
                lostWrites: measured.some((i) => i.lostWrites == null) ? null : measured.reduce((sum, i) => sum + (i.lostWrites ?? 0), 0),
              }
            : {}),
        };
      }),
    };
  });
  return {
    seeds: reports.map((r) => r.seed),
    met: reports.filter((r) => r.met).length,
    perGeneration,
    wallSecondsTotal: Math.round(reports.reduce((sum, r) => sum + r.wallMilliseconds, 0) / 100) / 10,
    wallSecondsPerSeedP50: percentile(reports.map((r) => Math.round(r.wallMilliseconds / 100) / 10), 50),
  };
}
