/**
 * Data other than the database, re-protected: the bucket and the DB secret.
 * - S3: the serving region's bucket must replicate to the standby's. The primary's rule is
 *   CloudFormation's (Storage stack, `to-dr-region`); the reverse rule (DR → primary) is this
 *   workflow's, under the rule ID `pilot-light-failback` with the DR region's replication role,
 *   and it is removed again when the primary serves. S3 replicates only objects written after a
 *   rule exists: objects written in the DR region before re-protect need S3 Batch Replication
 *   (docs/failback.md, what stays manual).
 * - Secrets Manager: once the primary serves again, its secret replicates to the DR region again
 *   (the failover made the DR copy standalone), overwriting the DR copy.
 * Every call looks first; repeating any of it changes nothing.
 */
import { DeleteBucketReplicationCommand, GetBucketReplicationCommand, PutBucketReplicationCommand, type ReplicationRule, type S3Client } from "@aws-sdk/client-s3";
import { ReplicateSecretToRegionsCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { callAws } from "../errors";
import * as Secrets from "../secrets";
import { arnIn } from "../stage/partition";
import { ReplicationNotRestoredError } from "../workflow/errors";
import type { Role, Side } from "./settings";

export const reverseRuleId = "pilot-light-failback";

/** A bucket's ARN (S3's names no region or account; its partition is the bucket's region's). */
const bucketArn = (name: string, region: string) => arnIn(region, "s3", "", "", name);

async function rulesOf(s3: S3Client, bucket: string): Promise<{ role: string; rules: ReplicationRule[] }> {
  try {
    const out = await callAws("s3:GetBucketReplication", () => s3.send(new GetBucketReplicationCommand({ Bucket: bucket })));
    return { role: out.ReplicationConfiguration?.Role ?? "", rules: out.ReplicationConfiguration?.Rules ?? [] };
  } catch (error) {
    if (error instanceof Error && error.name === "ReplicationConfigurationNotFoundError") return { role: "", rules: [] };
    throw error;
  }
}

const targets = (rule: ReplicationRule, bucket: Side) => rule.Status === "Enabled" && (rule.Destination?.Bucket === bucketArn(bucket.bucket, bucket.region) || rule.Destination?.Bucket === bucket.bucket);

export interface StorageReplication {
  from: string;
  to: string;
  /** What was done: nothing (already so), the reverse rule added, or removed from the standby bucket. */
  added: boolean;
  removedFromStandby: boolean;
  rule: string;
}

/** The serving bucket replicates to the standby bucket; the standby bucket carries no rule of ours. */
export async function reconcileStorage(
  clients: Record<Role, S3Client>,
  serving: Side,
  standby: Side,
  reverseRoleArn: string,
): Promise<StorageReplication> {
  const servingRules = await rulesOf(clients[serving.role], serving.bucket);
  let added = false;
  let rule = servingRules.rules.find((r) => targets(r, standby))?.ID ?? "";
  if (!rule) {
    if (serving.role === "primary") {
      throw new ReplicationNotRestoredError(`bucket ${serving.bucket} has no rule replicating to ${standby.bucket}: deploy the primary region's Storage stack, which owns it`);
    }
    const ours: ReplicationRule = {
      ID: reverseRuleId,
      Priority: 1,
      Status: "Enabled",
      Filter: { Prefix: "" },
      DeleteMarkerReplication: { Status: "Enabled" },
      Destination: { Bucket: bucketArn(standby.bucket, standby.region), StorageClass: "STANDARD" },
    };
    await callAws("s3:PutBucketReplication", () =>
      clients[serving.role].send(
        new PutBucketReplicationCommand({ Bucket: serving.bucket, ReplicationConfiguration: { Role: reverseRoleArn, Rules: [...servingRules.rules.filter((r) => r.ID !== reverseRuleId), ours] } }),
      ),
    );
    added = true;
    rule = reverseRuleId;
  }
  const standbyRules = await rulesOf(clients[standby.role], standby.bucket);
  const remaining = standbyRules.rules.filter((r) => r.ID !== reverseRuleId);
  let removedFromStandby = false;
  if (remaining.length !== standbyRules.rules.length) {
    removedFromStandby = true;
    if (remaining.length === 0) await callAws("s3:DeleteBucketReplication", () => clients[standby.role].send(new DeleteBucketReplicationCommand({ Bucket: standby.bucket })));
    else {
      await callAws("s3:PutBucketReplication", () =>
        clients[standby.role].send(new PutBucketReplicationCommand({ Bucket: standby.bucket, ReplicationConfiguration: { Role: standbyRules.role, Rules: remaining } })),
      );
    }
  }
  return { from: serving.bucket, to: standby.bucket, added, removedFromStandby, rule };
}

export interface SecretReplication {
  secretId: string;
  /** Replicated from the primary to the DR region by this call; false when it already was (or DR serves). */
  replicated: boolean;
  detail: string;
}

/**
 * When the primary serves: its secret replicates to the DR region again (ForceOverwriteReplicaSecret:
 * the DR copy is the standalone secret the failover made). When DR serves nothing is changed:
 * both copies hold the same credentials unless someone changed one (rotation is off), and the
 * switchback's pre-warm proves the primary's tasks can log in before anything irreversible.
 */
export async function reconcileSecret(clients: Record<Role, SecretsManagerClient>, serving: Side, standby: Side, secretId: string): Promise<SecretReplication> {
  if (serving.role !== "primary") return { secretId, replicated: false, detail: "DR serves: the secrets are left as the failover made them" };
  const copy = await Secrets.describeSecret(clients[standby.role], secretId).catch((error: unknown) => {
    if (error instanceof Error && error.name === "ResourceNotFoundException") return null;
    throw error;
  });
  if (copy && copy.primaryRegion === serving.region) return { secretId, replicated: false, detail: `${standby.region} already holds a replica of the ${serving.region} secret` };
  const out = await callAws("secretsmanager:ReplicateSecretToRegions", () =>
    clients[serving.role].send(new ReplicateSecretToRegionsCommand({ SecretId: secretId, AddReplicaRegions: [{ Region: standby.region }], ForceOverwriteReplicaSecret: true })),
  );
  const status = out.ReplicationStatus?.find((r) => r.Region === standby.region);
  if (status?.Status === "Failed") throw new ReplicationNotRestoredError(`replicating secret ${secretId} to ${standby.region} failed: ${status.StatusMessage ?? "no message"}`);
  return { secretId, replicated: true, detail: `the ${serving.region} secret replicates to ${standby.region} again` };
}
