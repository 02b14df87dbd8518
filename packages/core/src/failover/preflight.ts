/**
 * Preflight: is the DR side ready, and is the data recent enough? Observation (adapters) and
 * decision (pure `assessPreflight`) are separate so every rule is table-tested. A dry-run
 * returns the report; failover and drill throw on any blocker (nothing has been touched yet):
 * ReplicaNotReadyError (retried by the state machine) when the only blockers are states RDS
 * leaves by itself, such as a backup. The RPO estimate is the last valid ReplicaLag datapoint,
 * whose age is reported: in a regional outage replication stops, RDS reports -1 and then
 * nothing, and the last value measured before that is the best estimate of the data lost.
 */
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { Route53Client } from "@aws-sdk/client-route-53";
import * as Compute from "../compute";
import * as Database from "../database";
import * as Dns from "../dns";
import { RetryableError } from "../errors";
import { PreflightFailedError, RecordNotFailoverPairError, ReplicaNotReadyError, RpoBudgetExceededError } from "../workflow/errors";
import type { Run } from "./input";
import type { PreflightReport } from "./state";

export interface PreflightObservations {
  replica: Database.ReplicaState | null;
  lagSeconds: number | null;
  /** When the lag datapoint was measured; null when there is none. */
  lagObservedAt?: string | null;
  service: Compute.ServiceState | null;
  /** Problems found while looking (missing resources), in plain words. */
  problems: string[];
  /**
   * Why the stage's DNS record cannot move users (Route 53 shows no PRIMARY failover record: a
   * team's simple record), when a run would switch or rehearse it; absent when it can, or when
   * Route 53 did not answer (SwitchDns reads it again).
   */
  recordNotPair?: string | null;
}

export interface PreflightSettings {
  primary: { identifier: string; arn: string };
  rpoBudgetSeconds: number;
  drTaskCount: number;
  pilotTaskCount: number;
  dnsConfigured: boolean;
  /** How far back preflight looks for a valid ReplicaLag datapoint. */
  lagLookbackSeconds?: number;
}

const lagBlockerPrefix = "replica lag";
const dnsBlockerPrefix = "DNS: ";

/** The decision: blockers (empty = go) and the plan a failover or drill would follow. */
export function assessPreflight(run: Run, obs: PreflightObservations, s: PreflightSettings, now: Date): PreflightReport {
  const blockers = [...(obs.recordNotPair ? [`${dnsBlockerPrefix}${obs.recordNotPair}`] : []), ...obs.problems];
  const notReady: string[] = [];
  const replica = obs.replica;
  const alreadyPromoted = replica !== null && Database.isWritable(replica);
  if (replica) {
    if (alreadyPromoted) {
      if (run.mode === "drill") blockers.push(`database ${replica.identifier} is already promoted (DR is serving): a drill would scale the live service back down`);
    } else if (replica.sourceIdentifier === null) {
      blockers.push(`database ${replica.identifier} is not a read replica and is ${replica.status}`);
    } else if (!Database.isReplicaOf(replica, s.primary)) {
      blockers.push(`database ${replica.identifier} replicates from ${replica.sourceIdentifier}, not the configured primary ${s.primary.arn}`);
    } else if (replica.status !== "available") {
      const blocker = `replica ${replica.identifier} is ${replica.status}, not available${replica.status === "backing-up" ? " (RDS refuses to promote during a backup)" : ""}`;
      blockers.push(blocker);
      if (Database.isTransientlyNotReady(replica)) notReady.push(blocker);
    }
  }
  const lagKnown = obs.lagSeconds !== null;
  const withinBudget = lagKnown && (obs.lagSeconds as number) <= s.rpoBudgetSeconds;
  const lagMatters = run.mode !== "drill" && !alreadyPromoted;
  const observedAt = obs.lagObservedAt ?? null;
  const ageSeconds = observedAt === null ? null : Math.max(0, Math.round((now.getTime() - Date.parse(observedAt)) / 1000));
  const age = ageSeconds === null ? "" : ` (measured ${ageSeconds} s ago)`;
  const lookbackMinutes = Math.round((s.lagLookbackSeconds ?? Database.defaultLagLookbackSeconds) / 60);
  if (lagMatters && !withinBudget && !run.options.acknowledgeRpoBreach) {
    blockers.push(
      lagKnown
        ? `${lagBlockerPrefix} ${obs.lagSeconds} s${age} is above the RPO budget of ${s.rpoBudgetSeconds} s; start again with options.acknowledgeRpoBreach=true to accept the data loss`
        : `${lagBlockerPrefix} is unknown (no valid ReplicaLag datapoint in the last ${lookbackMinutes} minutes); start again with options.acknowledgeRpoBreach=true to accept unknown data loss`,
    );
  }
  const willSwitch = run.mode !== "drill" && s.dnsConfigured && run.options.switchDns;
  const plan =
    run.mode === "drill"
      ? [
          `scale DR service ${obs.service?.service ?? "?"} from ${obs.service?.desired ?? "?"} to ${s.drTaskCount} tasks against the read replica`,
          "verify the DR ALB's health path",
          `scale back to the pilot-light count ${s.pilotTaskCount} (also if a step fails)`,
          "no promotion, no DNS change",
        ]
      : [
          alreadyPromoted ? `database ${replica?.identifier} is already promoted: nothing to promote` : `promote replica ${replica?.identifier ?? "?"} and wait until writable`,
          `scale DR service ${obs.service?.service ?? "?"} from ${obs.service?.desired ?? "?"} to ${s.drTaskCount} tasks and wait for ${s.drTaskCount} healthy targets (in parallel)`,
          "verify the DR ALB's health path",
          willSwitch ? "pin the DNS record's PRIMARY entry to the DR ALB and wait for INSYNC" : "leave DNS to the Route 53 health checks",
          "fence the old primary service (desired 0, best effort)",
          "record timings and the RPO estimate",
        ];
  return {
    mode: run.mode,
    checkedAt: now.toISOString(),
    replica,
    alreadyPromoted,
    lag: { seconds: obs.lagSeconds, observedAt, ageSeconds, budgetSeconds: s.rpoBudgetSeconds, withinBudget, acknowledged: run.options.acknowledgeRpoBreach },
    service: obs.service
      ? { cluster: obs.service.cluster, service: obs.service.service, desired: obs.service.desired, running: obs.service.running, taskDefinition: obs.service.taskDefinition }
      : null,
    targetCount: s.drTaskCount,
    pilotCount: s.pilotTaskCount,
    dns: { configured: s.dnsConfigured, willSwitch },
    blockers,
    notReady,
    wouldProceed: blockers.length === 0,
    plan,
  };
}

/**
 * Failover and drill stop on blockers; a dry-run only reports them. A record that is not a
 * failover pair: RecordNotFailoverPairError, as SwitchDns would raise it after the promotion.
 * Only states RDS leaves by itself: ReplicaNotReadyError (the state machine waits and tries
 * again). Lag among the rest (and nothing worse): RpoBudgetExceededError. Anything else:
 * PreflightFailedError.
 */
export function enforcePreflight(report: PreflightReport): PreflightReport {
  if (report.mode === "dry-run" || report.blockers.length === 0) return report;
  const notReady = new Set(report.notReady ?? []);
  const message = `preflight blocked the ${report.mode}: ${report.blockers.join("; ")}`;
  if (report.blockers.some((b) => b.startsWith(dnsBlockerPrefix))) throw new RecordNotFailoverPairError(message);
  if (report.blockers.every((b) => notReady.has(b))) throw new ReplicaNotReadyError(message);
  const onlyLagOrWaiting = report.blockers.every((b) => b.startsWith(lagBlockerPrefix) || notReady.has(b));
  throw onlyLagOrWaiting ? new RpoBudgetExceededError(message) : new PreflightFailedError(message);
}

export interface PreflightClients {
  rds: RDSClient;
  cloudwatch: CloudWatchClient;
  ecs: ECSClient;
  elb: ElasticLoadBalancingV2Client;
  /** Route 53 (us-east-1, bounded): the stage's record, on a stage with DNS. */
  route53?: Route53Client;
}

/**
 * Why the record cannot move users (null: it is a failover pair, or Route 53 did not answer: its
 * control plane may be impaired in an outage, and SwitchDns reads the record again). Read when the
 * run would move users (a failover switching DNS, a dry-run of it) or rehearses that it could (a
 * drill with switchDns), before anything changes.
 */
async function recordNotPair(r53: Route53Client, dns: Dns.DnsTarget): Promise<string | null> {
  try {
    await Dns.readPrimaryRecord(r53, dns);
    return null;
  } catch (error) {
    if (error instanceof RecordNotFailoverPairError) return error.message;
    if (error instanceof RetryableError) return null;
    throw error;
  }
}

/** Looks at the DR region (read-only calls only) and decides. */
export async function runPreflight(
  c: PreflightClients,
  run: Run,
  s: PreflightSettings & { replicaIdentifier: string; service: Compute.ServiceRef; targetGroupArn: string; dns?: Dns.DnsTarget },
  now: Date,
): Promise<PreflightReport> {
  const problems: string[] = [];
  const orProblem = async <T>(look: () => Promise<T>): Promise<T | null> => {
    try {
      return await look();
    } catch (error) {
      if (error instanceof PreflightFailedError) {
        problems.push(error.message);
        return null;
      }
      throw error;
    }
  };
  const dns = s.dns;
  const movesUsers = s.dnsConfigured && run.options.switchDns && dns !== undefined && c.route53 !== undefined;
  const [replica, lag, service, notPair] = await Promise.all([
    orProblem(() => Database.describeInstance(c.rds, s.replicaIdentifier)),
    Database.readLastReplicaLag(c.cloudwatch, s.replicaIdentifier, now, s.lagLookbackSeconds),
    orProblem(() => Compute.describeService(c.ecs, s.service)),
    movesUsers ? recordNotPair(c.route53!, dns!) : Promise.resolve(null),
  ]);
  if (service) problems.push(...(await Compute.checkServiceResources(c.ecs, c.elb, service, s.targetGroupArn)));
  return enforcePreflight(assessPreflight(run, { replica, lagSeconds: lag.seconds, lagObservedAt: lag.observedAt, service, problems, recordNotPair: notPair }, s, now));
}
