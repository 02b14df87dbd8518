/** The task count a deploy gives each region's service, and its custom-resource adapter. */
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { Compute } from "../src";

describe("deployCount", () => {
  it.each([
    ["dr", 0, undefined, 0, "creates a new DR service at its pilot-light count"],
    ["dr", 0, 0, 0, "keeps an idle pilot light idle"],
    ["dr", 0, 2, 2, "never lowers a DR service that serves (drill or failover)"],
    ["dr", 3, 2, 3, "raises DR to the configured count once DR is the active region"],
    ["dr", 3, 5, 5, "keeps a DR service an operator scaled above its configured count"],
    ["primary", 2, undefined, 2, "creates the primary at its configured count"],
    ["primary", 2, 1, 2, "sets the primary to its configured count"],
    ["primary", 0, 2, 2, "never switches a running primary off, though the stage says DR is active (it may lag a switchback or a failover back; the fence turns an old primary off)"],
    ["primary", 0, 0, 0, "keeps an old primary at 0 once the stage says DR is active"],
  ] as const)("%s, configured %i, live %s → %i: %s", (role, configured, live, expected, _why) => {
    expect(Compute.deployCount({ role, configured, live })).toBe(expected);
  });

  it("keeps a primary a failover fenced at 0, whatever the stage's settings say", () => {
    expect(Compute.deployCount({ role: "primary", configured: 2, live: 0, fenced: true })).toBe(0);
    expect(Compute.deployCount({ role: "dr", configured: 0, live: 2, fenced: true })).toBe(2);
  });

  it("keeps a DR service the primary region's failover fenced at 0, though the stage says DR is active", () => {
    expect(Compute.deployCount({ role: "dr", configured: 3, live: 0, fenced: true })).toBe(0);
  });

  it("leaves a primary that a failover back to its region scaled up at its count, under the tag an earlier failover left", () => {
    expect(Compute.deployCount({ role: "primary", configured: 2, live: 2, fenced: true })).toBe(2);
    expect(Compute.deployCount({ role: "primary", configured: 0, live: 2, fenced: true })).toBe(2);
  });
});

describe("answerDeployCount", () => {
  const ecs = mockClient(ECSClient);
  afterEach(() => ecs.reset());
  const event = (RequestType: "Create" | "Update" | "Delete") =>
    Compute.DeployCountEvent.parse({ RequestType, ResourceProperties: { Region: "eu-central-1", Cluster: "c", Service: "s", Role: "dr", Configured: "0" }, PhysicalResourceId: "eu-central-1/c/s" });

  it("answers the live count of an ACTIVE service, read with one DescribeServices", async () => {
    ecs.on(DescribeServicesCommand, { cluster: "c", services: ["s"], include: ["TAGS"] }).resolves({ services: [{ status: "ACTIVE", desiredCount: 2 }] });
    const answer = await Compute.answerDeployCount(new ECSClient({ region: "eu-central-1" }), event("Update"));
    expect(answer).toEqual({ PhysicalResourceId: "eu-central-1/c/s", Data: { DesiredCount: 2, Live: 2, Fenced: false } });
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it("answers the configured count when the service does not exist yet (CloudFormation creates it next)", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: "MISSING" }] });
    const answer = await Compute.answerDeployCount(new ECSClient({ region: "eu-central-1" }), event("Create"));
    expect(answer.Data).toEqual({ DesiredCount: 0, Live: null, Fenced: false });
  });

  it("ignores a service that is being deleted (DRAINING) under the same name", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: "DRAINING", desiredCount: 4 }] });
    const answer = await Compute.answerDeployCount(new ECSClient({ region: "eu-central-1" }), event("Create"));
    expect(answer.Data?.DesiredCount).toBe(0);
  });

  it("does nothing on Delete and keeps the physical id", async () => {
    const answer = await Compute.answerDeployCount(new ECSClient({ region: "eu-central-1" }), event("Delete"));
    expect(answer).toEqual({ PhysicalResourceId: "eu-central-1/c/s" });
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });

  it("rejects a count that is not a whole number, as CloudFormation would send a typo", () => {
    expect(() => Compute.DeployCountEvent.parse({ RequestType: "Update", ResourceProperties: { Region: "r", Cluster: "c", Service: "s", Role: "dr", Configured: "two" } })).toThrow();
  });
});
