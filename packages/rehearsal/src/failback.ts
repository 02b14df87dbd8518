/**
 * Rehearsals of what follows a failover: `reprotect`, `switchback` and `round-trip` (the
 * regional outage, the failover, re-protect once the primary region is back, the switchback in
 * a maintenance window). The real synthesized failover and failback state machines, every Task
 * bound to its real handler, against the emulated world with users writing all along, on a
 * virtual clock; latencies drawn per seed. The failover here is started when the default
 * detection would start it (the monitor's own rehearsal is `regional-outage`). The report gives
 * each workflow's phases, the switchback's write downtime and lost writes (counted by the world,
 * not taken from the product), and whether the end state is the original topology.
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { Context } from "aws-lambda";
import {
  adoptPrimary,
  adoptedPrimaryWorld,
  enforceFailbackRoles,
  enforceFailoverRoles,
  executeLocally,
  failbackEnvironment,
  failbackWorld,
  iamOf,
  installApis,
  lambdaContext,
  lostWrites,
  refusedWriteSeconds,
  startDynalite,
  startHealthServer,
  startTraffic,
  stepEnvironment,
  type AdoptedIds,
  type AdoptedWorldOptions,
  type AslDefinition,
  type CfnTemplateJson,
  type ExecutionRecord,
  type FailbackIds,
  type HealthServer,
  type LocalHandler,
  type WorldState,
} from "@pilot-light/world";
import { handlerFile, stepNames, taskTimeoutSeconds, type StepName } from "../../../stacks/failover/steps";
import { failbackHandlerFile, failbackStepNames, failbackTaskTimeoutSeconds, type FailbackStepName } from "../../../stacks/failback/steps";
import { extractAsl } from "../../tools/src/asl";
import { sampleLatencies, samplePert } from "./latency";
import { useLambdaLikeEnvironment } from "./lambda-env";
import { seededRandom } from "./random";

export const failbackScenarioNames = ["reprotect", "switchback", "round-trip"] as const;
export type FailbackScenario = (typeof failbackScenarioNames)[number];

/** Planning values (seconds); AWS publishes no figures for these but the rename's "about 10 minutes". */
export const failbackLatencyModel = {
  rename: { best: 300, typical: 600, bad: 900, source: 'RDS User Guide, "Renaming a DB instance": the new DNS name is effective in about 10 minutes' },
  replicaCreate: { best: 900, typical: 1800, bad: 7200, source: "planning value: a cross-Region snapshot, copy and restore of a small database" },
  firstBackup: { best: 120, typical: 300, bad: 1800, source: "as the replica backup duration (latency.ts)" },
  outage: { best: 1800, typical: 3600, bad: 4 * 3600, source: "planning value: how long the primary region stays down" },
};

export interface FailbackPhase {
  workflow: "failover" | "reprotect" | "switchback";
  name: string;
  startSeconds: number;
  endSeconds: number;
}

export interface FailbackReport {
  scenario: FailbackScenario;
  seed: number;
  events: { atSeconds: number; text: string }[];
  phases: FailbackPhase[];
  runs: { workflow: string; status: string; endState: string; startSeconds: number; endSeconds: number }[];
  /** Outage → the original topology again (round trip only). */
  roundTripSeconds: number | null;
  reprotectSeconds: number | null;
  switchbackSeconds: number | null;
  /** Refused users' writes during the switchback, as the world counted them; and the product's own figure. */
  writeDowntimeSeconds: number | null;
  reportedWriteDowntimeSeconds: number | null;
  /** Writes the DR database committed that the new primary lacks (the world's count): must be 0. */
  lostWritesInSwitchback: number | null;
  /** Writes the failover lost (the RPO, in writes). */
  lostWritesInFailover: number | null;
  originalTopology: boolean;
  /** On a team's adopted primary (`--adopted`), and the databases writable at the end (by the stage's names). */
  adopted: boolean;
  writableDatabases: string[];
  notifications: { atSeconds: number; kind: string }[];
  wallMilliseconds: number;
}

const groups: { workflow: FailbackPhase["workflow"]; name: string; steps: string[] }[] = [
  { workflow: "failover", name: "Failover (promote ‖ scale, verify, DNS)", steps: [...stepNames] },
  { workflow: "reprotect", name: "Assess topology", steps: ["ValidateFailbackInput", "AcquireFailbackLock", "AssessTopology", "NotifyFailbackStarted"] },
  { workflow: "switchback", name: "Pre-warm the primary service", steps: ["PrepareStandbyService", "CheckStandbyService"] },
  { workflow: "switchback", name: "Stop writes, catch up (positions)", steps: ["StopWrites", "CheckCatchUp"] },
  { workflow: "switchback", name: "Seal DR, promote the primary replica", steps: ["SealOldServing", "PromoteStandby", "CheckStandbyPromotion"] },
  { workflow: "switchback", name: "Verify, DNS back to the primary", steps: ["VerifyNewPrimary", "RestoreDns", "CheckDnsRestore"] },
  { workflow: "reprotect", name: "Standby database: rename aside, replica, backups", steps: ["ReconcileStandbyDatabase"] },
  { workflow: "reprotect", name: "Pilot light, reverse replication, record", steps: ["SetStandbyPilotLight", "ReverseReplication", "RecordFailback", "NotifyFailbackSucceeded"] },
];

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * A standalone template's definition, and the template (its steps' roles). `adopted`: the failback
 * steps' grants name an adopted primary's database, group and service from the stage's settings.
 */
export async function definitionOf(which: "failover" | "failback", adopted = false): Promise<{ definition: AslDefinition; template: CfnTemplateJson }> {
  const template = (
    which === "failover"
      ? (await import("../../../stacks/failover/standalone")).standaloneFailoverTemplate()
      : (await import("../../../stacks/failback/standalone")).standaloneFailbackTemplate(undefined, undefined, { adopted })
  ).toJSON() as CfnTemplateJson;
  const [sm] = extractAsl(template);
  if (!sm) throw new Error(`no ${which} state machine`);
  return { definition: sm.definition as AslDefinition, template };
}

export interface FailbackRehearsal {
  rehearse(scenario: FailbackScenario, seed: number): Promise<FailbackReport>;
  close(): Promise<void>;
}

const tableName = "pilot-light-rehearsal-failback-state";

export interface WorldChoice {
  /**
   * Rehearse on a primary the team built before pilot-light (packages/world's
   * `adoptedPrimaryWorld`: its names, the default parameter group, its own bucket rule and simple
   * record), adopted first as docs/adopt.md says (`adoptPrimary`).
   */
  adopted?: boolean;
}

/** The world a failback or lifecycle rehearsal plays on: pilot-light's own primary, or a team's adopted one. */
export function rehearsalWorld(choice: WorldChoice, options: AdoptedWorldOptions): { world: WorldState; ids: FailbackIds } {
  return choice.adopted ? adoptedPrimaryWorld(options) : failbackWorld(options);
}

/** The team's adoption steps (docs/adopt.md), before anything fails; nothing for pilot-light's own primary. */
export async function adoptIfAsked(choice: WorldChoice, world: WorldState, ids: FailbackIds): Promise<void> {
  if (choice.adopted) await adoptPrimary(world, ids as AdoptedIds, "rehearsal");
}

export async function createFailbackRehearsal(choice: WorldChoice = {}): Promise<FailbackRehearsal> {
  const [failoverSynth, failbackSynth] = await Promise.all([definitionOf("failover"), definitionOf("failback", choice.adopted)]);
  const [failover, failback] = [failoverSynth.definition, failbackSynth.definition];
  const fakeDate = FakeTimers.withGlobal(globalThis).install({ toFake: ["Date"], now: Date.now() });
  const dynamo = await startDynalite();
  await dynamo.createStateTable(tableName);
  let world: WorldState | undefined;
  const health: HealthServer = await startHealthServer(() => {
    if (!world) throw new Error("no world");
    return world;
  });
  useLambdaLikeEnvironment();
  // One fixed topology, so each handler module reads its settings once, as a Lambda would.
  const { ids: fixed } = rehearsalWorld(choice, { prefix: "pilot-light-rehearsal" });
  Object.assign(process.env, stepEnvironment(fixed, health.url(fixed.drRegion), tableName), failbackEnvironment(fixed, { primary: health.url(fixed.primaryRegion), dr: health.url(fixed.drRegion) }, tableName), {
    AWS_REGION: fixed.drRegion,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    STAGE: "rehearsal",
    RTO_TARGET_SECONDS: "600",
  });
  const load = async <S extends string>(names: readonly S[], file: (s: S) => string) =>
    Promise.all(names.map(async (s) => [s, (await import(`../../functions/src/${file(s)}.ts`)).handler as LambdaHandler] as const));
  const modules = Object.fromEntries([...(await load(stepNames, handlerFile)), ...(await load(failbackStepNames, failbackHandlerFile))]) as Record<string, LambdaHandler>;

  return {
    async rehearse(scenario, seed) {
      const wallStart = performance.now();
      const random = seededRandom(seed);
      const l = sampleLatencies(random);
      const draw = (f: { best: number; typical: number; bad: number }) => samplePert({ ...f, source: "" }, random);
      const built = rehearsalWorld(choice, {
        prefix: "pilot-light-rehearsal",
        replicaBackup: null,
        latencies: { promotionSeconds: l.promotion, promotionRaceSeconds: l.promotionRace, taskStartSeconds: l.taskStart, firstHealthCheckSeconds: l.firstHealthCheck, dnsInsyncSeconds: l.dnsInsync },
        failbackLatencies: { renameSeconds: draw(failbackLatencyModel.rename), replicaCreateSeconds: draw(failbackLatencyModel.replicaCreate), firstBackupSeconds: draw(failbackLatencyModel.firstBackup) },
        replicaLag: [l.replicaLag, Math.round(l.replicaLag * 150) / 100, Math.round(l.replicaLag * 50) / 100],
      });
      world = built.world;
      const { ids } = built;
      const w = world;
      const restore = installApis(w);
      await dynamo.resetStateTable(tableName);
      // Every step runs as its synthesized role: a missing permission fails the rehearsal too.
      enforceFailoverRoles(w, failoverSynth.template, ids, tableName);
      enforceFailbackRoles(w, failbackSynth.template, ids, tableName);
      w.clock.onAdvance((ms) => fakeDate.setSystemTime(ms));
      await adoptIfAsked(choice, w, ids);
      startTraffic(w, { writesPerSecond: 5, dns: { zoneId: ids.hostedZoneId, recordName: ids.recordName } });
      // Ten minutes of users' writes before the outage (t = 0).
      w.clock.advance(600);
      const t0 = w.clock.nowMs();
      const at = (ms: number) => Math.round((ms - t0) / 100) / 10;
      const events: FailbackReport["events"] = [];
      const say = (text: string, ms = w.clock.nowMs()) => events.push({ atSeconds: at(ms), text });
      const timings: { step: string; startMs: number; endMs: number; workflow: FailbackPhase["workflow"] }[] = [];
      const runs: FailbackReport["runs"] = [];
      let workflow: FailbackPhase["workflow"] = "failover";
      const handlers: Record<string, LocalHandler> = Object.fromEntries(
        Object.entries(modules).map(([step, fn]) => [
          step,
          async (input: unknown) => {
            const startMs = w.clock.nowMs();
            try {
              return await fn(input, lambdaContext(`pilot-light-rehearsal-${step}`));
            } finally {
              timings.push({ step, startMs, endMs: w.clock.nowMs(), workflow });
            }
          },
        ]),
      );
      const timeout = (s: string) => ((failbackStepNames as readonly string[]).includes(s) ? failbackTaskTimeoutSeconds(s as FailbackStepName) : taskTimeoutSeconds(s as StepName)) - 5;
      const execute = async (which: FailbackPhase["workflow"], input: unknown, name: string): Promise<ExecutionRecord> => {
        workflow = which;
        const record = await executeLocally(which === "failover" ? failover : failback, input, { clock: w.clock, handlers, executionName: name, lambdaTimeoutSeconds: timeout, iam: iamOf(w) });
        runs.push({ workflow: which, status: record.status, endState: record.states.at(-1) ?? "?", startSeconds: at(record.startedAtMs), endSeconds: at(record.endedAtMs) });
        say(`${which} ${record.status === "SUCCEEDED" ? "succeeded" : `failed (${record.error})`} in ${record.states.at(-1)}`, record.endedAtMs);
        return record;
      };
      try {
        // The outage, and the failover when the default detection (5 min x 3) would start it.
        say("primary region goes down");
        w.regionsDown.add(ids.primaryRegion);
        w.clock.advance(2 * 300 + l.triggerJitter + random.next() * 300);
        say("failover started (detection)");
        const fo = await execute("failover", { mode: "failover", reason: "rehearsal: regional outage", requestedBy: "health-monitor", incidentId: `rehearsal-${seed}` }, `failover-rehearsal-${seed}`);
        const primaryBefore = [...w.databases.values()].find((d) => d.identifier === ids.primaryDb)!;
        const drPromoted = w.databases.get(ids.replicaDb)!;
        const outageEnd = t0 + draw(failbackLatencyModel.outage) * 1000;
        if (w.clock.nowMs() < outageEnd) w.clock.advance((outageEnd - w.clock.nowMs()) / 1000);
        w.regionsDown.delete(ids.primaryRegion);
        say("primary region answers again");
        const lostInFailover = fo.status === "SUCCEEDED" ? lostWrites(w, primaryBefore, drPromoted) : null;
        w.clock.advance(600);
        say("operator starts re-protect");
        const rp = await execute("reprotect", { mode: "reprotect", reason: "rehearsal: the primary region is back", requestedBy: "pnpm rehearse" }, `reprotect-rehearsal-${seed}`);
        let sb: ExecutionRecord | undefined;
        let downtime: number | null = null;
        let reported: number | null = null;
        let lostInSwitchback: number | null = null;
        if (scenario !== "reprotect" && rp.status === "SUCCEEDED") {
          w.clock.advance(3600);
          say("operator starts the switchback (maintenance window)");
          const dr = w.databases.get(ids.replicaDb)!;
          sb = await execute("switchback", { mode: "switchback", reason: "rehearsal: planned switchback", requestedBy: "pnpm rehearse" }, `switchback-rehearsal-${seed}`);
          downtime = refusedWriteSeconds(w, sb.startedAtMs, sb.endedAtMs);
          reported = ((sb.output as { outcome?: { writeDowntimeSeconds?: number | null } } | null)?.outcome?.writeDowntimeSeconds ?? null);
          const primary = w.databases.get(ids.primaryDb);
          lostInSwitchback = primary && primary.promotionRequestedAtMs !== null ? lostWrites(w, dr, primary) : null;
        }
        const phases: FailbackPhase[] = [];
        for (const wf of ["failover", "reprotect", "switchback"] as const) {
          for (const g of groups) {
            const own = timings.filter((t) => t.workflow === wf && g.steps.includes(t.step));
            if (own.length > 0) phases.push({ workflow: wf, name: g.name, startSeconds: at(Math.min(...own.map((t) => t.startMs))), endSeconds: at(Math.max(...own.map((t) => t.endMs))) });
          }
        }
        const original = isOriginalTopology(w, ids);
        const focus = scenario === "reprotect" ? ["reprotect"] : scenario === "switchback" ? ["switchback"] : ["failover", "reprotect", "switchback"];
        return {
          scenario,
          seed,
          events,
          phases: phases.filter((p) => focus.includes(p.workflow)),
          runs: runs.filter((r) => focus.includes(r.workflow)),
          roundTripSeconds: scenario === "round-trip" && sb?.status === "SUCCEEDED" && original ? at(sb.endedAtMs) : null,
          reprotectSeconds: Math.round((rp.endedAtMs - rp.startedAtMs) / 1000),
          switchbackSeconds: sb ? Math.round((sb.endedAtMs - sb.startedAtMs) / 1000) : null,
          writeDowntimeSeconds: downtime,
          reportedWriteDowntimeSeconds: reported,
          lostWritesInSwitchback: lostInSwitchback,
          lostWritesInFailover: lostInFailover,
          originalTopology: original,
          adopted: choice.adopted === true,
          writableDatabases: [...w.databases.keys()].filter((id) => w.isWritable(id)),
          notifications: w.inbox.map((m) => ({ atSeconds: at(m.atMs), kind: m.kind ?? "" })),
          wallMilliseconds: Math.round(performance.now() - wallStart),
        };
      } finally {
        restore();
      }
    },
    async close() {
      fakeDate.uninstall();
      await health.close();
      await dynamo.stop();
    },
  };
}

/** Primary writable and serving by DNS with its health check, DR a replica of it at its pilot light. */
export function isOriginalTopology(world: WorldState, ids: FailbackIds): boolean {
  const svc = (region: string) => [...world.services.values()].find((s) => s.region === region)!;
  const record = world.record(ids.hostedZoneId, ids.recordName, "primary");
  const dr = world.databases.get(ids.replicaDb);
  return (
    world.isWritable(ids.primaryDb) &&
    dr?.sourceIdentifier === world.databases.get(ids.primaryDb)?.arn &&
    svc(ids.primaryRegion).desired === ids.primaryTaskCount &&
    svc(ids.drRegion).desired === ids.drPilotTaskCount &&
    record?.HealthCheckId === ids.primaryHealthCheckId &&
    (record?.AliasTarget?.DNSName ?? "").includes(ids.primaryAlbDns)
  );
}
