/**
 * Where the CLI's AWS calls go and how it finds the stage's resources: every client in one
 * region, the one whose orchestrator copy the command talks to (the DR region on stages without
 * DNS; on stages with DNS the orchestrator runs in both regions, D2, and ./regions decides which
 * one from what AWS shows), names from Stage.resourceNames, the account from STS, the stacks
 * confirmed with CloudFormation before anything else runs.
 */
import { Resolver } from "node:dns/promises";
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Operations, Stage } from "@pilot-light/core";
import { CredentialsError, MissingStackError, explainAwsError } from "./errors";

/** The part of node:dns the status command uses (injected in tests). */
export interface DnsResolver {
  resolveCname(hostname: string): Promise<string[]>;
  resolve4(hostname: string): Promise<string[]>;
}

export interface Clients {
  sts: STSClient;
  cfn: CloudFormationClient;
  sfn: SFNClient;
  db: DynamoDBDocumentClient;
  cloudwatch: CloudWatchClient;
  ecs: ECSClient;
  rds: RDSClient;
  /** Route 53 is global: where the PRIMARY record sends users. */
  route53: Route53Client;
  dns: DnsResolver;
}

/**
 * Every attempt bounded (connect 3 s, answer 6 s, two attempts): a region in an outage does
 * not answer at all, and the CLI must say so and go on with the other region (./both-regions),
 * not wait on it for minutes.
 */
export const cliClientBounds = { maxAttempts: 2, requestHandler: { connectionTimeout: 3000, requestTimeout: 6000, throwOnRequestTimeout: true } };

/**
 * The SDK's Node credential chain, as the CLI asks it: every source the SDK's clients would try
 * (so environment variables, profiles, SSO and instance or container roles all work as they do
 * for the AWS CLI), its two remote ones (the ECS container endpoint, EC2 instance metadata) each
 * asked once with a 1 s bound, so that with no credentials at all the answer comes in seconds.
 */
export const credentialChainOptions = { timeout: 1000, maxRetries: 0 } as const;

/** What that chain tries, in order (what a "no credentials" message names). */
export const credentialSources = [
  "environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
  "SSO, a profile's keys or its credential_process in ~/.aws/config and ~/.aws/credentials (AWS_PROFILE, else default)",
  "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
  "the ECS container endpoint (AWS_CONTAINER_CREDENTIALS_*)",
  "EC2 instance metadata",
] as const;

export type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

/** One provider for every client of one invocation: the chain runs once, its answer kept until it expires. */
export function cliCredentials(): CredentialProvider {
  return fromNodeProviderChain({ ...credentialChainOptions });
}

/**
 * Resolves credentials once, before any AWS call: none found is one clear message naming what
 * was tried, not a failed STS call later.
 */
export async function requireCredentials(credentials: CredentialProvider): Promise<void> {
  try {
    await credentials();
  } catch (error) {
    throw new CredentialsError(
      `no AWS credentials found: tried ${credentialSources.join("; ")} (${message(error)}).\n` +
        "Set credentials for the stage's account (AWS_PROFILE=<profile>, `aws sso login --profile <profile>`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and try again.",
      { cause: error },
    );
  }
}

/** Clients in `region` (default: the stage's DR region); `credentials`: the invocation's one provider (default: each client's own chain). */
export function drClients(config: Stage.StageConfig, region: string = config.drRegion, bounds: typeof cliClientBounds = cliClientBounds, credentials?: CredentialProvider): Clients {
  const base = { region, ...bounds, ...(credentials ? { credentials } : {}) };
  return {
    sts: new STSClient(base),
    cfn: new CloudFormationClient(base),
    sfn: new SFNClient(base),
    db: DynamoDBDocumentClient.from(new DynamoDBClient(base), { marshallOptions: { removeUndefinedValues: true } }),
    cloudwatch: new CloudWatchClient(base),
    ecs: new ECSClient(base),
    rds: new RDSClient(base),
    route53: new Route53Client({ ...base, region: "us-east-1" }),
    dns: new Resolver({ timeout: 3000, tries: 2 }),
  };
}

export interface Context {
  config: Stage.StageConfig;
  names: ReturnType<typeof Stage.resourceNames>;
  account: string;
  /** The region whose orchestrator copy the command talks to (its stacks, state machines, table). */
  region: string;
  /** The caller's identity, e.g. assumed-role/Admin/alice: the default requestedBy / closedBy. */
  caller: string;
  stateMachineArn: string;
  clients: Clients;
  now: () => Date;
}

/** SST's CloudFormation stack name for a stack function: <stage>-<app>-<Stack>. */
export function stackName(config: Pick<Stage.StageConfig, "stage" | "app">, stack: string): string {
  return `${config.stage}-${config.app}-${stack}`;
}

/** "arn:aws:sts::1234:assumed-role/Admin/alice" → "assumed-role/Admin/alice" */
export function callerName(arn: string): string {
  return arn.split(":").slice(5).join(":") || arn;
}

/** Confirms credentials with STS: the account and the caller's name. */
export async function identify(config: Stage.StageConfig, clients: Pick<Clients, "sts">, region: string = config.drRegion): Promise<{ account: string; caller: string }> {
  let account: string;
  let arn: string;
  try {
    const me = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = me.Account ?? "";
    arn = me.Arn ?? "";
  } catch (error) {
    // Only a credentials problem gets credentials advice: DNS or a timeout during an outage is the network.
    throw explainAwsError("could not confirm your AWS identity with STS", region, error);
  }
  if (!account) throw new CredentialsError("STS answered without an account id; check your credentials");
  return { account, caller: callerName(arn) };
}

/**
 * Confirms credentials (STS), then that each stack in `stacks` exists in `region` (default: the
 * DR region), and returns everything the commands need. Nothing else runs before both checks pass.
 */
export async function connect(
  config: Stage.StageConfig,
  clients: Clients,
  stacks: readonly string[],
  now: () => Date = () => new Date(),
  region: string = config.drRegion,
): Promise<Context> {
  const { account, caller } = await identify(config, clients, region);
  for (const stack of stacks) await requireStack(config, clients.cfn, stack, account, region);
  const names = Stage.resourceNames(config);
  return {
    config,
    names,
    account,
    region,
    caller,
    stateMachineArn: Operations.stateMachineArn({ region, account, name: names.stateMachine }),
    clients,
    now,
  };
}

async function requireStack(config: Stage.StageConfig, cfn: CloudFormationClient, stack: string, account: string, region: string): Promise<void> {
  const name = stackName(config, stack);
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const status = out.Stacks?.[0]?.StackStatus ?? "";
    if (status === "" || status === "DELETE_COMPLETE" || status.startsWith("ROLLBACK_")) {
      throw new MissingStackError(`stack ${name} in ${region} is ${status || "missing"}: deploy the stage first (docs/deploy.md)`);
    }
  } catch (error) {
    if (error instanceof CloudFormationServiceException && /does not exist/.test(error.message)) {
      throw new MissingStackError(
        `stage "${config.stage}" is not deployed in ${region} of account ${account}: stack ${name} does not exist.\n` +
          "Check --stage (a misspelt stage gets the defaults and finds nothing), your AWS account, or deploy it: pnpm deploy:all --stage " +
          config.stage,
        { cause: error },
      );
    }
    if (error instanceof MissingStackError) throw error;
    throw explainAwsError(`could not read stack ${name}`, region, error);
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
