/**
 * Readiness: whether a failover and a failback could run now, judged from what the account
 * shows (read by ./observe.ts for `pnpm dr readiness` and the scheduled evaluation). Pure: each
 * check turns one observation into a finding that says what is wrong and what to do: the
 * replica, the DR image and task definition, the DR region's Fargate quota, who is told, Route
 * 53's health check, the fence's and the seal's parameter groups, the KMS keys, an adopting
 * stage's task definition mirror (./mirror.ts).
 */
import { healthContractBreach, type HealthAnswer } from "../compute";
import { decideServing, type DatabaseSeen, type DatabaseShown } from "../database/serving";
import { mirrorFinding, type MirrorObservation } from "./mirror";

export { fargateOnDemandVcpuQuota, healthUrlsOf, observeReadiness, readinessClients, targetOf, type ReadinessClients, type ReadinessTarget } from "./observe";
export * from "./evaluation";
export { stepCatalogue } from "./catalogue";
export { mirrorCommand, mirrorFinding, type MirrorObservation } from "./mirror";
export { bindCatalogue, catalogueRecordName, catalogueRefs, observePermissions, permissionTargetOf, stackName, type CatalogueStatement, type PermissionClients, type PermissionTarget, type StepCatalogue } from "./permissions";

/** A value read from AWS, or why it could not be read (the call's error, in words). */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface DatabaseObservation {
  identifier: string;
  status: string;
  /** Set on a read replica (its source's ARN for a cross-region one). */
  sourceIdentifier: string | null;
  /** RDS's "read replication" status info: replicating, error, stopped, terminated. */
  replication: { status: string; normal: boolean; message: string | null } | null;
  backupRetentionDays: number;
  /** ISO time; RDS sets it once the instance has a backup to restore from. */
  latestRestorableTime: string | null;
  parameterGroup: string | null;
  /** No replica: `read_only` in its parameter group (a fence, a seal); absent: a replica, or no group listed. */
  readOnly?: Read<boolean>;
  kmsKeyId: string | null;
}

export interface ReadinessObservation {
  stage: string;
  primaryRegion: string;
  drRegion: string;
  /** The primary database (null: not found). The failover's fence sets read_only in its group. */
  primary: Read<DatabaseObservation | null>;
  /** The DR replica (null: not found). The switchback's seal sets read_only in its group. */
  replica: Read<DatabaseObservation | null>;
  /** The image the DR service's task definition runs, and whether the DR registry holds it. */
  drImage: Read<{ uri: string; registryRegion: string | null; present: boolean | null }>;
  /** The DR service's task definition: ECS starts only an ACTIVE one, with an execution role that exists. */
  drTask: Read<{ arn: string; status: string; executionRole: { arn: string; exists: boolean } | null }>;
  /** What a failover scales the DR service to, and the DR region's Fargate On-Demand vCPU quota (null: not reported). */
  drCapacity: { taskCount: number; taskCpu: number; vcpuQuota: Read<number | null> };
  /**
   * A prebuilt image's registry (primary region) and its replication rules (prefixes: the
   * repository filters; none means every repository). Absent for a Dockerfile build, which CDK
   * publishes to each region itself.
   */
  imageReplication?: { account: string; region: string; repository: string; rules: Read<{ destinations: { region: string; registryId: string }[]; prefixes: string[] }[]> };
  /** Each region's alert topic and its subscriptions. */
  alerts: { region: string; topicArn: string; subscriptions: Read<{ endpoint: string; protocol: string; confirmed: boolean }[]> }[];
  /** Route 53's health check on the primary; undefined on a stage without DNS. */
  healthCheck?: Read<{ id: string; reports: { region: string; status: string; checkedAt?: string | undefined }[] } | null>;
  /** The KMS keys the databases use. */
  kmsKeys: { keyId: string; region: string; state: Read<string> }[];
  /**
   * The database secret in the primary region and its replica's status in the DR region (status
   * null: no replica there; value null: no such secret). The DR service reads the replica.
   */
  secretReplica: Read<{ name: string; status: string | null; message: string | null } | null>;
  /**
   * Each failover step's deployed role, asked with iam:SimulatePrincipalPolicy about every action
   * its grants name (./permissions.ts; `pnpm dr readiness` and the scheduled evaluation).
   * role null: no role for the step in the deployed stack.
   */
  permissions?: Read<StepPermissions[]>;
  /** An adopting stage: the DR service's task definition against the team's current one (./mirror.ts). */
  mirror?: Read<MirrorObservation>;
  /**
   * The secrets the DR service's task definition names (a mirror copies the team's, named nowhere
   * else) and whether its execution role can read each in the DR region when a task starts.
   */
  drTaskSecrets?: Read<DrTaskSecrets>;
  /** A stage with DNS: whether its record is a failover pair (notPair: the failover's refusal, in its words). */
  dnsRecord?: Read<{ hostedZoneId: string; recordName: string; notPair: string | null }>;
  /**
   * The serving region's health path (the region `primaryServes` names) and what it answered
   * (docs/health-contract.md); `url` null: the region's address could not be read.
   */
  healthContract?: { region: string; url: string | null; answer: Read<HealthAnswer> };
}

export interface DrTaskSecrets {
  /** The DR task definition's execution role (null: none, so ECS reads no secret). */
  executionRole: string | null;
  secrets: DrTaskSecret[];
}

export interface DrTaskSecret {
  /** The container and the variable it sets. */
  container: string;
  variable: string;
  valueFrom: string;
  kind: "secretsmanager" | "ssm";
  /** The secret's or parameter's name and the region the task definition reads it in. */
  secretName: string;
  region: string;
  /** Whether it is in the DR region (Secrets Manager's DescribeSecret; Parameter Store's DescribeParameters, its value unread). */
  found: boolean;
  /** What the simulator did not allow the execution role (GetSecretValue or GetParameters, kms:Decrypt on a customer key). */
  denied: StepPermissions["denied"];
}

export interface StepPermissions {
  /** The workflow the step belongs to: the failover, or the failback (re-protect and switchback). */
  workflow: "failover" | "failback";
  step: string;
  role: string | null;
  simulated: number;
  /** What the simulation did not allow, and what decided it (an SCP, a permissions boundary, a Deny in a policy). */
  denied: { action: string; resource: string; decision: string; by: string | null }[];
}

export const checks = ["replica", "replica-backups", "replica-replicating", "dr-image", "image-replication", "dr-task-definition", "dr-quota", "alerts", "health-check", "fence-parameter-group", "seal-parameter-group", "kms-keys", "secret-replica", "permissions", "task-definition-mirror", "dr-task-secrets", "dns-record", "health-contract"] as const;
export type Check = (typeof checks)[number];

export interface Finding {
  check: Check;
  ok: boolean;
  /** What was seen. */
  detail: string;
  /** What to do; absent when ok. */
  action?: string;
}

export interface Readiness {
  ready: boolean;
  findings: Finding[];
}

/** Route 53 health-check reports older than this say nothing about now (checkers report every 10 or 30 s). */
export const staleReportSeconds = 300;

export function judgeReadiness(o: ReadinessObservation, now: Date): Readiness {
  const findings = [
    ...replicaFindings(o),
    drImageFinding(o),
    ...(o.imageReplication ? [imageReplicationFinding(o.imageReplication, o.drRegion)] : []),
    drTaskFinding(o),
    drQuotaFinding(o),
    ...o.alerts.map(alertFinding),
    ...(o.healthCheck ? [healthCheckFinding(o.healthCheck, now, primaryServes(o))] : []),
    parameterGroupFinding("fence-parameter-group", o.primary, o.primaryRegion, "the failover's fence (read_only on the old primary)"),
    parameterGroupFinding("seal-parameter-group", o.replica, o.drRegion, "the switchback's seal (read_only on the DR database it retires)"),
    kmsFinding(o.kmsKeys),
    secretFinding(o),
    ...(o.permissions ? permissionFindings(o.permissions) : []),
    ...(o.mirror ? [o.mirror.ok ? mirrorFinding(o.mirror.value, now) : unreadable("task-definition-mirror", `the DR service's task definition mirror in ${o.drRegion}`, o.mirror.error)] : []),
    ...(o.drTaskSecrets ? drTaskSecretFindings(o, o.drTaskSecrets) : []),
    ...(o.dnsRecord ? [dnsRecordFinding(o, o.dnsRecord)] : []),
    ...(o.healthContract ? [healthContractFinding(o, o.healthContract)] : []),
  ];
  return { ready: findings.every((f) => f.ok), findings };
}

const unreadable = (check: Check, what: string, error: string): Finding => ({
  check,
  ok: false,
  detail: `could not read ${what}: ${error}`,
  action: "give the operator's credentials read access to it (docs/first-deploy.md, step 2), or retry if the region was unreachable",
});

function replicaFindings(o: ReadinessObservation): Finding[] {
  if (!o.replica.ok) return [unreadable("replica", `the DR replica in ${o.drRegion}`, o.replica.error)];
  const r = o.replica.value;
  if (!r) return [{ check: "replica", ok: false, detail: `no DR database in ${o.drRegion}`, action: `deploy the stage (pnpm deploy:all --stage ${o.stage}): its DR Data stack creates the replica` }];
  if (!r.sourceIdentifier) {
    // Re-protected after a failover (state C): the DR database serves and the primary region holds
    // its replica; the next failover runs the other way, from that replica.
    const p = o.primary.ok ? o.primary.value : null;
    if (p?.sourceIdentifier && isSourceOf(r.identifier, p.sourceIdentifier)) return standbyFindings(p, o.primaryRegion, " (re-protected: the DR region serves, the next failover runs from here)", `pnpm dr reprotect --stage ${o.stage} (it builds the replica again)`);
    return [{ check: "replica", ok: false, detail: `${r.identifier} in ${o.drRegion} is not a read replica (promoted, status ${r.status})`, action: `after a failover, re-protect before the next one: pnpm dr reprotect --stage ${o.stage} (docs/failback.md)` }];
  }
  return standbyFindings(r, o.drRegion, "", "delete it and deploy the stage again");
}

/** A replica's source as RDS names it: the identifier, or a cross-Region replica's source ARN. */
const isSourceOf = (identifier: string, source: string): boolean => source === identifier || source.endsWith(`:db:${identifier}`);

/** The standby a failover would promote: exists and available, has backups, replicates. */
function standbyFindings(r: DatabaseObservation, region: string, note: string, recreate: string): Finding[] {
  const exists: Finding =
    r.status === "available"
      ? { check: "replica", ok: true, detail: `${r.identifier} in ${region}: available, a read replica of ${r.sourceIdentifier ?? "?"}${note}` }
      : { check: "replica", ok: false, detail: `${r.identifier} in ${region} is ${r.status}, not available: RDS refuses to promote it now${note}`, action: "wait for RDS to finish (a backup or a modification ends by itself); stopped, failed or storage-full need a person (docs/runbook.md)" };
  const backups: Finding =
    r.backupRetentionDays > 0 && r.latestRestorableTime
      ? { check: "replica-backups", ok: true, detail: `automated backups kept ${r.backupRetentionDays} days, restorable to ${r.latestRestorableTime}` }
      : r.backupRetentionDays === 0
        ? { check: "replica-backups", ok: false, detail: "automated backups are off on the replica", action: `turn them on (the Data stack sets a retention; deploy the stage again): a promoted replica without backups has no point-in-time recovery` }
        : { check: "replica-backups", ok: false, detail: "the replica has no backup yet (no latest restorable time)", action: "wait for its first automated backup (docs/first-deploy.md, step 5); RDS refuses to promote during it" };
  const replicating: Finding =
    r.replication && r.replication.status === "replicating" && r.replication.normal
      ? { check: "replica-replicating", ok: true, detail: "read replication: replicating" }
      : {
          check: "replica-replicating",
          ok: false,
          detail: `read replication: ${r.replication ? `${r.replication.status}${r.replication.message ? ` (${r.replication.message})` : ""}` : "not reported"}`,
          action: `read the replica's RDS events and the primary's binary log settings; a replica that stopped replicating must be recreated (${recreate})`,
        };
  return [exists, backups, replicating];
}

function drImageFinding(o: ReadinessObservation): Finding {
  if (!o.drImage.ok) return unreadable("dr-image", `the DR service's image in ${o.drRegion}`, o.drImage.error);
  const { uri, registryRegion, present } = o.drImage.value;
  if (registryRegion !== o.drRegion) {
    return { check: "dr-image", ok: false, detail: `the DR task definition runs ${uri}, which is not in ${o.drRegion}'s registry: a failover would pull it from ${registryRegion ?? "outside ECR"}`, action: "deploy the stage again: the DR task definition runs the DR registry's copy (docs/deploy.md, \"Your own application\")" };
  }
  if (present === false) {
    return { check: "dr-image", ok: false, detail: `${uri} is not in ${o.drRegion}'s registry: the DR service cannot start`, action: "push the image again after the replication rule exists (ECR replicates pushes made after it), or check the registry's replication configuration" };
  }
  return { check: "dr-image", ok: true, detail: `${uri} is in ${o.drRegion}'s registry` };
}

function imageReplicationFinding(r: NonNullable<ReadinessObservation["imageReplication"]>, drRegion: string): Finding {
  const check = "image-replication";
  if (!r.rules.ok) return unreadable(check, `the replication configuration of the registry in ${r.region}`, r.rules.error);
  const covers = r.rules.value.some((rule) => rule.destinations.some((d) => d.region === drRegion && d.registryId === r.account) && (rule.prefixes.length === 0 || rule.prefixes.some((p) => r.repository.startsWith(p))));
  if (!covers) {
    return {
      check,
      ok: false,
      detail: `the registry in ${r.region} has no replication rule sending ${r.repository} to ${drRegion}: new pushes will not reach the DR registry (ECR keeps one configuration per registry; another stage's deploy or a tool may have replaced it)`,
      action: `deploy the stage again (its primary Compute stack sets the rule), or, with application.image.replicate: false, add a rule for ${r.repository} to ${drRegion} to the registry's configuration (aws ecr put-replication-configuration --region ${r.region}); then push the image again`,
    };
  }
  return { check, ok: true, detail: `the registry in ${r.region} replicates ${r.repository} to ${drRegion}` };
}

function drTaskFinding(o: ReadinessObservation): Finding {
  const check = "dr-task-definition";
  if (!o.drTask.ok) return unreadable(check, `the DR service's task definition in ${o.drRegion}`, o.drTask.error);
  const { arn, status, executionRole } = o.drTask.value;
  const redeploy = `deploy the stage again (pnpm deploy:all --stage ${o.stage}): its DR Compute stack registers the task definition and its execution role`;
  if (status !== "ACTIVE") return { check, ok: false, detail: `${arn} is ${status}: ECS starts no new task from it, so the scale-up would fail`, action: redeploy };
  if (executionRole && !executionRole.exists) return { check, ok: false, detail: `${arn}: its execution role ${executionRole.arn} does not exist: ECS could not pull the image or read the secrets`, action: redeploy };
  return { check, ok: true, detail: `${arn} is ACTIVE${executionRole ? `, execution role ${executionRole.arn} exists` : ""}` };
}

function drQuotaFinding(o: ReadinessObservation): Finding {
  const check = "dr-quota";
  const { taskCount, taskCpu, vcpuQuota } = o.drCapacity;
  if (!vcpuQuota.ok) return unreadable(check, `the Fargate On-Demand vCPU quota in ${o.drRegion}`, vcpuQuota.error);
  const needed = (taskCount * taskCpu) / 1024;
  if (vcpuQuota.value === null) return { check, ok: false, detail: `Service Quotas reports no Fargate On-Demand vCPU quota in ${o.drRegion}`, action: `look it up in the Service Quotas console (${o.drRegion}, AWS Fargate, L-3032A538)` };
  if (vcpuQuota.value < needed) {
    return {
      check,
      ok: false,
      detail: `a failover runs ${taskCount} tasks of ${taskCpu / 1024} vCPU (${needed} vCPU) but the Fargate On-Demand vCPU quota in ${o.drRegion} is ${vcpuQuota.value}`,
      action: `aws service-quotas request-service-quota-increase --region ${o.drRegion} --service-code fargate --quota-code L-3032A538 --desired-value ${Math.ceil(needed)} (or lower drTaskCount)`,
    };
  }
  return { check, ok: true, detail: `a failover needs ${needed} Fargate vCPU in ${o.drRegion}, the quota is ${vcpuQuota.value} (shared with the region's other Fargate tasks)` };
}

function alertFinding(a: ReadinessObservation["alerts"][number]): Finding {
  if (!a.subscriptions.ok) return unreadable("alerts", `the subscriptions of ${a.topicArn}`, a.subscriptions.error);
  const subs = a.subscriptions.value;
  const pending = subs.filter((s) => !s.confirmed);
  const confirmed = subs.filter((s) => s.confirmed);
  if (confirmed.length === 0) {
    return {
      check: "alerts",
      ok: false,
      detail: `${a.region}: nobody is told (${subs.length === 0 ? "no subscription" : `${pending.length} pending confirmation: ${pending.map((s) => s.endpoint).join(", ")}`})`,
      action: `confirm the "AWS Notification - Subscription Confirmation" e-mail from ${a.region}, or add alertEmails to the stage and deploy it`,
    };
  }
  if (pending.length > 0) {
    return { check: "alerts", ok: false, detail: `${a.region}: ${pending.map((s) => s.endpoint).join(", ")} not confirmed (${confirmed.length} confirmed)`, action: `confirm the "AWS Notification - Subscription Confirmation" e-mail from ${a.region}` };
  }
  return { check: "alerts", ok: true, detail: `${a.region}: ${confirmed.length} confirmed subscription${confirmed.length === 1 ? "" : "s"}` };
}

/**
 * Whether the primary region serves, from what RDS shows (decideServing): not once the DR
 * database is promoted (a failover) nor while the primary region holds a replica (re-protected,
 * state C): its service is then at its pilot light and Route 53's checks on it fail by design.
 * Readiness's own reading of the rest: two databases taking writes (a fence that did not hold)
 * is a failover that promoted the DR database; none, or not known, leaves the primary judged
 * unless it is a replica (its check tells what users see).
 */
export function primaryServes(o: Pick<ReadinessObservation, "primary" | "replica">): boolean {
  const seen = (r: ReadinessObservation["primary"]): DatabaseSeen<DatabaseShown> => (!r.ok ? undefined : r.value === null ? { found: false } : { found: true, state: r.value, readOnly: r.value.readOnly?.ok ? r.value.readOnly.value : undefined });
  const { serves, roles } = decideServing({ primary: seen(o.primary), dr: seen(o.replica) });
  if (serves === "primary") return true;
  if (serves === "dr" || serves === "both") return false;
  return roles.primary !== "replica";
}

function healthCheckFinding(h: NonNullable<ReadinessObservation["healthCheck"]>, now: Date, serving: boolean): Finding {
  if (!h.ok) return unreadable("health-check", "Route 53's health check on the primary", h.error);
  if (!h.value) return { check: "health-check", ok: false, detail: "no Route 53 health check on the primary", action: "deploy the stage: its Dns stack creates it, and the failover record and the monitor's second opinion need it" };
  const fresh = h.value.reports.filter((r) => r.checkedAt !== undefined && now.getTime() - Date.parse(r.checkedAt) <= staleReportSeconds * 1000);
  if (fresh.length === 0) {
    return { check: "health-check", ok: false, detail: `health check ${h.value.id}: no report in the last ${staleReportSeconds / 60} minutes`, action: "check it in the Route 53 console (disabled, or an endpoint Route 53 cannot reach)" };
  }
  const healthy = fresh.filter((r) => r.status.startsWith("Success")).length;
  const seen = `health check ${h.value.id}: ${fresh.length} checkers reporting, ${healthy} see the primary healthy`;
  if (!serving) return { check: "health-check", ok: true, detail: `${seen} (the DR region serves: the primary's check fails by design until the switchback)` };
  if (healthy * 2 < fresh.length) {
    const failing = fresh.find((r) => !r.status.startsWith("Success"));
    return {
      check: "health-check",
      ok: false,
      detail: `${seen}, while the primary serves (${failing?.region}: ${failing?.status}): Route 53 answers the failover record with the DR region, at its pilot light, once fewer than 18% see it healthy, and a failover decided now would start from a primary already judged down`,
      action: `find what the checkers see (aws route53 get-health-check-status --health-check-id ${h.value.id}): an outage is the monitor's (pnpm dr status); if users are served, the check's endpoint is wrong (the HTTPS listener for its host name, the health path, a firewall refusing Route 53's checker ranges: docs/runbook.md, "Readiness")`,
    };
  }
  return { check: "health-check", ok: true, detail: seen };
}

function parameterGroupFinding(check: Check, db: ReadinessObservation["primary"], region: string, role: string): Finding {
  if (!db.ok) return unreadable(check, `the database in ${region}`, db.error);
  if (!db.value) return { check, ok: false, detail: `no database in ${region}`, action: "deploy the stage" };
  const group = db.value.parameterGroup;
  if (!group || group.startsWith("default.")) {
    return {
      check,
      ok: false,
      detail: `${db.value.identifier} uses ${group ?? "no"} parameter group: ${role} cannot set read_only in a default group (RDS refuses to modify it)`,
      action: `give it its own group: aws rds create-db-parameter-group --region ${region} --db-parameter-group-name ${db.value.identifier}-pl --db-parameter-group-family <its family> --description "pilot-light fence", then aws rds modify-db-instance --region ${region} --db-instance-identifier ${db.value.identifier} --db-parameter-group-name ${db.value.identifier}-pl --apply-immediately (and reboot it)`,
    };
  }
  return { check, ok: true, detail: `${db.value.identifier} uses its own parameter group ${group}` };
}

function kmsFinding(keys: ReadinessObservation["kmsKeys"]): Finding {
  const problems = keys.flatMap((k) => (!k.state.ok ? [`${k.keyId} (${k.region}): could not read: ${k.state.error}`] : k.state.value !== "Enabled" ? [`${k.keyId} (${k.region}): ${k.state.value}`] : []));
  if (problems.length > 0) {
    return { check: "kms-keys", ok: false, detail: `KMS keys not usable: ${problems.join("; ")}`, action: "enable the key (aws kms enable-key) or cancel its deletion (aws kms cancel-key-deletion): an encrypted database whose key is disabled cannot be promoted or restored" };
  }
  return { check: "kms-keys", ok: true, detail: `${keys.length} KMS key${keys.length === 1 ? "" : "s"} enabled` };
}

function secretFinding(o: ReadinessObservation): Finding {
  const check = "secret-replica";
  if (!o.secretReplica.ok) return unreadable(check, `the database secret in ${o.primaryRegion}`, o.secretReplica.error);
  const s = o.secretReplica.value;
  if (!s) return { check, ok: false, detail: `no database secret in ${o.primaryRegion}`, action: `deploy the stage (its Data stack creates it); an adopting stage: name yours in adopt.database.secretName` };
  const replicate = `aws secretsmanager replicate-secret-to-regions --region ${o.primaryRegion} --secret-id ${s.name} --add-replica-regions Region=${o.drRegion},KmsKeyId=alias/aws/secretsmanager`;
  const message = s.message ? ` (${s.message})` : "";
  if (s.status === null) {
    return { check, ok: false, detail: `secret ${s.name} has no replica in ${o.drRegion}: the DR service could not read its database credentials`, action: `an adopting stage: pnpm deploy:all --stage ${o.stage} --apply-adoption replicates it; or ${replicate}` };
  }
  if (s.status === "InProgress") return { check, ok: false, detail: `secret ${s.name}: its replica in ${o.drRegion} is still being created${message}`, action: "wait a minute and evaluate again" };
  if (s.status !== "InSync") {
    return {
      check,
      ok: false,
      detail: `secret ${s.name}: its replication to ${o.drRegion} is ${s.status}${message}: the DR service could not read its database credentials`,
      action: `a secret of that name in ${o.drRegion} is in the way: delete it, or overwrite it with the replica: ${replicate} --force-overwrite-replica-secret`,
    };
  }
  return { check, ok: true, detail: `secret ${s.name} is replicated to ${o.drRegion} (InSync)` };
}

function dnsRecordFinding(o: ReadinessObservation, r: Read<{ hostedZoneId: string; recordName: string; notPair: string | null }>): Finding {
  const check = "dns-record";
  if (!r.ok) return unreadable(check, "the stage's DNS record in Route 53", r.error);
  const { hostedZoneId, recordName, notPair } = r.value;
  if (notPair) {
    return {
      check,
      ok: false,
      detail: `${recordName} in zone ${hostedZoneId} is not a failover pair (no PRIMARY failover record: a simple record?): a failover is refused at its Preflight, before the promotion, and users stay on what the record names`,
      action: `make the pair: pnpm deploy:all --stage ${o.stage} --apply-adoption (docs/adopt.md: one change batch, made only while Route 53's checkers see the primary healthy)`,
    };
  }
  return { check, ok: true, detail: `${recordName} in zone ${hostedZoneId} is a failover pair` };
}

/**
 * The serving side's health path must answer the contract a failover's VerifyDrHealth and a
 * switchback's VerifyNewPrimary require of their new primary, judged by the same code
 * (Compute.healthContractBreach): 2xx with `"readOnly": false`. An app that breaks it is learnt
 * here, not at the next drill or the outage (the monitor, the ALB and Route 53 do not read it).
 */
function healthContractFinding(o: ReadinessObservation, h: NonNullable<ReadinessObservation["healthContract"]>): Finding {
  const check = "health-contract";
  const where = `the serving region's (${h.region}) health path`;
  if (!h.answer.ok || h.url === null) {
    return {
      check,
      ok: false,
      detail: `could not read ${where}${h.url ? ` at ${h.url}` : ""}: ${h.answer.ok ? "no address" : h.answer.error}`,
      action: `if the region is down, that is the monitor's (pnpm dr status --stage ${o.stage}); otherwise check the address answers from outside the VPC (docs/health-contract.md) and evaluate again`,
    };
  }
  const breach = healthContractBreach(h.url, h.answer.value, true);
  if (!breach) return { check, ok: true, detail: `${where} answers the health contract: ${h.answer.value.status} with "readOnly": false` };
  const { status, readOnly } = h.answer.value;
  if (status < 200 || status > 299) {
    return { check, ok: false, detail: `${breach}: ${where} does not answer the health contract now`, action: `an outage is the monitor's (pnpm dr status --stage ${o.stage}); if users are served, the path must answer 200 whenever the app and its database work (docs/health-contract.md)` };
  }
  if (readOnly === true) {
    return {
      check,
      ok: false,
      detail: `${breach}: the serving database refuses writes`,
      action: `find why read_only is on (pnpm dr status --stage ${o.stage}: a fence or a seal left in place?); a move's verify requires "readOnly": false from its new primary (docs/health-contract.md)`,
    };
  }
  return {
    check,
    ok: false,
    detail: `${breach}: a failover's VerifyDrHealth and a switchback's VerifyNewPrimary require "readOnly": false from the new primary, so either would end NeedsOperator with users already moved (the monitor, the ALB and Route 53 do not read it)`,
    action: `make the health path answer the contract: a JSON body whose "readOnly" is the boolean @@global.read_only (true or false, not a string; docs/health-contract.md, with examples), deploy it, then pnpm dr readiness --stage ${o.stage}`,
  };
}

function drTaskSecretFindings(o: ReadinessObservation, r: Read<DrTaskSecrets>): Finding[] {
  const check = "dr-task-secrets";
  if (!r.ok) return [unreadable(check, `the secrets of the DR service's task definition in ${o.drRegion} and what its execution role may read`, r.error)];
  const { executionRole, secrets } = r.value;
  if (secrets.length === 0) return [{ check, ok: true, detail: "the DR task definition names no secret" }];
  const deploy = `pnpm deploy:all --stage ${o.stage}`;
  const setting = (s: DrTaskSecret) => `add it to the stage's application.secrets ("${s.variable}": { "secretName": "${s.secretName}" }) and deploy (${deploy}): the DR Compute stack grants its execution role to read each secret named there`;
  const failing = secrets.flatMap((s): Finding[] => {
    const what = `${s.container}'s ${s.variable} (${s.valueFrom})`;
    const stops = "a failover's DR tasks would stop before they run (ECS: ResourceInitializationError: unable to pull secrets)";
    if (!executionRole) return [{ check, ok: false, detail: `${what}: the DR task definition has no execution role to read it: ${stops}`, action: `deploy the stage again (${deploy}): its DR Compute stack registers the task definition with its execution role` }];
    if (s.region !== o.drRegion || s.found === false) {
      const where = s.region !== o.drRegion ? `is read in ${s.region}, not ${o.drRegion}` : `is not in ${o.drRegion}`;
      return [
        {
          check,
          ok: false,
          detail: `${what} ${where}: ${stops}`,
          action:
            s.kind === "secretsmanager"
              ? `replicate it to the DR region: aws secretsmanager replicate-secret-to-regions --region ${o.primaryRegion} --secret-id ${s.secretName} --add-replica-regions Region=${o.drRegion}; then run the mirror (an adopting stage) or deploy the stage, so the DR task definition names the replica`
              : `create it in the DR region (aws ssm put-parameter --region ${o.drRegion} --name ${s.secretName} --type SecureString --value ...), then run the mirror (an adopting stage) or deploy the stage`,
        },
      ];
    }
    if (s.denied.length === 0) return [];
    const denied = s.denied.map((d) => `${d.action} on ${d.resource}: ${d.decision}${d.by ? ` (${d.by})` : ""}`);
    const by = s.denied.find((d) => d.by !== null);
    const kms = s.denied.find((d) => d.action === "kms:Decrypt");
    const action = by
      ? `remove what refuses it (${by.by})`
      : kms && s.denied.length === 1
        ? `let the role use the secret's key: aws kms create-grant --region ${o.drRegion} --key-id ${kms.resource} --grantee-principal ${executionRole} --operations Decrypt`
        : s.kind === "secretsmanager"
          ? setting(s)
          : `allow it ssm:GetParameters on ${s.denied[0]!.resource}: aws iam put-role-policy --role-name ${executionRole.slice(executionRole.lastIndexOf("/") + 1)} --policy-name pilot-light-parameters --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"${s.denied[0]!.resource}"}]}'`;
    return [{ check, ok: false, detail: `${what}: the DR execution role ${executionRole} would be refused ${denied.join("; ")}: ${stops}`, action }];
  });
  if (failing.length > 0) return failing;
  return [{ check, ok: true, detail: `the DR execution role ${executionRole} may read the ${secrets.length} secret${secrets.length === 1 ? "" : "s"} the DR task definition names, each in ${o.drRegion}` }];
}

function permissionFindings(p: Read<StepPermissions[]>): Finding[] {
  const check = "permissions";
  if (!p.ok) return [unreadable(check, "the failover and failback steps' roles and their simulated permissions", p.error)];
  const stack = { failover: "Failover", failback: "Failback" } as const;
  const stops = { failover: "a failover", failback: "a failback (re-protect or switchback)" } as const;
  const grants = { failover: "stacks/failover/grants.ts", failback: "stacks/failback/grants.ts" } as const;
  const failing = p.value.flatMap((s): Finding[] => {
    if (!s.role) return [{ check, ok: false, detail: `step ${s.step}: no execution role in the deployed ${stack[s.workflow]} stack`, action: `deploy the stage again (pnpm deploy:all): the ${stack[s.workflow]} stack creates each step's function and role` }];
    if (s.denied.length === 0) return [];
    const denied = s.denied.map((d) => `${d.action} on ${d.resource}: ${d.decision}${d.by ? ` (${d.by})` : ""}`);
    return [
      {
        check,
        ok: false,
        detail: `step ${s.step}, role ${s.role}, would be refused ${denied.join("; ")}`,
        action: `${stops[s.workflow]} stops at ${s.step}: remove what refuses it (the Deny statement, permissions boundary or organization SCP named), or deploy the stage again if the role lost its grants (${grants[s.workflow]})`,
      },
    ];
  });
  if (failing.length > 0) return failing;
  const count = (w: StepPermissions["workflow"]) => p.value.filter((s) => s.workflow === w).length;
  const simulated = p.value.reduce((n, s) => n + s.simulated, 0);
  return [{ check, ok: true, detail: `${count("failover")} failover and ${count("failback")} failback steps' roles are allowed every action their grants name (${simulated} action-resource pairs simulated)` }];
}
