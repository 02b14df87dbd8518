/**
 * What a region's /health.php answers depends on who asks and on the app behind it:
 * - a network partition between two regions: each side's endpoints are unreachable from the
 *   other, and fine for everyone else (the rest of the internet, Route 53's health checkers);
 * - faults of the app in a region that leave the region itself up: a bad deploy whose
 *   /health.php answers 200 with a page that is not the contract, or a database at its
 *   connection limit that refuses a share of the requests (MySQL error 1040) with a 503;
 * - Route 53's health checkers, in the eight regions Route 53 checks from, each seeing the
 *   endpoint as the world is now: `GetHealthCheckStatus` for a health check, whether a record
 *   uses it (the PRIMARY record's) or not (the one on the DR region, `addHealthCheck`).
 * The local health server's requests come from the DR region's Lambdas (the monitor,
 * VerifyDrHealth): a partition that touches the probed region cuts them off. Sources:
 * docs/aws-behaviour.md, "Route 53's health checkers".
 */
import type { WorldState } from "./model";

/** HealthCheckRegion in the Route 53 API: where health checkers run. */
export const healthCheckerRegions = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"] as const;

/** The Dns stack's request interval: each checker reports a check at most this old. */
export const healthCheckIntervalSeconds = 10;

export type AppFault =
  /** /health.php answers 200 with a page that is not the /health.php JSON (a broken image, a default page). */
  | { kind: "bad-deploy" }
  /** This share of requests (0..1) is refused by the database and answered 503 {"db":"error"}. */
  | { kind: "db-connection-limit"; rejectShare: number }
  /**
   * The team's own health path breaks the contract's `readOnly` (docs/health-contract.md): leaves
   * it out, or prints it as a string ("false", as PHP's string interpolation does); the rest of
   * the answer is the contract's, so the monitor, the ALB and Route 53 pass it.
   */
  | { kind: "read-only-breach"; readOnly: "absent" | "string" };

interface Vantage {
  partitions: [string, string][];
  /** Health checks by id: the region whose endpoint each watches (its own config, not a record's). */
  healthChecks: Map<string, string>;
  /** The endpoint each names in its HealthCheckConfig (ListHealthChecks), when a test gave it. */
  healthCheckConfigs: Map<string, HealthCheckEndpoint>;
  faults: Map<string, AppFault>;
  /** Requests per region, so a share of refusals is spread evenly and deterministically. */
  requests: Map<string, number>;
}

const vantages = new WeakMap<WorldState, Vantage>();

function vantageOf(world: WorldState): Vantage {
  let v = vantages.get(world);
  if (!v) {
    v = { partitions: [], healthChecks: new Map(), healthCheckConfigs: new Map(), faults: new Map(), requests: new Map() };
    vantages.set(world, v);
  }
  return v;
}

/** Cuts the network between two regions (both directions); everyone else still reaches both. */
export function partition(world: WorldState, a: string, b: string): void {
  vantageOf(world).partitions.push([a, b]);
}

export function healPartition(world: WorldState, a: string, b: string): void {
  const v = vantageOf(world);
  v.partitions = v.partitions.filter(([x, y]) => !((x === a && y === b) || (x === b && y === a)));
}

/** Whether a request from `from` to `to` is cut off; `from` undefined: the other side of any partition of `to`. */
export function isCutOff(world: WorldState, to: string, from?: string): boolean {
  return vantageOf(world).partitions.some(([x, y]) => (x === to && (from === undefined ? y !== to : y === from)) || (y === to && (from === undefined ? x !== to : x === from)));
}

/** Breaks (or, with null, mends) the app in a region; the region itself stays up. */
export function setAppFault(world: WorldState, region: string, fault: AppFault | null): void {
  if (fault) vantageOf(world).faults.set(region, fault);
  else vantageOf(world).faults.delete(region);
}

export type HealthAnswer = { reached: false } | { reached: true; status: number; body: string };

/**
 * One request to `region`'s /health.php from `from` (undefined: from the DR region's Lambdas,
 * the local health server's callers), answered as the world is now.
 */
export function answerHealth(world: WorldState, region: string, from?: string): HealthAnswer {
  if (isCutOff(world, region, from) || world.regionsDown.has(region)) return { reached: false };
  const status = world.healthStatus(region);
  const v = vantageOf(world);
  const n = v.requests.get(region) ?? 0;
  v.requests.set(region, n + 1);
  const fault = v.faults.get(region);
  if (status === 200 && fault?.kind === "bad-deploy") {
    return { reached: true, status: 200, body: "<html><body><h1>It works!</h1></body></html>" };
  }
  // Request n is refused when the running count of refusals steps up: exactly `rejectShare` of them, evenly spread.
  if (status === 200 && fault?.kind === "db-connection-limit" && Math.floor((n + 1) * fault.rejectShare) > Math.floor(n * fault.rejectShare)) {
    return { reached: true, status: 503, body: JSON.stringify({ status: "error", db: "error", error: "SQLSTATE[HY000] [1040] Too many connections" }) };
  }
  // As /health.php: a 200 says what the database the region's tasks use answers for
  // @@global.read_only (a replica, or read_only on in its parameter group: true).
  const svc = [...world.services.values()].find((x) => x.region === region);
  const db = svc ? world.databases.get(svc.database) : undefined;
  if (status === 200) {
    const readOnly = db ? world.readOnlyVariable(db) === 1 : undefined;
    const breach = fault?.kind === "read-only-breach" ? fault.readOnly : undefined;
    const said = breach === "absent" || readOnly === undefined ? {} : { readOnly: breach === "string" ? String(readOnly) : readOnly };
    return { reached: true, status, body: JSON.stringify({ status: "ok", db: "ok", ...said }) };
  }
  // Running tasks that cannot reach their database: every target fails its check, so the ALB
  // routes to all of them (fail open) and /health.php itself answers its error.
  if (svc && db && world.running(svc) > 0 && !world.dbAnswers(db.identifier)) {
    return { reached: true, status: 503, body: JSON.stringify({ status: "error", db: "error", error: "PDOException" }) };
  }
  return { reached: true, status, body: JSON.stringify({ status: "unavailable" }) };
}

const reasonPhrase: Record<number, string> = { 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

/** The region an ALB alias target serves, from its DNS name. */
function regionOfAlias(dnsName: string | undefined): string | undefined {
  return /\.([a-z]{2}-[a-z]+-\d)\.elb\.amazonaws\.com\.?$/.exec(dnsName ?? "")?.[1];
}

/**
 * A Route 53 health check on `region`'s endpoint (CreateHealthCheck names its endpoint in its own
 * config; no record need use it: Route 53 checks it all the same).
 */
/** What a health check's HealthCheckConfig names: an HTTPS endpoint (the region's own name, with SNI, on 443) and its path. */
export interface HealthCheckEndpoint {
  fqdn: string;
  resourcePath: string;
}

export function addHealthCheck(world: WorldState, healthCheckId: string, region: string, endpoint?: HealthCheckEndpoint): void {
  vantageOf(world).healthChecks.set(healthCheckId, region);
  if (endpoint) vantageOf(world).healthCheckConfigs.set(healthCheckId, endpoint);
}

/** ListHealthChecks: every health check of the account with the endpoint its config names, in the order they were added. */
export function listHealthChecks(world: WorldState): { Id: string; CallerReference: string; HealthCheckVersion: number; HealthCheckConfig: Record<string, unknown> }[] {
  return [...vantageOf(world).healthCheckConfigs].map(([id, e]) => ({
    Id: id,
    CallerReference: `world-${id}`,
    HealthCheckVersion: 1,
    HealthCheckConfig: { Type: "HTTPS", FullyQualifiedDomainName: e.fqdn, Port: 443, ResourcePath: e.resourcePath, EnableSNI: true, RequestInterval: 10, FailureThreshold: 3, MeasureLatency: false, Inverted: false, Disabled: false },
  }));
}

/**
 * GetHealthCheckStatus: every checker's latest check of the endpoint a health check watches
 * (Route 53 HTTPS checks pass on 2xx/3xx alone, the body is not read): one added with
 * `addHealthCheck`, else the region of the failover record that uses it; undefined when neither.
 */
export function healthCheckObservations(world: WorldState, healthCheckId: string) {
  const record = [...world.zones.values()].flat().find((r) => r.HealthCheckId === healthCheckId);
  const region = vantageOf(world).healthChecks.get(healthCheckId) ?? (record && regionOfAlias(record.AliasTarget?.DNSName));
  if (!region) return undefined;
  const nowMs = world.clock.nowMs();
  return healthCheckerRegions.map((checker, i) => {
    const answer = answerHealth(world, region, checker);
    const status = !answer.reached
      ? "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
      : answer.status >= 200 && answer.status < 400
        ? `Success: HTTP Status Code ${answer.status}, OK`
        : `Failure: HTTP Status Code ${answer.status}, ${reasonPhrase[answer.status] ?? "Error"}.`;
    // Checkers do not coordinate: their latest checks are spread over one request interval.
    const checkedMs = nowMs - ((i * healthCheckIntervalSeconds * 1000) / healthCheckerRegions.length);
    return { Region: checker, IPAddress: `15.177.${i * 8}.${10 + i}`, StatusReport: { Status: status, CheckedTime: new Date(checkedMs) } };
  });
}
