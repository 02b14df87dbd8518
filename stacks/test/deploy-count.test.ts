/**
 * A deploy never scales a serving DR service down. CloudFormation applies an ECS service's
 * DesiredCount on every update (packages/world/src/cloudformation.ts); here the synthesized
 * Compute templates are "deployed" onto the emulated world, their Custom::DesiredCount answered
 * by the real deploy-count handler reading the world's live service.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installApis, lambdaContext, pilotLightWorld, updateEcsServices, type PilotLightIds, type WorldState } from "@pilot-light/world";
import { handler } from "../../packages/functions/src/deploy-count";
import { synthRegion } from "./support/synth";

let world: WorldState;
let ids: PilotLightIds;
let restore: () => void;

beforeEach(() => {
  ({ world, ids } = pilotLightWorld({ prefix: "pilot-light-dev", drPilotTaskCount: 0, drTaskCount: 2 }));
  restore = installApis(world);
});
afterEach(() => restore());

const drService = () => world.services.get(world.serviceKey(ids.drRegion, ids.cluster, ids.service))!;
const primaryService = () => world.services.get(world.serviceKey(ids.primaryRegion, ids.cluster, ids.service))!;
const deploy = (variant: string, role: "primary" | "dr") =>
  updateEcsServices(synthRegion(variant, role).templates.Compute!.toJSON(), role === "dr" ? ids.drRegion : ids.primaryRegion, {
    "Custom::DesiredCount": (event) => handler(event, lambdaContext("DeployCount")) as Promise<{ Data?: Record<string, unknown> }>,
  });

describe("a deploy of the DR region", () => {
  it("leaves a drill's scaled-up DR service at its count", async () => {
    world.setDesired(drService(), 2);
    const [update] = await deploy("dev", "dr");
    expect(update).toEqual({ service: "pilot-light-dev-web", desiredCount: 2 });
    expect(drService().desired).toBe(2);
  });

  it("leaves a DR service that serves after a failover at its count, though the stage still says primary", async () => {
    world.setDesired(drService(), 2);
    world.databases.get(ids.replicaDb)!.sourceIdentifier = null;
    await deploy("dev", "dr");
    expect(drService().desired).toBe(2);
  });

  it("keeps an idle pilot light at 0", async () => {
    await deploy("dev", "dr");
    expect(drService().desired).toBe(0);
  });

  it("raises DR to the stage's drTaskCount once the stage says DR is active", async () => {
    restore();
    ({ world, ids } = pilotLightWorld({ prefix: "pilot-light-failedover" }));
    restore = installApis(world);
    world.setDesired(drService(), 2);
    await deploy("failedover", "dr");
    expect(drService().desired).toBe(3);
  });
});

describe("a deploy of the primary region", () => {
  it("sets the primary to its configured count", async () => {
    world.setDesired(primaryService(), 1);
    await deploy("dev", "primary");
    expect(primaryService().desired).toBe(2);
  });

  it("keeps a primary the failover fenced at 0, though the stage still says primary", async () => {
    world.setDesired(primaryService(), 0);
    primaryService().tags.set("pilot-light:fenced", "failover exec-1");
    const [update] = await deploy("dev", "primary");
    expect(update).toEqual({ service: "pilot-light-dev-web", desiredCount: 0 });
    expect(primaryService().desired).toBe(0);
  });
});
