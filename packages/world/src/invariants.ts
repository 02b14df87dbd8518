/**
 * What must hold after every failover test, whatever went wrong (issue 12): at most one
 * writable database; no user answered by a region without a writable database (Route 53's data
 * plane, `resolve`, decides where users go); the DR service's count consistent with what
 * happened to the database; the failover lock released, or held by a running execution or for
 * a stated reason; and, for every execution that failed, timed out or was aborted, a
 * notification (SNS, or an OpsCenter OpsItem when SNS failed) that names one of the steps it failed at.
 */
import type { WorldState } from "./model";
import type { PilotLightIds } from "./pilot-light";
import { failedSteps } from "./stepfunctions";

export interface InvariantOptions {
  /** The LOCK#failover item as the state table holds it (undefined: no lock). */
  lock: Record<string, unknown> | undefined;
  /** Why a lock may still be held after the test (e.g. "its release was made to fail"). */
  lockHeldBecause?: string;
}

export function invariantViolations(world: WorldState, ids: PilotLightIds, options: InvariantOptions): string[] {
  const violations: string[] = [];
  const writable = [...world.databases.keys()].filter((id) => world.isWritable(id));
  if (writable.length > 1) violations.push(`${writable.length} writable databases: ${writable.join(", ")}`);

  if (ids.dns) {
    const answer = world.resolve(ids.hostedZoneId, ids.recordName);
    const region = /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(answer?.AliasTarget?.DNSName ?? "")?.[1];
    const service = region ? [...world.services.values()].find((s) => s.region === region) : undefined;
    // The one exception: nothing is writable anywhere and RDS is still promoting the database
    // DR answers from (a NeedsOperator run whose promotion does not finish): users get reads, no
    // region takes writes.
    const db = service ? world.databases.get(service.database) : undefined;
    const stillPromoting = Boolean(db && db.promotionRequestedAtMs !== null && writable.length === 0);
    if (region && service && world.healthStatus(region) === 200 && !world.isWritable(service.database) && !stillPromoting) {
      violations.push(`users resolve to ${region}, which answers with database ${service.database} not writable`);
    }
  }

  const replica = world.databases.get(ids.replicaDb);
  const dr = world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service));
  const running = [...world.executions.values()].filter((e) => e.status === "RUNNING");
  const promotion = replica ? world.dbView(replica) : undefined;
  const promoted = Boolean(replica && (replica.promotionRequestedAtMs !== null || promotion?.sourceIdentifier === null));
  const ended = [...world.executions.values()].filter((e) => e.status !== "RUNNING").sort((a, b) => (a.stopMs ?? 0) - (b.stopMs ?? 0));
  const last = ended.at(-1);
  if (dr && running.length === 0) {
    if (promoted) {
      // A NeedsOperator run scales as far as it got and undoes nothing.
      const needsOperator = last?.status === "FAILED" && last.error === "NeedsOperator";
      if (!needsOperator && dr.desired !== ids.drTaskCount) violations.push(`the DR database is promoted but the DR service wants ${dr.desired} tasks, not ${ids.drTaskCount}`);
    } else if (dr.desired !== ids.drPilotTaskCount) {
      violations.push(`the DR database is still a replica but the DR service wants ${dr.desired} tasks, not its pilot light ${ids.drPilotTaskCount}`);
    }
  }

  const lock = options.lock;
  if (lock) {
    const owner = String(lock.owner ?? "?");
    const holder = running.find((e) => e.name === owner);
    if (!holder && !options.lockHeldBecause) violations.push(`the failover lock is held by ${owner}, which is not running, and no reason was given`);
  }

  for (const execution of ended.filter((e) => e.status !== "SUCCEEDED")) {
    const steps = failedSteps(execution.history);
    // SNS, or (when SNS is what failed) an OpsCenter OpsItem: either names the step.
    const told =
      world.inbox.some((m) => m.atMs >= execution.startMs && steps.some((step) => `${m.subject}\n${m.message}`.includes(step))) ||
      world.opsItems.some((o) => o.atMs >= execution.startMs && steps.some((step) => `${o.title}\n${o.description}`.includes(step)));
    if (!told) violations.push(`execution ${execution.name} ended ${execution.status} and no notification names ${steps.join(" or ") || "its step"}`);
  }
  return violations;
}

/** Throws, listing every violated invariant. */
export function assertInvariants(world: WorldState, ids: PilotLightIds, options: InvariantOptions): void {
  const violations = invariantViolations(world, ids, options);
  if (violations.length > 0) throw new Error(`world invariants violated:\n  - ${violations.join("\n  - ")}`);
}
