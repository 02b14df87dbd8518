import { describe, expect, it } from "vitest";
import { Adoption } from "@pilot-light/core";

const target: Adoption.AdoptionTarget = {
  stage: "shop",
  region: "eu-west-1",
  bucket: "shop-prod-uploads",
  replicationRule: { id: "pilot-light-dr", destinationBucket: "pl-shop-data-eu-central-1-123456789012", roleArn: "arn:aws:iam::123456789012:role/pilot-light-shop-replication" },
  dns: { hostedZoneId: "ZSHOP", recordName: "shop.example.org", healthCheckId: "hc-1", drAlb: { dnsName: "pl-shop-dr-1.eu-central-1.elb.amazonaws.com", hostedZoneId: "Z215JYRZR1TBD5" } },
  database: { identifier: "shop-mysql-prod", parameterGroup: "shop-mysql84" },
};
const theirRule = { ID: "archive", Priority: 3, Status: "Enabled", Filter: { Prefix: "invoices/" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: "arn:aws:s3:::shop-archive", StorageClass: "GLACIER" } };
const theirs = { Role: "arn:aws:iam::123456789012:role/shop-s3-replication", Rules: [theirRule] };
const simple = { Name: "shop.example.org.", Type: "A", AliasTarget: { DNSName: "shop-prod-alb-1.eu-west-1.elb.amazonaws.com.", HostedZoneId: "Z32O12XQLNTSW2", EvaluateTargetHealth: false } };
const healthyDb = { identifier: "shop-mysql-prod", parameterGroup: "shop-mysql84", parameterApplyStatus: "in-sync", engineVersion: "8.4.6", storageEncrypted: true };
const seen = (o: Partial<Adoption.AdoptionObservation> = {}): Adoption.AdoptionObservation => ({ replication: theirs, records: [simple], database: healthyDb, fenceGroupExists: true, ...o });
const change = <K extends Adoption.AdoptionChange["kind"]>(plan: Adoption.AdoptionPlan, kind: K) => plan.changes.find((c): c is Extract<Adoption.AdoptionChange, { kind: K }> => c.kind === kind);

describe("the adoption plan: bucket replication", () => {
  it("merges pilot-light's rule into the team's configuration: their rule, role and fields kept, ours at a priority of its own", () => {
    const merged = change(Adoption.planAdoption(target, seen()), "bucket-replication");
    expect(merged?.configuration.Role).toBe(theirs.Role);
    expect(merged?.configuration.Rules).toEqual([
      theirRule,
      { ID: "pilot-light-dr", Priority: 4, Status: "Enabled", Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Enabled" }, Destination: { Bucket: "arn:aws:s3:::pl-shop-data-eu-central-1-123456789012", StorageClass: "STANDARD" } },
    ]);
    expect(merged?.kept).toEqual(["archive"]);
    expect(merged?.says.join("\n")).toMatch(/your rules archive are kept as they are[\s\S]*runs as your replication role arn:aws:iam::123456789012:role\/shop-s3-replication/);
  });

  it("names the DR bucket in the primary region's partition (aws-cn for a primary in China)", () => {
    const cn = { ...target, region: "cn-north-1", replicationRule: { ...target.replicationRule, destinationBucket: "pl-shop-data-cn-northwest-1-123456789012" } };
    const merged = change(Adoption.planAdoption(cn, seen({ replication: null })), "bucket-replication");
    expect(merged?.configuration.Rules?.[0]?.Destination?.Bucket).toBe("arn:aws-cn:s3:::pl-shop-data-cn-northwest-1-123456789012");
  });

  it("gives a bucket without replication pilot-light's rule under pilot-light's role", () => {
    const merged = change(Adoption.planAdoption(target, seen({ replication: null })), "bucket-replication");
    expect(merged?.configuration).toMatchObject({ Role: target.replicationRule.roleArn, Rules: [{ ID: "pilot-light-dr", Priority: 1 }] });
  });

  it("reports a configuration whose role the DR bucket does not admit, naming the setting, and writes nothing", () => {
    const plan = Adoption.planAdoption({ ...target, replicationRule: { ...target.replicationRule, admittedRoles: [target.replicationRule.roleArn] } }, seen());
    expect(change(plan, "bucket-replication")).toBeUndefined();
    expect(plan.findings.map((f) => f.says)).toEqual([expect.stringContaining(`adopt.bucket.replicationRoleArn: "${theirs.Role}"`)]);
  });

  it("merges when the DR bucket admits the configuration's role", () => {
    const plan = Adoption.planAdoption({ ...target, replicationRule: { ...target.replicationRule, admittedRoles: [target.replicationRule.roleArn, theirs.Role] } }, seen());
    expect(change(plan, "bucket-replication")?.configuration.Role).toBe(theirs.Role);
    expect(plan.findings).toEqual([]);
  });

  it("changes nothing once the rule is in: applying twice is applying once", () => {
    const first = change(Adoption.planAdoption(target, seen()), "bucket-replication")!;
    expect(change(Adoption.planAdoption(target, seen({ replication: first.configuration })), "bucket-replication")).toBeUndefined();
  });

  it.each([
    ["a rule in the first schema (rule-level Prefix)", { Role: theirs.Role, Rules: [{ ID: "old", Prefix: "", Status: "Enabled", Destination: { Bucket: "arn:aws:s3:::shop-archive" } }] }, /rule old uses the first replication schema/],
    ["a rule of theirs to pilot-light's DR bucket", { Role: theirs.Role, Rules: [{ ...theirRule, ID: "mine-to-dr", Destination: { Bucket: "arn:aws:s3:::pl-shop-data-eu-central-1-123456789012" } }] }, /rule mine-to-dr already replicates to pl-shop-data-eu-central-1-123456789012/],
  ])("reports, and does not write, %s", (_what, replication, says) => {
    const plan = Adoption.planAdoption(target, seen({ replication }));
    expect(change(plan, "bucket-replication")).toBeUndefined();
    expect(plan.findings.find((f) => f.kind === "replication")?.says).toMatch(says);
  });
});

describe("the adoption plan: the DNS record", () => {
  it("turns the simple record into a failover pair in one change batch: DELETE of it as it is, then PRIMARY and SECONDARY", () => {
    const pair = change(Adoption.planAdoption(target, seen()), "dns-failover-pair");
    expect(pair?.hostedZoneId).toBe("ZSHOP");
    expect(pair?.changes).toEqual([
      { Action: "DELETE", ResourceRecordSet: simple },
      { Action: "CREATE", ResourceRecordSet: { ...simple, SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: "hc-1" } },
      { Action: "CREATE", ResourceRecordSet: { Name: "shop.example.org.", Type: "A", SetIdentifier: "secondary", Failover: "SECONDARY", AliasTarget: { DNSName: "pl-shop-dr-1.eu-central-1.elb.amazonaws.com", HostedZoneId: "Z215JYRZR1TBD5", EvaluateTargetHealth: false } } },
    ]);
  });

  it("keeps a record of addresses as the PRIMARY's answer", () => {
    const addresses = { Name: "shop.example.org.", Type: "A", TTL: 60, ResourceRecords: [{ Value: "203.0.113.10" }] };
    const pair = change(Adoption.planAdoption(target, seen({ records: [addresses] })), "dns-failover-pair");
    expect(pair?.changes[1]?.ResourceRecordSet).toEqual({ ...addresses, SetIdentifier: "primary", Failover: "PRIMARY", HealthCheckId: "hc-1" });
  });

  it("changes nothing once the pair is in place", () => {
    const pair = change(Adoption.planAdoption(target, seen()), "dns-failover-pair")!;
    const after = pair.changes.filter((c) => c.Action === "CREATE").map((c) => c.ResourceRecordSet);
    expect(Adoption.planAdoption(target, seen({ records: after })).changes.filter((c) => c.kind === "dns-failover-pair")).toEqual([]);
  });

  it.each([
    ["no record", [], /has no record shop.example.org./],
    ["a CNAME", [{ Name: "shop.example.org.", Type: "CNAME", TTL: 60, ResourceRecords: [{ Value: "shop-prod-alb-1.eu-west-1.elb.amazonaws.com" }] }], /CNAME; pilot-light converts one simple A record/],
    ["weighted records", [{ ...simple, SetIdentifier: "blue", Weight: 90 }, { ...simple, SetIdentifier: "green", Weight: 10 }], /A \(blue\), A \(green\); pilot-light converts one simple A record/],
  ])("reports, and does not write, %s", (_what, records, says) => {
    const plan = Adoption.planAdoption(target, seen({ records }));
    expect(change(plan, "dns-failover-pair")).toBeUndefined();
    expect(plan.findings.find((f) => f.kind === "dns")?.says).toMatch(says);
  });

  it("leaves DNS alone on a stage without it", () => {
    const plan = Adoption.planAdoption({ ...target, dns: undefined }, seen({ records: undefined }));
    expect(plan.changes.map((c) => c.kind)).toEqual(["bucket-replication"]);
  });
});

describe("the adoption plan: the fence's parameter group", () => {
  it("reports a database on a default group with the one command that moves it to the stage's group", () => {
    const plan = Adoption.planAdoption(target, seen({ database: { ...healthyDb, parameterGroup: "default.mysql8.4" } }));
    const finding = plan.findings.find((f) => f.kind === "parameter-group");
    expect(finding?.says).toMatch(/uses the default parameter group default.mysql8.4, which RDS refuses to modify: the failover's fence could not set read_only/);
    expect(finding?.commands).toEqual(["aws rds modify-db-instance --region eu-west-1 --db-instance-identifier shop-mysql-prod --db-parameter-group-name shop-mysql84 --apply-immediately"]);
    expect(finding?.says).toMatch(/at the next reboot \(aws rds reboot-db-instance --region eu-west-1 --db-instance-identifier shop-mysql-prod\)/);
  });

  it("adds the command that creates the group, of the instance's family, when it does not exist", () => {
    const finding = Adoption.planAdoption(target, seen({ database: { ...healthyDb, parameterGroup: "default.mysql8.0", engineVersion: "8.0.39" }, fenceGroupExists: false })).findings[0];
    expect(finding?.commands[0]).toBe('aws rds create-db-parameter-group --region eu-west-1 --db-parameter-group-name shop-mysql84 --db-parameter-group-family mysql8.0 --description "shop-mysql-prod: the failover fence sets read_only here"');
    expect(finding?.commands).toHaveLength(2);
  });

  it("reports a group that waits for a reboot: until then read_only would not take effect", () => {
    const finding = Adoption.planAdoption(target, seen({ database: { ...healthyDb, parameterApplyStatus: "pending-reboot" } })).findings[0];
    expect(finding).toMatchObject({ kind: "parameter-group", commands: ["aws rds reboot-db-instance --region eu-west-1 --db-instance-identifier shop-mysql-prod"] });
  });

  it("reports nothing for a database on the stage's group, applied", () => {
    expect(Adoption.planAdoption(target, seen()).findings).toEqual([]);
  });
});

describe("the adoption plan: an unencrypted database", () => {
  it("is reported before the deploy tries the encrypted DR replica, with the commands that encrypt it", () => {
    const plan = Adoption.planAdoption(target, seen({ database: { ...healthyDb, storageEncrypted: false } }));
    expect(plan.findings.map((f) => f.kind)).toEqual(["database-encryption"]);
    expect(plan.findings[0]!.says).toMatch(/^database shop-mysql-prod is not encrypted, and RDS refuses an encrypted cross-Region read replica of an unencrypted instance/);
    expect(plan.findings[0]!.commands).toEqual([
      "aws rds create-db-snapshot --region eu-west-1 --db-instance-identifier shop-mysql-prod --db-snapshot-identifier shop-mysql-prod-plain",
      "aws rds copy-db-snapshot --region eu-west-1 --source-db-snapshot-identifier shop-mysql-prod-plain --target-db-snapshot-identifier shop-mysql-prod-encrypted --kms-key-id alias/aws/rds",
      "aws rds restore-db-instance-from-db-snapshot --region eu-west-1 --db-instance-identifier shop-mysql-prod-encrypted --db-snapshot-identifier shop-mysql-prod-encrypted --db-parameter-group-name shop-mysql84",
    ]);
  });
});

describe("the adoption plan: the team's database secret in the DR region", () => {
  const withSecret = { ...target, secret: { name: "shop/prod/mysql", drRegion: "eu-central-1", kmsKeyId: "alias/aws/secretsmanager" } };
  const replica = (o: Record<string, string>) => ({ PrimaryRegion: "eu-west-1", ReplicationStatus: [{ Region: "eu-central-1", KmsKeyId: "alias/aws/secretsmanager", ...o }] });

  it("replicates a secret that has no replica there, with the DR region's key", () => {
    const plan = Adoption.planAdoption(withSecret, seen({ secret: { PrimaryRegion: "eu-west-1" } }));
    expect(change(plan, "secret-replica")).toMatchObject({ secretId: "shop/prod/mysql", region: "eu-central-1", kmsKeyId: "alias/aws/secretsmanager" });
    expect(plan.findings).toEqual([]);
  });

  it("changes nothing once the replica is in sync", () => {
    expect(Adoption.planAdoption(withSecret, seen({ secret: replica({ Status: "InSync" }) })).changes.map((c) => c.kind)).not.toContain("secret-replica");
  });

  it.each([
    ["a failed replication, with the command that overwrites the DR region's secret of that name", { Status: "Failed", StatusMessage: "Secret with this name already exists in this region" }, /replication to eu-central-1 is Failed \(Secret with this name already exists in this region\)/, 1],
    ["a replication in progress", { Status: "InProgress" }, /still being created; run this again/, 0],
  ])("reports, and does not replicate again, %s", (_what, status, says, commands) => {
    const plan = Adoption.planAdoption(withSecret, seen({ secret: replica(status) }));
    expect(change(plan, "secret-replica")).toBeUndefined();
    const finding = plan.findings.find((f) => f.kind === "secret");
    expect(finding?.says).toMatch(says);
    expect(finding?.commands).toHaveLength(commands);
  });

  it.each([
    ["is not in the primary region", null, /secret shop\/prod\/mysql \(adopt.database.secretName\) is not in eu-west-1/],
    ["is itself a replica of another region's", { PrimaryRegion: "us-east-1" }, /is a replica of the one in us-east-1/],
  ])("reports a secret that %s", (_what, secret, says) => {
    const plan = Adoption.planAdoption(withSecret, seen({ secret }));
    expect(change(plan, "secret-replica")).toBeUndefined();
    expect(plan.findings.find((f) => f.kind === "secret")?.says).toMatch(says);
  });
});

describe("the plan in words", () => {
  it("states every change and every finding with its commands before anything is changed", () => {
    const plan = Adoption.planAdoption(target, seen({ database: { ...healthyDb, parameterGroup: "default.mysql8.4" } }));
    const text = Adoption.describePlan("shop", plan).join("\n");
    expect(text).toMatch(/^Adopting stage shop's primary: changes to your resources\n {2}- bucket shop-prod-uploads: add replication rule pilot-light-dr/);
    expect(text).toMatch(/ {2}- zone ZSHOP: the simple record shop.example.org. becomes a failover pair in one change batch/);
    expect(text).toMatch(/For you to do \(pilot-light does not change these itself\):\n {2}- database shop-mysql-prod uses the default parameter group[^\n]*\n {6}aws rds modify-db-instance/);
  });

  it("says so when there is nothing to change", () => {
    expect(Adoption.describePlan("shop", { changes: [], findings: [] })).toEqual(["Adopting stage shop's primary: changes to your resources", "  none: everything pilot-light needs is in place"]);
  });
});
