/**
 * EvaluateReadiness (scheduled every `readinessSchedule`, DR region): whether a failover and a
 * failback could run now, judged as `pnpm dr readiness` judges it (Readiness.evaluateReadiness),
 * so a broken failover is known before the outage. Read-only towards everything it judges; it
 * writes READINESS#last (overwritten: idempotent) for `pnpm dr status` and the failing findings'
 * count as the ReadinessFindings metric, whose alarm tells the alert topic.
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
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import { Readiness, Scope } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const settings = Scope.lazy(() => Readiness.readEvaluationSettings(process.env));
const clients = Scope.lazy(() => {
  const { target } = settings();
  const both = <T>(make: (region: string) => T) => Object.fromEntries([target.primaryRegion, target.drRegion].map((r) => [r, make(r)])) as Record<string, T>;
  const region = target.drRegion;
  return {
    readiness: {
      rds: both((r) => new RDSClient({ region: r })),
      sns: both((r) => new SNSClient({ region: r })),
      kms: both((r) => new KMSClient({ region: r })),
      ecs: new ECSClient({ region }),
      ecr: new ECRClient({ region }),
      primaryEcr: new ECRClient({ region: target.primaryRegion }),
      ssm: new SSMClient({ region }),
      serviceQuotas: new ServiceQuotasClient({ region }),
      iam: new IAMClient({ region }),
      route53: new Route53Client({ region: "us-east-1" }),
    } satisfies Readiness.ReadinessClients,
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
  };
});

export const handler = wrap(z.looseObject({}), async () => {
  const s = settings();
  const c = clients();
  const evaluation = await Readiness.evaluateReadiness(c.readiness, s.target, s.account, () => new Date());
  const stored = await Readiness.recordEvaluation(c.db, s.tableName, evaluation);
  metrics.addMetric("ReadinessFindings", MetricUnit.Count, stored.failing.length);
  if (!stored.ready) logger.warn("not ready", { failing: stored.failing });
  return { ready: stored.ready, failing: stored.failing.map((f) => f.check) };
});
