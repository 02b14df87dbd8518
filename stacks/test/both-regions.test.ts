/**
 * The orchestrator in both regions (docs/design.md D2): on a stage with DNS the primary region
 * gets its own state table, monitor, failover state machine and ExecutionEnded, acting on its own
 * database and fencing the DR region's, armed at run time (never by activeRegion).
 */
import { describe, expect, it } from "vitest";
import type { Template } from "aws-cdk-lib/assertions";
import { synthRegion } from "./support/synth";

function envOf(template: Template, handler: string): Record<string, unknown> {
  const fns = Object.values(template.findResources("AWS::Lambda::Function", { Properties: { Handler: handler } }));
  expect(fns).toHaveLength(1);
  return (fns[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;
}

const arnText = (value: unknown) => JSON.stringify(value);

describe("the orchestrator's copy in the primary region (stage with DNS)", () => {
  const primary = () => synthRegion("dnsdemo", "primary").templates;
  const dr = () => synthRegion("dnsdemo", "dr").templates;

  it("is composed there: state table, monitor, failover and failback state machines and ExecutionEnded, without the DR region's dashboard", () => {
    const t = primary();
    for (const name of ["State", "Monitor", "Failover", "Operations", "Failback"]) expect(t[name], `${name} in the primary region`).toBeDefined();
    expect(t.Operations?.findResources("AWS::CloudWatch::Dashboard")).toEqual({});
    expect(dr().Operations?.findResources("AWS::CloudWatch::Dashboard")).not.toEqual({});
  });

  it("its failover steps promote the primary region's database and fence the DR region's", () => {
    const env = envOf(primary().Failover!, "packages/functions/src/promote-replica.handler");
    expect(env).toMatchObject({
      PRIMARY_REGION: "eu-central-1",
      DR_REGION: "eu-west-1",
      REPLICA_ID: "pilot-light-dnsdemo-primary",
      PRIMARY_ID: "pilot-light-dnsdemo-replica",
      PRIMARY_HEALTH_URL: "https://eu-central-1.app.example.com/health.php",
      HEALTH_URL: "https://eu-west-1.app.example.com/health.php",
      SECRET_ID: "pilot-light-dnsdemo/db-credentials",
    });
    expect(arnText(env.PRIMARY_ARN)).toMatch(/rds:eu-central-1:.*:db:pilot-light-dnsdemo-replica/);
    // And the DR region's copy the other way round, as before.
    expect(envOf(dr().Failover!, "packages/functions/src/promote-replica.handler")).toMatchObject({ PRIMARY_REGION: "eu-west-1", DR_REGION: "eu-central-1", REPLICA_ID: "pilot-light-dnsdemo-replica", PRIMARY_ID: "pilot-light-dnsdemo-primary" });
  });

  it("its monitor watches the DR region and is armed at run time from its own database and the failover record", () => {
    const env = envOf(primary().Monitor!, "packages/functions/src/health-monitor.handler");
    expect(env).toMatchObject({
      WATCHED: "dr",
      PRIMARY_HEALTH_URL: "https://eu-central-1.app.example.com/health.php",
      LOCAL_DB_ID: "pilot-light-dnsdemo-primary",
      WATCHED_DB_ID: "pilot-light-dnsdemo-replica",
      AUTO_FAILOVER: "true",
      HOSTED_ZONE_ID: "Z0123456789EXAMPLE",
      RECORD_NAME: "app.example.com",
    });
    expect(arnText(env.WATCHED_DB_ARN)).toMatch(/rds:eu-central-1:.*:db:pilot-light-dnsdemo-replica/);
    expect(envOf(dr().Monitor!, "packages/functions/src/health-monitor.handler")).toMatchObject({ WATCHED: "primary", LOCAL_DB_ID: "pilot-light-dnsdemo-replica", WATCHED_DB_ID: "pilot-light-dnsdemo-primary" });
  });

  it("its monitor's second opinion is its own Route 53 health check on the DR region's endpoint, as the Dns stack's on the primary's (used by no record, so DNS answers do not change)", () => {
    const monitor = primary().Monitor!;
    const checks = Object.entries(monitor.findResources("AWS::Route53::HealthCheck"));
    expect(checks).toHaveLength(1);
    const [id, check] = checks[0]!;
    const config = (check as { Properties: { HealthCheckConfig: Record<string, unknown> } }).Properties.HealthCheckConfig;
    const dns = dr().Dns!;
    const primaryCheck = Object.values(dns.findResources("AWS::Route53::HealthCheck"))[0] as { Properties: { HealthCheckConfig: Record<string, unknown> } };
    // The same check as the primary's, on the other region's name.
    expect(config).toEqual({ ...primaryCheck.Properties.HealthCheckConfig, FullyQualifiedDomainName: "eu-central-1.app.example.com" });
    expect(primaryCheck.Properties.HealthCheckConfig.FullyQualifiedDomainName).toBe("eu-west-1.app.example.com");
    expect(envOf(monitor, "packages/functions/src/health-monitor.handler").HEALTH_CHECK_ID).toEqual({ Ref: id });
    expect(JSON.stringify(dns.findResources("AWS::Route53::RecordSet"))).not.toContain(id);
    const grants = Object.values(monitor.findResources("AWS::IAM::Policy")).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement);
    expect(grants.filter((g) => g.Action === "route53:GetHealthCheckStatus")).toEqual([
      expect.objectContaining({ Resource: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":route53:::healthcheck/", { Ref: id }]] } }),
    ]);
  });

  it("its failback is the DR region's, run from the primary region: the same definition, both regions named absolutely, its own table, topic and reverse-replication role, no PRIMARY record health check", () => {
    const here = primary().Failback!;
    const there = dr().Failback!;
    const definitionOf = (t: Template) => {
      const [sm] = Object.values(t.findResources("AWS::StepFunctions::StateMachine")) as { Properties: { DefinitionString: unknown } }[];
      // The Lambda ARNs are each stack's own; everything else is one definition.
      return JSON.stringify(sm?.Properties.DefinitionString).replace(/\{\\"Fn::GetAtt\\":\[\\"[A-Za-z0-9]+\\",\\"Arn\\"\]\}/g, "fn").replace(/run from eu-(west|central)-1/, "run from here");
    };
    expect(definitionOf(here)).toEqual(definitionOf(there));
    const env = envOf(here, "packages/functions/src/assess-topology.handler");
    expect(env).toMatchObject({
      ORCHESTRATOR_REGION: "eu-west-1",
      PRIMARY_REGION: "eu-west-1",
      DR_REGION: "eu-central-1",
      PRIMARY_ID: "pilot-light-dnsdemo-primary",
      REPLICA_ID: "pilot-light-dnsdemo-replica",
      PRIMARY_HEALTH_URL: "https://eu-west-1.app.example.com/health.php",
      DR_HEALTH_URL: "https://eu-central-1.app.example.com/health.php",
      HOSTED_ZONE_ID: "Z0123456789EXAMPLE",
      RECORD_NAME: "app.example.com",
    });
    expect(env.PRIMARY_HEALTH_CHECK_ID).toBeUndefined();
    // Its own region's table and topic; its own load balancer as the primary's.
    expect(arnText(env.TABLE_NAME)).toMatch(/State|state/);
    expect(arnText(env.PRIMARY_ALB_DNS)).toMatch(/Compute/);
    expect(arnText(env.TOPIC_ARN)).toMatch(/Alerts|alerts/);
    expect(Object.keys(here.findResources("AWS::IAM::Role", { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "s3.amazonaws.com" } }] } } }))).toHaveLength(1);
    // The DR region's copy as before, with its own region named and the health check.
    const drEnv = envOf(there, "packages/functions/src/assess-topology.handler");
    expect(drEnv).toMatchObject({ ORCHESTRATOR_REGION: "eu-central-1", PRIMARY_HEALTH_URL: "https://eu-west-1.app.example.com/health.php", DR_HEALTH_URL: "https://eu-central-1.app.example.com/health.php" });
    expect(drEnv.PRIMARY_HEALTH_CHECK_ID).toBeDefined();
  });

  it("its failback steps' grants name both regions' databases and services, and this region's state table", () => {
    const here = primary().Failback!;
    const policies = JSON.stringify(here.findResources("AWS::IAM::Policy"));
    for (const region of ["eu-west-1", "eu-central-1"]) {
      expect(policies).toContain(`:rds:${region}:`);
      expect(policies).toContain(`:ecs:${region}:`);
    }
    expect(policies).not.toContain(":dynamodb:eu-central-1:");
    // Its ExecutionEnded rule watches this region's failback state machine.
    const rules = Object.values(here.findResources("AWS::Events::Rule")) as { Properties: { EventPattern?: unknown } }[];
    expect(rules.some((r) => JSON.stringify(r.Properties.EventPattern).includes("FailbackStateMachine"))).toBe(true);
  });

  it("a stage without DNS keeps the orchestrator in the DR region only (the primary region's state table stays, so adding or removing DNS removes no table)", () => {
    const t = synthRegion("dev", "primary").templates;
    expect(t.State).toBeDefined();
    for (const name of ["Monitor", "Failover", "Operations", "Failback"]) expect(t[name], name).toBeUndefined();
  });
});
