/**
 * `pnpm dr point-users --stage S --to <region>`: the one command for a stranded stage, where
 * users are sent to a region that does not answer and no workflow moves them (docs/runbook.md,
 * "The DR region fails during a switchback, after the promotion"). Decides from what AWS shows,
 * never from a flag: the target region's database must take writes (available, not a replica,
 * read_only not 1 in its group) and the other region's must not (asked there; no answer is said,
 * and then only a typed confirmation goes on). Everything it needs is read in the target region
 * alone (its load balancer's address in its SSM, published by its stacks) and in Route 53 (global:
 * the record, the primary's health check), so the other region may be down.
 * The PRIMARY record is changed by the one implementation the workflows use
 * (Dns.pointPrimaryRecord): run again, it finds the record already so and changes nothing.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { ListHealthChecksCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { Database, Dns, Stage } from "@pilot-light/core";
import { cliClientBounds, message } from "./aws";
import { RefusedError } from "./errors";

/** The clients the command reads and changes with: RDS and SSM per region, Route 53 (global). */
export interface PointUsersClients {
  rds(region: string): RDSClient;
  ssm(region: string): SSMClient;
  route53: Route53Client;
}

/** Bounded as every CLI client (3 s connect, 6 s answer, 2 attempts): the other region may hang. */
export function pointUsersClients(bounds: typeof cliClientBounds = cliClientBounds): PointUsersClients {
  const rds = new Map<string, RDSClient>();
  const ssm = new Map<string, SSMClient>();
  const made = <C>(cache: Map<string, C>, region: string, make: () => C): C => cache.get(region) ?? cache.set(region, make()).get(region)!;
  return {
    rds: (region) => made(rds, region, () => new RDSClient({ region, ...bounds })),
    ssm: (region) => made(ssm, region, () => new SSMClient({ region, ...bounds })),
    route53: new Route53Client({ region: "us-east-1", ...bounds }),
  };
}

/** A region's database as the command judges it: writable, or why not; `unanswered` when its region said nothing. */
export type DatabaseLook =
  | { identifier: string; answered: true; found: false }
  | { identifier: string; answered: true; found: true; status: string; replica: boolean; readOnly: boolean; writable: boolean }
  | { identifier: string; answered: false; error: string };

export interface PointUsersResult {
  stage: string;
  to: string;
  /** "pointed": the record changed (and is INSYNC unless `insync` is false); "already": nothing to do; "dry-run": nothing changed. */
  outcome: "pointed" | "already" | "dry-run";
  target: DatabaseLook;
  other: DatabaseLook;
  record: { before: { albDns: string | null; healthCheckId: string | null }; after: { albDns: string; healthCheckId: string | null } };
  changeId: string | null;
  insync: boolean;
}

export interface PointUsersOptions {
  to: string;
  dryRun: boolean;
  /** Asked only when the other region's database did not answer; true goes on. */
  confirm: (question: string) => Promise<boolean>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  progress: (line: string) => void;
  /** The INSYNC wait: polls and their spacing (Route 53 propagates within 60 s as a rule). */
  insyncPolls?: number;
  insyncIntervalMs?: number;
}

/** One region's database: DescribeDBInstances, then (not a replica) read_only in the group it uses (Database.seeDatabase). */
export async function lookAtDatabase(rds: RDSClient, identifier: string): Promise<DatabaseLook> {
  const { seen, error } = await Database.seeDatabase(rds, identifier, { readOnly: true });
  if (seen === undefined) return { identifier, answered: false, error: message(error) };
  if (!seen.found) return { identifier, answered: true, found: false };
  if (error !== undefined) return { identifier, answered: false, error: `its parameter group could not be read: ${message(error)}` };
  const role = Database.roleOf(seen);
  return { identifier, answered: true, found: true, status: seen.state.status, replica: role === "replica", readOnly: role === "read-only", writable: role === "writable" };
}

function describe(look: DatabaseLook, region: string): string {
  if (!look.answered) return `${look.identifier} in ${region} did not answer (${look.error})`;
  if (!look.found) return `no database ${look.identifier} in ${region}`;
  const what = look.replica ? "a read replica" : look.readOnly ? "read-only (read_only = 1 in its parameter group: fenced or sealed)" : look.writable ? "writable" : "not a replica";
  return `${look.identifier} in ${region} is ${look.status}, ${what}`;
}

async function parameter(ssm: SSMClient, name: string, region: string): Promise<string> {
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    if (value) return value;
  } catch (error) {
    if (!(error instanceof Error && error.name === "ParameterNotFound")) {
      throw new RefusedError(`could not read SSM parameter ${name} in ${region}: ${message(error)}. Users stay where they are; docs/runbook.md gives the aws route53 command to run by hand.`, { cause: error });
    }
  }
  throw new RefusedError(
    `SSM parameter ${name} is missing in ${region}: the stage's stacks there predate pnpm dr point-users (deploy them: pnpm deploy:all --stage <stage>). ` +
      "Meanwhile docs/runbook.md gives the aws route53 command to run by hand.",
  );
}

/**
 * The Route 53 health check the Dns stack puts on the PRIMARY record (stacks/health-check.ts:
 * HTTPS to the primary region's own name, the stage's health path), found by its config through
 * Route 53's global API: the id is published only in the DR region's SSM, which may be down.
 * Exactly one must match; none or several is refused, naming what was found.
 */
export async function primaryHealthCheck(route53: Route53Client, config: Stage.StageConfig, dns: { recordName: string }): Promise<string> {
  const fqdn = Stage.regionalHost(dns, config.primaryRegion).toLowerCase();
  const matches: string[] = [];
  let marker: string | undefined;
  do {
    const page = await route53.send(new ListHealthChecksCommand({ ...(marker ? { Marker: marker } : {}) }));
    for (const check of page.HealthChecks ?? []) {
      const c = check.HealthCheckConfig;
      if (c?.FullyQualifiedDomainName?.toLowerCase().replace(/\.$/, "") === fqdn && c.ResourcePath === config.application.healthPath && check.Id) matches.push(check.Id);
    }
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  if (matches.length === 1) return matches[0]!;
  throw new RefusedError(
    `${matches.length === 0 ? "no" : `${matches.length}`} Route 53 health check${matches.length === 1 ? "" : "s"} on https://${fqdn}${config.application.healthPath}${matches.length > 1 ? ` (${matches.join(", ")})` : ""}: ` +
      "the PRIMARY record must carry the Dns stack's one (aws route53 list-health-checks). docs/runbook.md gives the aws route53 command to run by hand.",
  );
}

/** Reads, decides, and (not a dry run) points the PRIMARY record at the target region and waits for INSYNC. */
export async function pointUsers(config: Stage.StageConfig, clients: PointUsersClients, o: PointUsersOptions): Promise<PointUsersResult> {
  const dns = config.dns;
  if (!dns) throw new RefusedError(`stage "${config.stage}" has no DNS (stacks/stages.ts names no hosted zone): there is no failover record to point; users reach each region by its load balancer's own name`);
  const role = Stage.regionRole(config, o.to);
  const otherRegion = role === "primary" ? config.drRegion : config.primaryRegion;
  const names = Stage.resourceNames(config);
  const [targetId, otherId] = role === "primary" ? [names.primaryDb, names.replicaDb] : [names.replicaDb, names.primaryDb];

  const target = await lookAtDatabase(clients.rds(o.to), targetId);
  if (!target.answered || !target.found || !target.writable) {
    const why = describe(target, o.to);
    const next = target.answered && target.found && target.readOnly
      ? `If its data is what users must get (docs/runbook.md, "The serving region fails before re-protect": it misses the writes made since the failover), lift the fence first, then run this again.`
      : target.answered && target.found && target.replica
        ? "A replica takes no writes: promote it with the failover (pnpm dr failover), which also moves users."
        : "Run pnpm dr status, and docs/runbook.md for this state.";
    throw new RefusedError(`not pointing users at ${o.to}: its database must take writes, and ${why}.\n${next}`);
  }
  const other = await lookAtDatabase(clients.rds(otherRegion), otherId);
  if (other.answered && other.found && other.writable) {
    throw new RefusedError(
      `not pointing users at ${o.to}: ${describe(other, otherRegion)} too. Two writable databases: users moved would write to one while the other keeps its own writes. ` +
        "Decide which one serves (pnpm dr status), fence the other (docs/runbook.md), then run this again.",
    );
  }

  const p = Stage.pointUsersParameters(names, role);
  const ssm = clients.ssm(o.to);
  const albDns = await parameter(ssm, p.albDns, o.to);
  const albZoneId = await parameter(ssm, p.albZone, o.to);
  const healthCheckId = role === "primary" ? await primaryHealthCheck(clients.route53, config, dns) : undefined;
  const ref = { hostedZoneId: dns.hostedZoneId, recordName: dns.recordName };
  const current = await Dns.readPrimaryRecord(clients.route53, { ...ref, drAlbDns: "", drAlbZoneId: "" });
  const before = { albDns: current.AliasTarget?.DNSName?.replace(/^dualstack\./, "").replace(/\.$/, "") ?? null, healthCheckId: current.HealthCheckId ?? null };
  const after = { albDns, healthCheckId: healthCheckId ?? null };
  const base = { stage: config.stage, to: o.to, target, other, record: { before, after } };
  if (Dns.aliasPointsAt(current, albDns) && before.healthCheckId === after.healthCheckId) return { ...base, outcome: "already", changeId: null, insync: true };
  if (o.dryRun) return { ...base, outcome: "dry-run", changeId: null, insync: false };

  if (!other.answered) {
    const question = [
      `${describe(other, otherRegion)}: whether it takes writes cannot be seen.`,
      `Users go to ${o.to} (${targetId}, writable). If ${otherId} still takes writes when ${otherRegion} returns, those writes are not here.`,
      `Type the stage name (${config.stage}) to point users at ${o.to}: `,
    ].join("\n");
    if (!(await o.confirm(question))) throw new RefusedError(`not confirmed: users stay where they are (${o.to} not pointed at)`);
  }
  let change = await Dns.pointPrimaryRecord(clients.route53, ref, { albDns, albZoneId, ...(healthCheckId ? { healthCheckId } : {}) }, o.now());
  const polls = o.insyncPolls ?? 60;
  for (let i = 0; !change.insync && i < polls; i++) {
    await o.sleep(o.insyncIntervalMs ?? 5_000);
    change = await Dns.checkChange(clients.route53, change, o.now());
  }
  if (!change.insync) o.progress(`Route 53 change ${change.changeId} not INSYNC yet: aws route53 get-change --id ${change.changeId}`);
  return { ...base, outcome: "pointed", changeId: change.changeId, insync: change.insync };
}

export function formatPointUsers(r: PointUsersResult, otherRegion: string): string {
  const record = (x: { albDns: string | null; healthCheckId: string | null }) => `${x.albDns ?? "(no alias)"}${x.healthCheckId ? ` with health check ${x.healthCheckId}` : " (pinned, no health check)"}`;
  const seen = [`  ${describe(r.target, r.to)}`, `  ${describe(r.other, otherRegion)}`];
  if (r.outcome === "already") return [`Nothing to do: the PRIMARY record already sends users to ${r.to}: ${record(r.record.after)}.`, ...seen].join("\n");
  const change = `PRIMARY record: ${record(r.record.before)}\n             → ${record(r.record.after)}`;
  if (r.outcome === "dry-run") return [`Dry run, nothing changed. Would point users at ${r.to}:`, change, ...seen].join("\n");
  return [
    `Users pointed at ${r.to}${r.insync ? " (Route 53 INSYNC: every name server answers it)" : ` (change ${r.changeId} not INSYNC yet)`}:`,
    change,
    ...seen,
    "Resolvers drop the old answer within the record's TTL (60 s). Next: pnpm dr status; once the other region is back, docs/runbook.md says what it holds.",
  ].join("\n");
}
