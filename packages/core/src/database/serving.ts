/**
 * Which region serves, from what RDS shows: the one reading of it, for readiness (whose primary's
 * Route 53 check to judge), the monitor's arming (which stranded state it sees) and the `dr` CLI
 * (where a re-protect or switchback starts, what `pnpm dr status` says). A database takes writes
 * when it is no read replica, `read_only` is not on in the parameter group it uses (a failover's
 * fence, a switchback's seal) and it is `available`. Pure: what each caller reads, and how it
 * treats "both", "none" and "not known", stays with the caller (docs/design.md, "Which region
 * serves").
 */
import type { ReplicaState } from "./index";

/**
 * One database as RDS shows it. `undefined`: RDS did not answer. `readOnly`: `read_only` in the
 * group it uses (readOnlyByGroup), read only for a database that is no replica; absent: not read.
 */
export type DatabaseSeen<S extends DatabaseShown = ReplicaState> = { found: false } | { found: true; state: S; readOnly?: boolean | undefined } | undefined;

/** What the decision reads of a database's state. */
export type DatabaseShown = Pick<ReplicaState, "status" | "sourceIdentifier">;

export type DatabaseRole =
  /** No replica, `read_only` off, `available`: it takes writes. */
  | "writable"
  /** No replica, `read_only` off, not `available` (a promotion finishing, a backup, a reboot): it takes writes again without anyone acting. */
  | "not-ready"
  /** No replica, `read_only` on in its group: the old primary a failover fenced, or the database a switchback sealed. */
  | "read-only"
  /** A read replica, whatever its status. */
  | "replica"
  | "not-found"
  /** RDS did not answer, or a database that is no replica whose `read_only` was not read. */
  | "not-known";

export function roleOf(seen: DatabaseSeen<DatabaseShown>): DatabaseRole {
  if (seen === undefined) return "not-known";
  if (!seen.found) return "not-found";
  if (seen.state.sourceIdentifier !== null) return "replica";
  if (seen.readOnly === undefined) return "not-known";
  if (seen.readOnly) return "read-only";
  return seen.state.status === "available" ? "writable" : "not-ready";
}

export interface Serving<K extends string> {
  /**
   * The region whose database is the one no replica and not read-only (the other may not have
   * answered: it takes no writes a user reaches). "both": two such databases, a fence or seal
   * that did not hold; "none": neither; "not-known": neither as far as RDS answered.
   */
  serves: K | "both" | "none" | "not-known";
  roles: Record<K, DatabaseRole>;
}

const mayServe = (role: DatabaseRole) => role === "writable" || role === "not-ready";

/** The decision over two regions' databases, keyed as the caller names them (primary/dr, here/watched). */
export function decideServing<K extends string>(seen: Record<K, DatabaseSeen<DatabaseShown>>): Serving<K> {
  const keys = Object.keys(seen) as K[];
  const roles = Object.fromEntries(keys.map((k) => [k, roleOf(seen[k])])) as Record<K, DatabaseRole>;
  const serving = keys.filter((k) => mayServe(roles[k]));
  if (serving.length === 1) return { serves: serving[0] as K, roles };
  if (serving.length > 1) return { serves: "both", roles };
  return { serves: keys.some((k) => roles[k] === "not-known") ? "not-known" : "none", roles };
}
