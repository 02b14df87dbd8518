/**
 * The one middy wrapper every handler uses: Powertools logger (with Lambda context), metrics
 * and tracer; input validated against a zod schema from core (classic or mini: both are zod
 * core types, and the monitor's are mini to keep its bundle small); typed errors rethrown unchanged
 * so their names reach the state machine's Retry/Catch.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { Context } from "aws-lambda";
import { safeParse, type $ZodError, type $ZodType, type output } from "zod/v4/core";
import { Errors } from "@pilot-light/core";

export const logger = new Logger({ serviceName: "pilot-light" });
// Metrics' own warnings (e.g. "no metrics to publish") go through the structured logger.
export const metrics = new Metrics({ namespace: "PilotLight", serviceName: "pilot-light", logger });
export const tracer = new Tracer({ serviceName: "pilot-light" });

export function formatZodError(error: $ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ");
}

/** Wraps `fn` as a Lambda handler whose event must match `schema`. */
export function handler<S extends $ZodType, R>(
  schema: S,
  fn: (input: output<S>, context: Context) => Promise<R>,
) {
  return middy<unknown, R>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      const parsed = safeParse(schema, event);
      if (!parsed.success) {
        throw new Errors.ValidationError(`invalid input: ${formatZodError(parsed.error)}`);
      }
      return fn(parsed.data, context);
    });
}

/** Reads a required environment variable once, failing fast with its name. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Errors.ConfigurationError(`missing environment variable ${name}`);
  return value;
}
