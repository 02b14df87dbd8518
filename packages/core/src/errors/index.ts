/**
 * The error contract between the step Lambdas and the state machine.
 * Every domain error extends PilotLightError and sets `name` explicitly, so that bundling
 * (which renames classes) cannot change the `ErrorEquals` keys the state machine matches on.
 * Three families: Retryable (try again soon), Terminal (a precondition failed: compensate),
 * and anything else (unexpected: compensate, never retried by name).
 */
export abstract class PilotLightError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A transient condition: throttling, a 5xx from an AWS API, a resource not ready yet. */
export abstract class RetryableError extends PilotLightError {}

/** A precondition that will not fix itself by retrying. */
export abstract class TerminalError extends PilotLightError {}

/** An AWS control-plane API answered with throttling or a server error. */
export class AwsTransientError extends RetryableError {
  override readonly name = "AwsTransientError";
}

/** Input or configuration that breaks its schema; the message names the field and the rule. */
export class ValidationError extends TerminalError {
  override readonly name = "ValidationError";
}

/** A Lambda is missing configuration it needs (an environment variable, a resource name). */
export class ConfigurationError extends TerminalError {
  override readonly name = "ConfigurationError";
}

const transientNames = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalServerError",
  "InternalError",
  "PriorRequestNotComplete",
  "TimeoutError",
]);

/** Node socket errors the SDK itself retries (a connection reset, refused or timed out). */
const networkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * True when an SDK v3 error is worth retrying: a throttling code, a 5xx status, a socket error
 * the SDK gave up on, or the SDK's own `$retryable` hint. Used by adapters to translate SDK
 * errors into AwsTransientError.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: unknown };
  const status = e.$metadata?.httpStatusCode ?? 0;
  return transientNames.has(error.name) || status >= 500 || Boolean(e.$retryable) || networkCodes.has(String(e.code));
}

/** Runs an SDK call and rethrows transient failures as AwsTransientError (with the cause). */
export async function callAws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransientAwsError(error)) {
      throw new AwsTransientError(`${what}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
}
