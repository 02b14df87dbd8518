/** The world's CloudFormation stack update of ECS services: what DesiredCount in a template does. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installApis, pilotLightWorld, updateEcsServices, type PilotLightIds, type WorldState } from "../src";

let world: WorldState;
let ids: PilotLightIds;
let restore: () => void;
beforeEach(() => {
  ({ world, ids } = pilotLightWorld());
  restore = installApis(world);
  world.setDesired(dr(), 2);
});
afterEach(() => restore());

const dr = () => world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!;
const template = (DesiredCount?: unknown, extra: Record<string, unknown> = {}) => ({
  Resources: {
    Cluster: { Type: "AWS::ECS::Cluster", Properties: { ClusterName: ids.cluster } },
    Service: { Type: "AWS::ECS::Service", Properties: { ServiceName: ids.service, Cluster: { Ref: "Cluster" }, ...(DesiredCount === undefined ? {} : { DesiredCount }) } },
    ...extra,
  },
});

describe("a CloudFormation update of an ECS service", () => {
  it("applies a literal DesiredCount, scaling a serving service down", async () => {
    expect(await updateEcsServices(template(0), ids.drRegion, {})).toEqual([{ service: ids.service, desiredCount: 0 }]);
    expect(dr().desired).toBe(0);
  });

  it("leaves the count alone when the template has none", async () => {
    await updateEcsServices(template(), ids.drRegion, {});
    expect(dr().desired).toBe(2);
  });

  it("applies what a custom resource answered, its handler getting the properties as strings", async () => {
    const events: unknown[] = [];
    const t = template({ "Fn::GetAtt": ["Count", "DesiredCount"] }, { Count: { Type: "Custom::Count", Properties: { ServiceToken: "arn", Configured: 3 } } });
    await updateEcsServices(t, ids.drRegion, {
      "Custom::Count": async (event) => {
        events.push(event);
        return { Data: { DesiredCount: 5 } };
      },
    });
    expect(events).toEqual([{ RequestType: "Update", ResourceProperties: { Configured: "3" }, PhysicalResourceId: "Count" }]);
    expect(dr().desired).toBe(5);
  });

  it("fails when the custom resource has no handler here, rather than guessing a count", async () => {
    const t = template({ "Fn::GetAtt": ["Count", "DesiredCount"] }, { Count: { Type: "Custom::Count", Properties: {} } });
    await expect(updateEcsServices(t, ids.drRegion, {})).rejects.toThrow(/no handler/);
    expect(dr().desired).toBe(2);
  });
});
