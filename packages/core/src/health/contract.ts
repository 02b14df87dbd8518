/**
 * The `/health.php` contract the monitor accepts (docs/health-contract.md states it for
 * application teams and tests its examples against `judgeResponse`), and what one probe observed.
 * Healthy means: a 2xx answer whose body is a JSON object with `status: "ok"` and, when the
 * app reports it, `db: "ok"`. Anything else (other status, non-JSON, `db: "error"`) is a
 * failure with evidence a person can read in a notification.
 */
import * as z from "../zod";

/** The body the LAMP app's /health.php returns (200 ok / 503 error). Extra fields are allowed. */
export const HealthBody = z.looseObject({
  status: z.string(),
  db: z.optional(z.string()),
  region: z.optional(z.string()),
  time: z.optional(z.string()),
});

export const FailureKind = z.enum(["timeout", "connection", "http-status", "contract"]);
export type FailureKind = z.infer<typeof FailureKind>;

/** One request's result, as stored for evidence and shown in notifications. */
export const ProbeResult = z.object({
  ok: z.boolean(),
  latencyMs: z.number().check(z.minimum(0)),
  /** HTTP status when an answer arrived. */
  status: z.optional(z.int()),
  failure: z.optional(FailureKind),
  /** Why it failed, in words. */
  error: z.optional(z.string()),
  /** The region the app said it serves from, when the body says so. */
  region: z.optional(z.string()),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

/** Verdict on an HTTP answer that did arrive; latency is added by the caller. */
export function judgeResponse(status: number, bodyText: string): Omit<ProbeResult, "latencyMs"> {
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(bodyText);
  } catch {
    parsedJson = undefined;
  }
  const body = HealthBody.safeParse(parsedJson);
  const region = body.success ? body.data.region : undefined;
  if (status < 200 || status > 299) {
    const said = body.success ? ` (status "${body.data.status}", db "${body.data.db ?? "?"}")` : "";
    return { ok: false, status, failure: "http-status", error: `HTTP ${status}${said}`, region };
  }
  if (!body.success) {
    return { ok: false, status, failure: "contract", error: `body is not the /health.php JSON: ${snippet(bodyText)}` };
  }
  if (body.data.status !== "ok") {
    return { ok: false, status, failure: "contract", error: `status is "${body.data.status}", expected "ok"`, region };
  }
  if (body.data.db !== undefined && body.data.db !== "ok") {
    return { ok: false, status, failure: "contract", error: `db is "${body.data.db}", expected "ok"`, region };
  }
  return { ok: true, status, region };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length === 0) return "(empty)";
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}…` : flat);
}

/** The path of a health URL (the stage's application.healthPath, as a check probed it); the URL itself if it does not parse. */
export function healthPathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
