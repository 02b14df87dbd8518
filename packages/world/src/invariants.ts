/**
 * What must hold after every failover test, whatever went wrong (issue 12): at most one
 * writable database; no user answered by a region without a writable database (Route 53's data
 * plane, `resolve`, decides where users go), nor sent to a region that is down or without one
 * while another region's database is writable and nobody was told (a failover that "succeeded"
 * moving no one: a team's simple record has no PRIMARY record to pin); each region's service count consistent with what
 * its database shows (promoted and not fenced: serving; a replica: the pilot light), whichever
 * region's copy failed over; the failover lock released, or held by a running execution or for
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

  const running = [...world.executions.values()].filter((e) => e.status === "RUNNING");
  const ended = [...world.executions.values()].filter((e) => e.status !== "RUNNING").sort((a, b) => (a.stopMs ?? 0) - (b.stopMs ?? 0));
  const last = ended.at(-1);
  if (ids.dns) {
    const answer = world.resolve(ids.hostedZoneId, ids.recordName);
    const region = /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(answer?.AliasTarget?.DNSName ?? "")?.[1];
    const service = region ? [...world.services.values()].find((s) => s.region === region) : undefined;
    // The one exception: nothing is writable anywhere and RDS is still promoting the database
    // DR answers from (a NeedsOperator run whose promotion does not finish): users get reads, no
    // region takes writes. A promotion that finished (no source any more) on a database that is
    // still not writable (read_only, renaming) is no excuse.
    const db = service ? world.databases.get(service.database) : undefined;
    const stillPromoting = Boolean(db && db.promotionRequestedAtMs !== null && world.dbView(db).sourceIdentifier !== null && writable.length === 0);
    if (region && service && world.healthStatus(region) === 200 && !world.isWritable(service.database) && !stillPromoting) {
      violations.push(`users resolve to ${region}, which answers with database ${service.database} not writable`);
    }
    // Users left where nothing takes their writes while another region's database does, no run
    // still at it and nobody told (a failure notification or OpsItem since that database's promotion).
    const elsewhere = writable.map((id) => world.databases.get(id)!).find((d) => d.region !== region);
    const since = elsewhere?.promotionRequestedAtMs ?? 0;
    const told = world.inbox.some((m) => m.atMs >= since && /\.(failed|needs-operator|not-protected)$/.test(m.kind ?? "")) || world.opsItems.some((o) => o.atMs >= since);
    if (region && elsewhere && !(service && world.isWritable(service.database)) && running.length === 0 && !told) {
      const why = world.regionsDown.has(region) ? "which is down" : `whose database ${service?.database ?? "(none)"} is not writable`;
      violations.push(`users resolve to ${region} (${answer?.SetIdentifier ? `the ${answer.SetIdentifier} record` : "a simple record: no failover pair to move"}), ${why}, while ${elsewhere.identifier} in ${elsewhere.region} is writable, and nobody was told`);
    }
  }
  if (running.length === 0) {
    // Each region's service against what its database shows now, in both directions: a failover
    // may have promoted either region's copy (after a re-protect the primary region's replica is
    // the one promoted, and the DR region's promoted database is the fenced old one).
    // The primary region serves at its own count after a switchback, at the DR count after its copy failed over (failback worlds name it).
    const primaryTaskCount = "primaryTaskCount" in ids && typeof ids.primaryTaskCount === "number" ? ids.primaryTaskCount : ids.drTaskCount;
    for (const side of [
      { region: ids.drRegion, cluster: ids.cluster, service: ids.service, pilot: [ids.drPilotTaskCount] as number[] | null, full: [ids.drTaskCount] },
      // The other region's standby is not held to a count: a switchback pre-warms it, and its rollback cannot always set it back (it says so).
      { region: ids.primaryRegion, cluster: ids.primaryCluster, service: ids.primaryService, pilot: null, full: [ids.drTaskCount, primaryTaskCount] },
    ]) {
      const svc = world.services.get(world.serviceKey(side.region, side.cluster, side.service));
      const db = svc ? world.databases.get(svc.database) : undefined;
      if (!svc || !db || world.regionsDown.has(side.region)) continue;
      const view = world.dbView(db);
      // Promoted by a failover (or, in this region, no longer a replica), and not fenced since.
      const promoted = (db.promotionRequestedAtMs !== null || (side.region === ids.drRegion && view.sourceIdentifier === null)) && !world.isReadOnly(db);
      const what = `the ${side.region} database ${db.identifier}`;
      if (promoted) {
        // A NeedsOperator run scales as far as it got and undoes nothing.
        const needsOperator = last?.status === "FAILED" && last.error === "NeedsOperator";
        if (!needsOperator && !side.full.includes(svc.desired)) violations.push(`${what} is promoted but its service wants ${svc.desired} tasks, not ${side.full[0] ?? 0}`);
      } else if (side.pilot && view.sourceIdentifier !== null && !side.pilot.includes(svc.desired)) {
        violations.push(`${what} is still a replica but its service wants ${svc.desired} tasks, not its pilot light ${side.pilot.join(" or ")}`);
      }
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
