/**
 * The DB probe's real handler in the world, as its synthesized role: its one SDK call
 * (secretsmanager:GetSecretValue, its own region's copy of the database secret) is authorised
 * against the grant the Probe stack gives it (stacks/failback/grants.ts, standaloneProbeTemplate),
 * and its three read-only statements run on the world's database: mysql2's connection stands for
 * the network to RDS and is bound to the world's SQL session of the instance the endpoint names.
 */
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { failbackWorld, functionRoles, iamOf, installApis, lambdaContext, sqlSession, type FailbackIds, type WorldState } from "../../world/src";
import { standaloneProbeTemplate } from "../../../stacks/failback/standalone";

const connect = vi.hoisted(() => ({ to: undefined as undefined | ((host: string, user: string | undefined) => { query(sql: string): Promise<[Record<string, unknown>[]]>; end(): Promise<void> }) }));
vi.mock("mysql2/promise", () => ({
  createConnection: async (options: { host: string; user?: string }) => {
    if (!connect.to) throw new Error("no world to connect to");
    return connect.to(options.host, options.user);
  },
}));

const { handler } = await import("../src/db-probe");

let world: WorldState;
let ids: FailbackIds;
let uninstall: () => void;
const users: (string | undefined)[] = [];

beforeEach(() => {
  ({ world, ids } = failbackWorld());
  uninstall = installApis(world);
  users.length = 0;
  connect.to = (host, user) => {
    users.push(user);
    const session = sqlSession(world, host.split(".")[0] ?? "");
    return { query: async (sql) => [await session.query(sql)], end: async () => undefined };
  };
});
afterEach(() => {
  uninstall();
  connect.to = undefined;
  vi.unstubAllEnvs();
});

/** The probe of `region` with its role as the Probe stack grants it, bound to the world's secret. */
function probeIn(region: string): { run: (identifier: string) => Promise<unknown>; functionId: string } {
  const roles = functionRoles(standaloneProbeTemplate(region).toJSON(), { region, account: iamOf(world).account, templateAccount: "000000000000", refs: { SecretName: ids.secretName } });
  const functionId = `${region}-${roles[0]!.functionId}`;
  iamOf(world).addRoles(roles.map((r) => ({ ...r, functionId })));
  return {
    functionId,
    run: async (identifier) => {
      vi.stubEnv("AWS_REGION", region);
      vi.stubEnv("SECRET_ID", ids.secretName);
      const found = await new RDSClient({ region }).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
      const host = found.DBInstances?.[0]?.Endpoint?.Address ?? null;
      return iamOf(world).runAs(functionId, () => handler({ identifier, host }, lambdaContext(`pilot-light-test-${functionId}`)));
    },
  };
}

describe("the DB probe in the world, as its synthesized role", () => {
  it.each(["primary", "dr"] as const)("reads the %s database's positions with its own region's secret, every call authorised", async (side) => {
    const region = side === "primary" ? ids.primaryRegion : ids.drRegion;
    const identifier = side === "primary" ? ids.primaryDb : ids.replicaDb;
    const probe = probeIn(region);
    const positions = (await probe.run(identifier)) as { identifier: string; readOnly: boolean };
    expect(positions).toMatchObject({ identifier, readOnly: side === "dr" });
    expect(users).toEqual(["app_admin"]);
    const decisions = iamOf(world).decisions.filter((d) => d.functionId === probe.functionId);
    expect(decisions.map((d) => [d.action, d.allowed])).toEqual([["secretsmanager:GetSecretValue", true]]);
    expect(decisions[0]?.resource).toBe(`arn:aws:secretsmanager:${region}:${iamOf(world).account}:secret:${ids.secretName}-AbCdEf`);
  });

  it("is denied the secret without its grant, with Secrets Manager's AccessDeniedException, and connects to nothing", async () => {
    const probe = probeIn(ids.drRegion);
    iamOf(world).roles.get(probe.functionId)!.statements.splice(0);
    await expect(probe.run(ids.replicaDb)).rejects.toMatchObject({ name: "AccessDeniedException", message: expect.stringMatching(/is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-central-1:/) });
    expect(users).toEqual([]);
  });

  it("is denied the other region's copy of the secret: its grant names its own region only", async () => {
    const probe = probeIn(ids.drRegion);
    const role = iamOf(world).roles.get(probe.functionId)!;
    const otherRegion = functionRoles(standaloneProbeTemplate(ids.primaryRegion).toJSON(), { region: ids.primaryRegion, account: iamOf(world).account, templateAccount: "000000000000", refs: { SecretName: ids.secretName } })[0]!;
    expect(otherRegion.statements).not.toEqual(role.statements);
    role.statements.splice(0, role.statements.length, ...otherRegion.statements);
    await expect(probe.run(ids.replicaDb)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});
