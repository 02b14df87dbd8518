import { afterEach, describe, expect, it } from "vitest";
import { DescribeSecretCommand, SecretsManagerClient, StopReplicationToReplicaCommand } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { Secrets } from "@pilot-light/core";

// aws-sdk-client-mock is typed against another @smithy/types major; the stub itself is version-independent.
type Stub = {
  on(command: unknown): { resolves(v: unknown): Stub; resolvesOnce(v: unknown): Stub & { resolves(v: unknown): Stub }; rejects(e: unknown): Stub };
  commandCalls(command: unknown): unknown[];
  reset(): void;
};
const smMock = mockClient(SecretsManagerClient as never) as unknown as Stub;
afterEach(() => smMock.reset());

const sm = new SecretsManagerClient({ region: "eu-central-1" });
const now = new Date("2026-01-01T03:20:00Z");
const secret = (primaryRegion: string) => ({ ARN: "arn:aws:secretsmanager:eu-central-1:1:secret:app/db-credentials-AbCdEf", Name: "app/db-credentials", PrimaryRegion: primaryRegion });
const refused = Object.assign(new Error("not a replica"), { name: "InvalidRequestException", $metadata: { httpStatusCode: 400 } });

describe("secret replica promotion", () => {
  it("stops replication to the DR replica, in the DR region", async () => {
    smMock.on(DescribeSecretCommand).resolves(secret("eu-west-1")).on(StopReplicationToReplicaCommand).resolves({});
    expect(await Secrets.promoteReplicaSecret(sm, "app/db-credentials", "eu-central-1", now)).toMatchObject({ standalone: true, alreadyStandalone: false, replicatedFrom: "eu-west-1" });
    expect(smMock.commandCalls(StopReplicationToReplicaCommand)).toHaveLength(1);
  });

  it("does nothing for a secret that is already standalone", async () => {
    smMock.on(DescribeSecretCommand).resolves(secret("eu-central-1"));
    expect(await Secrets.promoteReplicaSecret(sm, "app/db-credentials", "eu-central-1", now)).toMatchObject({ standalone: true, alreadyStandalone: true });
    expect(smMock.commandCalls(StopReplicationToReplicaCommand)).toHaveLength(0);
  });

  it("counts a refusal as success when the secret turns out standalone (an earlier attempt's answer was lost)", async () => {
    smMock.on(DescribeSecretCommand).resolvesOnce(secret("eu-west-1")).resolves(secret("eu-central-1")).on(StopReplicationToReplicaCommand).rejects(refused);
    expect(await Secrets.promoteReplicaSecret(sm, "app/db-credentials", "eu-central-1", now)).toMatchObject({ standalone: true });
  });

  it("rethrows a refusal when the secret is still a replica", async () => {
    smMock.on(DescribeSecretCommand).resolves(secret("eu-west-1")).on(StopReplicationToReplicaCommand).rejects(refused);
    await expect(Secrets.promoteReplicaSecret(sm, "app/db-credentials", "eu-central-1", now)).rejects.toMatchObject({ name: "InvalidRequestException" });
  });
});
