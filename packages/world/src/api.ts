/**
 * The world's AWS APIs. Real SDK v3 clients in real handler code talk to the world through
 * aws-sdk-client-mock (which replaces `send` on each client class): every call is logged,
 * can be failed by an injected fault, fails like a network timeout when its region is down,
 * and is answered from the world's state at the clock's current time.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import type { WorldState } from "./model";

/** An error shaped like an SDK v3 service exception. */
export function awsError(name: string, message: string, httpStatusCode: number): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

interface RegionalConfig {
  config: { region: () => Promise<string> | string };
}

type Fake = (input: never, region: string) => unknown;

// aws-sdk-client-mock ships its own @smithy/types major, so its generic signatures do not
// line up with the clients' types; the mock itself is version-independent (it stubs `send`).
type AnyStub = {
  on(command: unknown): { callsFake(fn: (input: unknown, getClient: () => unknown) => unknown): unknown };
  restore(): void;
};
const stub = (client: unknown): AnyStub => mockClient(client as never) as unknown as AnyStub;

/** Installs the world behind the SDK clients; returns a function that restores them. */
export function installApis(world: WorldState): () => void {
  const route = (s: AnyStub, command: unknown, api: string, fake: Fake) => {
    s.on(command).callsFake(async (input: unknown, getClient: () => unknown) => {
      const client = getClient() as RegionalConfig;
      const region = String(await client.config.region());
      const call = { api, region, input, atMs: world.clock.nowMs() } as WorldState["calls"][number];
      world.calls.push(call);
      const fault = world.faults.find((f) => f.remaining > 0 && (f.api === api || f.api === "*") && (!f.region || f.region === region));
      if (fault) {
        fault.remaining -= 1;
        call.failed = fault.error;
        throw awsError(fault.error, `injected ${fault.error} on ${api}`, fault.httpStatusCode);
      }
      if (world.regionsDown.has(region)) {
        call.failed = "TimeoutError";
        throw awsError("TimeoutError", `connect ETIMEDOUT ${api.split(":")[0]}.${region}.amazonaws.com`, 0);
      }
      try {
        return await fake(input as never, region);
      } catch (error) {
        call.failed = (error as Error).name;
        throw error;
      }
    });
  };

  const rds = stub(RDSClient);
  route(rds, DescribeDBInstancesCommand, "rds:DescribeDBInstances", (input: { DBInstanceIdentifier?: string }, region) => {
    const db = world.databases.get(input.DBInstanceIdentifier ?? "");
    if (!db || db.region !== region) throw awsError("DBInstanceNotFoundFault", `DBInstance ${input.DBInstanceIdentifier} not found.`, 404);
    const view = world.dbView(db);
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: db.identifier,
          DBInstanceArn: db.arn,
          DBInstanceStatus: view.status,
          ReadReplicaSourceDBInstanceIdentifier: view.sourceIdentifier ?? undefined,
          BackupRetentionPeriod: db.backupRetentionDays,
        },
      ],
    };
  });
  route(rds, PromoteReadReplicaCommand, "rds:PromoteReadReplica", (input: { DBInstanceIdentifier?: string }, region) => {
    const db = world.databases.get(input.DBInstanceIdentifier ?? "");
    if (!db || db.region !== region) throw awsError("DBInstanceNotFoundFault", `DBInstance ${input.DBInstanceIdentifier} not found.`, 404);
    const view = world.dbView(db);
    if (view.sourceIdentifier === null || view.status !== "available" || db.promotionRequestedAtMs !== null) {
      throw awsError("InvalidDBInstanceStateFault", `DB Instance is not a read replica or is ${view.status}.`, 400);
    }
    db.promotionRequestedAtMs = world.clock.nowMs();
    return { DBInstance: { DBInstanceIdentifier: db.identifier, DBInstanceStatus: "modifying" } };
  });

  const cw = stub(CloudWatchClient);
  route(cw, GetMetricDataCommand, "cloudwatch:GetMetricData", (input: { MetricDataQueries?: { Id?: string; MetricStat?: { Metric?: { Dimensions?: { Value?: string }[] } } }[] }) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
      const id = q.MetricStat?.Metric?.Dimensions?.[0]?.Value ?? "";
      const values = world.replicaLag.get(id) ?? [];
      return { Id: q.Id, Values: [...values], Timestamps: values.map((_, i) => new Date(world.clock.nowMs() - i * 60_000)), StatusCode: "Complete" };
    }),
  }));

  const ecs = stub(ECSClient);
  const findService = (region: string, cluster?: string, service?: string) => world.services.get(world.serviceKey(region, cluster ?? "", service ?? ""));
  route(ecs, DescribeServicesCommand, "ecs:DescribeServices", (input: { cluster?: string; services?: string[] }, region) => {
    const svc = findService(region, input.cluster, input.services?.[0]);
    if (!svc) return { services: [], failures: [{ arn: input.services?.[0], reason: "MISSING" }] };
    const running = world.running(svc);
    return {
      services: [
        {
          serviceName: svc.service,
          serviceArn: svc.arn,
          status: "ACTIVE",
          desiredCount: svc.desired,
          runningCount: running,
          pendingCount: svc.tasks.length - running,
          taskDefinition: svc.taskDefinition,
          deployments: [{ status: "PRIMARY", desiredCount: svc.desired, runningCount: running }],
        },
      ],
    };
  });
  route(ecs, UpdateServiceCommand, "ecs:UpdateService", (input: { cluster?: string; service?: string; desiredCount?: number }, region) => {
    const svc = findService(region, input.cluster, input.service);
    if (!svc) throw awsError("ServiceNotFoundException", `Service not found: ${input.service}`, 400);
    if (input.desiredCount !== undefined) world.setDesired(svc, input.desiredCount);
    return { service: { serviceName: svc.service, desiredCount: svc.desired } };
  });
  route(ecs, DescribeTaskDefinitionCommand, "ecs:DescribeTaskDefinition", (input: { taskDefinition?: string }) => {
    if (!world.taskDefinitions.has(input.taskDefinition ?? "")) throw awsError("ClientException", "Unable to describe task definition.", 400);
    return { taskDefinition: { taskDefinitionArn: input.taskDefinition } };
  });

  const elb = stub(ElasticLoadBalancingV2Client);
  const serviceOfTargetGroup = (arn: string, region: string) =>
    [...world.services.values()].find((s) => s.targetGroupArn === arn && s.region === region);
  route(elb, DescribeTargetGroupsCommand, "elasticloadbalancing:DescribeTargetGroups", (input: { TargetGroupArns?: string[] }, region) => {
    const arn = input.TargetGroupArns?.[0] ?? "";
    if (!serviceOfTargetGroup(arn, region)) throw awsError("TargetGroupNotFoundException", `Target groups '${arn}' not found`, 400);
    return { TargetGroups: [{ TargetGroupArn: arn }] };
  });
  route(elb, DescribeTargetHealthCommand, "elasticloadbalancing:DescribeTargetHealth", (input: { TargetGroupArn?: string }, region) => {
    const svc = serviceOfTargetGroup(input.TargetGroupArn ?? "", region);
    if (!svc) throw awsError("TargetGroupNotFoundException", "Target group not found", 400);
    const healthy = world.healthyTargets(svc);
    const running = world.running(svc);
    return {
      TargetHealthDescriptions: Array.from({ length: running }, (_, i) => ({
        Target: { Id: `10.1.0.${10 + i}`, Port: 80 },
        TargetHealth: { State: i < healthy ? "healthy" : "initial" },
      })),
    };
  });

  const r53 = stub(Route53Client);
  route(r53, ListResourceRecordSetsCommand, "route53:ListResourceRecordSets", (input: { HostedZoneId?: string }) => {
    const records = world.zones.get(input.HostedZoneId ?? "");
    if (!records) throw awsError("NoSuchHostedZone", `No hosted zone found with ID: ${input.HostedZoneId}`, 404);
    return { ResourceRecordSets: structuredClone(records), IsTruncated: false };
  });
  route(
    r53,
    ChangeResourceRecordSetsCommand,
    "route53:ChangeResourceRecordSets",
    (input: { HostedZoneId?: string; ChangeBatch?: { Changes?: { Action?: string; ResourceRecordSet?: ResourceRecordSet }[] } }) => {
      const records = world.zones.get(input.HostedZoneId ?? "");
      if (!records) throw awsError("NoSuchHostedZone", `No hosted zone found with ID: ${input.HostedZoneId}`, 404);
      for (const change of input.ChangeBatch?.Changes ?? []) {
        const rrs = change.ResourceRecordSet;
        if (!rrs) continue;
        const i = records.findIndex((r) => r.Name === rrs.Name && r.Type === rrs.Type && r.SetIdentifier === rrs.SetIdentifier);
        if (change.Action === "DELETE") {
          if (i >= 0) records.splice(i, 1);
        } else if (i >= 0) records[i] = structuredClone(rrs);
        else records.push(structuredClone(rrs));
      }
      const id = world.submitChange();
      return { ChangeInfo: { Id: `/change/${id}`, Status: "PENDING", SubmittedAt: world.clock.now() } };
    },
  );
  route(r53, GetChangeCommand, "route53:GetChange", (input: { Id?: string }) => {
    const status = world.changeStatus(input.Id ?? "");
    if (!status) throw awsError("NoSuchChange", `No change with id ${input.Id}`, 404);
    return { ChangeInfo: { Id: input.Id, Status: status } };
  });

  const sns = stub(SNSClient);
  route(sns, PublishCommand, "sns:Publish", (input: { TopicArn?: string; Subject?: string; Message?: string; MessageAttributes?: Record<string, { StringValue?: string }> }) => {
    world.inbox.push({
      topicArn: input.TopicArn ?? "",
      subject: input.Subject ?? "",
      message: input.Message ?? "",
      kind: input.MessageAttributes?.kind?.StringValue,
      atMs: world.clock.nowMs(),
    });
    return { MessageId: `msg-${world.inbox.length}` };
  });

  const stubs = [rds, cw, ecs, elb, r53, sns];
  return () => stubs.forEach((s) => s.restore());
}
