/**
 * Which region's orchestrator copy a command talks to. The orchestrator runs in both regions on
 * stages with DNS (docs/design.md D2); which copy is armed, and so which one must act, is decided
 * from what AWS shows, as each copy's monitor decides it (Health.decideArming): each region's
 * database (writable, or a read replica of the other region's) and where the PRIMARY record sends
 * users. A failover, drill or dry-run starts in the region holding the replica of the other's
 * database (the standby); a re-protect or switchback starts in the region that serves (its
 * database writable; with two writable, the one DNS sends users to). Stages without DNS have the
 * orchestrator in the DR region only. Which database takes writes is Database.decideServing's
 * reading, the one readiness and the monitor use: no replica, `read_only` off in its parameter
 * group (a fenced old primary, a sealed DR database are not), `available`. Reads only: one DescribeDBInstances per region (two, and DescribeDBParameters, for a
 * database that is no replica), one ListResourceRecordSets.
 */
import type { Route53Client } from "@aws-sdk/client-route-53";
import { Database, Dns, Health, Stage } from "@pilot-light/core";
import type { Invocation } from "./args";
import { message, type Clients } from "./aws";
import { RefusedError } from "./errors";

export type Side = "primary" | "dr";

/** One region's copy as AWS shows it. */
export interface CopyView {
  side: Side;
  region: string;
  /** This region's database under its CloudFormation name; null when it could not be read (`error` says why). */
  database: {
    identifier: string;
    found: boolean;
    status: string | null;
    writable: boolean;
    replicaOf: Side | "elsewhere" | null;
    /** No replica, but `read_only` on in this parameter group (fenced or sealed); null otherwise. */
    readOnlyIn: string | null;
  } | null;
  error: string | null;
  /** Its monitor's arming, decided as the monitor decides it (Health.decideArming). */
  arming: Health.Arming;
  /** The region it watches (the other one). */
  watches: string;
}

export interface RegionsView {
  /** Where the PRIMARY record sends users, from its alias target's load balancer name; null on stages without DNS. */
  dns: { servedBy: Side | "unknown"; target: string | null; error: string | null } | null;
  copies: Record<Side, CopyView>;
  /** Which region serves, from both databases as RDS shows them (Database.decideServing). */
  serving: Database.Serving<Side>;
}

const sides: readonly Side[] = ["primary", "dr"];
const other = (s: Side): Side => (s === "primary" ? "dr" : "primary");

function regionOf(config: Stage.StageConfig, side: Side): string {
  return side === "primary" ? config.primaryRegion : config.drRegion;
}

function dbOf(names: ReturnType<typeof Stage.resourceNames>, side: Side): string {
  return side === "primary" ? names.primaryDb : names.replicaDb;
}

/** Which region a load balancer's DNS name belongs to (ALB names carry it: …eu-west-1.elb.amazonaws.com). */
export function sideOfTarget(target: string, config: Pick<Stage.StageConfig, "primaryRegion" | "drRegion">): Side | "unknown" {
  const t = target.toLowerCase();
  if (t.includes(`.${config.drRegion}.`)) return "dr";
  if (t.includes(`.${config.primaryRegion}.`)) return "primary";
  return "unknown";
}

async function readDns(config: Stage.StageConfig, route53: Route53Client): Promise<RegionsView["dns"]> {
  if (!config.dns) return null;
  try {
    const record = await Dns.readPrimaryRecord(route53, { hostedZoneId: config.dns.hostedZoneId, recordName: config.dns.recordName, drAlbDns: "", drAlbZoneId: "" });
    const target = record.AliasTarget?.DNSName?.replace(/\.$/, "") ?? null;
    return { servedBy: target ? sideOfTarget(target, config) : "unknown", target, error: null };
  } catch (error) {
    return { servedBy: "unknown", target: null, error: message(error) };
  }
}

/** Reads both regions' databases and the PRIMARY record, each failure kept as "not known". */
export async function readRegions(config: Stage.StageConfig, names: ReturnType<typeof Stage.resourceNames>, account: string, clientsOf: (region: string) => Clients): Promise<RegionsView> {
  const dnsView = await readDns(config, clientsOf(config.drRegion).route53);
  // A cross-Region replica names its source by ARN (Database.isReplicaOf).
  const arnOf = (side: Side) => Stage.arnIn(regionOf(config, side), "rds", regionOf(config, side), account, `db:${dbOf(names, side)}`);
  const readLocal = async (side: Side): Promise<{ local: Health.LocalDatabase; readOnlyIn: string | null; error: string | null }> => {
    const { seen, group, error } = await Database.seeDatabase(clientsOf(regionOf(config, side)).rds, dbOf(names, side), { readOnly: true });
    const readOnlyIn = seen?.found && seen.readOnly ? group : null;
    if (error === undefined) return { local: seen, readOnlyIn, error: null };
    // A database that is no replica whose read_only could not be read: not known to take writes, and said.
    return { local: seen, readOnlyIn, error: seen === undefined ? message(error) : `read_only in its parameter group could not be read: ${message(error)}` };
  };
  const [primaryRead, drRead] = await Promise.all(sides.map(readLocal));
  const reads = { primary: primaryRead!, dr: drRead! };
  const serving = Database.decideServing({ primary: reads.primary.local, dr: reads.dr.local });
  const read = (side: Side): CopyView => {
    const region = regionOf(config, side);
    const identifier = dbOf(names, side);
    const watched = { identifier: dbOf(names, other(side)), arn: arnOf(other(side)) };
    const { local, readOnlyIn, error } = reads[side];
    const dnsAnswer: Health.DnsAnswer = !dnsView || dnsView.servedBy === "unknown" ? "unknown" : dnsView.servedBy === side ? "here" : "elsewhere";
    // What the watched region's RDS answered, as the monitor reads it before saying "stranded".
    const arming = Health.decideArming({ local, localId: identifier, watched, dns: dnsAnswer, watchedDb: reads[other(side)].local });
    const database =
      local === undefined
        ? null
        : !local.found
          ? { identifier, found: false, status: null, writable: false, replicaOf: null, readOnlyIn: null }
          : {
              identifier,
              found: true,
              status: local.state.status,
              writable: serving.roles[side] === "writable",
              replicaOf: local.state.sourceIdentifier === null ? null : Database.isReplicaOf(local.state, watched) ? other(side) : ("elsewhere" as const),
              readOnlyIn,
            };
    return { side, region, database, error, arming, watches: regionOf(config, other(side)) };
  };
  return { dns: dnsView, copies: { primary: read("primary"), dr: read("dr") }, serving };
}

/** A command's region could not be decided from what AWS shows: the message says what was seen. */
export class UndecidedRegionError extends RefusedError {}

function seen(view: RegionsView): string {
  const line = (c: CopyView) =>
    `  ${c.side} region ${c.region}: ${
      c.database === null
        ? `database not readable (${c.error ?? "no answer"})`
        : !c.database.found
          ? `no database ${c.database.identifier}`
          : `${c.database.identifier} ${c.database.status}${c.database.replicaOf ? `, a read replica of the ${c.database.replicaOf === "elsewhere" ? "an unexpected source" : `${c.database.replicaOf} region's database`}` : c.database.writable ? ", writable" : c.database.readOnlyIn ? `, read-only (read_only = 1 in ${c.database.readOnlyIn})` : ""}`
    }`;
  const dns = view.dns ? `  DNS: ${view.dns.servedBy === "unknown" ? `not known (${view.dns.error ?? view.dns.target ?? "no alias target"})` : `sends users to the ${view.dns.servedBy} region`}` : "";
  return [line(view.copies.primary), line(view.copies.dr), ...(dns ? [dns] : [])].join("\n");
}

/**
 * Pure: the side whose copy must act for `command`. A failover, drill or dry-run: the side whose
 * database is a read replica of the other side's (exactly one can be: RDS never has two databases
 * replicating from each other). A re-protect or switchback: the side that serves (its database
 * writable; both writable: the side DNS sends users to).
 */
export function decideActingSide(command: Invocation["command"], view: RegionsView): { side: Side; why: string } {
  const { copies } = view;
  if (command === "failover" || command === "drill" || command === "dry-run") {
    const standby = sides.filter((s) => copies[s].database?.replicaOf === other(s));
    if (standby.length === 1) {
      const s = standby[0] as Side;
      return { side: s, why: `${copies[s].database?.identifier} in ${copies[s].region} is the read replica of the ${other(s)} region's database` };
    }
    throw new UndecidedRegionError(
      `cannot decide which region must ${command === "failover" ? "fail over" : `run the ${command}`}: neither region's database is a read replica of the other's (nothing to promote), or one could not be read.\n${seen(view)}\nRun pnpm dr status --stage <stage>, and re-protect first if no region is protected.`,
    );
  }
  // The region that serves (Database.decideServing); a run starts only from a database that takes
  // writes now: of two (a fence or seal that did not hold), the one available, or both: the one DNS sends users to.
  const { serves, roles } = view.serving;
  const writable = serves === "both" ? sides.filter((s) => roles[s] === "writable") : serves !== "none" && serves !== "not-known" && roles[serves] === "writable" ? [serves] : [];
  const dnsSide = view.dns?.servedBy;
  if (writable.length === 1) {
    const s = writable[0] as Side;
    return { side: s, why: `${copies[s].database?.identifier} in ${copies[s].region} is the writable database` };
  }
  if (writable.length === 2 && (dnsSide === "primary" || dnsSide === "dr")) return { side: dnsSide, why: `both databases are writable and DNS sends users to ${copies[dnsSide].region}` };
  throw new UndecidedRegionError(`cannot decide which region serves, so where to start the ${command}: ${writable.length === 2 ? "both databases are writable and DNS does not say which one users reach" : "no writable database could be read"}.\n${seen(view)}`);
}

/** The region a command's orchestrator copy runs in: the DR region on stages without DNS, else decided from what AWS shows. */
export async function actingRegion(
  command: Invocation["command"],
  config: Stage.StageConfig,
  names: ReturnType<typeof Stage.resourceNames>,
  account: string,
  clientsOf: (region: string) => Clients,
): Promise<{ region: string; why: string; view: RegionsView | null }> {
  if (!config.dns) return { region: config.drRegion, why: "this stage has no DNS: its orchestrator runs in the DR region only", view: null };
  const view = await readRegions(config, names, account, clientsOf);
  const { side, why } = decideActingSide(command, view);
  return { region: regionOf(config, side), why, view };
}
