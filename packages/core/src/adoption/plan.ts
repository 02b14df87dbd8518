/**
 * The adoption plan: what pilot-light changes on a team's own primary, decided from what the
 * account shows, and stated before anything is changed (`pnpm dr adopt --stage S` prints it,
 * `--apply` applies it). Pure. Three changes, each the least that protection needs:
 * - the bucket's replication configuration gains pilot-light's rule; the team's rules, its
 *   role and every other field are kept (merged, never replaced);
 * - a simple DNS record becomes the PRIMARY/SECONDARY failover pair in ONE change batch (DELETE
 *   and two CREATEs: Route 53 applies a batch all or nothing, so users never resolve nothing);
 * - a database on a `default.*` parameter group (RDS refuses to modify those, so the fence could
 *   not set read_only) is reported with the command that moves it; pilot-light never reboots
 *   or modifies a team's database itself;
 * - an unencrypted database is reported before the deploy tries its DR replica: the replica is
 *   encrypted with a DR-region key, and RDS refuses an encrypted read replica of an unencrypted
 *   instance (RDS API Reference, CreateDBInstanceReadReplica, KmsKeyId);
 * - the team's database secret gains a replica in the DR region (the DR service and the
 *   failover's steps read it there under its name); a replication that failed (a secret of that
 *   name was already there) or is still in progress is reported instead.
 * A plan computed from the state a plan already applied is empty: applying twice changes nothing.
 */
import { judgeObservations, type CheckerObservation } from "../health/second-opinion";
import { arnIn } from "../stage/partition";

/** The fields of an S3 replication rule this plan reads (structurally the SDK's ReplicationRule). */
export interface ReplicationRuleShape {
  ID?: string | undefined;
  Priority?: number | undefined;
  Prefix?: string | undefined;
  Filter?: unknown;
  Status?: string | undefined;
  Destination?: { Bucket?: string | undefined; StorageClass?: string | undefined; Account?: string | undefined; AccessControlTranslation?: unknown; EncryptionConfiguration?: unknown; ReplicationTime?: unknown; Metrics?: unknown } | undefined;
  DeleteMarkerReplication?: unknown;
  SourceSelectionCriteria?: unknown;
  ExistingObjectReplication?: unknown;
}

export interface ReplicationShape {
  Role?: string | undefined;
  Rules?: ReplicationRuleShape[] | undefined;
}

/** The fields of a Route 53 record set this plan reads (structurally the SDK's ResourceRecordSet). */
export interface RecordShape {
  Name?: string | undefined;
  Type?: string | undefined;
  SetIdentifier?: string | undefined;
  Failover?: string | undefined;
  Weight?: number | undefined;
  Region?: string | undefined;
  GeoLocation?: unknown;
  MultiValueAnswer?: boolean | undefined;
  TTL?: number | undefined;
  ResourceRecords?: { Value?: string | undefined }[] | undefined;
  AliasTarget?: { DNSName?: string | undefined; HostedZoneId?: string | undefined; EvaluateTargetHealth?: boolean | undefined } | undefined;
  HealthCheckId?: string | undefined;
  TrafficPolicyInstanceId?: string | undefined;
  CidrRoutingConfig?: unknown;
  GeoProximityLocation?: unknown;
}

export interface AdoptionObservation {
  /** The team's bucket's replication configuration (null: it has none). */
  replication: ReplicationShape | null;
  /** The record sets at the stage's record name, every type (undefined: the stage has no DNS). */
  records?: RecordShape[] | undefined;
  database: {
    identifier: string;
    /** The parameter group the instance uses now, and whether it is applied (`in-sync`) or waits for a reboot (`pending-reboot`). */
    parameterGroup: string;
    parameterApplyStatus: string;
    /** e.g. 8.4.3; the parameter group family is mysql<major>.<minor>. */
    engineVersion: string;
    /** Whether its storage is encrypted (DescribeDBInstances StorageEncrypted). */
    storageEncrypted: boolean;
  };
  /** Whether the group the stage names for the fence exists. */
  fenceGroupExists: boolean;
  /**
   * The team's database secret in the primary region, as DescribeSecret shows it (null: not
   * there; undefined: not observed, the target names no secret).
   */
  secret?: SecretShape | null | undefined;
  /**
   * Route 53's checkers' latest results for the primary's health check (GetHealthCheckStatus);
   * null: Route 53 has no such check; undefined: not read (no DNS, or not deployed yet).
   */
  healthCheck?: CheckerObservation[] | null | undefined;
  /** When the observation was made (the checkers' results are judged against it). */
  observedAt?: string | undefined;
}

/** The fields of DescribeSecret this plan reads. */
export interface SecretShape {
  PrimaryRegion?: string | undefined;
  ReplicationStatus?: { Region?: string | undefined; KmsKeyId?: string | undefined; Status?: string | undefined; StatusMessage?: string | undefined }[] | undefined;
}

export interface AdoptionTarget {
  stage: string;
  region: string;
  bucket: string;
  /** pilot-light's rule: to the DR region's bucket, as the role pilot-light created for it. */
  replicationRule: {
    id: string;
    destinationBucket: string;
    roleArn: string;
    /**
     * The roles the deployed DR bucket lets write replicas (pilot-light's and the stage's
     * adopt.bucket.replicationRoleArn); absent: not checked. A configuration whose role is not
     * among them would fail every replication, so the plan reports it instead of writing.
     */
    admittedRoles?: string[] | undefined;
  };
  dns?: {
    hostedZoneId: string;
    recordName: string;
    /** Route 53's health check on the primary (the Dns stack's); `notYetDeployed` before the deploy that creates it. */
    healthCheckId: string;
    drAlb: { dnsName: string; hostedZoneId: string };
    /** What that health check probes (https://<region>.<record><healthPath>), for the finding's words. */
    probe?: string | undefined;
  } | undefined;
  database: { identifier: string; parameterGroup: string };
  /** The team's database secret (adopt.database.secretName), replicated to drRegion under kmsKeyId. */
  secret?: { name: string; drRegion: string; kmsKeyId: string } | undefined;
}

export type AdoptionChange =
  | { kind: "bucket-replication"; bucket: string; configuration: { Role: string; Rules: ReplicationRuleShape[] }; kept: string[]; says: string[] }
  | { kind: "dns-failover-pair"; hostedZoneId: string; changes: { Action: "DELETE" | "CREATE"; ResourceRecordSet: RecordShape }[]; says: string[] }
  | { kind: "secret-replica"; secretId: string; region: string; kmsKeyId: string; says: string[] };

/** What the team must do itself, with the command that does it. */
export interface AdoptionFinding {
  kind: "parameter-group" | "replication" | "dns" | "database-encryption" | "secret";
  says: string;
  commands: string[];
}

export interface AdoptionPlan {
  changes: AdoptionChange[];
  findings: AdoptionFinding[];
}

export const replicationRuleId = "pilot-light-dr";
/** A value the stacks create in the deploy the plan is stated before (the health check's id, the DR load balancer). */
export const notYetDeployed = "(created by this deploy)";
const failoverSetIds = { PRIMARY: "primary", SECONDARY: "secondary" } as const;

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();
const bucketOf = (destination: string | undefined) => (destination ?? "").replace(/^arn:aws[a-z-]*:s3:::/, "");

export function planAdoption(target: AdoptionTarget, seen: AdoptionObservation): AdoptionPlan {
  const plan: AdoptionPlan = { changes: [], findings: [] };
  planReplication(target, seen.replication, plan);
  if (target.dns) planDns(target.dns, seen, plan);
  planParameterGroup(target, seen, plan);
  planEncryption(target, seen, plan);
  if (target.secret) planSecret(target.region, target.secret, seen.secret ?? null, plan);
  return plan;
}

/**
 * The DR region's copy of the team's secret: the DR service's tasks and the failover's steps read
 * it there, under its name. Replicated with the DR region's aws/secretsmanager key unless the
 * stage says otherwise (then no kms:Decrypt grant is needed to read it). A replication that
 * failed is the team's to settle: a secret of that name in the DR region is theirs, and
 * pilot-light never overwrites it.
 */
function planSecret(region: string, want: NonNullable<AdoptionTarget["secret"]>, seen: SecretShape | null, plan: AdoptionPlan): void {
  const { name, drRegion, kmsKeyId } = want;
  if (!seen) {
    plan.findings.push({ kind: "secret", says: `secret ${name} (adopt.database.secretName) is not in ${region}: name the secret your application reads its database credentials from, then run this again.`, commands: [] });
    return;
  }
  if (seen.PrimaryRegion && seen.PrimaryRegion !== region) {
    plan.findings.push({ kind: "secret", says: `secret ${name} in ${region} is a replica of the one in ${seen.PrimaryRegion}: pilot-light replicates the primary secret of the primary region; make ${region}'s the primary (or name another secret), then run this again.`, commands: [] });
    return;
  }
  const replica = (seen.ReplicationStatus ?? []).find((r) => r.Region === drRegion);
  if (!replica) {
    plan.changes.push({ kind: "secret-replica", secretId: name, region: drRegion, kmsKeyId, says: [`secret ${name}: replicate it to ${drRegion} (encrypted there with ${kmsKeyId}): the DR service and the failover read it there under its name`] });
    return;
  }
  if (replica.Status === "InSync") return;
  const message = replica.StatusMessage ? ` (${replica.StatusMessage})` : "";
  if (replica.Status === "InProgress") {
    plan.findings.push({ kind: "secret", says: `secret ${name}: its replica in ${drRegion} is still being created${message}; run this again in a minute.`, commands: [] });
    return;
  }
  plan.findings.push({
    kind: "secret",
    says: `secret ${name}: its replication to ${drRegion} is ${replica.Status ?? "unknown"}${message}, so the DR service could not read it. A secret of that name in ${drRegion} is yours: delete it, or overwrite it with the replica (the command below; --force-overwrite-replica-secret replaces it).`,
    commands: [`aws secretsmanager replicate-secret-to-regions --region ${region} --secret-id ${name} --add-replica-regions Region=${drRegion},KmsKeyId=${kmsKeyId} --force-overwrite-replica-secret`],
  });
}

/**
 * The DR replica is encrypted (its DR-region key, stacks/Data.ts) and RDS refuses an encrypted
 * read replica of an unencrypted instance: the deploy would fail at the replica. Encrypting an
 * instance is a restore from an encrypted copy of a snapshot, a new instance the team switches to.
 */
function planEncryption(target: AdoptionTarget, seen: AdoptionObservation, plan: AdoptionPlan): void {
  if (seen.database.storageEncrypted) return;
  const { identifier } = seen.database;
  const at = `--region ${target.region}`;
  const encrypted = `${identifier}-encrypted`;
  plan.findings.push({
    kind: "database-encryption",
    says: `database ${identifier} is not encrypted, and RDS refuses an encrypted cross-Region read replica of an unencrypted instance: the deploy would fail creating the DR replica (encrypted with a key of the DR region). Encrypt it first: snapshot it, copy the snapshot encrypted, restore a new instance from the copy, move the application to it (in a quiet moment: writes after the snapshot are not in the copy), then set adopt.database.instanceIdentifier to the new instance.`,
    commands: [
      `aws rds create-db-snapshot ${at} --db-instance-identifier ${identifier} --db-snapshot-identifier ${identifier}-plain`,
      `aws rds copy-db-snapshot ${at} --source-db-snapshot-identifier ${identifier}-plain --target-db-snapshot-identifier ${encrypted} --kms-key-id alias/aws/rds`,
      `aws rds restore-db-instance-from-db-snapshot ${at} --db-instance-identifier ${encrypted} --db-snapshot-identifier ${encrypted} --db-parameter-group-name ${target.database.parameterGroup}`,
    ],
  });
}

function planReplication(target: AdoptionTarget, existing: ReplicationShape | null, plan: AdoptionPlan): void {
  const { id, destinationBucket, roleArn } = target.replicationRule;
  const theirs = (existing?.Rules ?? []).filter((r) => r.ID !== id);
  const v1 = theirs.filter((r) => r.Prefix !== undefined && r.Filter === undefined);
  if (v1.length > 0) {
    plan.findings.push({
      kind: "replication",
      says: `bucket ${target.bucket}: rule ${v1.map((r) => r.ID ?? "(no ID)").join(", ")} uses the first replication schema (a rule-level Prefix), and S3 refuses a configuration that mixes it with rules that carry a Filter and a Priority, as pilot-light's does. Rewrite the rule with Filter { Prefix } and a Priority (same objects, same destination), then run this again.`,
      commands: [],
    });
    return;
  }
  const sameDestination = theirs.find((r) => bucketOf(r.Destination?.Bucket) === destinationBucket);
  if (sameDestination) {
    plan.findings.push({
      kind: "replication",
      says: `bucket ${target.bucket}: rule ${sameDestination.ID ?? "(no ID)"} already replicates to ${destinationBucket}, pilot-light's DR bucket; remove it, pilot-light's rule replaces it.`,
      commands: [],
    });
    return;
  }
  // A configuration has one role for all its rules: the team's stays, and pilot-light's DR bucket
  // lets it write replicas (a same-account bucket policy grant is enough).
  const role = existing?.Role ?? roleArn;
  const admitted = target.replicationRule.admittedRoles;
  if (admitted && !admitted.includes(role)) {
    plan.findings.push({
      kind: "replication",
      says: `bucket ${target.bucket}: its replication configuration runs as ${role} (a configuration has one role, so pilot-light's rule would too), which pilot-light's DR bucket ${destinationBucket} does not let write replicas. Name it in the stage's settings, adopt.bucket.replicationRoleArn: "${role}", and deploy again: the DR bucket's policy then admits it.`,
      commands: [],
    });
    return;
  }
  const ours: ReplicationRuleShape = {
    ID: id,
    Priority: Math.max(0, ...theirs.map((r) => r.Priority ?? 0)) + 1,
    Status: "Enabled",
    Filter: { Prefix: "" },
    DeleteMarkerReplication: { Status: "Enabled" },
    Destination: { Bucket: arnIn(target.region, "s3", "", "", destinationBucket), StorageClass: "STANDARD" },
  };
  const current = (existing?.Rules ?? []).find((r) => r.ID === id);
  if (current && existing?.Role === role && sameRule(current, { ...ours, Priority: current.Priority })) return;
  const kept = theirs.map((r) => r.ID ?? "(no ID)");
  plan.changes.push({
    kind: "bucket-replication",
    bucket: target.bucket,
    configuration: { Role: role, Rules: [...theirs, ours] },
    kept,
    says: [
      `bucket ${target.bucket}: add replication rule ${id} (every object and delete marker to ${destinationBucket} in the DR region)` +
        (kept.length > 0 ? `; your rules ${kept.join(", ")} are kept as they are` : ""),
      ...(existing?.Role && existing.Role !== roleArn
        ? [`the rule runs as your replication role ${existing.Role} (a configuration has one role): pilot-light's DR bucket lets it write replicas, and the role must be allowed s3:GetObjectVersionForReplication on every object of ${target.bucket}`]
        : []),
    ],
  });
}

function sameRule(a: ReplicationRuleShape, b: ReplicationRuleShape): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

function planDns(dns: NonNullable<AdoptionTarget["dns"]>, seen: AdoptionObservation, plan: AdoptionPlan): void {
  const records = seen.records ?? [];
  const name = fqdn(dns.recordName);
  const here = records.filter((r) => fqdn(r.Name ?? "") === name && ["A", "AAAA", "CNAME"].includes(r.Type ?? ""));
  const secondary: RecordShape = {
    Name: name,
    Type: "A",
    SetIdentifier: failoverSetIds.SECONDARY,
    Failover: "SECONDARY",
    AliasTarget: { DNSName: dns.drAlb.dnsName, HostedZoneId: dns.drAlb.hostedZoneId, EvaluateTargetHealth: false },
  };
  const isOurs = (r: RecordShape) => r.Type === "A" && ((r.Failover === "PRIMARY" && r.SetIdentifier === failoverSetIds.PRIMARY) || (r.Failover === "SECONDARY" && r.SetIdentifier === failoverSetIds.SECONDARY));
  if (here.length === 2 && here.every(isOurs)) return;
  if (here.length === 0) {
    plan.findings.push({ kind: "dns", says: `zone ${dns.hostedZoneId} has no record ${name}: pilot-light adopts the record users resolve today; create it (an alias A record to your load balancer), then run this again.`, commands: [] });
    return;
  }
  const simple = here.length === 1 ? here[0] : undefined;
  const routing = (r: RecordShape) => r.SetIdentifier !== undefined || r.Failover !== undefined || r.Weight !== undefined || r.Region !== undefined || r.GeoLocation !== undefined || r.MultiValueAnswer !== undefined;
  if (!simple || routing(simple) || simple.Type !== "A") {
    plan.findings.push({
      kind: "dns",
      says: `zone ${dns.hostedZoneId}, ${name}: ${here.map((r) => `${r.Type}${r.SetIdentifier ? ` (${r.SetIdentifier})` : ""}`).join(", ")}; pilot-light converts one simple A record (an alias or addresses) into a failover pair, and leaves any other routing to you: make it one simple A record, then run this again.`,
      commands: [],
    });
    return;
  }
  // The PRIMARY is answered only while the health check passes: converting while Route 53's
  // checkers do not see the primary healthy would send every user to the DR region (at its pilot
  // light) at once. Decided from what the checkers report, whatever the cause.
  if (seen.healthCheck === null) {
    plan.findings.push({ kind: "dns", says: `Route 53 has no health check ${dns.healthCheckId}, the one the DR region published for your primary: deploy the stage again (its Dns stack creates it), then run this again; the failover pair needs it.`, commands: [] });
    return;
  }
  if (seen.healthCheck) {
    const opinion = judgeObservations(seen.healthCheck, seen.observedAt ? new Date(seen.observedAt) : new Date());
    if (opinion.verdict !== "disagrees") {
      const why = opinion.verdict === "unavailable" ? "too few of Route 53's checkers reported in the last 2 minutes" : opinion.detail;
      plan.findings.push({
        kind: "dns",
        says: `Route 53's health check ${dns.healthCheckId} does not see your primary healthy${dns.probe ? ` at ${dns.probe}` : ""} (${why}): turning ${name} into a failover pair now would send every user to the DR region. Your load balancer must answer that URL over HTTPS on 443 with 2xx or 3xx (an HTTPS listener for that name; Route 53 does not validate its certificate); then run this again. A check deployed minutes ago may not have reported yet: wait and run again.`,
        commands: [`aws route53 get-health-check-status --health-check-id ${dns.healthCheckId}`],
      });
      return;
    }
  }
  // The PRIMARY answers exactly what the simple record answered, guarded by the health check.
  const { SetIdentifier: _s, Failover: _f, HealthCheckId: _h, ...target } = simple;
  const primary: RecordShape = { ...target, Name: name, SetIdentifier: failoverSetIds.PRIMARY, Failover: "PRIMARY", HealthCheckId: dns.healthCheckId };
  plan.changes.push({
    kind: "dns-failover-pair",
    hostedZoneId: dns.hostedZoneId,
    changes: [
      { Action: "DELETE", ResourceRecordSet: simple },
      { Action: "CREATE", ResourceRecordSet: primary },
      { Action: "CREATE", ResourceRecordSet: secondary },
    ],
    says: [
      `zone ${dns.hostedZoneId}: the simple record ${name} becomes a failover pair in one change batch: PRIMARY answers what it answers today (${describeTarget(simple)}) while Route 53's health check ${dns.healthCheckId} passes, SECONDARY the DR region's load balancer ${dns.drAlb.dnsName}`,
    ],
  });
}

function describeTarget(r: RecordShape): string {
  if (r.AliasTarget?.DNSName) return `alias ${r.AliasTarget.DNSName}`;
  return (r.ResourceRecords ?? []).map((v) => v.Value ?? "").join(", ");
}

/** RDS's parameter group family for a MySQL engine version (8.4.3 → mysql8.4). */
export function mysqlFamily(engineVersion: string): string {
  const [major, minor] = engineVersion.split(".");
  return `mysql${major ?? ""}.${minor ?? ""}`;
}

function planParameterGroup(target: AdoptionTarget, seen: AdoptionObservation, plan: AdoptionPlan): void {
  const { identifier, parameterGroup } = target.database;
  const now = seen.database.parameterGroup;
  const at = `--region ${target.region}`;
  const reboot = `aws rds reboot-db-instance ${at} --db-instance-identifier ${identifier}`;
  if (now === parameterGroup) {
    if (seen.database.parameterApplyStatus !== "in-sync") {
      plan.findings.push({
        kind: "parameter-group",
        says: `database ${identifier} uses ${parameterGroup}, but RDS applies it only at the next reboot (${seen.database.parameterApplyStatus}): until then the fence's read_only cannot take effect. Reboot in a quiet moment (about a minute; a Multi-AZ instance can fail over instead with --force-failover).`,
        commands: [reboot],
      });
    }
    return;
  }
  const create = `aws rds create-db-parameter-group ${at} --db-parameter-group-name ${parameterGroup} --db-parameter-group-family ${mysqlFamily(seen.database.engineVersion)} --description "${identifier}: the failover fence sets read_only here"`;
  const modify = `aws rds modify-db-instance ${at} --db-instance-identifier ${identifier} --db-parameter-group-name ${parameterGroup} --apply-immediately`;
  const why = now.startsWith("default.")
    ? `database ${identifier} uses the default parameter group ${now}, which RDS refuses to modify: the failover's fence could not set read_only, and the old primary would stay writable.`
    : `database ${identifier} uses the parameter group ${now}, not ${parameterGroup} that the stage names for the fence (adopt.database.parameterGroup): name ${now} there, or move the instance.`;
  plan.findings.push({
    kind: "parameter-group",
    says: `${why} Move it to ${parameterGroup}${seen.fenceGroupExists ? "" : " (create it first, copying any parameter you changed)"}; RDS applies a new group at the next reboot (${reboot}).`,
    commands: [...(seen.fenceGroupExists ? [] : [create]), modify],
  });
}

/** The plan in words, as `pnpm dr adopt` prints it before anything is changed. */
export function describePlan(stage: string, plan: AdoptionPlan): string[] {
  const lines = [`Adopting stage ${stage}'s primary: changes to your resources`];
  if (plan.changes.length === 0) lines.push("  none: everything pilot-light needs is in place");
  for (const change of plan.changes) for (const s of change.says) lines.push(`  - ${s}`);
  if (plan.findings.length > 0) {
    lines.push("For you to do (pilot-light does not change these itself):");
    for (const f of plan.findings) {
      lines.push(`  - ${f.says}`);
      for (const c of f.commands) lines.push(`      ${c}`);
    }
  }
  return lines;
}
