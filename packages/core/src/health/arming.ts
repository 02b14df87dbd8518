/**
 * Whether this region's monitor may start a failover, decided at every failing check from what
 * AWS shows, never from a deploy-time role (docs/design.md D2). The orchestrator runs in both
 * regions; each watches the other. It is armed only when this region's database is a read replica
 * of the watched region's database and DNS does not send users here. RDS never has A replicating
 * from B while B replicates from A, and a promotion ends the replication, so at most one region
 * is ever armed: two orchestrators cannot both promote, without any cross-region lock.
 * Read-only: one DescribeDBInstances in this region, one ListResourceRecordSets (stages with DNS),
 * and, only before calling the watched region stranded or when this region serves (is its standby
 * there?), one bounded DescribeDBInstances there; when stranded, read_only in this region's
 * database's parameter group too (which stranded state it is).
 */
import type { RDSClient } from "@aws-sdk/client-rds";
import type { Route53Client } from "@aws-sdk/client-route-53";
import * as Database from "../database";
import * as Dns from "../dns";

/** This region's database as RDS shows it; `undefined`: RDS could not be read. */
export type LocalDatabase = Database.DatabaseSeen;

/** Where the PRIMARY failover record sends users: this region's load balancer, another, or not known. */
export type DnsAnswer = "here" | "elsewhere" | "unknown";

export type ArmingKind =
  /** A replica of the watched region's database, users not sent here: may fail over. */
  | "armed"
  /** Users are sent to the watched region, which does not answer, and this region holds no replica of its database: nothing can take over by itself. */
  | "stranded"
  /**
   * Users are sent to the watched region and its database answers there (a failover to it under
   * way or done): its failed checks are its service's, which its own run and alarms tell of.
   */
  | "handed-over"
  /** Users are sent here (its database takes writes, or a failover to it is under way): the watched region is the standby. */
  | "serving"
  /** Not armed, and which of the above is not known (RDS or DNS could not be read, or an unexpected topology). */
  | "unknown";

export interface Arming {
  kind: ArmingKind;
  detail: string;
  /**
   * "stranded" only: this region and whether its database is fenced (`read_only` = 1 in the
   * parameter group it uses), which DescribeDBInstances does not show. Fenced: the old primary a
   * failover left, missing the writes made since. Not fenced: the database a switchback promoted,
   * holding every write (the other was sealed first): users should simply be pointed here.
   * Decided by Database.decideServing (not fenced: this region's database is the one that serves).
   * Absent: not read (no region given, or RDS did not answer).
   */
  here?: { region: string; readOnly: boolean };
  /** `serving` with the watched region's RDS asked: whether it holds this region's standby (`decideStandby`). */
  standby?: Standby;
}

export type StandbyKind =
  /** A read replica of this region's database, replicating: a failure of this region can be failed over. */
  | "protected"
  /** A replica of this region's database being created (re-protect builds it): not yet, and not a failure. */
  | "building"
  /** The watched region's RDS did not answer (bounded): the region is down or cut off. */
  | "no-answer"
  /** No database under the standby's name in the watched region. */
  | "gone"
  /**
   * A database there that is no replica at all: promoted by a move whose own run tells of it (this
   * region's failover left it, fenced, until re-protect; a switchback promoted it, DNS not moved yet). Not counted.
   */
  | "standalone"
  /** A replica of another database than this region's. */
  | "not-ours"
  /** A replica of this region's database whose replication RDS reports broken, or in a state that needs a person. */
  | "broken";

export interface Standby {
  kind: StandbyKind;
  detail: string;
}

/** Statuses of a replica that RDS does not leave by itself (RDS, "Viewing Amazon RDS DB instance status"). */
const stuckStatuses = new Set(["failed", "stopped", "stopping", "storage-full", "inaccessible-encryption-credentials", "restore-error"]);

/**
 * Whether the watched region holds this region's standby, from its database as RDS there shows it:
 * a replica whose source names this region's database (`localId`), replicating.
 */
export function decideStandby(watchedDb: LocalDatabase, watchedId: string, localId: string): Standby {
  if (watchedDb === undefined) return { kind: "no-answer", detail: `${watchedId} does not answer in its region (RDS there did not answer DescribeDBInstances)` };
  if (!watchedDb.found) return { kind: "gone", detail: `no database ${watchedId} in the watched region` };
  const { state } = watchedDb;
  // A cross-Region replica names its source by ARN; this region's database's ARN ends in :db:<localId>.
  if (state.sourceIdentifier === null) return { kind: "standalone", detail: `${watchedId} (${state.status}) is not a replica` };
  if (!Database.isReplicaOf(state, { identifier: localId, arn: "" })) return { kind: "not-ours", detail: `${watchedId} (${state.status}) replicates from ${state.sourceIdentifier}, not from ${localId}` };
  if (state.status === "creating") return { kind: "building", detail: `${watchedId}, a replica of ${localId}, is being created` };
  const replication = state.replication;
  if (replication && !replication.normal) {
    return { kind: "broken", detail: `${watchedId} is a replica of ${localId} but replication is ${replication.status}${replication.message ? `: ${replication.message}` : ""}` };
  }
  if (stuckStatuses.has(state.status) || state.status.startsWith("incompatible-")) return { kind: "broken", detail: `${watchedId} is a replica of ${localId} but ${state.status}` };
  return { kind: "protected", detail: `${watchedId} is a read replica of ${localId} (${state.status})` };
}

export interface ArmingView {
  local: LocalDatabase;
  localId: string;
  /** The watched region's database (a cross-Region replica's source is named by its ARN). */
  watched: { identifier: string; arn: string };
  dns: DnsAnswer;
  /** The watched region's database as RDS there shows it (`undefined`: it did not answer); read only when this could be "stranded". */
  watchedDb?: LocalDatabase;
}

export function decideArming(v: ArmingView): Arming {
  const dnsText = v.dns === "here" ? "DNS sends users to this region" : v.dns === "elsewhere" ? "DNS sends users to the watched region" : "where DNS sends users is not known";
  if (v.local === undefined) return { kind: "unknown", detail: `${v.localId} could not be read from RDS; ${dnsText}` };
  if (!v.local.found) return { kind: "unknown", detail: `no database ${v.localId} in this region; ${dnsText}` };
  const { state } = v.local;
  if (Database.isReplicaOf(state, v.watched)) {
    // A failover to this region pins DNS right after its promote call, before RDS ends the replication.
    if (v.dns === "here") return { kind: "serving", detail: `${v.localId} is still a read replica of ${v.watched.identifier} (${state.status}), but ${dnsText}: a failover to this region is under way` };
    return { kind: "armed", detail: `${v.localId} is a read replica of ${v.watched.identifier} (${state.status}); ${dnsText}` };
  }
  if (state.sourceIdentifier !== null) return { kind: "unknown", detail: `${v.localId} replicates from ${state.sourceIdentifier}, not from ${v.watched.identifier}` };
  const own = `${v.localId} is not a replica (${state.status})`;
  if (v.dns === "elsewhere") {
    // A region whose RDS answers has not failed: a failover to it (promotion, service starting) or its app.
    const watched = v.watchedDb;
    if (watched?.found) {
      const role = watched.state.sourceIdentifier !== null ? "still a read replica: a promotion under way" : "not a replica";
      return { kind: "handed-over", detail: `${own}; ${dnsText}, whose database ${v.watched.identifier} answers there (${watched.state.status}, ${role}): a failover to it is under way or done` };
    }
    const silent = watched === undefined ? `${v.watched.identifier} does not answer in its region` : `no database ${v.watched.identifier} in the watched region`;
    return { kind: "stranded", detail: `${own}; ${dnsText}; ${silent}` };
  }
  if (v.dns === "here") return { kind: "serving", detail: `${own}; ${dnsText}` };
  return { kind: "unknown", detail: `${own}; ${dnsText}` };
}

export interface ArmingDeps {
  rds: RDSClient;
  localId: string;
  watched: { identifier: string; arn: string };
  /**
   * RDS in the watched region, its calls bounded (the region may hang): asked only before calling
   * it stranded, and when this region serves (whether the watched region still holds its standby).
   * Absent: not asked, a region not read is taken as not answering (and a standby not watched).
   */
  watchedRds?: RDSClient;
  /** Stages with DNS: the zone, the record and this region's load balancer. */
  dns?: { route53: Route53Client; hostedZoneId: string; recordName: string; localAlbDns: string };
  /** This region: given, a stranded view also reads whether this region's database is fenced (`Arming.here`). */
  region?: string;
}

/** Reads both, each failure turning into "not known" (the decision then is never "armed" on DNS alone). */
export async function readArming(d: ArmingDeps): Promise<Arming> {
  const local = await readDatabase(d.rds, d.localId);
  let dns: DnsAnswer = "unknown";
  if (d.dns) {
    const t = d.dns;
    dns = await Dns.readPrimaryRecord(t.route53, { hostedZoneId: t.hostedZoneId, recordName: t.recordName, drAlbDns: t.localAlbDns, drAlbZoneId: "" }).then(
      (record): DnsAnswer => (Dns.aliasPointsAt(record, t.localAlbDns) ? "here" : "elsewhere"),
      (): DnsAnswer => "unknown",
    );
  }
  const view: ArmingView = { local, localId: d.localId, watched: d.watched, dns };
  const decided = decideArming(view);
  if (!d.watchedRds || (decided.kind !== "stranded" && decided.kind !== "serving")) return decided;
  const watchedDb = await readDatabase(d.watchedRds, d.watched.identifier);
  // Serving: the watched region holds this region's standby; whether it still protects is read from the same answer.
  if (decided.kind === "serving") return { ...decided, standby: decideStandby(watchedDb, d.watched.identifier, d.localId) };
  const stranded = decideArming({ ...view, watchedDb });
  if (stranded.kind !== "stranded" || !d.region) return stranded;
  // Which stranded state: whether this region's database is the one that serves (Database.decideServing),
  // the fence's mark (read_only = 1) in its own parameter group read only now (the watched region is silent).
  const region = d.region;
  return Database.readOnlyByGroup(d.rds, d.localId).then(
    ({ readOnly }): Arming => {
      const here: LocalDatabase = local?.found ? { ...local, readOnly } : local;
      return { ...stranded, here: { region, readOnly: Database.decideServing({ here, watched: watchedDb }).serves !== "here" } };
    },
    (): Arming => stranded,
  );
}

/** One DescribeDBInstances (read_only is read only once stranded); not found and not answered told apart. */
async function readDatabase(rds: RDSClient, identifier: string): Promise<LocalDatabase> {
  return (await Database.seeDatabase(rds, identifier, { readOnly: false })).seen;
}
