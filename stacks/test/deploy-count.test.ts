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

/**
 * The deploy story in every state, both directions (issue 21): each state as the workflows leave
 * it (which database takes writes, which service serves, which carries the fence tag), then a
 * deploy of both regions with the stage's settings as they should be and as they may lag
 * (`activeRegion` flipped or not yet). No deploy lowers the serving service or raises a fenced
 * one (the ECS services as the deploy-count handler answers); no deploy changes a database's role
 * (no database definition depends on `activeRegion`: CloudFormation leaves every database alone).
 */
describe("a deploy in any state, both directions", () => {
  type Side = { desired: number; fenced?: boolean };
  type State = { name: string; serving: "primary" | "dr"; primary: Side; dr: Side };
  const full = 2;
  const states: State[] = [
    { name: "normal: the primary serves", serving: "primary", primary: { desired: full }, dr: { desired: 0 } },
    { name: "failed over: DR serves, the old primary fenced", serving: "dr", primary: { desired: 0, fenced: true }, dr: { desired: full } },
    // Re-protect makes the primary's database a replica of DR and leaves its service as the fence left it.
    { name: "re-protected: DR serves, the primary's database its replica", serving: "dr", primary: { desired: 0, fenced: true }, dr: { desired: full } },
    // The switchback lifts the primary's fence before scaling it up, and seals DR (pilot light).
    { name: "switched back: the primary serves again, DR its replica", serving: "primary", primary: { desired: full }, dr: { desired: 0 } },
    // The primary region's copy promoted its replica, scaled its service up (the tag of the first failover still on it) and fenced DR.
    { name: "failed over from DR to the primary region: the primary serves, DR fenced", serving: "primary", primary: { desired: full, fenced: true }, dr: { desired: 0, fenced: true } },
  ];

  const stage = (s: State) => {
    restore();
    ({ world, ids } = pilotLightWorld({ prefix: "pilot-light-switching", drPilotTaskCount: 0, drTaskCount: full }));
    restore = installApis(world);
    for (const [service, side] of [
      [primaryService(), s.primary],
      [drService(), s.dr],
    ] as const) {
      world.setDesired(service, side.desired);
      if (side.fenced) service.tags.set("pilot-light:fenced", "failover exec-1");
    }
  };

  it.each(states.flatMap((s) => (["switching-before", "switching-after"] as const).map((variant) => [s.name, variant === "switching-before" ? "primary" : "dr", s, variant] as const)))(
    "%s; deployed with activeRegion %s: the serving service keeps its count, a fenced one stays at 0",
    async (_name, _active, s, variant) => {
      stage(s);
      await deploy(variant, "primary");
      await deploy(variant, "dr");
      const serving = s.serving === "primary" ? primaryService() : drService();
      expect(serving.desired).toBeGreaterThanOrEqual(full);
      for (const [service, side] of [
        [primaryService(), s.primary],
        [drService(), s.dr],
      ] as const) {
        if (side.fenced && side.desired === 0) expect(service.desired).toBe(0);
      }
    },
  );

  it("no database definition depends on the active region, in either region: CloudFormation changes no database's role in any state", () => {
    for (const role of ["primary", "dr"] as const) {
      const databases = (variant: string) => synthRegion(variant, role).templates.Data!.findResources("AWS::RDS::DBInstance");
      expect(Object.keys(databases("switching-before"))).toHaveLength(1);
      expect(databases("switching-after")).toEqual(databases("switching-before"));
    }
  });
});
