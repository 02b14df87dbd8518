/**
 * The world's AWS APIs. Real SDK v3 clients in real handler code talk to the world through
 * aws-sdk-client-mock (which replaces `send` on each client class). Each call goes through an
 * emulation of the client's SDK (./sdk): attempts retried as the SDK retries them, each logged.
 * An attempt to a region that is down (or to an impaired control plane, such as Route 53's in
 * us-east-1) waits in virtual time until the client's own timeouts end it (forever without
 * any); an injected fault fails it, before or after the call took effect, or (`NoResponse`)
 * leaves it unanswered like a region that is down; otherwise it is answered from the world's
 * state at the clock's current time.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DeregisterTaskDefinitionCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, TagResourceCommand, UntagResourceCommand, UpdateServiceCommand, type RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeDBInstancesCommand, DescribeDBParametersCommand, DescribeEventsCommand, ModifyDBParameterGroupCommand, PromoteReadReplicaCommand, RDSClient, ResetDBParameterGroupCommand } from "@aws-sdk/client-rds";
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from "@aws-sdk/client-route-53";
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient, StopReplicationToReplicaCommand } from "@aws-sdk/client-secrets-manager";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateOpsItemCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { servingRegion, type ApiCall, type DbInstance, type Fault, type WorldState } from "./model";
import { Scheduler } from "./scheduler";
import { sdkRetries, unansweredAttempt, viewClient, withAttempts } from "./sdk";
import { healthCheckObservations, listHealthChecks } from "./vantage";
import { executionArnOf } from "./stepfunctions";
import { describeExtras, installFailbackApis } from "./failback-api";
import { installAccountApis, latestRestorableTime } from "./account";
import { authorizeCall } from "./iam-requests";
import { installDynamoIam } from "./iam-dynamodb";
import { validateRequest } from "./requests";
import { applyChangeBatch } from "./route53-batch";
import { deregisterTaskDefinition, describeTaskDefinition, listTaskDefinitions, registerTaskDefinition, serviceTarget, setServiceTaskDefinition } from "./task-definitions";

/** An error shaped like an SDK v3 service exception. */
export function awsError(name: string, message: string, httpStatusCode: number): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

/** The error a fault produces: a service exception, the SDK's TimeoutError, or a Node socket error. */
function faultError(fault: Fault, api: string): Error {
  if (fault.error === "TimeoutError") return Object.assign(new Error(`injected timeout on ${api}`), { name: "TimeoutError" });
  if (/^E[A-Z]+$/.test(fault.error)) return Object.assign(new Error(`read ${fault.error} (injected on ${api})`), { code: fault.error });
  return awsError(fault.error, `injected ${fault.error} on ${api}`, fault.httpStatusCode);
}

export type Fake = (input: never, region: string) => unknown;

// aws-sdk-client-mock ships its own @smithy/types major, so its generic signatures do not
// line up with the clients' types; the mock itself is version-independent (it stubs `send`).
export type AnyStub = {
  on(command: unknown): { callsFake(fn: (input: unknown, getClient: () => unknown) => unknown): unknown };
  restore(): void;
};
export const stub = (client: unknown): AnyStub => mockClient(client as never) as unknown as AnyStub;

/**
 * Each world is its own set of Lambda sandboxes: settings and clients the handlers keep
 * (core's `Failover.lazy`) are made again in it. The key is core's `worldScopeKey`, a
 * registered symbol, so the world needs no import of the product it emulates AWS for.
 */
export function openWorldScope(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for("pilot-light.world-scope")] = {};
}

/**
 * Installs the world behind the SDK clients, in a new world scope (`openWorldScope`); returns
 * a function that restores them and closes the scope, so nothing built in it outlives it.
 */
export function installApis(world: WorldState): () => void {
  openWorldScope();
  const scheduler = Scheduler.of(world.clock);
  const attempt = async (api: string, input: unknown, client: Awaited<ReturnType<typeof viewClient>>, n: number, fake: Fake) => {
    const region = client.region;
    const call: ApiCall = { api, region, input, atMs: world.clock.nowMs(), attempt: n };
    world.calls.push(call);
    const fail = (error: Error): never => {
      call.failed = (error as { code?: string }).code && error.name === "Error" ? String((error as { code?: string }).code) : error.name;
      throw error;
    };
    const down = world.unreachable(api, region);
    if (down === "hang") {
      const outcome = unansweredAttempt(world.outageShape, client.timeouts, `${api.split(":")[0]}.${servingRegion(api, region)}.amazonaws.com`);
      call.failed = "NoResponse";
      await scheduler.hang(outcome.seconds);
      fail(outcome.error());
    }
    if (down === "error") fail(awsError("ServiceUnavailable", `${api} is unavailable (control plane impaired)`, 503));
    // A region that answers authorises first: a denied call changes nothing (./iam.ts).
    try {
      await authorizeCall(world, api, input, region, awsError);
    } catch (error) {
      return fail(error as Error);
    }
    const fault = world.faults.find((f) => f.remaining > 0 && (f.api === api || f.api === "*") && (!f.region || f.region === region));
    if (fault) fault.remaining -= 1;
    // The answer never comes (applied or not): the attempt waits like one to a region that is down.
    const unanswered = async (): Promise<never> => {
      const outcome = unansweredAttempt("no-response", client.timeouts, `${api.split(":")[0]}.${servingRegion(api, region)}.amazonaws.com`);
      call.failed = "NoResponse";
      await scheduler.hang(outcome.seconds);
      return fail(outcome.error());
    };
    if (fault && !fault.applied) return fault.error === "NoResponse" ? unanswered() : fail(faultError(fault, api));
    let output: unknown;
    try {
      validateRequest(api, input);
      output = await fake(input as never, region);
    } catch (error) {
      return fail(error as Error);
    }
    if (fault) {
      call.applied = true;
      return fault.error === "NoResponse" ? unanswered() : fail(faultError(fault, api));
    }
    return output;
  };
  const route = (s: AnyStub, command: unknown, api: string, fake: Fake) => {
    s.on(command).callsFake(async (input: unknown, getClient: () => unknown) => {
      const client = await viewClient(getClient());
      for (let n = 1; ; n++) {
        try {
          return await attempt(api, input, client, n, fake);
        } catch (error) {
          if (n >= client.maxAttempts || !sdkRetries(error)) throw withAttempts(error, n);
        }
      }
    });
  };

  const rds = stub(RDSClient);
  const window = (b: { windowStartMinute: number } | null) => {
    if (!b) return undefined;
    const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
    return `${hhmm(b.windowStartMinute)}-${hhmm(b.windowStartMinute + 30)}`;
  };
  route(rds, DescribeDBInstancesCommand, "rds:DescribeDBInstances", (input: { DBInstanceIdentifier?: string }, region) => {
    // Without an identifier: every instance in the region (one page).
    if (!input.DBInstanceIdentifier) return { DBInstances: [...world.databases.values()].filter((d) => d.region === region).flatMap((d) => describe(d).DBInstances) };
    const db = world.databases.get(input.DBInstanceIdentifier);
    if (!db || db.region !== region) throw awsError("DBInstanceNotFoundFault", `DBInstance ${input.DBInstanceIdentifier} not found.`, 404);
    return describe(db);
  });
  function describe(db: DbInstance) {
    const view = world.dbView(db);
    const statusInfos = world.statusInfos(db);
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: db.identifier,
          DBInstanceArn: db.arn,
          DBInstanceStatus: view.status,
          ReadReplicaSourceDBInstanceIdentifier: view.sourceIdentifier ?? undefined,
          BackupRetentionPeriod: db.backupRetentionDays,
          PreferredBackupWindow: window(db.backup),
          Engine: "mysql",
          EngineVersion: "8.4.6",
          DBParameterGroups: [
            db.pendingParameterGroup
              ? { DBParameterGroupName: db.pendingParameterGroup, ParameterApplyStatus: "pending-reboot" }
              : { DBParameterGroupName: db.parameterGroup ?? "default.mysql8.4", ParameterApplyStatus: "in-sync" },
          ],
          ...(db.createdAtMs !== undefined ? { InstanceCreateTime: new Date(db.createdAtMs) } : {}),
          ...(statusInfos.length > 0 ? { StatusInfos: statusInfos } : {}),
          ...(latestRestorableTime(world, db) ? { LatestRestorableTime: latestRestorableTime(world, db) } : {}),
          ...describeExtras(world, db),
        },
      ],
    };
  }
  // API reference, DescribeEvents: a source identifier needs its source type; without a window,
  // the past hour. Only instance events are modelled (and kept far longer than RDS's 14 days).
  route(
    rds,
    DescribeEventsCommand,
    "rds:DescribeEvents",
    (input: { SourceIdentifier?: string; SourceType?: string; StartTime?: Date; EndTime?: Date; Duration?: number; EventCategories?: string[] }, region) => {
      if (input.SourceIdentifier && !input.SourceType) throw awsError("InvalidParameterCombination", "Cannot specify source identifier without source type", 400);
      const now = world.clock.nowMs();
      const end = input.EndTime ? input.EndTime.getTime() : now;
      const start = input.StartTime ? input.StartTime.getTime() : end - (input.Duration ?? 60) * 60_000;
      if (input.SourceType && input.SourceType !== "db-instance") return { Events: [] };
      const instances = [...world.databases.values()].filter((d) => d.region === region && (!input.SourceIdentifier || d.identifier === input.SourceIdentifier));
      const events = instances.flatMap((d) =>
        world
          .rdsEvents(d)
          .filter((e) => e.atMs >= start && e.atMs <= end && (!input.EventCategories?.length || e.categories.some((c) => input.EventCategories?.includes(c))))
          .map((e) => ({ SourceIdentifier: d.identifier, SourceType: "db-instance", SourceArn: d.arn, Message: e.message, EventCategories: e.categories, Date: new Date(e.atMs) })),
      );
      return { Events: events.sort((a, b) => a.Date.getTime() - b.Date.getTime()) };
    },
  );
  route(
    rds,
    PromoteReadReplicaCommand,
    "rds:PromoteReadReplica",
    (input: { DBInstanceIdentifier?: string; BackupRetentionPeriod?: number }, region) => {
      const db = world.databases.get(input.DBInstanceIdentifier ?? "");
      if (!db || db.region !== region) throw awsError("DBInstanceNotFoundFault", `DBInstance ${input.DBInstanceIdentifier} not found.`, 404);
      const view = world.dbView(db);
      if (view.sourceIdentifier === null || view.status !== "available" || db.promotionRequestedAtMs !== null) {
        throw awsError("InvalidDBInstanceStateFault", `DB Instance is not a read replica or is ${view.status}.`, 400);
      }
      db.promotionRequestedAtMs = world.clock.nowMs();
      // API reference: BackupRetentionPeriod "Default: 1".
      db.backupRetentionDays = input.BackupRetentionPeriod ?? 1;
      return { DBInstance: { DBInstanceIdentifier: db.identifier, DBInstanceStatus: "modifying" } };
    },
  );

  const parameterGroupOf = (name: string | undefined, region: string) => {
    const group = world.parameterGroups.get(name ?? "");
    if (!group || group.region !== region) throw awsError("DBParameterGroupNotFoundFault", `DBParameterGroup ${name} not found.`, 404);
    return group;
  };
  // Source "user": only the parameters set in the group (the API has no filter by name).
  route(rds, DescribeDBParametersCommand, "rds:DescribeDBParameters", (input: { DBParameterGroupName?: string; Source?: string }, region) => {
    const group = parameterGroupOf(input.DBParameterGroupName, region);
    return {
      Parameters: [...group.parameters].map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, Source: "user", ApplyType: "dynamic", IsModifiable: true })),
    };
  });
  route(
    rds,
    ModifyDBParameterGroupCommand,
    "rds:ModifyDBParameterGroup",
    (input: { DBParameterGroupName?: string; Parameters?: { ParameterName?: string; ParameterValue?: string; ApplyMethod?: string }[] }, region) => {
      const group = parameterGroupOf(input.DBParameterGroupName, region);
      for (const p of input.Parameters ?? []) {
        if (!p.ParameterName || p.ParameterValue === undefined) throw awsError("InvalidParameterValue", "ParameterName and ParameterValue are required", 400);
        // A dynamic parameter applies at once with ApplyMethod "immediate" (read_only is dynamic).
        group.parameters.set(p.ParameterName, p.ParameterValue);
      }
      return { DBParameterGroupName: group.name };
    },
  );

  // The named parameters back to the engine's default (read_only's: on for a replica only).
  route(rds, ResetDBParameterGroupCommand, "rds:ResetDBParameterGroup", (input: { DBParameterGroupName?: string; ResetAllParameters?: boolean; Parameters?: { ParameterName?: string }[] }, region) => {
    const group = parameterGroupOf(input.DBParameterGroupName, region);
    if (input.ResetAllParameters) group.parameters.clear();
    for (const p of input.Parameters ?? []) group.parameters.delete(p.ParameterName ?? "");
    return { DBParameterGroupName: group.name };
  });

  const cw = stub(CloudWatchClient);
  interface MetricQuery {
    Id?: string;
    MetricStat?: { Metric?: { MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] }; Period?: number; Stat?: string };
  }
  route(
    cw,
    GetMetricDataCommand,
    "cloudwatch:GetMetricData",
    (input: { MetricDataQueries?: MetricQuery[]; StartTime?: Date; EndTime?: Date; ScanBy?: string }) => {
      if (!input.StartTime || !input.EndTime) throw awsError("ValidationError", "StartTime and EndTime are required", 400);
      const startMs = new Date(input.StartTime).getTime();
      const endMs = new Date(input.EndTime).getTime();
      return {
        MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
          const stat = q.MetricStat;
          const id = stat?.Metric?.Dimensions?.find((d) => d.Name === "DBInstanceIdentifier")?.Value ?? "";
          const raw = stat?.Metric?.MetricName === "ReplicaLag" ? world.replicaLagDatapoints(id, startMs, endMs) : [];
          // One datapoint per Period (the stat over the minutes inside it), newest first by default.
          const period = (stat?.Period ?? 60) * 1000;
          const buckets = new Map<number, number[]>();
          for (const p of raw) {
            const t = Math.floor(p.timestampMs / period) * period;
            buckets.set(t, [...(buckets.get(t) ?? []), p.value]);
          }
          const reduce = (v: number[]) =>
            stat?.Stat === "Minimum" ? Math.min(...v) : stat?.Stat === "Average" ? v.reduce((a, b) => a + b, 0) / v.length : Math.max(...v);
          const points = [...buckets].map(([t, v]) => ({ t, v: reduce(v) })).sort((a, b) => (input.ScanBy === "TimestampAscending" ? a.t - b.t : b.t - a.t));
          return { Id: q.Id, Label: stat?.Metric?.MetricName, Values: points.map((p) => p.v), Timestamps: points.map((p) => new Date(p.t)), StatusCode: "Complete" };
        }),
      };
    },
  );

  const ecs = stub(ECSClient);
  const findService = (region: string, cluster?: string, service?: string) => world.services.get(world.serviceKey(region, cluster ?? "", service ?? ""));
  route(ecs, DescribeServicesCommand, "ecs:DescribeServices", (input: { cluster?: string; services?: string[]; include?: string[] }, region) => {
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
          loadBalancers: [{ targetGroupArn: svc.targetGroupArn, ...serviceTarget }],
          deployments: [{ status: "PRIMARY", taskDefinition: svc.taskDefinition, desiredCount: svc.desired, runningCount: running }],
          ...(input.include?.includes("TAGS") ? { tags: [...svc.tags].map(([key, value]) => ({ key, value })) } : {}),
        },
      ],
    };
  });
  route(ecs, TagResourceCommand, "ecs:TagResource", (input: { resourceArn?: string; tags?: { key?: string; value?: string }[] }, region) => {
    const svc = [...world.services.values()].find((x) => x.arn === input.resourceArn && x.region === region);
    if (!svc) throw awsError("InvalidParameterException", `The specified resource ${input.resourceArn} is not valid.`, 400);
    for (const t of input.tags ?? []) if (t.key) svc.tags.set(t.key, t.value ?? "");
    return {};
  });
  route(ecs, UntagResourceCommand, "ecs:UntagResource", (input: { resourceArn?: string; tagKeys?: string[] }, region) => {
    const svc = [...world.services.values()].find((x) => x.arn === input.resourceArn && x.region === region);
    if (!svc) throw awsError("InvalidParameterException", `The specified resource ${input.resourceArn} is not valid.`, 400);
    for (const key of input.tagKeys ?? []) svc.tags.delete(key);
    return {};
  });
  route(ecs, UpdateServiceCommand, "ecs:UpdateService", (input: { cluster?: string; service?: string; desiredCount?: number; taskDefinition?: string }, region) => {
    const svc = findService(region, input.cluster, input.service);
    if (!svc) throw awsError("ServiceNotFoundException", `Service not found: ${input.service}`, 400);
    if (input.taskDefinition !== undefined) setServiceTaskDefinition(world, svc, input.taskDefinition);
    if (input.desiredCount !== undefined) world.setDesired(svc, input.desiredCount);
    return { service: { serviceName: svc.service, desiredCount: svc.desired } };
  });
  // An INACTIVE (deregistered) task definition is still described, with its status.
  route(ecs, DescribeTaskDefinitionCommand, "ecs:DescribeTaskDefinition", (input: { taskDefinition?: string }, region) => describeTaskDefinition(world, region, input.taskDefinition ?? ""));
  route(ecs, RegisterTaskDefinitionCommand, "ecs:RegisterTaskDefinition", (input: RegisterTaskDefinitionCommandInput, region) => registerTaskDefinition(world, region, input));
  route(ecs, DeregisterTaskDefinitionCommand, "ecs:DeregisterTaskDefinition", (input: { taskDefinition?: string }, region) => deregisterTaskDefinition(world, region, input.taskDefinition ?? ""));
  route(ecs, ListTaskDefinitionsCommand, "ecs:ListTaskDefinitions", (input: { familyPrefix?: string; status?: string; sort?: string; maxResults?: number; nextToken?: string }, region) => listTaskDefinitions(world, region, input));

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
      const batch = applyChangeBatch(records, input.ChangeBatch?.Changes ?? []);
      if ("refused" in batch) throw awsError("InvalidChangeBatch", `[${batch.refused.join(", ")}]`, 400);
      records.splice(0, records.length, ...batch.records);
      const id = world.submitChange();
      return { ChangeInfo: { Id: `/change/${id}`, Status: "PENDING", SubmittedAt: world.clock.now() } };
    },
  );
  route(r53, GetHealthCheckStatusCommand, "route53:GetHealthCheckStatus", (input: { HealthCheckId?: string }) => {
    const observations = healthCheckObservations(world, input.HealthCheckId ?? "");
    if (!observations) throw awsError("NoSuchHealthCheck", `No health check exists with the specified ID ${input.HealthCheckId}`, 404);
    return { HealthCheckObservations: observations };
  });
  route(r53, ListHealthChecksCommand, "route53:ListHealthChecks", () => {
    const all = listHealthChecks(world);
    return { HealthChecks: all, IsTruncated: false, MaxItems: "100", Marker: "" };
  });
  route(r53, GetChangeCommand, "route53:GetChange", (input: { Id?: string }) => {
    const status = world.changeStatus(input.Id ?? "");
    if (!status) throw awsError("NoSuchChange", `No change with id ${input.Id}`, 404);
    return { ChangeInfo: { Id: input.Id, Status: status } };
  });

  const sm = stub(SecretsManagerClient);
  const secretOf = (input: { SecretId?: string }, region: string) => {
    const secret = world.findSecret(region, input.SecretId ?? "");
    if (!secret) throw awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 400);
    return secret;
  };
  route(sm, DescribeSecretCommand, "secretsmanager:DescribeSecret", (input: { SecretId?: string }, region) => {
    const secret = secretOf(input, region);
    const replicas = [...world.secrets.values()].filter((s) => s.name === secret.name && s.region !== secret.region && s.primaryRegion === secret.region);
    const status = [
      ...replicas.map((r) => ({ Region: r.region, KmsKeyId: r.kmsKeyId ?? "alias/aws/secretsmanager", Status: "InSync", StatusMessage: "Replication succeeded" })),
      ...Object.entries(secret.primaryRegion === region ? (secret.pendingReplicas ?? {}) : {}).map(([to, p]) => ({ Region: to, Status: p.status, StatusMessage: p.message })),
    ];
    return {
      ARN: secret.arn,
      Name: secret.name,
      PrimaryRegion: secret.primaryRegion,
      ...(status.length > 0 ? { ReplicationStatus: status } : {}),
    };
  });
  route(sm, GetSecretValueCommand, "secretsmanager:GetSecretValue", (input: { SecretId?: string }, region) => {
    const secret = secretOf(input, region);
    if (secret.secretString === undefined) throw awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", 400);
    return { ARN: secret.arn, Name: secret.name, SecretString: secret.secretString, VersionStages: ["AWSCURRENT"] };
  });
  route(sm, StopReplicationToReplicaCommand, "secretsmanager:StopReplicationToReplica", (input: { SecretId?: string }, region) => {
    const secret = secretOf(input, region);
    if (secret.primaryRegion === region) throw awsError("InvalidRequestException", `Secret ${secret.name} in ${region} is not a replica secret.`, 400);
    secret.primaryRegion = region;
    return { ARN: secret.arn };
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

  // OpsCenter: an OpsItem per call, unless an open one has the same "/aws/dedup" string (docs/aws-behaviour.md).
  const ssm = stub(SSMClient);
  route(ssm, CreateOpsItemCommand, "ssm:CreateOpsItem", (input: { Title?: string; Description?: string; Source?: string; OperationalData?: Record<string, { Value?: string }> }, region) => {
    const dedupValue = input.OperationalData?.["/aws/dedup"]?.Value;
    const dedup = dedupValue ? (JSON.parse(dedupValue) as { dedupString?: string }).dedupString : undefined;
    const existing = dedup === undefined ? undefined : world.opsItems.find((o) => o.dedup === dedup && o.region === region);
    if (existing) return { OpsItemId: existing.id };
    const id = `oi-${String(world.opsItems.length + 1).padStart(12, "0")}`;
    world.opsItems.push({ id, region, title: input.Title ?? "", description: input.Description ?? "", source: input.Source ?? "", dedup, atMs: world.clock.nowMs() });
    return { OpsItemId: id };
  });

  // Step Functions (the DR region's control plane): executions the world knows (docs/aws-behaviour.md).
  const sfn = stub(SFNClient);
  const executionOf = (arn: string | undefined) => {
    const execution = world.executions.get(arn ?? "");
    if (!execution) throw awsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`, 400);
    return execution;
  };
  // Same name and input as a running execution: the same answer; otherwise the name is taken.
  route(sfn, StartExecutionCommand, "states:StartExecution", (input: { stateMachineArn?: string; name?: string; input?: string }) => {
    const arn = executionArnOf(input.stateMachineArn ?? "", input.name ?? "");
    const existing = world.executions.get(arn);
    const parsed: unknown = JSON.parse(input.input ?? "{}");
    if (existing) {
      if (existing.status !== "RUNNING" || JSON.stringify(existing.input) !== JSON.stringify(parsed)) throw awsError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`, 400);
      return { executionArn: arn, startDate: new Date(existing.startMs) };
    }
    world.executions.set(arn, { arn, name: input.name ?? "", stateMachineArn: input.stateMachineArn ?? "", input: parsed, status: "RUNNING", startMs: world.clock.nowMs(), stopMs: null, history: [] });
    return { executionArn: arn, startDate: world.clock.now() };
  });
  // A closed execution is left as it is (the world's choice: AWS documents no error for it).
  route(sfn, StopExecutionCommand, "states:StopExecution", (input: { executionArn?: string; error?: string; cause?: string }) => {
    const execution = executionOf(input.executionArn);
    if (execution.status === "RUNNING") {
      if (execution.stop) execution.stop(input.error, input.cause);
      else Object.assign(execution, { status: "ABORTED", stopMs: world.clock.nowMs() });
    }
    return { stopDate: new Date(execution.stopMs ?? world.clock.nowMs()) };
  });
  route(sfn, DescribeExecutionCommand, "states:DescribeExecution", (input: { executionArn?: string }) => {
    const e = executionOf(input.executionArn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startMs),
      ...(e.stopMs === null ? {} : { stopDate: new Date(e.stopMs) }),
      // A FAILED (or aborted with a reason) execution names its error, as Step Functions does.
      ...(e.error === undefined ? {} : { error: e.error, cause: e.cause }),
      input: JSON.stringify(e.input),
    };
  });
  route(sfn, GetExecutionHistoryCommand, "states:GetExecutionHistory", (input: { executionArn?: string }) => ({ events: structuredClone(executionOf(input.executionArn).history) }));

  const stubs = [rds, cw, ecs, elb, r53, sm, sns, ssm, sfn, ...installFailbackApis(world, { rds, sm }, route), ...installAccountApis(world, { sns, ssm }, route)];
  const restoreDynamo = installDynamoIam(world);
  return () => {
    stubs.forEach((s) => s.restore());
    restoreDynamo();
    openWorldScope();
  };
}
