/**
 * A stage's own application (packages/core/src/stage/application.ts) reaches both regions'
 * templates: the prebuilt image from each region's own registry (the DR copy is ECR's replica),
 * the container port, the health path everywhere something probes it, environment, secrets,
 * task size and counts. Variant switching-ownapp (stacks/test/support/variants.ts).
 */
import { describe, expect, it } from "vitest";
import type { Template } from "aws-cdk-lib/assertions";
import { deployCountOf, synthRegion } from "./support/synth";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const resources = (t: Template | undefined, type: string) => Object.values((t?.toJSON().Resources ?? {}) as Resources).filter((r) => r.Type === type);
const one = (t: Template | undefined, type: string) => {
  const found = resources(t, type);
  expect(found, type).toHaveLength(1);
  return found[0]!.Properties;
};
const envOf = (t: Template | undefined, handler: string) => {
  const fn = resources(t, "AWS::Lambda::Function").find((r) => r.Properties.Handler === handler);
  expect(fn, handler).toBeDefined();
  return (fn!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
};
interface Container {
  Image: unknown;
  PortMappings: { ContainerPort: number }[];
  Environment: { Name: string; Value: unknown }[];
  Secrets: { Name: string; ValueFrom: unknown }[];
}

describe.each([
  ["primary", "eu-west-1", 4],
  ["dr", "eu-central-1", 1],
] as const)("a stage's own application, %s region", (role, region, count) => {
  const synth = () => synthRegion("switching-ownapp", role);
  const compute = () => synth().templates.Compute;
  const container = () => (one(compute(), "AWS::ECS::TaskDefinition").ContainerDefinitions as Container[])[0]!;

  it(`runs the prebuilt image from ${region}'s own registry, and builds no image`, () => {
    const image = JSON.stringify(container().Image);
    expect(image).toContain(`123456789012.dkr.ecr.${region}.`);
    expect(image).toContain("/shop/web:1.4.2");
    expect(image).not.toContain(role === "dr" ? "eu-west-1" : "eu-central-1");
    expect(Object.values(synth().stacks).flatMap((s) => s.dockerImages)).toEqual([]);
    const pull = JSON.stringify(resources(compute(), "AWS::IAM::Policy").map((p) => p.Properties.PolicyDocument));
    expect(pull).toContain(`:ecr:${region}:123456789012:repository/shop/web`);
  });

  it("gives the container its port, environment and secrets next to pilot-light's own, at its task size", () => {
    const task = one(compute(), "AWS::ECS::TaskDefinition");
    expect({ cpu: task.Cpu, memory: task.Memory }).toEqual({ cpu: "1024", memory: "2048" });
    expect(container().PortMappings.map((p) => p.ContainerPort)).toEqual([8080]);
    expect(container().Environment.map((e) => e.Name).sort()).toEqual(["APP_ENV", "APP_REGION", "DB_HOST", "DB_NAME"]);
    expect(container().Environment.find((e) => e.Name === "APP_ENV")?.Value).toBe("production");
    expect(container().Secrets.map((s) => s.Name).sort()).toEqual(["DB_PASSWORD", "DB_USER", "STRIPE_KEY"]);
    const stripe = JSON.stringify(container().Secrets.find((s) => s.Name === "STRIPE_KEY")?.ValueFrom);
    expect(stripe).toContain(`:secretsmanager:${region}:`);
    expect(stripe).toContain(":secret:shop/stripe:key::");
    expect(deployCountOf(compute()!).Configured).toBe(count);
  });

  it("sends the load balancer's traffic and health checks to the container port and health path", () => {
    const group = one(compute(), "AWS::ElasticLoadBalancingV2::TargetGroup");
    expect({ port: group.Port, path: group.HealthCheckPath }).toEqual({ port: 8080, path: "/healthz" });
    const rules = resources(synth().templates.Network, "AWS::EC2::SecurityGroupIngress").concat(resources(synth().templates.Network, "AWS::EC2::SecurityGroupEgress"));
    const toTasks = rules.filter((r) => String(r.Properties.Description).includes("HTTP from the ALB") || String(r.Properties.Description).includes("to ECS tasks"));
    expect(toTasks.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([
      [8080, 8080],
      [8080, 8080],
    ]);
  });
});

describe("a stage's own application across the pair", () => {
  it("replicates the primary registry's repository to the DR region's registry, from the primary region only", () => {
    const config = one(synthRegion("switching-ownapp", "primary").templates.Compute, "AWS::ECR::ReplicationConfiguration").ReplicationConfiguration as {
      Rules: { Destinations: { Region: string }[]; RepositoryFilters: unknown[] }[];
    };
    expect(config.Rules).toHaveLength(1);
    expect(config.Rules[0]!.Destinations.map((d) => d.Region)).toEqual(["eu-central-1"]);
    expect(config.Rules[0]!.RepositoryFilters).toEqual([{ Filter: "shop/web", FilterType: "PREFIX_MATCH" }]);
    expect(resources(synthRegion("switching-ownapp", "dr").templates.Compute, "AWS::ECR::ReplicationConfiguration")).toEqual([]);
    expect(resources(synthRegion("switching-settings", "primary").templates.Compute, "AWS::ECR::ReplicationConfiguration")).toEqual([]);
  });

  it("probes the health path from Route 53, the monitor, the failover and the failback", () => {
    const dr = synthRegion("switching-ownapp", "dr").templates;
    expect(one(dr.Dns, "AWS::Route53::HealthCheck").HealthCheckConfig).toMatchObject({ ResourcePath: "/healthz", FullyQualifiedDomainName: "eu-west-1.app.example.com" });
    const urls = [
      envOf(dr.Monitor, "packages/functions/src/health-monitor.handler").PRIMARY_HEALTH_URL,
      ...Object.values(resources(dr.Failover, "AWS::Lambda::Function")).flatMap((f) => Object.entries((f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})),
      ...Object.values(resources(dr.Failback, "AWS::Lambda::Function")).flatMap((f) => Object.entries((f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})),
    ]
      .map((v) => (Array.isArray(v) ? v : ["", v]))
      .filter(([name]) => typeof name === "string" && (name === "" || name.endsWith("HEALTH_URL")))
      .map(([, value]) => JSON.stringify(value));
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url).toContain("/healthz");
    expect(JSON.stringify(Object.values(dr).map((t) => t?.toJSON()))).not.toContain("/health.php");
  });
});
