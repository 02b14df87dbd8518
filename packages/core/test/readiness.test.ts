import { describe, expect, it } from "vitest";
import { Readiness } from "@pilot-light/core";

const now = new Date("2026-12-07T10:00:00Z");
const ok = <T>(value: T) => ({ ok: true as const, value });
const failed = (error: string) => ({ ok: false as const, error });

const db = (over: Partial<Readiness.DatabaseObservation> = {}): Readiness.DatabaseObservation => ({
  identifier: "pilot-light-prod-replica",
  status: "available",
  sourceIdentifier: "arn:aws:rds:eu-west-1:123456789012:db:pilot-light-prod-primary",
  replication: { status: "replicating", normal: true, message: null },
  backupRetentionDays: 7,
  latestRestorableTime: "2026-12-07T09:55:00Z",
  parameterGroup: "pilot-light-prod-replica",
  kmsKeyId: "arn:aws:kms:eu-central-1:123456789012:key/1",
  ...over,
});

const taskArn = "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:7";

/** A stage ready to fail over and back. */
const healthy = (): Readiness.ReadinessObservation => ({
  stage: "prod",
  primaryRegion: "eu-west-1",
  drRegion: "eu-central-1",
  primary: ok(db({ identifier: "pilot-light-prod-primary", sourceIdentifier: null, replication: null, parameterGroup: "pilot-light-prod-primary", readOnly: ok(false) })),
  replica: ok(db()),
  drImage: ok({ uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/web:1.4.2", registryRegion: "eu-central-1", present: true }),
  drTask: ok({ arn: taskArn, status: "ACTIVE", executionRole: { arn: "arn:aws:iam::123456789012:role/web-execution", exists: true } }),
  drCapacity: { taskCount: 2, taskCpu: 1024, vcpuQuota: ok(6) },
  alerts: ["eu-west-1", "eu-central-1"].map((region) => ({
    region,
    topicArn: `arn:aws:sns:${region}:123456789012:pilot-light-prod-alerts`,
    subscriptions: ok([{ endpoint: "sre@shop.io", protocol: "email", confirmed: true }]),
  })),
  healthCheck: ok({ id: "hc-1", reports: [{ region: "us-east-1", status: "Success: HTTP Status Code 200, OK", checkedAt: "2026-12-07T09:59:50Z" }] }),
  kmsKeys: [{ keyId: "arn:aws:kms:eu-central-1:123456789012:key/1", region: "eu-central-1", state: ok("Enabled") }],
  secretReplica: ok({ name: "shop/prod/mysql", status: "InSync", message: null }),
});

const problem = (o: Readiness.ReadinessObservation) => {
  const r = Readiness.judgeReadiness(o, now);
  return { ready: r.ready, failing: r.findings.filter((f) => !f.ok) };
};

describe("readiness", () => {
  it("reports a stage ready when every check passes, one finding per check and region", () => {
    const r = Readiness.judgeReadiness(healthy(), now);
    expect(r.ready).toBe(true);
    expect(r.findings.map((f) => f.check)).toEqual(["replica", "replica-backups", "replica-replicating", "dr-image", "dr-task-definition", "dr-quota", "alerts", "alerts", "health-check", "fence-parameter-group", "seal-parameter-group", "kms-keys", "secret-replica"]);
    expect(r.findings.every((f) => f.action === undefined)).toBe(true);
  });

  it("judges the primary region's replica after a re-protect (state C: the DR region serves, the next failover runs from the primary region), not the promoted DR database", () => {
    const o = healthy();
    o.replica = ok(db({ sourceIdentifier: null, replication: null }));
    o.primary = ok(db({ identifier: "pilot-light-prod-primary", sourceIdentifier: "arn:aws:rds:eu-central-1:123456789012:db:pilot-light-prod-replica", parameterGroup: "pilot-light-prod-primary" }));
    const r = Readiness.judgeReadiness(o, now);
    expect(r.findings.find((f) => f.check === "replica")).toMatchObject({ ok: true, detail: expect.stringMatching(/^pilot-light-prod-primary in eu-west-1: available, a read replica of .*pilot-light-prod-replica \(re-protected/) });
    expect(r.findings.filter((f) => f.check.startsWith("replica")).every((f) => f.ok)).toBe(true);
    // Its replication broken: recreated by a re-protect, not by a deploy (the stacks create only the DR replica).
    o.primary = ok(db({ identifier: "pilot-light-prod-primary", sourceIdentifier: "arn:aws:rds:eu-central-1:123456789012:db:pilot-light-prod-replica", replication: { status: "error", normal: false, message: "binlog purged" } }));
    expect(problem(o).failing.find((f) => f.check === "replica-replicating")).toMatchObject({ action: expect.stringMatching(/pnpm dr reprotect --stage prod/) });
  });

  it("still reports a promoted DR database with no replica anywhere: re-protect before the next failover", () => {
    const o = healthy();
    o.replica = ok(db({ sourceIdentifier: null, replication: null }));
    expect(problem(o).failing.find((f) => f.check === "replica")).toMatchObject({ detail: expect.stringMatching(/is not a read replica/), action: expect.stringMatching(/pnpm dr reprotect --stage prod/) });
  });

  it("passes a registry rule that sends the image's repository to the DR region (any repository, or a matching prefix)", () => {
    for (const prefixes of [[], ["shop/"]]) {
      const o = healthy();
      o.imageReplication = { account: "123456789012", region: "eu-west-1", repository: "shop/web", rules: ok([{ destinations: [{ region: "eu-central-1", registryId: "123456789012" }], prefixes }]) };
      expect(Readiness.judgeReadiness(o, now).findings.find((f) => f.check === "image-replication")).toMatchObject({ ok: true });
    }
  });

  it("passes permissions every step's role is allowed, counting what was simulated", () => {
    const o = healthy();
    o.permissions = ok([
      { workflow: "failover", step: "PromoteReplica", role: "arn:aws:iam::123456789012:role/p", simulated: 4, denied: [] },
      { workflow: "failover", step: "SwitchDns", role: "arn:aws:iam::123456789012:role/s", simulated: 2, denied: [] },
      { workflow: "failback", step: "ReverseReplication", role: "arn:aws:iam::123456789012:role/r", simulated: 3, denied: [] },
    ]);
    expect(Readiness.judgeReadiness(o, now).findings.find((f) => f.check === "permissions")).toEqual({ check: "permissions", ok: true, detail: "2 failover and 1 failback steps' roles are allowed every action their grants name (9 action-resource pairs simulated)" });
  });

  it("leaves the health check out on a stage without DNS", () => {
    const { healthCheck: _none, ...noDns } = healthy();
    expect(Readiness.judgeReadiness(noDns, now).findings.map((f) => f.check)).not.toContain("health-check");
  });

  it.each<[string, (o: Readiness.ReadinessObservation) => void, Readiness.Check, RegExp, RegExp]>([
    ["no replica", (o) => void (o.replica = ok(null)), "replica", /no DR database in eu-central-1/, /pnpm deploy:all --stage prod/],
    ["a promoted replica", (o) => void (o.replica = ok(db({ sourceIdentifier: null }))), "replica", /is not a read replica/, /pnpm dr reprotect --stage prod/],
    ["a replica backing up", (o) => void (o.replica = ok(db({ status: "backing-up" }))), "replica", /is backing-up, not available: RDS refuses to promote it now/, /wait for RDS/],
    ["a replica without backups", (o) => void (o.replica = ok(db({ backupRetentionDays: 0, latestRestorableTime: null }))), "replica-backups", /automated backups are off/, /turn them on/],
    ["a replica before its first backup", (o) => void (o.replica = ok(db({ latestRestorableTime: null }))), "replica-backups", /no backup yet/, /first automated backup/],
    ["replication in error", (o) => void (o.replica = ok(db({ replication: { status: "error", normal: false, message: "Error 1236 reading binlog" } }))), "replica-replicating", /read replication: error \(Error 1236 reading binlog\)/, /recreated/],
    ["the DR image missing from the DR registry", (o) => void (o.drImage = ok({ uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop/web:1.4.2", registryRegion: "eu-central-1", present: false })), "dr-image", /is not in eu-central-1's registry: the DR service cannot start/, /push the image again/],
    ["a DR task definition pulling from the primary region", (o) => void (o.drImage = ok({ uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2", registryRegion: "eu-west-1", present: null })), "dr-image", /a failover would pull it from eu-west-1/, /deploy the stage again/],
    ["a step's action refused by a Deny", (o) => void (o.permissions = ok([{ workflow: "failover", step: "FencePrimary", role: "arn:aws:iam::123456789012:role/fence", simulated: 5, denied: [{ action: "rds:ModifyDBParameterGroup", resource: "arn:aws:rds:eu-west-1:123456789012:pg:pilot-light-prod-primary", decision: "explicitDeny", by: "a Deny in lockdown" }] }])), "permissions", /step FencePrimary, role arn:aws:iam::123456789012:role\/fence, would be refused rds:ModifyDBParameterGroup on .*: explicitDeny \(a Deny in lockdown\)/, /a failover stops at FencePrimary/],
    ["a step without a role", (o) => void (o.permissions = ok([{ workflow: "failover", step: "SwitchDns", role: null, simulated: 0, denied: [] }])), "permissions", /step SwitchDns: no execution role in the deployed Failover stack/, /deploy the stage again/],
    ["a failback step's action refused", (o) => void (o.permissions = ok([{ workflow: "failback", step: "ReverseReplication", role: "arn:aws:iam::123456789012:role/rev", simulated: 3, denied: [{ action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/reverse", decision: "implicitDeny", by: null }] }])), "permissions", /step ReverseReplication, role .*iam:PassRole on arn:aws:iam::123456789012:role\/reverse: implicitDeny/, /a failback \(re-protect or switchback\) stops at ReverseReplication.*stacks\/failback\/grants\.ts/],
    ["a failback step without a role", (o) => void (o.permissions = ok([{ workflow: "failback", step: "SealOldServing", role: null, simulated: 0, denied: [] }])), "permissions", /step SealOldServing: no execution role in the deployed Failback stack/, /the Failback stack creates/],
    ["a simulator it may not call", (o) => void (o.permissions = failed("AccessDenied: iam:SimulatePrincipalPolicy")), "permissions", /could not read the failover and failback steps' roles/, /read access/],
    ["a registry whose replication no longer sends the image to DR", (o) => void (o.imageReplication = { account: "123456789012", region: "eu-west-1", repository: "shop/web", rules: ok([{ destinations: [{ region: "eu-central-1", registryId: "123456789012" }], prefixes: ["blog/"] }]) }), "image-replication", /the registry in eu-west-1 has no replication rule sending shop\/web to eu-central-1/, /put-replication-configuration --region eu-west-1/],
    ["an inactive DR task definition", (o) => void (o.drTask = ok({ arn: taskArn, status: "INACTIVE", executionRole: null })), "dr-task-definition", /web:7 is INACTIVE: ECS starts no new task from it/, /pnpm deploy:all --stage prod/],
    ["a DR task definition whose execution role is gone", (o) => void (o.drTask = ok({ arn: taskArn, status: "ACTIVE", executionRole: { arn: "arn:aws:iam::123456789012:role/web-execution", exists: false } })), "dr-task-definition", /execution role arn:aws:iam::123456789012:role\/web-execution does not exist/, /registers the task definition and its execution role/],
    ["a Fargate quota below the scale-up", (o) => void (o.drCapacity = { taskCount: 4, taskCpu: 2048, vcpuQuota: ok(6) }), "dr-quota", /runs 4 tasks of 2 vCPU \(8 vCPU\) but the Fargate On-Demand vCPU quota in eu-central-1 is 6/, /request-service-quota-increase --region eu-central-1 --service-code fargate --quota-code L-3032A538 --desired-value 8/],
    ["a quota Service Quotas does not report", (o) => void (o.drCapacity.vcpuQuota = ok(null)), "dr-quota", /reports no Fargate On-Demand vCPU quota/, /Service Quotas console/],
    ["an unconfirmed subscription in the DR region", (o) => void (o.alerts[1]!.subscriptions = ok([{ endpoint: "sre@shop.io", protocol: "email", confirmed: false }])), "alerts", /eu-central-1: nobody is told \(1 pending confirmation: sre@shop.io\)/, /Subscription Confirmation" e-mail from eu-central-1/],
    ["one of two addresses unconfirmed in the primary region", (o) => void (o.alerts[0]!.subscriptions = ok([{ endpoint: "sre@shop.io", protocol: "email", confirmed: true }, { endpoint: "dba@shop.io", protocol: "email", confirmed: false }])), "alerts", /eu-west-1: dba@shop.io not confirmed \(1 confirmed\)/, /from eu-west-1/],
    ["no subscription at all", (o) => void (o.alerts[0]!.subscriptions = ok([])), "alerts", /eu-west-1: nobody is told \(no subscription\)/, /add alertEmails/],
    ["no health check", (o) => void (o.healthCheck = ok(null)), "health-check", /no Route 53 health check/, /Dns stack creates it/],
    ["a health check that stopped reporting", (o) => void (o.healthCheck = ok({ id: "hc-1", reports: [{ region: "us-east-1", status: "Success", checkedAt: "2026-12-07T09:50:00Z" }] })), "health-check", /no report in the last 5 minutes/, /Route 53 console/],
    ["a primary on a default parameter group", (o) => void (o.primary = ok(db({ identifier: "shop-db", parameterGroup: "default.mysql8.4" }))), "fence-parameter-group", /shop-db uses default.mysql8.4 parameter group: the failover's fence/, /aws rds create-db-parameter-group --region eu-west-1 .*aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-db/],
    ["a replica on a default parameter group", (o) => void (o.replica = ok(db({ parameterGroup: "default.mysql8.4" }))), "seal-parameter-group", /the switchback's seal/, /--region eu-central-1/],
    ["a KMS key pending deletion", (o) => void (o.kmsKeys[0]!.state = ok("PendingDeletion")), "kms-keys", /key\/1 \(eu-central-1\): PendingDeletion/, /cancel-key-deletion/],
    ["a region that does not answer", (o) => void (o.replica = failed("connect ETIMEDOUT")), "replica", /could not read the DR replica in eu-central-1: connect ETIMEDOUT/, /read access/],
    ["a denied call", (o) => void (o.alerts[0]!.subscriptions = failed("AccessDenied: sns:ListSubscriptionsByTopic")), "alerts", /could not read the subscriptions of arn:aws:sns:eu-west-1/, /read access/],
  ])("reports %s as not ready, saying what to do", (_what, breakIt, check, detail, action) => {
    const o = healthy();
    breakIt(o);
    const { ready, failing } = problem(o);
    expect(ready).toBe(false);
    expect(failing.map((f) => f.check)).toContain(check);
    const finding = failing.find((f) => f.check === check)!;
    expect(finding.detail).toMatch(detail);
    expect(finding.action).toMatch(action);
  });

  describe("the secrets the DR task definition names", () => {
    const role = "arn:aws:iam::123456789012:role/prod-pilot-light-Compute-TaskExecutionRole-1A2B";
    const stripe = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:shop/stripe-AbCdEf";
    const secret = (over: Partial<Readiness.DrTaskSecret> = {}): Readiness.DrTaskSecret => ({ container: "web", variable: "STRIPE_KEY", valueFrom: stripe, kind: "secretsmanager", secretName: "shop/stripe", region: "eu-central-1", found: true, denied: [], ...over });
    const judge = (secrets: Readiness.DrTaskSecret[], executionRole: string | null = role) => {
      const o = healthy();
      o.drTaskSecrets = ok({ executionRole, secrets });
      return Readiness.judgeReadiness(o, now).findings.filter((f) => f.check === "dr-task-secrets");
    };
    const deny = (action: string, resource: string, by: string | null = null) => ({ action, resource, decision: by ? "explicitDeny" : "implicitDeny", by });

    it("passes secrets the DR execution role may read in the DR region, and a definition naming none", () => {
      expect(judge([secret(), secret({ variable: "DB_PASSWORD", secretName: "shop/prod/mysql" })])).toEqual([{ check: "dr-task-secrets", ok: true, detail: `the DR execution role ${role} may read the 2 secrets the DR task definition names, each in eu-central-1` }]);
      expect(judge([])).toEqual([{ check: "dr-task-secrets", ok: true, detail: "the DR task definition names no secret" }]);
    });

    it.each<[string, Readiness.DrTaskSecret[], string | null, RegExp, RegExp]>([
      ["a secret not in the DR region", [secret({ found: false })], role, /^web's STRIPE_KEY \(.*\) is not in eu-central-1: a failover's DR tasks would stop before they run/, /^replicate it to the DR region: aws secretsmanager replicate-secret-to-regions --region eu-west-1 --secret-id shop\/stripe --add-replica-regions Region=eu-central-1/],
      ["a secret read in the primary region", [secret({ region: "eu-west-1", found: false })], role, /is read in eu-west-1, not eu-central-1/, /replicate-secret-to-regions/],
      ["a parameter read in the primary region", [secret({ kind: "ssm", region: "eu-west-1", secretName: "/shop/key", found: false })], role, /is read in eu-west-1/, /^create it in the DR region \(aws ssm put-parameter --region eu-central-1 --name \/shop\/key/],
      ["a parameter not in the DR region", [secret({ kind: "ssm", valueFrom: "/shop/key", secretName: "/shop/key", found: false })], role, /^web's STRIPE_KEY \(\/shop\/key\) is not in eu-central-1: a failover's DR tasks would stop/, /^create it in the DR region \(aws ssm put-parameter --region eu-central-1 --name \/shop\/key --type SecureString/],
      ["a secret the role may not read", [secret({ denied: [deny("secretsmanager:GetSecretValue", stripe)] })], role, /the DR execution role .* would be refused secretsmanager:GetSecretValue on .*shop\/stripe-AbCdEf: implicitDeny/, /^add it to the stage's application\.secrets \("STRIPE_KEY": \{ "secretName": "shop\/stripe" \}\) and deploy \(pnpm deploy:all --stage prod\)/],
      ["a secret whose customer key the role may not use", [secret({ denied: [deny("kms:Decrypt", "arn:aws:kms:eu-central-1:123456789012:key/k1")] })], role, /would be refused kms:Decrypt on arn:aws:kms:eu-central-1:123456789012:key\/k1/, /^let the role use the secret's key: aws kms create-grant --region eu-central-1 --key-id arn:aws:kms:eu-central-1:123456789012:key\/k1 --grantee-principal arn:aws:iam::123456789012:role\/prod-pilot-light-Compute-TaskExecutionRole-1A2B --operations Decrypt$/],
      ["a secret a Deny refuses", [secret({ denied: [deny("secretsmanager:GetSecretValue", stripe, "a Deny in lockdown")] })], role, /explicitDeny \(a Deny in lockdown\)/, /^remove what refuses it \(a Deny in lockdown\)$/],
      ["a parameter the role may not read", [secret({ kind: "ssm", valueFrom: "/shop/key", secretName: "/shop/key", found: true, denied: [deny("ssm:GetParameters", "arn:aws:ssm:eu-central-1:123456789012:parameter/shop/key")] })], role, /ssm:GetParameters on arn:aws:ssm:eu-central-1:123456789012:parameter\/shop\/key/, /^allow it ssm:GetParameters on .*aws iam put-role-policy --role-name prod-pilot-light-Compute-TaskExecutionRole-1A2B/],
      ["a definition with secrets and no execution role", [secret()], null, /has no execution role to read it/, /pnpm deploy:all --stage prod/],
    ])("reports %s, naming the secret and what fixes it", (_what, secrets, executionRole, detail, action) => {
      const failing = judge(secrets, executionRole);
      expect(failing).toEqual([{ check: "dr-task-secrets", ok: false, detail: expect.stringMatching(detail), action: expect.stringMatching(action) }]);
    });

    it("reports each failing secret on its own", () => {
      expect(judge([secret({ found: false }), secret({ variable: "OK" }), secret({ variable: "API_KEY", denied: [deny("secretsmanager:GetSecretValue", stripe)] })]).map((f) => [f.ok, f.detail.split(" ")[0]])).toEqual([
        [false, "web's"],
        [false, "web's"],
      ]);
    });
  });

  it("reports a record that is not a failover pair with the command that makes the pair, and passes a pair", () => {
    const o = healthy();
    o.dnsRecord = ok({ hostedZoneId: "Z1", recordName: "shop.example.com", notPair: "no PRIMARY failover record shop.example.com" });
    expect(Readiness.judgeReadiness(o, now).findings.filter((f) => f.check === "dns-record")).toEqual([
      {
        check: "dns-record",
        ok: false,
        detail: expect.stringMatching(/^shop\.example\.com in zone Z1 is not a failover pair .*: a failover is refused at its Preflight, before the promotion/),
        action: expect.stringMatching(/^make the pair: pnpm deploy:all --stage prod --apply-adoption/),
      },
    ]);
    o.dnsRecord = ok({ hostedZoneId: "Z1", recordName: "shop.example.com", notPair: null });
    expect(Readiness.judgeReadiness(o, now).ready).toBe(true);
  });

  describe("the serving region's health contract (the verify steps' parser)", () => {
    const url = "https://eu-west-1.shop.example.com/health.php";
    const judged = (answer: Readiness.ReadinessObservation["healthContract"]) => {
      const o = healthy();
      o.healthContract = answer;
      return Readiness.judgeReadiness(o, now).findings.find((f) => f.check === "health-contract");
    };
    it.each<[string, Readiness.ReadinessObservation["healthContract"], boolean, RegExp, RegExp | undefined]>([
      ["passes 200 with \"readOnly\": false", { region: "eu-west-1", url, answer: ok({ status: 200, readOnly: false }) }, true, /^the serving region's \(eu-west-1\) health path answers the health contract: 200 with "readOnly": false$/, undefined],
      ["reports readOnly left out", { region: "eu-west-1", url, answer: ok({ status: 200, readOnly: undefined }) }, false, /answered 200 without the health contract's boolean readOnly \(readOnly: absent; .*would end NeedsOperator/, /^make the health path answer the contract: .*pnpm dr readiness --stage prod$/],
      ["reports readOnly as a string", { region: "eu-west-1", url, answer: ok({ status: 200, readOnly: "false" }) }, false, /\(readOnly: "false";/, /not a string; docs\/health-contract\.md/],
      ["reports a serving database that refuses writes", { region: "eu-west-1", url, answer: ok({ status: 200, readOnly: true }) }, false, /answered from a read-only database \(readOnly: true\): the serving database refuses writes$/, /^find why read_only is on \(pnpm dr status --stage prod/],
      ["reports a 503 as no contract answered now, the monitor's", { region: "eu-west-1", url, answer: ok({ status: 503, readOnly: undefined }) }, false, /^GET \S+ answered 503: the serving region's \(eu-west-1\) health path does not answer the health contract now$/, /^an outage is the monitor's/],
      ["reports a region that does not answer as could not read, not a breach", { region: "eu-central-1", url, answer: failed("TimeoutError: The operation was aborted due to timeout") }, false, /^could not read the serving region's \(eu-central-1\) health path at \S+: TimeoutError/, /^if the region is down, that is the monitor's/],
      ["reports an address that could not be read", { region: "eu-west-1", url: null, answer: failed("its load balancer's address (SSM /pilot-light/prod/primary/alb-dns in eu-central-1): ParameterNotFound") }, false, /^could not read the serving region's \(eu-west-1\) health path: its load balancer's address/, /^if the region is down/],
    ])("%s", (_what, answer, passes, detail, action) => {
      const f = judged(answer)!;
      expect(f.ok).toBe(passes);
      expect(f.detail).toMatch(detail);
      if (action) expect(f.action).toMatch(action);
      else expect(f.action).toBeUndefined();
    });
  });

  describe("Route 53's checkers on the primary", () => {
    const reports = (healthy: number, of: number) =>
      ok({
        id: "hc-1",
        reports: Array.from({ length: of }, (_, i) => ({ region: `r${i}`, status: i < healthy ? "Success: HTTP Status Code 200, OK" : "Failure: HTTP Status Code 503, Service Unavailable.", checkedAt: "2026-12-07T09:59:50Z" })),
      });
    const finding = (o: Readiness.ReadinessObservation) => Readiness.judgeReadiness(o, now).findings.find((f) => f.check === "health-check");

    it("reports a serving primary most checkers see unhealthy, with the command that shows what they see", () => {
      const o = healthy();
      o.healthCheck = reports(3, 8);
      expect(finding(o)).toEqual({
        check: "health-check",
        ok: false,
        detail: expect.stringMatching(/^health check hc-1: 8 checkers reporting, 3 see the primary healthy, while the primary serves \(r3: Failure: HTTP Status Code 503/),
        action: expect.stringMatching(/^find what the checkers see \(aws route53 get-health-check-status --health-check-id hc-1\)/),
      });
    });

    it("passes a serving primary half the checkers see healthy", () => {
      const o = healthy();
      o.healthCheck = reports(4, 8);
      expect(finding(o)?.ok).toBe(true);
    });

    it.each<[string, (o: Readiness.ReadinessObservation) => void]>([
      ["the primary region holds the replica (re-protected, state C)", (o) => void (o.primary = ok(db({ identifier: "pilot-light-prod-primary", sourceIdentifier: "arn:aws:rds:eu-central-1:123456789012:db:pilot-light-prod-replica" })))],
      ["the DR database is promoted (failed over)", (o) => void (o.replica = ok(db({ sourceIdentifier: null, replication: null, readOnly: ok(false) })))],
    ])("does not report the primary's failing check when %s: it fails by design", (_what, move) => {
      const o = healthy();
      o.healthCheck = reports(0, 8);
      move(o);
      expect(finding(o)).toMatchObject({ ok: true, detail: expect.stringMatching(/0 see the primary healthy \(the DR region serves/) });
    });

    it("reports the primary's failing check once a switchback promoted it: the DR database, no replica, is sealed (read_only = 1), so the primary serves", () => {
      const o = healthy();
      o.healthCheck = reports(0, 8);
      o.replica = ok(db({ sourceIdentifier: null, replication: null, readOnly: ok(true) }));
      expect(finding(o)).toMatchObject({ ok: false, detail: expect.stringMatching(/0 see the primary healthy, while the primary serves/) });
    });
  });

  it.each([
    ["no replica in the DR region", { status: null, message: null }, /shop\/prod\/mysql has no replica in eu-central-1/, /--apply-adoption replicates it; or aws secretsmanager replicate-secret-to-regions --region eu-west-1 --secret-id shop\/prod\/mysql --add-replica-regions Region=eu-central-1,KmsKeyId=alias\/aws\/secretsmanager$/],
    ["a failed replication", { status: "Failed", message: "Secret with this name already exists in this region" }, /replication to eu-central-1 is Failed \(Secret with this name already exists in this region\)/, /--force-overwrite-replica-secret$/],
    ["a replication in progress", { status: "InProgress", message: null }, /still being created/, /wait a minute/],
  ])("reports the database secret with %s, with what to do", (_what, replica, detail, action) => {
    const o = healthy();
    o.secretReplica = ok({ name: "shop/prod/mysql", ...replica });
    const { ready, failing } = problem(o);
    expect(ready).toBe(false);
    expect(failing).toEqual([{ check: "secret-replica", ok: false, detail: expect.stringMatching(detail), action: expect.stringMatching(action) }]);
  });
});
