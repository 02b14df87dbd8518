/**
 * CompleteFence (scheduled with the health checks, DR region): finishes fencing the old primary
 * after a failover, once its region answers again: database read-only, service tagged and at
 * 0 (with DNS), the record pinned to DR. An outage keeps FencePrimary from doing it, and a
 * returning region would otherwise serve its stale data. A no-op costing one DR-region
 * DescribeDBInstances while no failover happened, and after a re-protect (Failover.completeFence).
 * In the re-protected topology it sets the other region's service back to its pilot light when no
 * workflow holds the lock (a switchback rolled back while that region was down left it up).
 * Tells people when a pass fenced or set back something; a failed publish counts NotificationFailures.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECSClient } from "@aws-sdk/client-ecs";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import { Failover, Notify } from "@pilot-light/core";
import { handler as wrap, logger, metrics } from "./lib/handler";

const names = ["DR_REGION", "REPLICA_ID", "PRIMARY_REGION", "PRIMARY_ID", "PRIMARY_CLUSTER", "PRIMARY_SERVICE", "TOPIC_ARN", "STAGE"] as const;
const settings = Failover.lazy(() => Failover.readSettings(process.env, names));
// The other region's pilot light and this region's table (its lock): a switchback rolled back while that region was down left its service up.
const standby = Failover.lazy(() => (process.env.PEER_PILOT_TASK_COUNT ? Failover.readSettings(process.env, ["PEER_PILOT_TASK_COUNT", "TABLE_NAME"]) : undefined));
const dns = Failover.lazy(() =>
  process.env.HOSTED_ZONE_ID ? Failover.readSettings(process.env, ["HOSTED_ZONE_ID", "RECORD_NAME", "DR_ALB_DNS", "DR_ALB_ZONE_ID"]) : undefined,
);
const clients = Failover.lazy(() => {
  const s = settings();
  const bounded = Failover.boundedClientConfig;
  return {
    drRds: new RDSClient({ region: s.DR_REGION }),
    rds: new RDSClient({ region: s.PRIMARY_REGION, ...bounded }),
    ecs: new ECSClient({ region: s.PRIMARY_REGION, ...bounded }),
    route53: new Route53Client({ region: "us-east-1", ...bounded }),
    sns: new SNSClient({ region: s.DR_REGION }),
    db: DynamoDBDocumentClient.from(new DynamoDBClient({ region: s.DR_REGION })),
  };
});

export const handler = wrap(z.looseObject({}), async () => {
  const s = settings();
  const d = dns();
  const c = clients();
  const leftover = standby();
  const completion = await Failover.completeFence(
    c,
    {
      region: s.PRIMARY_REGION,
      service: { cluster: s.PRIMARY_CLUSTER, service: s.PRIMARY_SERVICE },
      database: s.PRIMARY_ID,
      replicaIdentifier: s.REPLICA_ID,
      primaryIdentifier: s.PRIMARY_ID,
      ...(leftover ? { standby: { pilotCount: Failover.intSetting("PEER_PILOT_TASK_COUNT", leftover.PEER_PILOT_TASK_COUNT), isLockHeld: () => Failover.isLockHeld(c.db, leftover.TABLE_NAME, new Date()) } } : {}),
      ...(d ? { dns: { hostedZoneId: d.HOSTED_ZONE_ID, recordName: d.RECORD_NAME, drAlbDns: d.DR_ALB_DNS, drAlbZoneId: d.DR_ALB_ZONE_ID } } : {}),
    },
    new Date(),
  );
  if (completion.needed) (completion.complete ? logger.info : logger.warn).call(logger, "fence completion", { ...completion });
  if (!completion.changed) return completion;
  try {
    const tell = completion.standbyLeftover ? Failover.Notifications.standbyServiceReset : Failover.Notifications.fenceCompleted;
    await Notify.publish(c.sns, s.TOPIC_ARN, tell(s.STAGE, s.PRIMARY_REGION, completion));
  } catch (error) {
    metrics.addMetric("NotificationFailures", MetricUnit.Count, 1);
    throw error;
  }
  return completion;
});
