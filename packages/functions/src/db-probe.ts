/**
 * db-probe (one per region, in the region's VPC with the tasks' security group): reads one
 * database's replication positions with three read-only statements (SHOW BINARY LOG STATUS,
 * SHOW REPLICA STATUS, @@GLOBAL.read_only) as the stage's database user, whose password it reads
 * from its own region's copy of the secret. Invoked by the DR region's CheckCatchUp,
 * AssessTopology and VerifyNewPrimary; changes nothing.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createConnection } from "mysql2/promise";
import * as z from "zod";
import { Errors, Failback, Failover } from "@pilot-light/core";
import { handler as wrap, requireEnv } from "./lib/handler";

const sm = Failover.lazy(() => new SecretsManagerClient({ region: requireEnv("AWS_REGION") }));

export const ProbeRequest = z.object({ identifier: z.string().min(1), host: z.string().min(1).nullable() });

export const handler = wrap(ProbeRequest, async ({ identifier, host }) => {
  if (!host) throw new Errors.ValidationError(`no endpoint for ${identifier}: it is not available`);
  const secret = await Errors.callAws("secretsmanager:GetSecretValue", () => sm().send(new GetSecretValueCommand({ SecretId: requireEnv("SECRET_ID") })));
  const { username, password } = JSON.parse(secret.SecretString ?? "{}") as { username?: string; password?: string };
  const connection = await createConnection({ host, user: username, password, connectTimeout: 3000, ssl: { rejectUnauthorized: true } });
  try {
    return await Failback.probe({ query: async (sql) => (await connection.query(sql))[0] as Record<string, unknown>[] }, identifier, new Date());
  } finally {
    await connection.end();
  }
});
