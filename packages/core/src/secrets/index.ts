/**
 * The database credentials in the runbook. The DR region holds a replica of the primary
 * region's secret: readable, but it cannot be changed or rotated while it is a replica. Once the
 * replica database is promoted, `promoteReplicaSecret` makes the DR copy a standalone secret
 * (StopReplicationToReplica, called in the DR region; it needs nothing from the primary region).
 * Idempotent: a secret that is already standalone is success, both before the call and after a
 * refusal (the answer to an earlier attempt may have been lost).
 */
import { DescribeSecretCommand, StopReplicationToReplicaCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { callAws } from "../errors";

export interface SecretState {
  arn: string;
  name: string;
  /** The region of the primary secret; the secret's own region once it is standalone. */
  primaryRegion: string | null;
}

export interface SecretPromotion {
  secretId: string;
  region: string;
  /** Standalone now (promoted by this call or before). */
  standalone: boolean;
  /** It already was standalone: no call was made. */
  alreadyStandalone: boolean;
  /** Where the secret replicated from before; null when it was already standalone. */
  replicatedFrom: string | null;
  at: string;
}

export async function describeSecret(sm: SecretsManagerClient, secretId: string): Promise<SecretState> {
  const out = await callAws("secretsmanager:DescribeSecret", () => sm.send(new DescribeSecretCommand({ SecretId: secretId })));
  return { arn: out.ARN ?? "", name: out.Name ?? secretId, primaryRegion: out.PrimaryRegion ?? null };
}

/** A replica: its primary lives in another region. */
export function isReplica(state: SecretState, region: string): boolean {
  return state.primaryRegion !== null && state.primaryRegion !== region;
}

export async function promoteReplicaSecret(sm: SecretsManagerClient, secretId: string, region: string, now: Date): Promise<SecretPromotion> {
  const at = now.toISOString();
  const before = await describeSecret(sm, secretId);
  if (!isReplica(before, region)) return { secretId, region, standalone: true, alreadyStandalone: true, replicatedFrom: null, at };
  try {
    await callAws("secretsmanager:StopReplicationToReplica", () => sm.send(new StopReplicationToReplicaCommand({ SecretId: secretId })));
  } catch (error) {
    if (!(error instanceof Error && error.name === "InvalidRequestException")) throw error;
    // Refused: standalone already (an earlier attempt applied) is success; anything else is not.
    if (isReplica(await describeSecret(sm, secretId), region)) throw error;
  }
  return { secretId, region, standalone: true, alreadyStandalone: false, replicatedFrom: before.primaryRegion, at };
}
