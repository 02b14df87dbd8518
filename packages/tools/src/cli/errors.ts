/**
 * The operator CLI's errors: each message is what the operator reads, so it says what is
 * wrong and what to do. `exitCode` separates usage mistakes (2) from refusals and
 * environment problems (1).
 */
export abstract class CliError extends Error {
  abstract override readonly name: string;
  readonly exitCode: number = 1;
}

/** The command line is wrong. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  override readonly exitCode = 2;
}

/** STS could not confirm who is calling: no, expired or invalid credentials. */
export class CredentialsError extends CliError {
  override readonly name = "CredentialsError";
}

/** The stage's stack is not deployed in the DR region (wrong stage, wrong account, not deployed yet). */
export class MissingStackError extends CliError {
  override readonly name = "MissingStackError";
}

/** The command was understood but must not run (no confirmation, an execution already running...). */
export class RefusedError extends CliError {
  override readonly name = "RefusedError";
}

/** AWS could not be reached: DNS, connection, timeout. During a regional outage this is the outage, not your credentials. */
export class NetworkError extends CliError {
  override readonly name = "NetworkError";
}

/** An AWS call failed for a reason that is neither credentials, network nor throttling: its message says it. */
export class AwsCallError extends CliError {
  override readonly name = "AwsCallError";
}

/** AWS answered "slow down": the call was throttled. */
export class ThrottledError extends CliError {
  override readonly name = "ThrottledError";
}

export type AwsErrorKind = "credentials" | "network" | "throttling" | "other";

const credentialNames = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
  "AuthFailure",
  "TokenRefreshRequired",
  "AccessDenied",
  "AccessDeniedException",
]);
const throttlingNames = new Set(["Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown", "ProvisionedThroughputExceededException"]);
const networkCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ECONNABORTED"]);
const networkNames = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "NetworkingError"]);

/** What kind of failure an AWS SDK error is, from its name, its Node error code, and its HTTP status. */
export function classifyAwsError(error: unknown): AwsErrorKind {
  const e = error as { name?: string; code?: string; cause?: { code?: string }; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || typeof e !== "object") return "other";
  const code = e.code ?? e.cause?.code;
  if ((code && networkCodes.has(code)) || networkNames.has(e.name ?? "") || /getaddrinfo|socket hang up|connect ETIMEDOUT/.test(e.message ?? "")) return "network";
  if (throttlingNames.has(e.name ?? "") || e.$metadata?.httpStatusCode === 429) return "throttling";
  if (credentialNames.has(e.name ?? "") || /could not load credentials|security token included in the request is (expired|invalid)/i.test(e.message ?? "")) return "credentials";
  return "other";
}

/**
 * The operator's error for an AWS call that failed, with advice that matches its kind.
 * `outage`: what an outage of `region` means for this command (default: `pnpm dr`'s, which talks
 * to the DR region's orchestrator).
 */
export function explainAwsError(what: string, region: string, error: unknown, outage = "The orchestrator runs in the DR region, so an outage of the primary region alone does not cause this."): CliError {
  const detail = error instanceof Error ? error.message : String(error);
  switch (classifyAwsError(error)) {
    case "credentials":
      return new CredentialsError(
        `${what} in ${region}: ${detail}\n` +
          "Set credentials for the stage's account (AWS_PROFILE=<profile>, `aws sso login --profile <profile>`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and try again.",
        { cause: error },
      );
    case "network":
      return new NetworkError(
        `${what} in ${region}: AWS could not be reached (${detail}).\n` +
          `This is the network, not your credentials: check this machine's DNS and connection (a VPN, a proxy: HTTPS_PROXY), and the AWS Health Dashboard for ${region}. ` +
          outage,
        { cause: error },
      );
    case "throttling":
      return new ThrottledError(`${what} in ${region}: AWS throttled the call (${detail}). Wait a minute and try again; the SDK already retried.`, { cause: error });
    default:
      return new AwsCallError(`${what} in ${region}: ${error instanceof Error ? `${error.name}: ` : ""}${detail}`, { cause: error });
  }
}
