/**
 * The rehearsal engine: a regional outage played on the emulated two-region world's virtual
 * clock, detected by the real health monitor handler on its schedule and recovered by the real
 * synthesized state machine (aws-local-stepfunctions) with its Tasks bound to the real step
 * handlers. DynamoDB is dynalite; /health.php is real local HTTP answered from the world's
 * state; `Date` follows the virtual clock. The world is the harsh one AWS is in an outage:
 * calls to the failed region hang until the caller's own timeouts (or its Lambda's) end them,
 * ReplicaLag goes to -1 and then stale, the replica takes its daily backup, each Lambda times
 * out as deployed. Each seed draws the latencies, the outage's time of day and the backup's
 * timing. Nothing here decides anything the product decides: it only moves time, breaks the
 * world as the scenario says, and writes down what happened.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import FakeTimers from "@sinonjs/fake-timers";
import type { Context } from "aws-lambda";
import { Failover, Health, Stage, State } from "@pilot-light/core";
import {
  Scheduler,
  VirtualClock,
  adoptPrimary,
  adoptedPrimaryWorld,
  defaultReplicaBackup,
  enforceFailoverRoles,
  executeLocally,
  functionIdOf,
  iamOf,
  installApis,
  invariantViolations,
  lambdaContext,
  pilotLightWorld,
  startDynalite,
  startHealthServer,
  stepEnvironment,
  type AslDefinition,
  type CfnTemplateJson,
  type ExecutionRecord,
  type HealthServer,
  type AdoptedIds,
  type LocalHandler,
  type PilotLightIds,
  type PilotLightOptions,
  type WorldState,
} from "@pilot-light/world";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../stacks/failover/steps";
import { extractAsl } from "../../tools/src/asl";
import { sampleLatencies, samplePert, latencyModel, type LatencySample } from "./latency";
import { seededRandom } from "./random";
import { useLambdaLikeEnvironment } from "./lambda-env";
import { OrderedProgress, type ProgressLine } from "./progress";
import type { Phase, PhaseOutcome, RehearsalReport, TimelineEvent } from "./report/schema";
import { profiles, scenarios, type Expectation, type OutcomeKind, type Profile, type Scenario, type ScenarioContext } from "./scenarios";

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export type { ProgressLine };

export interface RehearseOptions {
  scenario: string;
  seed: number;
  profile: Profile["name"];
  onProgress?: (line: ProgressLine) => void;
}

/** Phases of the report: which Task states make each bar of the Gantt chart; `level` orders them (the Parallel's two branches share one). */
const phaseGroups: { name: string; level: number; steps: StepName[] }[] = [
  { name: "Validate input, lock", level: 0, steps: ["ValidateInput", "AcquireLock"] },
  { name: "Preflight", level: 1, steps: ["Preflight"] },
  { name: "Notify started", level: 2, steps: ["NotifyStarted"] },
  { name: "Promote replica → writable", level: 3, steps: ["PromoteReplica", "CheckPromotion"] },
  // Right after the promote call, while RDS promotes: users off the old primary, its fence.
  { name: "Pin DNS, fence old primary", level: 3, steps: ["SwitchDns", "FencePrimary"] },
  { name: "Scale DR service → healthy", level: 3, steps: ["ScaleDrService", "CheckDrService", "RetryServing"] },
  { name: "Verify DR health", level: 4, steps: ["VerifyDrHealth"] },
  { name: "DNS → INSYNC", level: 5, steps: ["CheckDnsChange"] },
  { name: "Promote secret", level: 6, steps: ["PromoteSecret"] },
  { name: "End drill (scale back)", level: 7, steps: ["EndDrill"] },
  { name: "Record outcome, notify", level: 8, steps: ["RecordOutcome", "NotifySucceeded"] },
  { name: "Compensate, notify failure", level: 9, steps: ["AssessFailure", "RestorePilotLight", "RecordFailure", "NotifyFailed"] },
];

const groupOf = (step: StepName) => phaseGroups.find((g) => g.steps.includes(step))!;

const tableName = "pilot-light-rehearsal-state";
/** How long a rehearsal follows the incident after the first execution ends (re-drives back off up to 30 minutes each). */
const followHours = 4;
/** The rehearsal plays a stage with the default settings: its objectives are the defaults'. */
const defaults = Stage.resolveStageConfig("rehearsal", {});
const rtoTargetSeconds = defaults.rtoTargetSeconds;
const stateMachineArn = "arn:aws:states:eu-central-1:123456789012:stateMachine:pilot-light-rehearsal-failover";

export interface Rehearsal {
  rehearse(options: RehearseOptions): Promise<RehearsalReport>;
  close(): Promise<void>;
}

export interface RehearsalOptions {
  /**
   * Rehearse on a primary the team built before pilot-light (packages/world's
   * `adoptedPrimaryWorld`: its names, the default parameter group, its own bucket rule and simple
   * record), adopted first as docs/adopt.md says (`adoptPrimary`).
   */
  adopted?: boolean;
}

/** Starts the local engines once; each `rehearse` gets a fresh world and an empty table. */
export async function createRehearsal(rehearsalOptions: RehearsalOptions = {}): Promise<Rehearsal> {
  const adopted = rehearsalOptions.adopted === true;
  const build = (o: Omit<PilotLightOptions, "databaseNames" | "primaryNames">): { world: WorldState; ids: PilotLightIds } => (adopted ? adoptedPrimaryWorld(o) : pilotLightWorld(o));
  const { definition, template } = await synthesizedDefinition();
  const fakeDate = FakeTimers.withGlobal(globalThis).install({ toFake: ["Date"], now: Date.now() });
  const dynamo = await startDynalite();
  let world: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!world) throw new Error("no world");
    return world;
  });

  // The monitor's StartExecution is answered by the world (its Step Functions executions); the
  // engine then runs each started execution locally.

  useLambdaLikeEnvironment();

  // One fixed topology: every world of this engine has the same names and environment.
  const { ids } = build({ prefix: "pilot-light-rehearsal" });
  // The lookback the Failover stack derives from detection: the default profile's is the longer.
  const lookback = Failover.lagLookbackSeconds({ periodSeconds: profiles.default.periodSeconds, failureThreshold: profiles.default.failureThreshold });
  Object.assign(process.env, stepEnvironment(ids, health.url(ids.drRegion), tableName, lookback), {
    AWS_REGION: ids.drRegion,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    STATE_TABLE: tableName,
    STATE_MACHINE_ARN: stateMachineArn,
    PRIMARY_HEALTH_URL: health.url(ids.primaryRegion),
    PROBE_TIMEOUT_MS: "5000",
    PROBES_PER_CHECK: "3",
    // The deployed monitor starts its probes 100 ms apart in real time. Here the world answers
    // on the virtual clock, which stands still while the monitor runs, so the spacing changes
    // nothing the world sees and would only cost wall time (0.2 s a check, most of a
    // rehearsal's). The spacing itself is tested in core's health-probe.test.ts.
    PROBE_SPACING_MS: "0",
    AUTO_FAILOVER: "true",
    // The Dns stack's health check on the primary's failover record: Route 53's checkers are the second opinion.
    HEALTH_CHECK_ID: "hc-primary-0001",
    STAGE_LABEL: "pilot-light rehearsal",
    STAGE: "rehearsal",
    RTO_TARGET_SECONDS: String(rtoTargetSeconds),
  });
  const steps = Object.fromEntries(
    await Promise.all(stepNames.map(async (s) => [s, (await import(`../../functions/src/${handlerFile(s)}.ts`)).handler as LambdaHandler] as const)),
  ) as Record<StepName, LambdaHandler>;
  // The monitor reads its threshold once per sandbox, as a Lambda does; each rehearsal is a new
  // world (its own sandboxes, core's Failover.lazy), so it reads its profile's (set per rehearsal).
  process.env.FAILURE_THRESHOLD = String(profiles.default.failureThreshold);
  const monitor = (await import("../../functions/src/health-monitor")).handler as LambdaHandler;
  // EventBridge's rule on the state machine's ends runs ExecutionEnded (stacks/Operations.ts).
  const executionEnded = (await import("../../functions/src/execution-ended")).handler as LambdaHandler;
  // CompleteFence runs on the health checks' schedule (stacks/Failover.ts).
  const completeFence = (await import("../../functions/src/complete-fence")).handler as LambdaHandler;

  return {
    async rehearse(options) {
      const scenario = scenarios[options.scenario];
      if (!scenario) throw new Error(`unknown scenario "${options.scenario}"; choose one of: ${Object.keys(scenarios).join(", ")}`);
      const profile = profiles[options.profile];
      const random = seededRandom(options.seed);
      const latency = sampleLatencies(random);
      // The outage can come at any time of day (it matters for the replica's backup window).
      const clock = new VirtualClock(Date.UTC(2026, 0, 1) + Math.floor(random.next() * 1440) * 60_000);
      clock.onAdvance((ms) => fakeDate.setSystemTime(ms));
      const created = build({
        prefix: "pilot-light-rehearsal",
        clock,
        replicaLag: scenario.replicaLag?.(latency) ?? [latency.replicaLag, latency.replicaLag, latency.replicaLag],
        latencies: {
          promotionSeconds: latency.promotion,
          promotionRaceSeconds: latency.promotionRace,
          taskStartSeconds: latency.taskStart,
          firstHealthCheckSeconds: latency.firstHealthCheck,
          dnsInsyncSeconds: latency.dnsInsync,
        },
        // RDS starts the daily backup somewhere in the 30-minute preferred window.
        replicaBackup: { ...defaultReplicaBackup, startOffsetSeconds: Math.floor(random.next() * 1800), durationSeconds: latency.replicaBackup },
      });
      world = created.world;
      process.env.FAILURE_THRESHOLD = String(profile.failureThreshold);
      const restoreApis = installApis(world);
      world.onExecutionStatusChange(async (e) => {
        const detail = { executionArn: e.arn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startMs, stopDate: e.stopMs, error: e.error ?? null, cause: e.cause ?? null };
        await iamOf(created.world).runAs(functionIdOf(created.world, "ExecutionEnded"), () =>
          executionEnded({ version: "0", "detail-type": "Step Functions Execution Status Change", source: "aws.states", detail }, lambdaContext("pilot-light-rehearsal-ExecutionEnded")),
        );
      });
      await dynamo.resetStateTable(tableName);
      // The steps run as their synthesized roles: a missing permission fails the rehearsal's failover too.
      enforceFailoverRoles(world, template, created.ids, tableName);
      if (adopted) await adoptPrimary(created.world, created.ids as AdoptedIds, "rehearsal");
      try {
        return await play(scenario, profile, options, latency, random.next.bind(random), created.world, created.ids);
      } finally {
        restoreApis();
        world = undefined;
      }
    },
    async close() {
      fakeDate.uninstall();
      await health.close();
      await dynamo.stop();
    },
  };

  async function play(
    scenario: Scenario,
    profile: Profile,
    options: RehearseOptions,
    latency: LatencySample,
    next: () => number,
    world: WorldState,
    ids: PilotLightIds,
  ): Promise<RehearsalReport> {
    const wallStart = performance.now();
    const clock = world.clock;
    // Time passes through the scheduler, so a drill running beside the monitor keeps its own pace.
    const scheduler = Scheduler.of(clock);
    const until = async (ms: number) => {
      if (ms > clock.nowMs()) await scheduler.sleep((ms - clock.nowMs()) / 1000);
    };
    const originMs = clock.nowMs();
    // The outage falls somewhere in a schedule period; one healthy check has run before it.
    const outageMs = clock.nowMs() + profile.periodSeconds * 1000 + Math.floor(next() * profile.periodSeconds * 1000);
    const ctx: ScenarioContext = { world, ids, latency, profile, outageMs };
    scenario.setup?.(ctx);
    const at = (ms: number) => Math.round((ms - outageMs) / 100) / 10;
    const progress = new OrderedProgress((line) => options.onProgress?.(line));
    const events: TimelineEvent[] = [];
    /** An event: listed in the report (drawn on the chart when it has a marker) and shown live. */
    const say = (text: string, ms = clock.nowMs(), marker: string | null = null) => {
      events.push({ atSeconds: at(ms), text, marker });
      progress.add({ atSeconds: at(ms), text });
    };
    /** A live line only (phase starts and ends, step errors). */
    const tell = (text: string, ms = clock.nowMs()) => progress.add({ atSeconds: at(ms), text });
    const changes = scenario.changes(ctx).sort((a, b) => a.atSeconds - b.atSeconds);
    /** A drill an operator starts beside the monitor (outage-during-drill): it runs on its own. */
    let drill: { name: string; done: Promise<ExecutionRecord> } | undefined;
    const startDrill = () => {
      const name = `drill-rehearsal-${options.seed}`;
      const input = { mode: "drill", reason: "rehearsal: is DR ready?", requestedBy: "pnpm rehearse" };
      const handlers = Object.fromEntries(stepNames.map((step): [StepName, LocalHandler] => [step, (event) => steps[step](event, lambdaContext(`pilot-light-rehearsal-${step}`))]));
      const done = executeLocally(definition, input, { clock, handlers, executionName: name, lambdaTimeoutSeconds: (step: string) => taskTimeoutSeconds(step as StepName) - 5, world, stateMachineArn });
      drill = { name, done };
      void done.then((r) => say(`drill ${name} ${r.status === "ABORTED" ? "was stopped" : r.status === "SUCCEEDED" ? "ended" : `failed (${r.error})`} in state ${r.states.at(-1) ?? "?"}`, r.endedAtMs, r.status === "ABORTED" ? "drill stopped" : "drill ended"));
    };
    const applyChangesUntil = async (ms: number) => {
      while (changes.length > 0 && outageMs + changes[0]!.atSeconds * 1000 <= ms) {
        const change = changes.shift()!;
        await until(outageMs + change.atSeconds * 1000);
        change.apply(ctx);
        say(change.text, clock.nowMs(), change.text);
      }
    };
    type Attempt = { name: string; input: unknown; atMs: number };
    let execution: Attempt | undefined;
    /** Every execution the monitor started, in order: the first, then its re-drives. */
    const attempts: (Attempt & { record?: ExecutionRecord })[] = [];
    /** A scheduled tick: EventBridge names the nominal time in the event; delivery comes up to a minute later. */
    const tickAt = async (n: number, before?: (fireMs: number) => Promise<void>) => {
      const tickNominal = originMs + n * profile.periodSeconds * 1000;
      const fireMs = tickNominal + samplePert(latencyModel.triggerJitter, { next }) * 1000;
      await applyChangesUntil(fireMs);
      await before?.(fireMs);
      await until(fireMs);
      const result = (await scheduler.run(() => iamOf(world).runAs(functionIdOf(world, "HealthMonitor"), () => monitor({ time: new Date(tickNominal).toISOString(), source: "aws.events" }, lambdaContext("pilot-light-rehearsal-HealthMonitor"))))) as {
        healthy: boolean;
        consecutiveFailures: number;
      };
      if (clock.nowMs() >= outageMs) {
        say(result.healthy ? "health check passed" : `health check failed (${result.consecutiveFailures} in a row)`);
      }
      return { tickNominal, result };
    };
    /** An execution the monitor started that this rehearsal has not run yet. */
    const newlyStarted = (): Attempt | undefined => {
      const e = [...world.executions.values()].find((x) => x.name !== drill?.name && !attempts.some((a) => a.name === x.name));
      return e ? { name: e.name, input: e.input, atMs: e.startMs } : undefined;
    };
    if (scenario.start.by === "monitor") {
      const lastTick = Math.ceil(((outageMs - clock.nowMs()) / 1000) / profile.periodSeconds) + scenario.observeTicks;
      let drillAtMs: number | undefined;
      for (let n = 0; n <= lastTick && !execution; n++) {
        const { tickNominal, result } = await tickAt(n, async (fireMs) => {
          if (drillAtMs !== undefined && !drill && drillAtMs <= fireMs) {
            await until(drillAtMs);
            startDrill();
            say("an operator starts a drill to check DR", clock.nowMs(), "drill started");
          }
        });
        execution = newlyStarted();
        // After the degraded e-mails, before the check that reaches the threshold is due.
        if (scenario.drillBeforeThresholdSeconds !== undefined && result.consecutiveFailures === profile.failureThreshold - 1) {
          drillAtMs = tickNominal + (profile.periodSeconds - scenario.drillBeforeThresholdSeconds) * 1000;
        }
        progress.release(at(clock.nowMs()));
      }
      if (execution) say(`monitor started execution ${execution.name}`, execution.atMs, "failover started");
    } else {
      await until(outageMs);
      execution = {
        name: `${scenario.start.mode}-rehearsal-${options.seed}`,
        input: { mode: scenario.start.mode, reason: `rehearsal: ${scenario.description}`, requestedBy: "pnpm rehearse" },
        atMs: clock.nowMs(),
      };
      say(`operator starts a ${scenario.start.mode}`, clock.nowMs(), `${scenario.start.mode} started`);
    }

    const timings: { step: StepName; startMs: number; endMs: number }[] = [];
    /** A drill this failover took the lock from, and how long after its start it held the lock. */
    const preempting: { found: { drill: string; delaySeconds: number } | null } = { found: null };
    /** How each phase ended, once it has (a polling phase's end is known when a later one starts). */
    const results = new Map<string, { outcome: PhaseOutcome; error: string | null }>();
    let record: ExecutionRecord | undefined;
    /** Runs one execution to its end with the report's bookkeeping; its phases are the report's unless a later attempt follows. */
    const runAttempt = async (execution: Attempt): Promise<ExecutionRecord> => {
      timings.length = 0;
      results.clear();
      type OpenPhase = { level: number; startMs: number; endMs: number; outcome: PhaseOutcome; error: string | null };
      const open = new Map<string, OpenPhase>();
      const closeUpTo = (level: number) => {
        for (const [name, g] of open) {
          if (g.level >= level) continue;
          open.delete(name);
          results.set(name, { outcome: g.outcome, error: g.error });
          const took = `${Math.round((g.endMs - g.startMs) / 1000)} s`;
          const how = g.outcome === "timed-out" ? "timed out" : "failed";
          tell(g.outcome === "ok" ? `✓ ${name} (${took})` : `✗ ${name} ${how} after ${took}: ${g.error ?? "error"}`, g.endMs);
        }
      };
      // Nothing before the earliest end an open phase may still report can arrive later.
      const watermark = () => at(Math.min(clock.nowMs(), ...[...open.values()].map((g) => g.endMs)));
      let failureMarked = false;
      /** The compensation path carries $.failure: mark the phase whose step failed, with its error. */
      const markFailure = (failure: Failover.Failure) => {
        const step = Failover.failedStepOf(failure);
        const name = (stepNames as readonly string[]).includes(step) ? groupOf(step as StepName).name : undefined;
        const g = name ? open.get(name) : undefined;
        if (!g) return;
        failureMarked = true;
        g.outcome = Failover.isTimeout(failure.error) ? "timed-out" : "failed";
        g.error = `${failure.error}: ${Failover.describeCause(failure.cause)}`;
      };
      const handlers = Object.fromEntries(
        stepNames.map((step): [StepName, LocalHandler] => [
          step,
          async (input) => {
            const startMs = clock.nowMs();
            const group = groupOf(step);
            const failure = Failover.Failure.safeParse((input as { failure?: unknown } | null)?.failure);
            if (failure.success) markFailure(failure.data);
            closeUpTo(group.level);
            if (!open.has(group.name)) {
              open.set(group.name, { level: group.level, startMs, endMs: startMs, outcome: "ok", error: null });
              tell(`${group.name} …`, startMs);
            }
            const finish = (error: Error | null) => {
              timings.push({ step, startMs, endMs: clock.nowMs() });
              const g = open.get(group.name);
              if (g) Object.assign(g, { endMs: clock.nowMs(), outcome: error ? "failed" : "ok", error: error ? `${error.name}: ${error.message}` : null });
            };
            try {
              const out = await steps[step](input, lambdaContext(`pilot-light-rehearsal-${step}`));
              finish(null);
              const preempted = step === "AcquireLock" ? Failover.LockResult.safeParse(out).data?.preempted : undefined;
              if (preempted && execution && !preempting.found) {
                const delaySeconds = Math.round((clock.nowMs() - execution.atMs) / 100) / 10;
                preempting.found = { drill: preempted.owner, delaySeconds };
                say(`failover took the lock from drill ${preempted.owner} and stopped it, ${delaySeconds} s after the monitor started it`, clock.nowMs(), "drill pre-empted");
              }
              if (step === "VerifyDrHealth") {
                say(world.isWritable(ids.replicaDb) ? "DR serving healthy traffic (writable database)" : "DR verified healthy against the read replica", clock.nowMs(), world.isWritable(ids.replicaDb) ? "DR serving" : "DR verified");
              }
              if ((step === "SwitchDns" || step === "CheckDnsChange") && (out as { insync?: unknown }).insync === true) {
                say("DNS pinned to the DR region (INSYNC)", clock.nowMs(), "DNS pinned");
              }
              return out;
            } catch (error) {
              finish(error as Error);
              tell(`${step} failed: ${(error as Error).name}`);
              throw error;
            } finally {
              progress.release(watermark());
            }
          },
        ]),
      );
      // Each Lambda's timeout is its Task's minus 5 s, as the Failover stack deploys it.
      const lambdaTimeoutSeconds = (step: string) => taskTimeoutSeconds(step as StepName) - 5;
      const ended = await executeLocally(definition, execution.input, { clock, handlers, executionName: execution.name, lambdaTimeoutSeconds, world, stateMachineArn });
      if (ended.status === "FAILED" && !failureMarked) {
        // No compensation ran (InputRejected, the lock, a dry-run): the last phase ended the run.
        const last = [...open.values()].at(-1);
        if (last) Object.assign(last, { outcome: Failover.isTimeout(ended.error ?? "") ? "timed-out" : "failed", error: `${ended.error}: ${ended.cause ?? ""}` });
      }
      closeUpTo(Number.POSITIVE_INFINITY);
      say(`execution ${execution.name} ${ended.status === "SUCCEEDED" ? "succeeded" : `failed (${ended.error})`} in state ${ended.states.at(-1) ?? "?"}`, ended.endedAtMs, "run ended");
      return ended;
    };
    /**
     * What the deployed system does after the first execution ends, on the same schedule: the
     * monitor follows it (re-drives one that ended before any promotion, after its backoff, or
     * stands down), CompleteFence finishes the fence once the old primary answers. Followed
     * until the monitor stands down or its incident is closed, at most `followHours`.
     */
    const followIncident = async (first: ExecutionRecord): Promise<ExecutionRecord> => {
      let last = first;
      let fenceTold = false;
      const store = { db: dynamo.doc, table: tableName };
      const limitMs = clock.nowMs() + followHours * 3600_000;
      for (let n = Math.floor((clock.nowMs() - originMs) / 1000 / profile.periodSeconds) + 1; originMs + n * profile.periodSeconds * 1000 <= limitMs; n++) {
        await tickAt(n);
        progress.release(at(clock.nowMs()));
        if (attempts.some((a) => a.record?.status === "SUCCEEDED")) {
          const fence = (await scheduler.run(() => completeFence({}, lambdaContext("pilot-light-rehearsal-CompleteFence")))) as { needed: boolean; complete: boolean; changed?: boolean; detail: string };
          if (fence.changed) say(`CompleteFence fenced the old primary: ${fence.detail}`, clock.nowMs(), "fence completed");
          else if (fence.needed && !fence.complete && !fenceTold) say(`CompleteFence: ${fence.detail}`);
          fenceTold ||= fence.needed;
        }
        const redrive = newlyStarted();
        if (redrive) {
          say(`monitor re-drives: execution ${redrive.name}`, redrive.atMs, "re-drive");
          last = await runAttempt(redrive);
          attempts.push({ ...redrive, record: last });
          continue;
        }
        const incident = (await Health.loadState(store, "primary")).incident;
        if (!incident) {
          say("the incident is closed", clock.nowMs(), "incident closed");
          break;
        }
        if (incident.resolution) {
          say(`monitor stands down: ${incident.resolution.kind} (${incident.resolution.detail})`, clock.nowMs(), "incident resolved");
          break;
        }
      }
      return last;
    };
    if (execution) {
      record = await runAttempt(execution);
      attempts.push({ ...execution, record });
      if (scenario.start.by === "monitor") record = await followIncident(record);
    } else {
      await applyChangesUntil(clock.nowMs());
    }
    const drillRecord = drill ? await drill.done : undefined;
    progress.flush();

    const phases: (Phase & { level: number })[] = [];
    if (scenario.start.by === "monitor") {
      phases.push(
        execution
          ? { name: "Detection", startSeconds: 0, endSeconds: at(execution.atMs), outcome: "ok", error: null, critical: false, level: -1 }
          : { name: "Monitoring (no failover started)", startSeconds: 0, endSeconds: at(clock.nowMs()), outcome: "ok", error: null, critical: false, level: -1 },
      );
      // Attempts the monitor re-drove: each from its start to the next one's (its run, then the monitor's backoff).
      attempts.slice(0, -1).forEach((a, i) => {
        const r = a.record!;
        phases.push({
          name: `Attempt ${i + 1}: ${r.error ?? r.status} in ${r.states.at(-1) ?? "?"}, re-driven`,
          startSeconds: at(a.atMs),
          endSeconds: at(attempts[i + 1]!.atMs),
          outcome: "failed",
          error: `${r.error ?? r.status}: ${r.cause ?? ""}`,
          critical: false,
          level: -1 + (i + 1) / 100,
        });
      });
    }
    for (const group of phaseGroups) {
      const own = timings.filter((t) => group.steps.includes(t.step));
      if (own.length === 0) continue;
      const result = results.get(group.name) ?? { outcome: "ok" as const, error: null };
      phases.push({
        name: group.name,
        startSeconds: at(Math.min(...own.map((t) => t.startMs))),
        endSeconds: at(Math.max(...own.map((t) => t.endMs))),
        ...result,
        critical: false,
        level: group.level,
      });
    }

    const verified = timings.find((t) => t.step === "VerifyDrHealth");
    /** The attempt that ended the incident (the first, unless the monitor re-drove it). */
    const deciding = attempts.at(-1) ?? execution;
    const outcome = deciding ? await readOutcome(deciding.name) : undefined;
    const failedOver = world.isWritable(ids.replicaDb) && world.healthStatus(ids.drRegion) === 200;
    const rtoSeconds = failedOver && verified ? at(verified.endMs) : null;
    markCriticalPath(phases, phaseGroups.find((g) => g.steps.includes("VerifyDrHealth"))!.level, rtoSeconds !== null || scenario.start.by === "operator");
    events.sort((a, b) => a.atSeconds - b.atSeconds);

    const mode = scenario.start.by === "operator" ? scenario.start.mode : "failover";
    const service = (region: string) => [...world.services.values()].find((svc) => svc.region === region)!;
    const primaryRecord = world.record(ids.hostedZoneId, ids.recordName, "primary");
    const lock = await dynamo.doc.send(new GetCommand({ TableName: tableName, Key: { pk: State.keys.failoverLock() }, ConsistentRead: true }));
    const endState = {
      // Reachable and writable: an old primary in a region that is down counts as neither.
      writableDatabases: [...world.databases.keys()].filter((id) => world.isWritable(id)),
      drDesiredTasks: service(ids.drRegion).desired,
      drHealthyTargets: world.healthyTargets(service(ids.drRegion)),
      primaryDesiredTasks: service(ids.primaryRegion).desired,
      primaryRecordTarget: primaryRecord ? (primaryRecord.AliasTarget?.DNSName ?? primaryRecord.ResourceRecords?.[0]?.Value ?? null) : null,
      failoverLockHeld: Boolean(lock.Item),
    };
    const violations = invariantViolations(world, ids, { lock: lock.Item });
    const detectionSeconds = scenario.start.by === "monitor" && execution ? at(execution.atMs) : null;
    const span = (name: string) => {
      const p = phases.find((x) => x.name === name);
      return p ? p.endSeconds - p.startSeconds : null;
    };
    // A target applies when recovery is due: an outage the monitor must act on, or a drill
    // (measured from its start). A flapping primary, an in-region failover or a dry-run owe no RTO.
    const expected = scenario.expect({ latency, rpoBudgetSeconds: ids.rpoBudgetSeconds });
    const judged = scenario.start.by === "monitor" ? expected.outcome !== "not-started" : mode === "drill";
    const drillRto = mode === "drill" && verified && execution ? Math.round((verified.endMs - execution.atMs) / 100) / 10 : null;
    const failure = outcome?.failure
      ? { step: Failover.failedStepOf(outcome.failure), error: outcome.failure.error, message: Failover.describeCause(outcome.failure.cause) }
      : null;
    const figures: Failover.RecoveryFigures = {
      rtoTargetSeconds,
      rpoBudgetSeconds: ids.rpoBudgetSeconds,
      rtoSeconds: mode === "drill" ? drillRto : rtoSeconds,
      measuredFrom: mode === "drill" ? "execution-start" : "outage-start",
      rpoSeconds: outcome?.rpoSeconds ?? null,
      detectionSeconds,
      promotionSeconds: span("Promote replica → writable"),
      scaleSeconds: span("Scale DR service → healthy"),
      failure,
      drPilotTaskCount: ids.drPilotTaskCount,
      detectionProfile: { scheduleMinutes: profile.periodSeconds / 60, failureThreshold: profile.failureThreshold },
    };
    return {
      scenario: scenario.name,
      seed: options.seed,
      profile: profile.name,
      failedOver,
      detectionSeconds,
      // From the first attempt's start to the deciding one's end (re-drives and their backoff included).
      orchestrationSeconds: record ? Math.round((record.endedAtMs - (attempts[0]?.record?.startedAtMs ?? record.startedAtMs)) / 100) / 10 : null,
      rtoSeconds,
      rpoSeconds: failedOver ? (outcome?.rpoSeconds ?? null) : null,
      targets: judged ? Failover.judgeTargets(figures) : null,
      phases: phases.map(({ level: _level, ...p }) => p),
      criticalPath: phases.filter((p) => p.critical).map((p) => p.name),
      events,
      notifications: world.inbox.map((m) => ({ atSeconds: at(m.atMs), kind: m.kind ?? "", subject: m.subject })),
      outcome: describeOutcome(mode, record, outcome?.status, failedOver),
      verdict: record?.status === "FAILED" ? "failed" : "ok",
      expectation: judgeExpectation(expected, outcomeKind(mode, record, outcome?.status, failedOver), violations),
      advice: judged ? Failover.advise(figures) : [],
      execution: record && deciding
        ? { name: deciding.name, status: record.status, error: record.error ?? null, endStateName: record.states.at(-1) ?? null, states: record.states }
        : null,
      endState,
      invariantViolations: violations,
      preemption: preempting.found ? { ...preempting.found, drillStatus: drillRecord?.status ?? null } : null,
      latencies: latency,
      wallMilliseconds: Math.round(performance.now() - wallStart),
    };
  }

  async function readOutcome(executionName: string): Promise<{ rpoSeconds: number | null; status: string; failure: Failover.Failure | null } | undefined> {
    const out = await dynamo.doc.send(new GetCommand({ TableName: tableName, Key: { pk: State.keys.outcome(executionName) }, ConsistentRead: true }));
    return out.Item as { rpoSeconds: number | null; status: string; failure: Failover.Failure | null } | undefined;
  }
}

/**
 * Marks the critical path: per level (parallel phases share one) the phase that ended last,
 * up to DR serving (Verify DR health) when `toVerify`, else to the run's end.
 */
export function markCriticalPath(phases: (Phase & { level: number })[], verifyLevel: number, toVerify: boolean): void {
  const levels = [...new Set(phases.map((p) => p.level))].filter((l) => !toVerify || l <= verifyLevel);
  for (const level of levels) {
    const same = phases.filter((p) => p.level === level);
    const last = same.reduce((a, b) => (b.endSeconds > a.endSeconds ? b : a));
    last.critical = true;
  }
}

/** The kind of ending `describeOutcome` describes, compared with the scenario's expectation. */
export function outcomeKind(mode: string, record: ExecutionRecord | undefined, status: string | undefined, failedOver: boolean): OutcomeKind {
  if (!record) return "not-started";
  if (mode === "drill") return record.status === "SUCCEEDED" ? "drill-completed" : "drill-failed";
  if (mode === "dry-run") return record.status === "SUCCEEDED" ? "dry-run-reported" : "dry-run-failed";
  if (failedOver) return "failed-over";
  if (status === "needs-operator" || record.error === "NeedsOperator") return "needs-operator";
  return "refused";
}

/** Met when the run ended as the scenario exists to show and the world's invariants hold. */
export function judgeExpectation(expected: Expectation, actual: OutcomeKind, violations: string[]): RehearsalReport["expectation"] {
  return { outcome: expected.outcome, because: expected.because, actual, met: actual === expected.outcome && violations.length === 0 };
}

function describeOutcome(mode: string, record: ExecutionRecord | undefined, status: string | undefined, failedOver: boolean): string {
  if (!record) return "no failover started";
  if (mode === "drill") return record.status === "SUCCEEDED" ? "drill completed, DR back to its pilot light" : `drill failed (${record.error})`;
  if (mode === "dry-run") return record.status === "SUCCEEDED" ? "dry-run reported, nothing changed" : `dry-run failed (${record.error})`;
  if (failedOver) return "failed over to the DR region";
  if (status === "needs-operator" || record.error === "NeedsOperator") return "needs operator (promotion started, not finished)";
  return `no failover: ${record.error ?? status ?? "stopped"} (compensated)`;
}

/** The failover definition as synthesized by the Failover stack's phase builders, and the template (its steps' roles). */
async function synthesizedDefinition(): Promise<{ definition: AslDefinition; template: CfnTemplateJson }> {
  const { standaloneFailoverTemplate } = await import("../../../stacks/failover/standalone");
  const template = standaloneFailoverTemplate().toJSON() as CfnTemplateJson;
  const [machine] = extractAsl(template);
  if (!machine) throw new Error("no state machine in the synthesized Failover template");
  return { definition: machine.definition as AslDefinition, template };
}
