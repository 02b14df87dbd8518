/**
 * How every Lambda is bundled, shared by `sst.config.ts` (what deploys) and `pnpm bench`
 * (what is measured); `stacks/test/monitor.test.ts` checks the bench's bundle is byte-identical
 * to the one SST builds.
 *
 * Minified ESM with the pinned @aws-sdk bundled, not the runtime's copy: the code that runs is
 * the code the tests ran. Left out are the parts of the SDK's default credential chain that a
 * Lambda function never reaches. Lambda hands the execution role's credentials to the function
 * in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the chain's first link
 * (fromEnv, bundled) answers; every later link (SSO, shared ini profiles, credential_process,
 * web identity, console login, container and instance metadata, with the STS/SSO clients they
 * pull in) is loaded only by a dynamic `import()` after fromEnv has failed. Event-stream
 * serialisation is likewise imported only for event-stream operations, which no handler calls.
 * That is 145 to 160 KB of every function (median 799 KB -> 640 KB; the monitor, whose budget
 * was then 500 KB, 615 -> 473 KB). Were a later link ever reached, Node would resolve it from the
 * Lambda runtime's own SDK copy (a different version), or fail with "Cannot find package" if
 * the runtime lacks it. `packages/tools/test/bundles.test.ts` checks that no handler imports
 * any of these statically.
 */
import type { NodeJSProps } from "sst/constructs";
import { failbackHandlerFile, failbackStepNames } from "./failback/steps";

export const notInLambda = [
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-login",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
  "@smithy/core/event-streams",
];

/** SST's `nodejs` function props for every handler. */
export const lambdaNodejs = {
  format: "esm",
  minify: true,
  esbuild: { external: notInLambda },
} satisfies NodeJSProps;

/**
 * The failback's steps and the DB probe use the S3 and Lambda clients, whose runtime
 * configuration imports event-stream serialisation statically (S3 SelectObjectContent, Lambda
 * InvokeWithResponseStream): they bundle it rather than fail at cold start.
 */
export const withEventStreams = {
  ...lambdaNodejs,
  esbuild: { external: notInLambda.filter((p) => p !== "@smithy/core/event-streams") },
} satisfies NodeJSProps;

/** Handler files (packages/functions/src) bundled with `withEventStreams`. */
export const eventStreamHandlers: readonly string[] = [...failbackStepNames.map(failbackHandlerFile), "db-probe"];
