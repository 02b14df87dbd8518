/**
 * What each API refuses in the request itself, before it looks at any resource: reserved tag
 * prefixes, tag keys and values outside their length and pattern, identifiers outside theirs,
 * values out of range. One check per API the product calls, each from that API's reference
 * (docs/aws-behaviour.md, "Requests AWS refuses"). A layer of its own: installApis runs it on
 * every attempt before the API's behaviour (and after the region is reached), beside any other
 * layer (IAM) without knowing of it. A refused request changes nothing.
 */
import { awsError } from "./api";

type Check = (input: Record<string, unknown>) => void;

const refuse = (name: string, message: string): never => {
  throw awsError(name, message, 400);
};

/** RDS and ECS tag characters (RDS API reference, `Tag`; ECS API reference, `Tag`). */
const tagCharacters = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const length = (s: string) => [...s].length;

/** RDS `Tag`: key 1-128, value 0-256, neither prefixed `aws:` or `rds:`, the pattern. */
function rdsTags(tags: unknown): void {
  for (const t of (tags ?? []) as { Key?: string; Value?: string }[]) {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    if (/^(aws|rds):/i.test(key) || /^(aws|rds):/i.test(value)) refuse("InvalidParameterValue", `Tag keys and values cannot start with 'aws:' or 'rds:': ${key}`);
    if (length(key) < 1 || length(key) > 128 || !tagCharacters.test(key)) refuse("InvalidParameterValue", `Invalid tag key: ${key}`);
    if (length(value) > 256 || !tagCharacters.test(value)) refuse("InvalidParameterValue", `Invalid tag value for ${key}: ${value}`);
  }
}

/** ECS `Tag`: at most 50, key 1-128, value 0-256, the pattern, no `aws:` prefix in either. */
function ecsTags(tags: unknown): void {
  const list = (tags ?? []) as { key?: string; value?: string }[];
  if (list.length > 50) refuse("InvalidParameterException", "A resource can have at most 50 tags.");
  for (const t of list) {
    const key = t.key ?? "";
    const value = t.value ?? "";
    if (/^aws:/i.test(key) || /^aws:/i.test(value)) refuse("InvalidParameterException", `Tag keys and values with the aws: prefix are reserved for AWS use: ${key}`);
    if (length(key) < 1 || length(key) > 128 || !tagCharacters.test(key)) refuse("InvalidParameterException", `Invalid tag key: ${key}`);
    if (length(value) > 256 || !tagCharacters.test(value)) refuse("InvalidParameterException", `Invalid tag value for key ${key}: ${value}`);
  }
}

/** DB instance identifiers: 1-63 letters, digits or hyphens, a letter first, no trailing or double hyphen. */
export const isDbInstanceIdentifier = (id: string): boolean => /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*$/.test(id) && id.length <= 63 && !id.endsWith("-");
function dbInstanceIdentifier(name: string, id: unknown): void {
  if (typeof id !== "string" || !isDbInstanceIdentifier(id)) {
    refuse("InvalidParameterValue", `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`);
  }
}

/** DB parameter group names: 1-255 letters, digits or hyphens, a letter first, no trailing or double hyphen. */
function parameterGroupName(name: unknown): void {
  if (typeof name !== "string" || name.length > 255 || !/^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*$/.test(name) || name.endsWith("-")) {
    refuse("InvalidParameterValue", `The parameter DBParameterGroupName is not a valid identifier: ${String(name)}`);
  }
}

/** BackupRetentionPeriod: 0 to 35 days. */
function retention(days: unknown): void {
  if (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 0 || days > 35)) refuse("InvalidParameterValue", `Invalid backup retention period: ${String(days)}; it must be 0 to 35 days.`);
}

/** PreferredBackupWindow: `hh24:mi-hh24:mi`, UTC, at least 30 minutes. */
function backupWindow(window: unknown): void {
  if (window === undefined) return;
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(String(window));
  const minutes = m ? (((Number(m[3]) * 60 + Number(m[4]) - (Number(m[1]) * 60 + Number(m[2]))) % 1440) + 1440) % 1440 : 0;
  if (!m || minutes < 30) refuse("InvalidParameterValue", `The backup window ${String(window)} is not valid: hh24:mi-hh24:mi, at least 30 minutes.`);
}

export const requestChecks: Readonly<Record<string, Check>> = {
  "rds:CreateDBInstanceReadReplica": (i) => {
    dbInstanceIdentifier("DBInstanceIdentifier", i.DBInstanceIdentifier);
    if (i.DBParameterGroupName !== undefined) parameterGroupName(i.DBParameterGroupName);
    rdsTags(i.Tags);
  },
  "rds:ModifyDBInstance": (i) => {
    dbInstanceIdentifier("DBInstanceIdentifier", i.DBInstanceIdentifier);
    if (i.NewDBInstanceIdentifier !== undefined) dbInstanceIdentifier("NewDBInstanceIdentifier", i.NewDBInstanceIdentifier);
    retention(i.BackupRetentionPeriod);
    backupWindow(i.PreferredBackupWindow);
  },
  "rds:PromoteReadReplica": (i) => {
    dbInstanceIdentifier("DBInstanceIdentifier", i.DBInstanceIdentifier);
    retention(i.BackupRetentionPeriod);
  },
  "rds:CreateDBParameterGroup": (i) => {
    parameterGroupName(i.DBParameterGroupName);
    if (typeof i.DBParameterGroupFamily !== "string" || !i.DBParameterGroupFamily) refuse("InvalidParameterValue", "DBParameterGroupFamily is required.");
    if (typeof i.Description !== "string" || !i.Description) refuse("InvalidParameterValue", "Description is required.");
    rdsTags(i.Tags);
  },
  "rds:ModifyDBParameterGroup": (i) => {
    if (String(i.DBParameterGroupName ?? "").startsWith("default.")) refuse("InvalidParameterValue", "Cannot modify a default parameter group.");
    const parameters = (i.Parameters ?? []) as { ApplyMethod?: string }[];
    if (parameters.length < 1 || parameters.length > 20) refuse("InvalidParameterValue", "A maximum of 20 parameters can be modified in a single request, and at least one.");
    for (const p of parameters) if (!["immediate", "pending-reboot"].includes(p.ApplyMethod ?? "")) refuse("InvalidParameterValue", `Invalid ApplyMethod: ${String(p.ApplyMethod)}`);
  },
  "rds:ResetDBParameterGroup": (i) => {
    if (String(i.DBParameterGroupName ?? "").startsWith("default.")) refuse("InvalidParameterValue", "Cannot reset a default parameter group.");
    const parameters = (i.Parameters ?? []) as unknown[];
    if (i.ResetAllParameters && parameters.length > 0) refuse("InvalidParameterCombination", "Specify either ResetAllParameters or Parameters, not both.");
    if (parameters.length > 20) refuse("InvalidParameterValue", "A maximum of 20 parameters can be reset in a single request.");
  },
  "ecs:TagResource": (i) => ecsTags(i.tags),
  // "You cannot edit or delete tag keys or values with this prefix" (aws:).
  "ecs:UntagResource": (i) => {
    for (const key of (i.tagKeys ?? []) as string[]) if (/^aws:/i.test(key)) refuse("InvalidParameterException", `Tag keys with the aws: prefix are reserved for AWS use and cannot be removed: ${key}`);
  },
  "ecs:UpdateService": (i) => {
    if (i.desiredCount !== undefined && (typeof i.desiredCount !== "number" || i.desiredCount < 0)) refuse("InvalidParameterException", "desiredCount must be 0 or more.");
  },
  "sns:Publish": (i) => {
    const subject = i.Subject;
    // "must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long."
    if (subject !== undefined && (typeof subject !== "string" || subject.length === 0 || subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject))) {
      refuse("InvalidParameter", "Invalid parameter: Subject");
    }
    const message = typeof i.Message === "string" ? i.Message : "";
    if (message.length === 0) refuse("InvalidParameter", "Invalid parameter: Empty message");
    if (new TextEncoder().encode(message).length > 262_144) refuse("InvalidParameter", "Invalid parameter: Message too long");
  },
  "secretsmanager:ReplicateSecretToRegions": (i) => {
    const regions = (i.AddReplicaRegions ?? []) as { Region?: string }[];
    if (regions.length < 1) refuse("InvalidParameterException", "AddReplicaRegions must name at least one Region.");
    for (const r of regions) if (!/^([a-z]+-)+\d+$/.test(r.Region ?? "")) refuse("InvalidParameterException", `Invalid Region: ${String(r.Region)}`);
  },
  "s3:PutBucketReplication": (i) => {
    const config = i.ReplicationConfiguration as { Role?: string; Rules?: { ID?: string; Priority?: number }[] } | undefined;
    const rules = config?.Rules ?? [];
    if (!config?.Role) refuse("MalformedXML", "The XML you provided was not well-formed: Role is required.");
    if (rules.length < 1 || rules.length > 1000) refuse("MalformedXML", "A replication configuration holds 1 to 1000 rules.");
    for (const r of rules) if ((r.ID ?? "").length > 255) refuse("InvalidArgument", "Rule ID must be no more than 255 characters.");
  },
  "route53:ChangeResourceRecordSets": (i) => {
    const changes = ((i.ChangeBatch as { Changes?: { Action?: string; ResourceRecordSet?: { Name?: string } }[] } | undefined)?.Changes ?? []);
    if (changes.length < 1) refuse("InvalidInput", "ChangeBatch must contain at least one change.");
    for (const c of changes) {
      if (!["CREATE", "DELETE", "UPSERT"].includes(c.Action ?? "")) refuse("InvalidInput", `Invalid Action: ${String(c.Action)}`);
      if ((c.ResourceRecordSet?.Name ?? "").length < 1 || (c.ResourceRecordSet?.Name ?? "").length > 1024) refuse("InvalidInput", "Invalid record name.");
    }
  },
};

/** Throws the error the API answers a request it refuses; returns for one it accepts (or does not check). */
export function validateRequest(api: string, input: unknown): void {
  requestChecks[api]?.(input as Record<string, unknown>);
}
