/**
 * Rehearsal scenarios: what happens to the world, when, and what must come of it.
 * Times are seconds from the outage's start (t = 0). The world is harsh throughout (see
 * packages/world): a region that is down hangs, its replica's lag goes to -1 then stale.
 * Three must NOT fail over: a flapping primary (never `threshold` failed checks in a row, and
 * half its checks pass), an in-region Multi-AZ database failover (over before the threshold is
 * reached) and a partition between the two regions (Route 53's checkers still see the primary
 * healthy). A primary mostly down (two checks in three) must.
 */
import { healPartition, partition, type PilotLightIds, type WorldState } from "@pilot-light/world";
import type { LatencySample } from "./latency";
import type { OutcomeKind } from "./report/schema";

export type { OutcomeKind };

export interface Profile {
  name: "default" | "fast";
  /** EventBridge schedule period, seconds. */
  periodSeconds: number;
  failureThreshold: number;
  schedule: string;
}

export const profiles: Record<Profile["name"], Profile> = {
  default: { name: "default", periodSeconds: 300, failureThreshold: 3, schedule: "rate(5 minutes)" },
  // docs/detection.md's faster profile: 4 one-minute strikes ride out a 60-120 s Multi-AZ failover.
  fast: { name: "fast", periodSeconds: 60, failureThreshold: 4, schedule: "rate(1 minute)" },
};

export interface ScenarioContext {
  world: WorldState;
  ids: PilotLightIds;
  latency: LatencySample;
  profile: Profile;
  /** When the outage (t = 0) happens, on the world's clock. */
  outageMs: number;
}

export interface ScheduledChange {
  atSeconds: number;
  text: string;
  apply(ctx: ScenarioContext): void;
}

export interface Scenario {
  name: string;
  description: string;
  /** How the state machine is started: by the health monitor, or by an operator at t = 0. */
  start: { by: "monitor" } | { by: "operator"; mode: "drill" | "dry-run" };
  /** Replica lag datapoints (seconds) the replica reports. */
  replicaLag?: (latency: LatencySample) => number[];
  setup?(ctx: ScenarioContext): void;
  changes(ctx: ScenarioContext): ScheduledChange[];
  /** Scheduled ticks to run when nothing starts a failover (a scenario that must not fail over). */
  observeTicks: number;
  /**
   * An operator starts a drill (it runs beside the monitor) this many seconds before the check
   * that will reach the threshold is due: after the degraded e-mails, to see whether DR is ready.
   */
  drillBeforeThresholdSeconds?: number;
  /** What the scenario exists to show, given this seed's draw: `pnpm rehearse` exits 1 when the run shows otherwise. */
  expect(draw: { latency: LatencySample; rpoBudgetSeconds: number }): Expectation;
}

export interface Expectation {
  outcome: OutcomeKind;
  /** Why, in a sentence (printed when the run shows otherwise). */
  because: string;
}

/** Monitor scenarios where a failover is due: fails over, unless the drawn replica lag is over the RPO budget (then preflight refuses, by design). */
const failsOverUnlessLagOverBudget: Scenario["expect"] = ({ latency, rpoBudgetSeconds }) =>
  latency.replicaLag > rpoBudgetSeconds
    ? { outcome: "refused", because: `the drawn replica lag (${latency.replicaLag} s) is over the ${rpoBudgetSeconds} s RPO budget: preflight refuses` }
    : { outcome: "failed-over", because: "the primary region is down and the replica within the RPO budget" };
const expectOutcome = (outcome: OutcomeKind, because: string): Scenario["expect"] => () => ({ outcome, because });

const down = (ctx: ScenarioContext) => ctx.world.regionsDown.add(ctx.ids.primaryRegion);
const up = (ctx: ScenarioContext) => ctx.world.regionsDown.delete(ctx.ids.primaryRegion);

const regionalOutage: Scenario = {
  name: "regional-outage",
  description: "The primary region stops answering at t = 0 and does not come back.",
  start: { by: "monitor" },
  changes: () => [{ atSeconds: 0, text: "primary region goes down", apply: down }],
  observeTicks: 20,
  expect: failsOverUnlessLagOverBudget,
};

export const scenarios: Record<string, Scenario> = {
  "regional-outage": regionalOutage,
  "flapping-primary": {
    name: "flapping-primary",
    description: "The primary fails for threshold-1 checks, recovers for two periods, and repeats: never enough strikes in a row.",
    start: { by: "monitor" },
    changes: ({ profile }) => {
      // Up for two periods: EventBridge delivers up to 60 s late (a whole period of the fast
      // profile), so a one-period gap could fall between two checks.
      const cycle = (profile.failureThreshold + 1) * profile.periodSeconds;
      // Down a little under threshold - 1 periods: checks fire up to 60 s late, so a window of
      // exactly threshold - 1 periods can hold threshold of them (seed 1 did: 3 in 9 min 53 s).
      const downFor = (profile.failureThreshold - 1) * profile.periodSeconds - 90;
      return Array.from({ length: 4 }, (_, i) => [
        { atSeconds: i * cycle, text: "primary stops answering", apply: down },
        { atSeconds: i * cycle + downFor, text: "primary answers again", apply: up },
      ]).flat();
    },
    observeTicks: 20,
    expect: expectOutcome("not-started", "never enough failed checks in a row, and half the checks pass"),
  },
  "mostly-down-primary": {
    name: "mostly-down-primary",
    description: "The primary is down for two checks and up for one, for hours: never enough strikes in a row, but available a third of the time.",
    start: { by: "monitor" },
    changes: ({ profile }) => {
      const cycle = 3 * profile.periodSeconds;
      return Array.from({ length: Math.ceil((2 * 3600) / cycle) }, (_, i) => [
        { atSeconds: i * cycle, text: i === 0 ? "primary stops answering" : "primary down again", apply: down },
        { atSeconds: i * cycle + 2 * profile.periodSeconds, text: "primary answers for a while", apply: up },
      ]).flat();
    },
    // The availability window (60 minutes) must pass: 12 default ticks, 60 fast ones, plus slack.
    observeTicks: 80,
    expect: failsOverUnlessLagOverBudget,
  },
  partition: {
    name: "partition",
    description: "The network between the two regions fails for 40 minutes: the DR region cannot reach the primary, the rest of the internet (Route 53's health checkers) can.",
    start: { by: "monitor" },
    changes: ({ ids }) => [
      { atSeconds: 0, text: "the DR region is cut off from the primary", apply: ({ world }) => partition(world, ids.primaryRegion, ids.drRegion) },
      { atSeconds: 40 * 60, text: "the partition heals", apply: ({ world }) => healPartition(world, ids.primaryRegion, ids.drRegion) },
    ],
    observeTicks: 12,
    expect: expectOutcome("not-started", "Route 53's health checkers still see the primary healthy"),
  },
  "in-region-db-failover": {
    name: "in-region-db-failover",
    description: "RDS fails over between AZs in the primary region (60-120 s of 503s); the region is fine.",
    start: { by: "monitor" },
    changes: ({ ids, latency }) => [
      {
        atSeconds: 0,
        text: "primary database fails over to its standby AZ",
        apply: ({ world }) => {
          world.databases.get(ids.primaryDb)!.baseStatus = "rebooting";
        },
      },
      {
        atSeconds: latency.multiAzFailover,
        text: "primary database available again",
        apply: ({ world }) => {
          world.databases.get(ids.primaryDb)!.baseStatus = "available";
        },
      },
    ],
    observeTicks: 8,
    expect: expectOutcome("not-started", "the Multi-AZ failover is over before the threshold is reached"),
  },
  "replica-lag-breach": {
    ...regionalOutage,
    name: "replica-lag-breach",
    description: "The primary region fails while the replica lags far beyond the RPO budget: preflight refuses.",
    replicaLag: () => [240, 310, 290],
    expect: expectOutcome("refused", "the replica lags far beyond the RPO budget: preflight refuses"),
  },
  "outage-during-backup": {
    ...regionalOutage,
    name: "outage-during-backup",
    description: "The primary region fails while the replica's daily backup is about to run: preflight waits for the backup, then fails over.",
    setup: ({ world, ids, latency, outageMs, profile }) => {
      // Detection ends between (threshold - 1) periods and threshold periods + 60 s of delivery
      // jitter after the outage: a backup running across that whole span always meets preflight,
      // and then goes on for the drawn backup duration.
      const startMs = outageMs + ((profile.failureThreshold - 1) * profile.periodSeconds - 60) * 1000;
      const minute = Math.ceil((startMs % 86_400_000) / 60_000) - 1;
      world.databases.get(ids.replicaDb)!.backup = { windowStartMinute: minute, startOffsetSeconds: 0, durationSeconds: profile.periodSeconds + 180 + latency.replicaBackup };
    },
  },
  "route53-impaired": {
    ...regionalOutage,
    name: "route53-impaired",
    description: "The primary region fails and Route 53's control plane (us-east-1) hangs: the failover completes, DNS is left to the health checks.",
    changes: (ctx) => [
      ...regionalOutage.changes(ctx),
      { atSeconds: 0, text: "Route 53's control plane (us-east-1) stops answering", apply: ({ world }) => world.impair("route53") },
    ],
  },
  "outage-during-drill": {
    ...regionalOutage,
    name: "outage-during-drill",
    description:
      "The primary region fails; after the degraded e-mails someone starts a drill to see whether DR is ready, and it is still running when the monitor reaches its threshold: the failover stops the drill, takes its lock and fails over at once.",
    setup: ({ world }) => {
      // A slow task start keeps the drill busy across the monitor's decisive check.
      world.latencies.taskStartSeconds = Math.max(world.latencies.taskStartSeconds, 150);
    },
    drillBeforeThresholdSeconds: 30,
  },
  "promotion-fails": {
    ...regionalOutage,
    name: "promotion-fails",
    description: "The primary region fails and the replica's promotion never completes: the run stops for an operator.",
    setup: ({ world, ids }) => {
      world.databases.get(ids.replicaDb)!.promotionStalls = true;
    },
    // A draw with the replica lag over the RPO budget is refused before any promotion (seeds 31, 37, 49 of 1-50).
    expect: (draw) =>
      failsOverUnlessLagOverBudget(draw).outcome === "refused"
        ? failsOverUnlessLagOverBudget(draw)
        : { outcome: "needs-operator", because: "a promotion that started and never completes is a person's call" },
  },
  drill: {
    name: "drill",
    description: "An operator starts a drill: DR scales up against the read replica, is verified, and scales back.",
    start: { by: "operator", mode: "drill" },
    changes: () => [],
    observeTicks: 0,
    expect: expectOutcome("drill-completed", "DR scales up, is verified and scales back"),
  },
  "dry-run": {
    name: "dry-run",
    description: "An operator asks what a failover would do: preflight only, nothing changes.",
    start: { by: "operator", mode: "dry-run" },
    changes: () => [],
    observeTicks: 0,
    expect: expectOutcome("dry-run-reported", "preflight reports, nothing changes"),
  },
};

export const scenarioNames = Object.keys(scenarios);
