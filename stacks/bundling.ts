/**
 * How every Lambda is bundled, shared by `sst.config.ts` (what deploys) and `pnpm bench`
 * (what is measured), so the bench's bundle size is the deployed one.
 *
 * Minified ESM with the pinned @aws-sdk bundled, not the runtime's copy: the code that runs is
 * the code the tests ran. Left out are the parts of the SDK's default credential chain that a
 * Lambda function never reaches. Lambda hands the execution role's credentials to the function
 * in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the chain's first link
 * (fromEnv, bundled) answers; every later link (SSO, shared ini profiles, credential_process,
 * web identity, console login, container and instance metadata, and the STS/SSO clients they
 * use) is loaded only by a dynamic `import()` after fromEnv has failed. Event-stream
 * serialisation is likewise imported only for event-stream operations, which no handler calls.
 * Together about 130 KB of every function's ~600 KB; the health monitor's budget is 500 KB.
 * If a function ever ran without environment credentials it would fail loudly with
 * "Cannot find package '@aws-sdk/credential-provider-…'", not with wrong credentials.
 */
export const notInLambda = [
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-login",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
  "@aws-sdk/nested-clients",
  "@aws-sdk/token-providers",
  "@smithy/core/event-streams",
] as const;

/** SST's `nodejs` function props for every handler. */
export const lambdaNodejs = {
  format: "esm",
  minify: true,
  esbuild: { external: [...notInLambda] },
} as const;
