/**
 * Which way the pair faces, and whether a failback can start: the first step of every run
 * (AssessTopology). It reads both regions (the standby one with bounded clients: it may still be
 * down), decides purely which region serves (its database writable and its service running) and
 * lists every blocker. A dry-run's output is this report: the switchback's plan, with the
 * replication positions as they are now. Reads only.
 */
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { RDSClient } from "@aws-sdk/client-rds";
import * as Compute from "../compute";
import type { FailbackMode } from "./input";
import { judgeCatchUp, readProbe, type CatchUp } from "./positions";
import { other, type Role, type Side } from "./settings";
import { findInstance, findRetired, type DbObservation } from "./standby";

export interface SideObservation {
  role: Role;
  region: string;
  reachable: boolean;
  /** Why the region could not be read, when it could not. */
  error: string | null;
  db: DbObservation | null;
  serviceDesired: number | null;
  serviceRunning: number | null;
}

export interface TopologyReport {
  mode: FailbackMode;
  checkedAt: string;
  /** The stage has Route 53 records the switchback can restore. */
  dnsConfigured: boolean;
  serving: Role | null;
  standby: Role | null;
  primary: SideObservation;
  dr: SideObservation;
  blockers: string[];
  notes: string[];
  plan: string[];
  wouldProceed: boolean;
  /** Switchback and dry-run: the replication positions now (not yet with writes stopped). */
  positions: CatchUp | null;
}

const isWritable = (db: DbObservation | null) => Boolean(db && db.status === "available" && db.sourceArn === null);

/** Pure: the serving side and the blockers, from both sides' observations. */
export function decideTopology(
  mode: FailbackMode,
  o: Record<Role, SideObservation>,
  options: { dnsConfigured: boolean; switchDns: boolean; positions: CatchUp | null; rpoBudgetSeconds: number; dnsServes?: Role | null; canRestoreDns?: boolean; sealedAside?: { identifier: string; name: string } | null },
): Omit<TopologyReport, "checkedAt" | "mode" | "primary" | "dr" | "positions" | "dnsConfigured"> {
  const blockers: string[] = [];
  const notes: string[] = [];
  for (const side of [o.primary, o.dr]) if (!side.reachable) blockers.push(`the ${side.role} region ${side.region} does not answer (${side.error ?? "no answer"}): run again once it does`);
  let serving: Role | null = null;
  if (mode === "reprotect") {
    // One writable database serves. Two (an old primary back, unfenced): the one users reach by
    // DNS, else the one whose service runs. Anything else needs a person to say.
    const writable = (["primary", "dr"] as const).filter((r) => isWritable(o[r].db));
    const serves = writable.filter((r) => (o[r].serviceDesired ?? 0) > 0);
    if (writable.length === 1) serving = writable[0] ?? null;
    else if (writable.length === 2 && options.dnsServes) {
      serving = options.dnsServes;
      notes.push(`both regions' databases are writable: the ${serving} region serves (DNS points users there); the other is renamed aside`);
    } else if (writable.length === 2 && serves.length === 1) {
      serving = serves[0] ?? null;
      notes.push(`both regions' databases are writable: the ${serving} region serves (its service runs); the other is renamed aside`);
    } else if (o.primary.reachable && o.dr.reachable) blockers.push(`cannot tell which region serves: writable databases in ${writable.join(" and ") || "neither region"}, running services in ${serves.join(" and ") || "neither"}`);
  } else {
    serving = "dr";
    if (!isWritable(o.dr.db) || (o.dr.serviceDesired ?? 0) === 0) {
      const sealed = !o.dr.db && options.sealedAside ? options.sealedAside : null;
      blockers.push(
        sealed
          ? `the DR region is not serving: no database is named ${sealed.name} there, and ${sealed.identifier} is (renamed aside by a switchback or a re-protect). If it is the DR database a rolled-back switchback left sealed (its message says so), rename it back (aws rds modify-db-instance --db-instance-identifier ${sealed.identifier} --new-db-instance-identifier ${sealed.name} --apply-immediately), reset read_only in its DB parameter group, wait until it is available, set the DR service to its full count, then switch back again`
          : "the DR region is not serving (a writable database and a running service): there is nothing to switch back",
      );
    }
    const p = o.primary.db;
    if (o.primary.reachable) {
      if (!p) blockers.push("the primary region has no database under its name: run re-protect first (pnpm dr reprotect)");
      else if (p.sourceArn !== o.dr.db?.arn) blockers.push(`${p.identifier} is not a read replica of ${o.dr.db?.identifier ?? "the DR database"}: run re-protect first (pnpm dr reprotect)`);
      else {
        if (p.status !== "available") blockers.push(`replica ${p.identifier} is ${p.status}: wait until re-protect has finished`);
        if (p.replication !== "replicating") blockers.push(`replica ${p.identifier} reports replication ${p.replication ?? "unknown"}`);
        if (p.backupRetentionDays === 0) blockers.push(`replica ${p.identifier} has no backups: run re-protect again (it enables them)`);
      }
      if (o.primary.serviceDesired === null) blockers.push("the primary region's ECS service does not exist: deploy the primary region first");
    }
    const replica = options.positions?.replica;
    if (options.positions && !replica) blockers.push("the primary replica's replication status could not be read (db-probe)");
    if (replica && (!replica.ioRunning || !replica.sqlRunning)) blockers.push(`replication threads are not both running on the primary replica${replica.lastError ? `: ${replica.lastError}` : ""}`);
    if (replica && replica.secondsBehind !== null && replica.secondsBehind > options.rpoBudgetSeconds) notes.push(`the replica is ${replica.secondsBehind} s behind: the wait for it to catch up adds that much write downtime`);
    if (options.dnsConfigured && options.switchDns && options.canRestoreDns === false) {
      blockers.push("this is the primary region's copy of the failback, which cannot restore the PRIMARY record (its health check is the DR region's Dns stack's): start the switchback in the DR region, which serves (pnpm dr switchback starts it there)");
    }
    if (!options.dnsConfigured) notes.push("this stage has no Route 53 records: once the primary serves, point users at the primary load balancer yourself");
    else if (!options.switchDns) notes.push("options.switchDns is false: DNS stays pinned to the DR region; move it yourself");
  }
  const standby = serving ? other(serving) : null;
  const plan =
    mode === "reprotect"
      ? serving && standby
        ? [
            `rename the ${standby} region's database aside (kept, never deleted: renaming is what fences it) unless it already replicates from the ${serving} database`,
            `create a cross-Region read replica of the ${serving} database in ${o[standby].region} under the ${standby} region's name, then enable its backups`,
            `set the ${standby} region's service to its pilot light`,
            `replicate the ${serving} bucket to the ${standby} bucket`,
          ]
        : []
      : [
          "scale the primary service up against its read replica and wait until it is healthy (the DR region keeps serving meanwhile)",
          "stop writes: scale the DR service to 0 and wait until no task runs (write downtime starts)",
          "wait until the primary replica has executed exactly up to the DR database's binary log position, which no longer moves",
          "seal the DR database: read its position one last time (it must not have moved) and rename it aside, so nothing can write to it",
          "promote the primary replica (the point of no return), then verify its health path answers from a writable database",
          options.dnsConfigured && options.switchDns ? "restore the PRIMARY DNS record to the primary load balancer with its health check (write downtime ends at INSYNC)" : "leave DNS as it is",
          "re-protect the other way: create a replica of the primary in the DR region, remove the reverse bucket replication, replicate the secret to DR again",
        ];
  return { serving, standby, blockers, notes, plan, wouldProceed: blockers.length === 0 };
}

export interface SideClients {
  rds: RDSClient;
  ecs: ECSClient;
  lambda: LambdaClient;
}

async function observeSide(side: Side, c: SideClients): Promise<SideObservation> {
  const base = { role: side.role, region: side.region };
  try {
    const db = await findInstance(c.rds, side.dbId);
    let service: Compute.ServiceState | null = null;
    try {
      service = await Compute.describeService(c.ecs, { cluster: side.cluster, service: side.service });
    } catch (error) {
      if (!(error instanceof Error && error.name === "PreflightFailedError")) throw error;
    }
    return { ...base, reachable: true, error: null, db, serviceDesired: service?.desired ?? null, serviceRunning: service?.running ?? null };
  } catch (error) {
    return { ...base, reachable: false, error: `${(error as Error).name}: ${(error as Error).message}`, db: null, serviceDesired: null, serviceRunning: null };
  }
}

async function newestRetired(rds: RDSClient, identifier: string): Promise<{ identifier: string; name: string } | null> {
  const newest = (await findRetired(rds, identifier).catch(() => []))[0];
  return newest ? { identifier: newest.identifier, name: identifier } : null;
}

/** Reads both sides (and, for a switchback, the positions) and decides. */
export async function assessTopology(
  mode: FailbackMode,
  s: Record<Role, Side>,
  clients: Record<Role, SideClients>,
  options: { dnsConfigured: boolean; switchDns: boolean; rpoBudgetSeconds: number; probeFunction: string; dnsServes?: () => Promise<Role | null>; canRestoreDns?: boolean },
  now: Date,
): Promise<TopologyReport> {
  const [primary, dr, dnsServes] = await Promise.all([observeSide(s.primary, clients.primary), observeSide(s.dr, clients.dr), options.dnsServes?.().catch(() => null) ?? null]);
  let positions: CatchUp | null = null;
  if (mode !== "reprotect" && primary.reachable && dr.reachable) positions = await readCatchUp(s, clients, { primary, dr }, options.probeFunction, undefined, now);
  // No DR database under its name: a rolled-back switchback may have left it sealed (renamed aside).
  const sealedAside = mode !== "reprotect" && dr.reachable && !dr.db ? await newestRetired(clients.dr.rds, s.dr.dbId) : null;
  const decided = decideTopology(mode, { primary, dr }, { ...options, positions, dnsServes, sealedAside });
  return { mode, checkedAt: now.toISOString(), dnsConfigured: options.dnsConfigured, primary, dr, positions, ...decided };
}

/** Both probes and the serving side's running tasks, judged (serving: DR, standby: primary). */
export async function readCatchUp(
  s: Record<Role, Side>,
  clients: Record<Role, SideClients>,
  o: { primary: Pick<SideObservation, "db" | "serviceRunning">; dr: Pick<SideObservation, "db" | "serviceRunning"> },
  probeFunction: string,
  previous: CatchUp | undefined,
  now: Date,
): Promise<CatchUp> {
  const read = async (role: Role) => {
    try {
      return await readProbe(clients[role].lambda, probeFunction, { identifier: s[role].dbId, host: o[role].db?.endpoint ?? null });
    } catch (error) {
      if (error instanceof Error && (error.name === "ProbeUnavailableError" || error.name === "AwsTransientError")) return null;
      throw error;
    }
  };
  const [source, replica] = await Promise.all([read("dr"), read("primary")]);
  return judgeCatchUp({ source: source?.binlog ?? null, replica: replica?.replica ?? null, servingRunning: o.dr.serviceRunning ?? 0, previous, now });
}
