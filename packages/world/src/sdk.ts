/**
 * What an AWS SDK v3 client does around each call, emulated because aws-sdk-client-mock
 * replaces `send` (the SDK's retry middleware and HTTP handler never run):
 * - its timeouts, read from the client's own request handler configuration, decide how long an
 *   attempt to reach a region that is down waits (see `OutageShape`);
 * - its retry strategy repeats an attempt that failed with an error the SDK itself classifies as
 *   throttling or transient (@smithy/core/retry's classifiers), up to the client's maxAttempts.
 *   Backoff delays between attempts (well under a second for the first retries) are not spent.
 * Node's @smithy/node-http-handler semantics (4.x): `connectionTimeout` bounds connecting;
 * `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set; `socketTimeout`
 * (or a client's service default) bounds inactivity; all default to none.
 */
import { isThrottlingError, isTransientError } from "@smithy/core/retry";
import { linuxConnectTimeoutSeconds, type OutageShape } from "./model";

export interface HandlerTimeouts {
  connectionTimeout?: number;
  requestTimeout?: number;
  throwOnRequestTimeout?: boolean;
  socketTimeout?: number;
  defaultSocketTimeout?: number;
}

export interface ClientView {
  region: string;
  maxAttempts: number;
  timeouts: HandlerTimeouts;
}

type Provider<T> = T | (() => Promise<T> | T);

interface SdkClientLike {
  config: {
    region: Provider<string>;
    maxAttempts?: Provider<number>;
    requestHandler?: { configProvider?: Promise<HandlerTimeouts>; httpHandlerConfigs?: () => HandlerTimeouts };
  };
}

const resolve = async <T>(p: Provider<T> | undefined, fallback: T): Promise<T> =>
  p === undefined ? fallback : typeof p === "function" ? await (p as () => Promise<T> | T)() : p;

/** The region, attempt budget and timeouts of the client that sent a command. */
export async function viewClient(client: unknown): Promise<ClientView> {
  const { config } = client as SdkClientLike;
  const handler = config.requestHandler;
  const timeouts = (handler?.configProvider ? await handler.configProvider : handler?.httpHandlerConfigs?.()) ?? {};
  return { region: String(await resolve(config.region, "")), maxAttempts: await resolve(config.maxAttempts, 3), timeouts };
}

const positive = (ms: number | undefined) => (ms !== undefined && ms > 0 ? ms : undefined);

/**
 * How one attempt to a region that does not answer ends: after how many seconds (Infinity:
 * never) and with which error, as the SDK's Node HTTP handler would raise it.
 */
export function unansweredAttempt(shape: OutageShape, t: HandlerTimeouts, host: string): { seconds: number; error: () => Error } {
  const requestMs = t.throwOnRequestTimeout ? positive(t.requestTimeout) : undefined;
  const timeoutError = (message: string, code?: string) => () => Object.assign(new Error(message), { name: "TimeoutError", ...(code ? { code } : {}) });
  const requestLimit = requestMs === undefined ? undefined : { ms: requestMs, error: timeoutError(`a request has exceeded the configured ${requestMs} ms requestTimeout.`, "ETIMEDOUT") };
  const earliest = (...limits: ({ ms: number; error: () => Error } | undefined)[]) => {
    const first = limits.filter((l) => l !== undefined).sort((a, b) => a.ms - b.ms)[0];
    return first ? { seconds: first.ms / 1000, error: first.error } : { seconds: Infinity, error: timeoutError("never") };
  };
  switch (shape) {
    case "refused":
      return { seconds: 0, error: () => Object.assign(new Error(`connect ECONNREFUSED ${host}:443`), { code: "ECONNREFUSED" }) };
    case "black-hole": {
      const connectMs = positive(t.connectionTimeout);
      return earliest(
        connectMs === undefined
          ? { ms: linuxConnectTimeoutSeconds * 1000, error: () => Object.assign(new Error(`connect ETIMEDOUT ${host}:443`), { code: "ETIMEDOUT" }) }
          : { ms: connectMs, error: timeoutError(`the request socket did not establish a connection with the server within the configured timeout of ${connectMs} ms.`) },
        requestLimit,
      );
    }
    case "no-response": {
      const idleMs = positive(t.socketTimeout) ?? positive(t.defaultSocketTimeout);
      return earliest(idleMs === undefined ? undefined : { ms: idleMs, error: timeoutError(`the request socket timed out after ${idleMs} ms of inactivity.`) }, requestLimit);
    }
  }
}

/** Whether the SDK's standard retry strategy tries again after this error. */
export function sdkRetries(error: unknown): boolean {
  return error instanceof Error && (isThrottlingError(error as never) || isTransientError(error as never));
}

/** The SDK stamps the attempts it made on the error it finally throws. */
export function withAttempts(error: unknown, attempts: number): unknown {
  if (error instanceof Error) {
    const e = error as Error & { $metadata?: Record<string, unknown> };
    e.$metadata = { ...(e.$metadata ?? {}), attempts, totalRetryDelay: 0 };
  }
  return error;
}
