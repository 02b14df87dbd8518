/**
 * What every failback step Lambda shares: its settings (read once, validated), both sides of
 * the pair, and clients per side, cached for the sandbox's life. The other region's clients are
 * bounded (it may still be down while a re-protect is tried); this copy's own region's
 * (ORCHESTRATOR_REGION: the DR region's copy or the primary region's, docs/design.md D2) are not,
 * and hold its state table and alert topic. Every cache is a `Failover.lazy`: one per sandbox, one
 * per world in a rehearsal or test.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Failback, Failover } from "@pilot-light/core";

export const settings = Failover.lazy(() => Failback.readFailbackSettings(process.env));
export const sides = Failover.lazy(() => Failback.sides(settings()));

function regional<T>(make: (config: { region: string }) => T) {
  const clients = Failover.lazy(() => new Map<Failback.Role, T>());
  return (role: Failback.Role): T => {
    const cache = clients();
    let client = cache.get(role);
    if (!client) {
      const region = sides()[role].region;
      client = make(region !== settings().ORCHESTRATOR_REGION ? { region, ...Failback.boundedClientConfig } : { region });
      cache.set(role, client);
    }
    return client;
  };
}

export const rds = regional((c) => new RDSClient(c));
export const ecs = regional((c) => new ECSClient(c));
export const elb = regional((c) => new ElasticLoadBalancingV2Client(c));
export const lambda = regional((c) => new LambdaClient(c));
export const s3 = regional((c) => new S3Client(c));
export const secrets = regional((c) => new SecretsManagerClient(c));
export const both = <T>(f: (role: Failback.Role) => T): Record<Failback.Role, T> => ({ primary: f("primary"), dr: f("dr") });

export const table = () => settings().TABLE_NAME;
export const db = Failover.lazy(() => DynamoDBDocumentClient.from(new DynamoDBClient({ region: settings().ORCHESTRATOR_REGION })));
export const sns = Failover.lazy(() => new SNSClient({ region: settings().ORCHESTRATOR_REGION }));
export const route53 = Failover.lazy(() => new Route53Client({ region: "us-east-1" }));
