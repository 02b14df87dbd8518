/**
 * Where the CLI's AWS calls go and how it finds the stage's resources: every client in the
 * stage's DR region (the orchestrator lives there, D2), names from Stage.resourceNames, the
 * account from STS, the stacks confirmed with CloudFormation before anything else runs.
 */
import { Resolver } from "node:dns/promises";
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { RDSClient } from "@aws-sdk/client-rds";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
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
  dns: DnsResolver;
}

export function drClients(config: Stage.StageConfig): Clients {
  const region = config.drRegion;
  return {
    sts: new STSClient({ region }),
    cfn: new CloudFormationClient({ region }),
    sfn: new SFNClient({ region }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), { marshallOptions: { removeUndefinedValues: true } }),
    cloudwatch: new CloudWatchClient({ region }),
    ecs: new ECSClient({ region }),
    rds: new RDSClient({ region }),
    dns: new Resolver({ timeout: 3000, tries: 2 }),
  };
}

export interface Context {
  config: Stage.StageConfig;
  names: ReturnType<typeof Stage.resourceNames>;
  account: string;
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

/**
 * Confirms credentials (STS), then that each stack in `stacks` exists in the DR region, and
 * returns everything the commands need. Nothing else runs before both checks pass.
 */
export async function connect(
  config: Stage.StageConfig,
  clients: Clients,
  stacks: readonly string[],
  now: () => Date = () => new Date(),
): Promise<Context> {
  let account: string;
  let arn: string;
  try {
    const me = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = me.Account ?? "";
    arn = me.Arn ?? "";
  } catch (error) {
    // Only a credentials problem gets credentials advice: DNS or a timeout during an outage is the network.
    throw explainAwsError("could not confirm your AWS identity with STS", config.drRegion, error);
  }
  if (!account) throw new CredentialsError("STS answered without an account id; check your credentials");
  for (const stack of stacks) await requireStack(config, clients.cfn, stack, account);
  const names = Stage.resourceNames(config);
  return {
    config,
    names,
    account,
    caller: callerName(arn),
    stateMachineArn: Operations.stateMachineArn({ region: config.drRegion, account, name: names.stateMachine }),
    clients,
    now,
  };
}

async function requireStack(config: Stage.StageConfig, cfn: CloudFormationClient, stack: string, account: string): Promise<void> {
  const name = stackName(config, stack);
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const status = out.Stacks?.[0]?.StackStatus ?? "";
    if (status === "" || status === "DELETE_COMPLETE" || status.startsWith("ROLLBACK_")) {
      throw new MissingStackError(`stack ${name} in ${config.drRegion} is ${status || "missing"}: deploy the stage first (docs/deploy.md)`);
    }
  } catch (error) {
    if (error instanceof CloudFormationServiceException && /does not exist/.test(error.message)) {
      throw new MissingStackError(
        `stage "${config.stage}" is not deployed in ${config.drRegion} of account ${account}: stack ${name} does not exist.\n` +
          "Check --stage (a misspelt stage gets the defaults and finds nothing), your AWS account, or deploy it: pnpm deploy:all --stage " +
          config.stage,
        { cause: error },
      );
    }
    if (error instanceof MissingStackError) throw error;
    throw explainAwsError(`could not read stack ${name}`, config.drRegion, error);
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
