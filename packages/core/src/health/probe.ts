/**
 * Probing: one check is a short burst of probes, each with a hard timeout (AbortSignal) that
 * covers connect, TLS, headers and body, decided by majority. Probes start a little apart so
 * a single lost packet or a one-off reset does not fail the check, and run concurrently so a
 * hung primary costs one timeout (plus the spacing), never `count` timeouts.
 */
import { judgeResponse, type ProbeResult } from "./contract";

export interface ProbeOptions {
  timeoutMs: number;
}

export interface CheckOptions extends ProbeOptions {
  /** Probes in the burst. */
  count: number;
  /** Delay between the starts of two probes. */
  spacingMs: number;
}

export interface CheckResult {
  url: string;
  ok: boolean;
  /** ISO time the burst started. */
  at: string;
  probes: ProbeResult[];
}

/** Bodies larger than this are a contract failure; /health.php answers in a few dozen bytes. */
const maxBodyBytes = 16 * 1024;

/** One HTTP GET with a hard timeout. Never throws: every outcome is a ProbeResult. */
export async function probe(url: string, { timeoutMs }: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      signal,
      redirect: "manual",
      headers: { "cache-control": "no-cache", "user-agent": "pilot-light-health-monitor" },
    });
    const text = await readCapped(response);
    return { ...judgeResponse(response.status, text), latencyMs: elapsed() };
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), ...describeFailure(error, signal, timeoutMs) };
  }
}

/** A burst of `count` probes, `spacingMs` apart; ok when more than half succeed. */
export async function check(url: string, options: CheckOptions): Promise<CheckResult> {
  const at = new Date().toISOString();
  const probes = await Promise.all(
    Array.from({ length: options.count }, async (_, i) => {
      if (i > 0) await delay(i * options.spacingMs);
      return probe(url, options);
    }),
  );
  return { url, ok: isMajorityHealthy(probes), at, probes };
}

/** The check fails only when a strict majority of its probes failed (a tie passes). */
export function isMajorityHealthy(probes: readonly Pick<ProbeResult, "ok">[]): boolean {
  const failed = probes.filter((p) => !p.ok).length;
  return probes.length > 0 && failed * 2 <= probes.length;
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) {
    await response.body?.cancel();
    return `(body of ${declared} bytes not read)`;
  }
  const text = await response.text();
  return text.length > maxBodyBytes ? text.slice(0, maxBodyBytes) : text;
}

function describeFailure(error: unknown, signal: AbortSignal, timeoutMs: number): Pick<ProbeResult, "failure" | "error"> {
  if (signal.aborted) return { failure: "timeout", error: `no complete answer within ${timeoutMs} ms` };
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return { failure: "connection", error: code ? `${code}: ${message}` : message };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
