/**
 * The second opinion before anything irreversible: Route 53's health checkers, in regions
 * outside both of ours, probing the primary's /health.php for the failover record (the Dns
 * stack's health check). The monitor starts an automatic failover only when they do not see the
 * primary healthy; when they do (Route 53's own rule: more than 18 % of checkers healthy, the
 * rule its DNS answers follow) the failover is withheld. Their API is Route 53's control plane
 * in us-east-1, which can hang or fail: then the opinion is "unavailable" and the monitor goes on
 * its own view, saying so. Pure judgement (`judgeObservations`) and one bounded SDK call.
 */
import { GetHealthCheckStatusCommand, type Route53Client } from "@aws-sdk/client-route-53";

export type Verdict = "confirms" | "disagrees" | "unavailable";

export interface SecondOpinion {
  verdict: Verdict;
  /** One line for people: who said what. */
  detail: string;
}

/** One health checker's latest check, as GetHealthCheckStatus reports it. */
export interface CheckerObservation {
  region: string;
  /** "Success: HTTP Status Code 200, OK" or "Failure: ..." */
  status: string;
  checkedAt?: string;
}

export interface SecondOpinionRules {
  /** Route 53 considers an endpoint healthy when more than this share of its checkers do. */
  healthyShare: number;
  /** Observations older than this are a checker that stopped reporting, not an opinion. */
  maxAgeSeconds: number;
  /** Fewer fresh observations than this are no opinion (Route 53 checks from at least 3 regions). */
  minCheckers: number;
}

export const secondOpinionRules: SecondOpinionRules = { healthyShare: 0.18, maxAgeSeconds: 120, minCheckers: 3 };

export function unavailable(why: string): SecondOpinion {
  return { verdict: "unavailable", detail: `second opinion unavailable (${why}): going on the monitor's own checks` };
}

/** What the checkers' latest results say about the primary, by Route 53's own aggregation rule. */
export function judgeObservations(observations: readonly CheckerObservation[], now: Date, rules: SecondOpinionRules = secondOpinionRules): SecondOpinion {
  const fresh = observations.filter((o) => o.checkedAt !== undefined && now.getTime() - Date.parse(o.checkedAt) <= rules.maxAgeSeconds * 1000);
  if (fresh.length < rules.minCheckers) {
    return unavailable(`${fresh.length} of ${observations.length} Route 53 health checkers reported in the last ${rules.maxAgeSeconds} s`);
  }
  const healthy = fresh.filter((o) => o.status.startsWith("Success"));
  const share = healthy.length / fresh.length;
  const regions = (list: readonly CheckerObservation[]) => [...new Set(list.map((o) => o.region))].join(", ");
  if (share > rules.healthyShare) {
    return {
      verdict: "disagrees",
      detail: `Route 53 health checkers see the primary healthy from ${healthy.length} of ${fresh.length} locations (${regions(healthy)}): more than ${Math.round(rules.healthyShare * 100)} %, so Route 53 still sends users to it`,
    };
  }
  const failure = fresh.find((o) => !o.status.startsWith("Success"))?.status ?? "";
  return {
    verdict: "confirms",
    detail: `Route 53 health checkers confirm: ${healthy.length} of ${fresh.length} locations see the primary healthy (${clip(failure, 80)})`,
  };
}

/** Asks Route 53 (GetHealthCheckStatus); any failure of the call is an unavailable opinion, never an error. */
export async function askRoute53(client: Route53Client, healthCheckId: string, now: () => Date): Promise<SecondOpinion> {
  try {
    return judgeObservations(await checkerObservations(client, healthCheckId), now());
  } catch (error) {
    const e = error as Error;
    return unavailable(`GetHealthCheckStatus ${healthCheckId}: ${e.name}: ${clip(e.message, 120)}`);
  }
}

/** Each checker's latest result for a health check (GetHealthCheckStatus). */
export async function checkerObservations(client: Route53Client, healthCheckId: string): Promise<CheckerObservation[]> {
  const out = await client.send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }));
  return (out.HealthCheckObservations ?? []).map((o) => ({
    region: o.Region ?? "?",
    status: o.StatusReport?.Status ?? "",
    checkedAt: o.StatusReport?.CheckedTime ? new Date(o.StatusReport.CheckedTime).toISOString() : undefined,
  }));
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
