/**
 * `pnpm dr readiness`: reads what a failover and a failback need from the live account, with
 * the operator's credentials, in both regions (Readiness.observeReadiness), and judges it
 * (Readiness.judgeReadiness). Read-only: no call here changes anything.
 */
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { Readiness, type Stage } from "@pilot-light/core";
import { explainAwsError } from "./errors";

export type ReadinessClients = Readiness.ReadinessClients;

/** Each client names its region: RDS, SNS and KMS in both, the rest in the DR region. */
export function readinessClients(config: Stage.StageConfig): ReadinessClients {
  const both = <T>(make: (region: string) => T) => Object.fromEntries([config.primaryRegion, config.drRegion].map((r) => [r, make(r)])) as Record<string, T>;
  const region = config.drRegion;
  return {
    rds: both((r) => new RDSClient({ region: r })),
    sns: both((r) => new SNSClient({ region: r })),
    kms: both((r) => new KMSClient({ region: r })),
    ecs: new ECSClient({ region }),
    ecr: new ECRClient({ region }),
    ssm: new SSMClient({ region }),
    serviceQuotas: new ServiceQuotasClient({ region }),
    iam: new IAMClient({ region }),
    // Route 53's control plane answers from us-east-1 whatever the client's region.
    route53: new Route53Client({ region }),
  };
}

export interface ReadinessReport extends Readiness.Readiness {
  stage: string;
  checkedAt: string;
}

/** Reads the account (the account id from STS: the topics' ARNs name it) and judges it. */
export async function checkReadiness(config: Stage.StageConfig, clients: ReadinessClients, sts: STSClient, now: () => Date): Promise<ReadinessReport> {
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw explainAwsError("STS GetCallerIdentity", config.drRegion, error);
  }
  if (!account) throw new Error("STS GetCallerIdentity returned no account");
  const at = now();
  return { stage: config.stage, checkedAt: at.toISOString(), ...Readiness.judgeReadiness(await Readiness.observeReadiness(clients, config, account), at) };
}

export function formatReadiness(r: ReadinessReport): string {
  const lines = [`Readiness of stage ${r.stage} at ${r.checkedAt}: ${r.ready ? "READY" : "NOT READY"}`];
  for (const f of r.findings) {
    lines.push(`  ${f.ok ? "ok  " : "FAIL"} ${f.check.padEnd(21)} ${f.detail}`);
    if (f.action) lines.push(`       ${"".padEnd(21)} → ${f.action}`);
  }
  return lines.join("\n");
}
