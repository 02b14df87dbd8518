/**
 * Both regions of a default stage and of a stage with DNS, synthesized offline: every seed
 * resource and the properties the design fixes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { defaultReplicaBackup } from "@pilot-light/world";
import { replicaBackupWindow } from "../Data";
import { deployCountOf, ssmParameterRef, synthStage } from "./support/synth";

type Templates = Record<string, Template>;
let primary: Templates;
let dr: Templates;
let dnsPrimary: Templates;
let dnsDr: Templates;

beforeAll(() => {
  ({ primary, dr } = synthStage("dev"));
  ({ primary: dnsPrimary, dr: dnsDr } = synthStage("dnsdemo"));
});

const t = (templates: Templates, name: string): Template => {
  const template = templates[name];
  if (!template) throw new Error(`no ${name} stack; have ${Object.keys(templates).join(", ")}`);
  return template;
};

describe("stacks chosen by region", () => {
  it("puts the application stacks in the primary region, and of the orchestrator only its state table on a stage without DNS (the DB probe is a read-only helper the steps invoke)", () => {
    expect(Object.keys(primary).sort()).toEqual(["Alerts", "Compute", "Data", "Network", "Probe", "State", "Storage"]);
    // With DNS the orchestrator's copy runs there too, its failback included (docs/design.md D2; stacks/test/both-regions.test.ts).
    expect(Object.keys(dnsPrimary).sort()).toEqual(["Alerts", "Compute", "Data", "Failback", "Failover", "Monitor", "Network", "Operations", "Probe", "State", "Storage"]);
  });

  it("puts the orchestrator's state table in the DR region", () => {
    expect(Object.keys(dr)).toEqual(expect.arrayContaining(["Alerts", "Compute", "Data", "Network", "Storage", "State"]));
    t(dr, "State").hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it("adds Route 53 records only when the stage names a hosted zone", () => {
    expect(dr.Dns).toBeUndefined();
    expect(dnsDr.Dns).toBeDefined();
    expect(dnsPrimary.Dns).toBeUndefined();
  });
});

describe("network", () => {
  it.each([
    ["primary", () => primary, "10.0"],
    ["DR", () => dr, "10.1"],
  ])("gives the %s VPC the seed's /24 layout in two AZs", (_side, templates, net) => {
    const network = t(templates(), "Network");
    network.hasResourceProperties("AWS::EC2::VPC", { CidrBlock: `${net}.0.0/16` });
    const subnets = Object.values(network.findResources("AWS::EC2::Subnet")).map((r) => ({
      cidr: r.Properties.CidrBlock,
      public: r.Properties.MapPublicIpOnLaunch,
      az: r.Properties.AvailabilityZone,
    }));
    const region = net === "10.0" ? "eu-west-1" : "eu-central-1";
    expect(subnets).toEqual([
      { cidr: `${net}.1.0/24`, public: true, az: `${region}a` },
      { cidr: `${net}.2.0/24`, public: true, az: `${region}b` },
      { cidr: `${net}.3.0/24`, public: false, az: `${region}a` },
      { cidr: `${net}.4.0/24`, public: false, az: `${region}b` },
    ]);
  });

  it("has no NAT gateway: private subnets reach AWS through endpoints only", () => {
    const network = t(primary, "Network");
    network.resourceCountIs("AWS::EC2::NatGateway", 0);
    const services = Object.values(network.findResources("AWS::EC2::VPCEndpoint")).map((r) => JSON.stringify(r.Properties.ServiceName));
    for (const s of ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "s3"]) {
      expect(services.some((x) => x.includes(s))).toBe(true);
    }
  });

  it("records VPC flow logs", () => {
    t(dr, "Network").hasResourceProperties("AWS::EC2::FlowLog", { TrafficType: "ALL", ResourceType: "VPC" });
  });

  function groups(templates: Templates) {
    const network = t(templates, "Network");
    const all = network.findResources("AWS::EC2::SecurityGroup");
    const idOf = (prefix: string) => {
      const id = Object.keys(all).find((k) => k.startsWith(prefix));
      if (!id) throw new Error(`no security group ${prefix}`);
      return id;
    };
    const ingress = Object.values(network.findResources("AWS::EC2::SecurityGroupIngress")).map((r) => r.Properties);
    const egress = Object.values(network.findResources("AWS::EC2::SecurityGroupEgress")).map((r) => r.Properties);
    return { all, idOf, ingress, egress };
  }

  it.each([["primary"], ["DR"]])("lets the internet reach only the ALB, on 80 and 443 (%s)", (side) => {
    const { all, idOf } = groups(side === "primary" ? primary : dr);
    const alb = all[idOf("AlbSg")]!.Properties;
    expect(alb.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: "0.0.0.0/0", FromPort: 80, ToPort: 80, IpProtocol: "tcp" }),
      expect.objectContaining({ CidrIp: "0.0.0.0/0", FromPort: 443, ToPort: 443, IpProtocol: "tcp" }),
    ]);
    for (const name of ["EcsSg", "RdsSg"]) expect(all[idOf(name)]!.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it("chains ALB → ECS on 80 → RDS on 3306 and lets nothing else into RDS", () => {
    const { idOf, ingress, egress } = groups(primary);
    const ref = (id: string) => ({ "Fn::GetAtt": [idOf(id), "GroupId"] });
    const into = (id: string) => ingress.filter((r) => JSON.stringify(r.GroupId) === JSON.stringify(ref(id)));
    expect(into("EcsSg")).toEqual([expect.objectContaining({ FromPort: 80, ToPort: 80, SourceSecurityGroupId: ref("AlbSg") })]);
    expect(into("RdsSg")).toEqual([expect.objectContaining({ FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: ref("EcsSg") })]);
    const outOf = (id: string) => egress.filter((r) => JSON.stringify(r.GroupId) === JSON.stringify(ref(id)));
    expect(outOf("AlbSg")).toEqual([expect.objectContaining({ FromPort: 80, DestinationSecurityGroupId: ref("EcsSg") })]);
    expect(outOf("EcsSg")).toEqual([
      expect.objectContaining({ FromPort: 3306, DestinationSecurityGroupId: ref("RdsSg") }),
    ]);
    expect(outOf("RdsSg")).toEqual([]);
  });
});

describe("data", () => {
  it("runs the primary as Multi-AZ MySQL 8.4 (8.0 is past standard support) with 7-day backups and KMS-encrypted storage", () => {
    t(primary, "Data").hasResourceProperties("AWS::RDS::DBInstance", {
      Engine: "mysql",
      EngineVersion: "8.4",
      MultiAZ: true,
      BackupRetentionPeriod: 7,
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      DBInstanceIdentifier: "pilot-light-dev-primary",
    });
  });

  it("gives the primary its own parameter group for the failover's fence, with read_only left out of the template (no deploy resets a fence)", () => {
    const data = t(primary, "Data");
    const groups = Object.entries(data.findResources("AWS::RDS::DBParameterGroup"));
    expect(groups).toHaveLength(1);
    const [id, group] = groups[0]!;
    expect(group.Properties).toMatchObject({ DBParameterGroupName: "pilot-light-dev-primary", Family: "mysql8.4" });
    expect(JSON.stringify(group.Properties.Parameters ?? {})).not.toMatch(/read_only/);
    data.hasResourceProperties("AWS::RDS::DBInstance", { DBInstanceIdentifier: "pilot-light-dev-primary", DBParameterGroupName: { Ref: id } });
  });

  it("gives the DR replica its own parameter group for the switchback's seal, with read_only left out of the template", () => {
    const data = t(dr, "Data");
    const groups = Object.entries(data.findResources("AWS::RDS::DBParameterGroup"));
    expect(groups).toHaveLength(1);
    const [id, group] = groups[0]!;
    expect(group.Properties).toMatchObject({ DBParameterGroupName: "pilot-light-dev-replica", Family: "mysql8.4" });
    expect(JSON.stringify(group.Properties.Parameters ?? {})).not.toMatch(/read_only/);
    data.hasResourceProperties("AWS::RDS::DBInstance", { DBInstanceIdentifier: "pilot-light-dev-replica", DBParameterGroupName: { Ref: id } });
  });

  it("protects databases from deletion outside development stages only", () => {
    const prod = synthStage("prod");
    t(prod.primary, "Data").hasResourceProperties("AWS::RDS::DBInstance", { DeletionProtection: true });
    t(prod.dr, "Data").hasResourceProperties("AWS::RDS::DBInstance", { DeletionProtection: true });
    t(primary, "Data").hasResourceProperties("AWS::RDS::DBInstance", { DeletionProtection: false });
  });

  it("keeps credentials in Secrets Manager, replicated to the DR region", () => {
    t(primary, "Data").hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "pilot-light-dev/db-credentials",
      ReplicaRegions: [{ Region: "eu-central-1" }],
    });
  });

  it("keeps a cross-region read replica of the primary, with its own key and backups on", () => {
    const data = t(dr, "Data");
    data.hasResourceProperties("AWS::RDS::DBInstance", {
      DBInstanceIdentifier: "pilot-light-dev-replica",
      SourceDBInstanceIdentifier: {
        "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":rds:eu-west-1:", { Ref: "AWS::AccountId" }, ":db:pilot-light-dev-primary"]],
      },
      SourceRegion: "eu-west-1",
      KmsKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("^DbKey"), "Arn"] },
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
    });
    data.resourceCountIs("AWS::KMS::Key", 1);
  });

  it("backs the replica up in the fixed window the emulated world assumes (promotion is refused while backing-up)", () => {
    t(dr, "Data").hasResourceProperties("AWS::RDS::DBInstance", { DBInstanceIdentifier: "pilot-light-dev-replica", PreferredBackupWindow: replicaBackupWindow });
    const [start, end] = replicaBackupWindow.split("-").map((hm) => hm.split(":").map(Number)).map(([h, m]) => h! * 60 + m!);
    expect(defaultReplicaBackup.windowStartMinute).toBe(start);
    expect(end! - start!).toBe(30);
  });

  it("alarms when replica lag exceeds the RPO budget or replication stops (-1), and not for ever once the replica is promoted", () => {
    t(dr, "Data").hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "pilot-light-dev-replica-lag",
      Metrics: [
        { Id: "expr_1", Expression: "IF(lag < 0, 61, lag)", Label: Match.anyValue(), ReturnData: true },
        {
          Id: "lag",
          MetricStat: { Metric: { Namespace: "AWS/RDS", MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: Match.anyValue() }] }, Period: 60, Stat: "Maximum" },
          ReturnData: false,
        },
      ],
      Threshold: 60,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 3,
      // A promoted replica reports no ReplicaLag at all: INSUFFICIENT_DATA, not ALARM for ever.
      TreatMissingData: "missing",
      AlarmActions: [Match.anyValue()],
    });
  });
});

describe("storage", () => {
  it("versions the primary bucket, blocks public access and expires old versions", () => {
    t(primary, "Storage").hasResourceProperties("AWS::S3::Bucket", {
      BucketName: { "Fn::Join": ["", ["pl-dev-data-eu-west-1-", { Ref: "AWS::AccountId" }]] },
      VersioningConfiguration: { Status: "Enabled" },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]) },
    });
  });

  it("replicates the primary bucket to the DR bucket as STANDARD_IA", () => {
    t(primary, "Storage").hasResourceProperties("AWS::S3::Bucket", {
      ReplicationConfiguration: {
        Role: Match.anyValue(),
        Rules: [
          Match.objectLike({
            Status: "Enabled",
            DeleteMarkerReplication: { Status: "Enabled" },
            Destination: Match.objectLike({
              Bucket: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":s3:::pl-dev-data-eu-central-1-", { Ref: "AWS::AccountId" }]] },
              StorageClass: "STANDARD_IA",
            }),
          }),
        ],
      },
    });
  });

  it("replicates with its own role, not CDK's account-wide fixed name CDKReplicationRole", () => {
    for (const stage of [primary, dnsPrimary]) {
      const storage = t(stage, "Storage");
      const roles = storage.findResources("AWS::IAM::Role", { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: "s3.amazonaws.com" } })] } } });
      expect(Object.keys(roles)).toHaveLength(1);
      const [roleId, role] = Object.entries(roles)[0] as [string, { Properties: { RoleName?: unknown } }];
      expect(role.Properties.RoleName).toBeUndefined();
      storage.hasResourceProperties("AWS::S3::Bucket", { ReplicationConfiguration: { Role: { "Fn::GetAtt": [roleId, "Arn"] }, Rules: Match.anyValue() } });
      // ...with the permissions replication needs: read versions here, replicate into the DR bucket.
      const granted = Object.values(storage.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
        (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement.flatMap((st) => st.Action),
      );
      expect(granted).toEqual(expect.arrayContaining(["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:ReplicateObject", "s3:ReplicateDelete"]));
    }
  });

  it("versions the DR bucket, the replication destination", () => {
    t(dr, "Storage").hasResourceProperties("AWS::S3::Bucket", {
      BucketName: { "Fn::Join": ["", ["pl-dev-data-eu-central-1-", { Ref: "AWS::AccountId" }]] },
      VersioningConfiguration: { Status: "Enabled" },
    });
  });

  it("refuses plain HTTP on every bucket", () => {
    for (const templates of [primary, dr]) {
      const policies = Object.values(t(templates, "Storage").findResources("AWS::S3::BucketPolicy"));
      expect(policies.length).toBeGreaterThanOrEqual(2);
      for (const p of policies) {
        expect(p.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
        );
      }
    }
  });
});

describe("compute", () => {
  it("runs 2 tasks in the primary region and 0 in the DR region", () => {
    for (const [templates, role, region, configured] of [[primary, "primary", "eu-west-1", 2], [dr, "dr", "eu-central-1", 0]] as const) {
      t(templates, "Compute").hasResourceProperties("AWS::ECS::Service", { ServiceName: "pilot-light-dev-web" });
      expect(deployCountOf(t(templates, "Compute"))).toMatchObject({ Role: role, Configured: configured, Region: region, Cluster: "pilot-light-dev", Service: "pilot-light-dev-web" });
    }
  });

  it("reads the live count before CloudFormation updates the service: the custom resource carries the service's properties", () => {
    const compute = t(dr, "Compute");
    const props = deployCountOf(compute).ServiceProperties;
    const [service] = Object.values(compute.findResources("AWS::ECS::Service")) as { Properties: Record<string, unknown> }[];
    // Every property but DesiredCount, so whatever updates the service (a new task definition on
    // every image change) changes the custom resource too, and it answers again first.
    expect(props.taskDefinition).toEqual(service!.Properties.TaskDefinition);
    expect(props.loadBalancers).toEqual([expect.objectContaining({ containerPort: 80 })]);
    expect(props).not.toHaveProperty("desiredCount");
    const lower = (keys: string[]) => keys.map((k) => k.toLowerCase()).sort();
    expect(lower(Object.keys(props))).toEqual(lower(Object.keys(service!.Properties).filter((k) => k !== "DesiredCount")));
  });

  it("lets the deploy-count function only describe its own service", () => {
    const compute = t(dr, "Compute");
    const statements = Object.values(compute.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^DeployCountServiceRole") }] } })).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const ecs = statements.filter((s) => JSON.stringify(s.Action).includes("ecs:"));
    expect(ecs).toEqual([expect.objectContaining({ Action: "ecs:DescribeServices" })]);
    expect(JSON.stringify(ecs[0]!.Resource)).toContain(":service/pilot-light-dev/pilot-light-dev-web");
  });

  it("builds the application image for the task's X86_64 platform, whatever machine deploys", () => {
    for (const templates of [primary, dr]) {
      expect(synthStage("dev").raw[templates === primary ? "primary" : "dr"].stacks.Compute!.dockerImages).toEqual([{ asset: expect.any(String), platform: "linux/amd64" }]);
      t(templates, "Compute").hasResourceProperties("AWS::ECS::TaskDefinition", { RuntimePlatform: { CpuArchitecture: "X86_64", OperatingSystemFamily: "LINUX" } });
    }
  });

  it("checks /health.php every 5 s so new tasks turn healthy fast", () => {
    t(dr, "Compute").hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      HealthCheckPath: "/health.php",
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
      TargetType: "ip",
    });
  });

  it("runs the image built from this repository with DB settings and secret credentials", () => {
    t(dr, "Compute").hasResourceProperties("AWS::ECS::TaskDefinition", {
      ContainerDefinitions: [
        Match.objectLike({
          Image: Match.anyValue(),
          PortMappings: [Match.objectLike({ ContainerPort: 80 })],
          Environment: Match.arrayWith([{ Name: "APP_REGION", Value: "eu-central-1" }]),
          Secrets: Match.arrayWith([Match.objectLike({ Name: "DB_PASSWORD" })]),
        }),
      ],
    });
  });

  it("publishes the primary ALB's address into the DR region's SSM, under deterministic names", () => {
    // The SDK call is serialized JSON with the ALB's attributes spliced in by Fn::Join.
    const flat = (v: unknown): string => {
      if (typeof v === "string") return v;
      const join = (v as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
      return join ? join[1].map(flat).join(join[0]) : "TOKEN";
    };
    for (const [when, call] of [["Create", "putParameter"], ["Update", "putParameter"], ["Delete", "deleteParameter"]] as const) {
      const calls = Object.values(t(primary, "Compute").findResources("Custom::AWS")).map((r) => JSON.parse(flat((r.Properties as Record<string, unknown>)[when])) as Record<string, unknown>);
      expect(calls, when).toEqual(
        ["alb-dns", "alb-zone"].map((name) =>
          expect.objectContaining({
            service: "SSM",
            action: call,
            region: "eu-central-1",
            parameters: expect.objectContaining({ Name: `/pilot-light/dev/primary/${name}`, ...(call === "putParameter" ? { Value: "TOKEN", Overwrite: true } : {}) }),
            ...(call === "putParameter" ? { physicalResourceId: { id: `/pilot-light/dev/primary/${name}` } } : {}),
          }),
        ),
      );
    }
  });

  it("alarms when the active service runs below its desired count, and on slow or 5xx answers", () => {
    const compute = t(primary, "Compute");
    compute.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "RunningTaskCount",
      Threshold: 2,
      ComparisonOperator: "LessThanThreshold",
    });
    compute.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "TargetResponseTime",
      ExtendedStatistic: "p95",
      Threshold: 1,
    });
    compute.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "HTTPCode_Target_5XX_Count", Threshold: 10 });
  });
});

describe("HTTPS, on a stage with a domain", () => {
  it.each([
    ["primary", () => dnsPrimary, "eu-west-1"],
    ["DR", () => dnsDr, "eu-central-1"],
  ])("serves TLS on 443 in the %s region with a DNS-validated certificate for the record and the region's own name", (_side, templates, region) => {
    const compute = t(templates(), "Compute");
    compute.hasResourceProperties("AWS::CertificateManager::Certificate", {
      DomainName: "app.example.com",
      SubjectAlternativeNames: [`${region}.app.example.com`],
      ValidationMethod: "DNS",
      DomainValidationOptions: Match.arrayWith([{ DomainName: "app.example.com", HostedZoneId: "Z0123456789EXAMPLE" }]),
    });
    compute.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp("^Certificate") } }],
      SslPolicy: Match.stringLikeRegexp("TLS13"),
      DefaultActions: [Match.objectLike({ Type: "forward" })],
    });
    compute.hasResourceProperties("AWS::Route53::RecordSet", {
      Name: `${region}.app.example.com.`,
      Type: "A",
      HostedZoneId: "Z0123456789EXAMPLE",
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  it("redirects plain HTTP to HTTPS, permanently, and forwards nothing on 80", () => {
    const listeners = Object.values(t(dnsDr, "Compute").findResources("AWS::ElasticLoadBalancingV2::Listener")) as { Properties: { Port: number; DefaultActions: unknown[] } }[];
    expect(listeners.map((l) => l.Properties.Port).sort()).toEqual([443, 80]);
    expect(listeners.find((l) => l.Properties.Port === 80)!.Properties.DefaultActions).toEqual([
      { Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" } },
    ]);
  });

  it("probes over HTTPS: the monitor the primary's own name, the failover's verification the DR's", () => {
    const env = (template: ReturnType<typeof t>, handler: string) =>
      (Object.values(template.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
    expect(env(t(dnsDr, "Monitor"), "packages/functions/src/health-monitor.handler").PRIMARY_HEALTH_URL).toBe("https://eu-west-1.app.example.com/health.php");
    expect(env(t(dnsDr, "Failover"), "packages/functions/src/verify-dr-health.handler").HEALTH_URL).toBe("https://eu-central-1.app.example.com/health.php");
  });

  it("stays on plain HTTP to the ALB's own name without a domain (no certificate to present)", () => {
    for (const templates of [primary, dr]) {
      const compute = t(templates, "Compute");
      compute.resourceCountIs("AWS::CertificateManager::Certificate", 0);
      compute.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", { Port: 80, Protocol: "HTTP", DefaultActions: [Match.objectLike({ Type: "forward" })] });
    }
  });
});

describe("notifications", () => {
  it("has an encrypted SNS topic per region with the stage's e-mail subscriptions", () => {
    for (const templates of [dnsPrimary, dnsDr]) {
      const alerts = t(templates, "Alerts");
      alerts.hasResourceProperties("AWS::SNS::Topic", { TopicName: "pilot-light-dnsdemo-alerts", KmsMasterKeyId: Match.anyValue() });
      alerts.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "oncall@example.com" });
    }
  });
});

describe("DNS", () => {
  it("routes PRIMARY to the primary ALB behind a /health.php check and SECONDARY to the DR ALB, as aliases (the ALBs' TTL 60)", () => {
    const dns = t(dnsDr, "Dns");
    dns.hasResourceProperties("AWS::Route53::HealthCheck", {
      HealthCheckConfig: Match.objectLike({ Type: "HTTPS", ResourcePath: "/health.php", RequestInterval: 10, FailureThreshold: 3 }),
    });
    dns.hasResourceProperties("AWS::Route53::RecordSet", {
      Name: "app.example.com",
      Type: "A",
      TTL: Match.absent(),
      Failover: "PRIMARY",
      SetIdentifier: "primary",
      HealthCheckId: Match.anyValue(),
      HostedZoneId: "Z0123456789EXAMPLE",
      AliasTarget: { DNSName: Match.anyValue(), HostedZoneId: Match.anyValue(), EvaluateTargetHealth: true },
    });
    // The primary ALB's name and zone come from the parameters the primary wrote into the DR region.
    const [primaryRecord] = Object.values(dns.findResources("AWS::Route53::RecordSet", { Properties: { Failover: "PRIMARY" } }));
    expect(primaryRecord!.Properties.AliasTarget).toEqual({
      DNSName: ssmParameterRef(dns, "/pilot-light/dnsdemo/primary/alb-dns"),
      HostedZoneId: ssmParameterRef(dns, "/pilot-light/dnsdemo/primary/alb-zone"),
      EvaluateTargetHealth: true,
    });
    // Over HTTPS to the primary's own name, which its certificate covers.
    dns.hasResourceProperties("AWS::Route53::HealthCheck", { HealthCheckConfig: Match.objectLike({ FullyQualifiedDomainName: "eu-west-1.app.example.com", Port: 443, EnableSNI: true }) });
    dns.hasResourceProperties("AWS::Route53::RecordSet", {
      Type: "A",
      Failover: "SECONDARY",
      SetIdentifier: "secondary",
      HealthCheckId: Match.absent(),
      AliasTarget: Match.objectLike({ EvaluateTargetHealth: false }),
    });
  });
});

describe("what pnpm dr point-users reads, in each region alone", () => {
  it("the primary region holds its own ALB's address, so the DR region may be down", () => {
    const compute = t(dnsPrimary, "Compute");
    compute.hasResourceProperties("AWS::SSM::Parameter", { Name: "/pilot-light/dnsdemo/primary/alb-dns", Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^Alb"), "DNSName"] } });
    compute.hasResourceProperties("AWS::SSM::Parameter", { Name: "/pilot-light/dnsdemo/primary/alb-zone", Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^Alb"), "CanonicalHostedZoneID"] } });
  });

  it("the DR region holds its own ALB's address on every stage with DNS, not only an adopting one", () => {
    const dns = t(dnsDr, "Dns");
    dns.hasResourceProperties("AWS::SSM::Parameter", { Name: "/pilot-light/dnsdemo/dr/alb-dns", Value: { "Fn::ImportValue": Match.stringLikeRegexp("-Compute:.*Alb.*DNSName") } });
    dns.hasResourceProperties("AWS::SSM::Parameter", { Name: "/pilot-light/dnsdemo/dr/alb-zone", Value: { "Fn::ImportValue": Match.stringLikeRegexp("-Compute:.*Alb.*CanonicalHostedZoneID") } });
  });
});

describe("cross-region references", () => {
  it.each([
    ["dev", () => dr],
    ["dnsdemo", () => dnsDr],
  ])("deploys the DR region of %s without any call into the primary region", (_stage, templates) => {
    for (const [name, template] of Object.entries(templates())) {
      const json = JSON.stringify(template.toJSON());
      // Custom resources are the only way a template makes CloudFormation call another region.
      for (const r of Object.values(template.findResources("Custom::AWS"))) expect(JSON.stringify(r), name).not.toContain("eu-west-1");
      expect(json, name).not.toMatch(/PrimaryAlb\w*ParameterValue/);
    }
  });
});
