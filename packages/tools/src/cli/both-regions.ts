/**
 * `pnpm dr status` and `pnpm dr close-incident` on a stage whose orchestrator runs in both
 * regions (docs/design.md D2): each region's copy is reached on its own (bounded clients, ./aws),
 * and a region that does not answer is said, by name and with what its calls answered, instead
 * of failing the command. Status shows the DR region's copy, or the primary region's when the DR
 * region does not answer; close-incident closes the open incident in the table that holds it
 * (the DR region's copy counts HEALTH#primary, the primary region's HEALTH#dr).
 */
import { Health, type Stage } from "@pilot-light/core";
import type { Invocation } from "./args";
import { connect, message, type Clients, type Context } from "./aws";
import { closeOpenIncident, type Closed } from "./commands";
import { RefusedError } from "./errors";
import type { Side } from "./regions";

/** One region's copy: connected, or why not. */
export interface Reach {
  side: Side;
  region: string;
  ctx: Context | null;
  error: unknown;
}

/** A region that did not answer (or whose copy could not be used), for the report. */
export interface Unanswered {
  side: Side;
  region: string;
  error: string;
}

const sides: readonly Side[] = ["dr", "primary"];
const regionOf = (config: Stage.StageConfig, side: Side) => (side === "primary" ? config.primaryRegion : config.drRegion);

/** Connects to each region's copy in parallel (credentials, then `stacks` there); a region that fails is kept with its error. */
export async function reachEach(
  config: Stage.StageConfig,
  clientsOf: (region: string) => Clients,
  stacks: readonly string[],
  now: () => Date,
): Promise<Record<Side, Reach>> {
  const reached = await Promise.all(
    sides.map(async (side): Promise<Reach> => {
      const region = regionOf(config, side);
      try {
        return { side, region, ctx: await connect(config, clientsOf(region), stacks, now, region), error: null };
      } catch (error) {
        return { side, region, ctx: null, error };
      }
    }),
  );
  const [dr, primary] = reached as [Reach, Reach];
  // Neither answered: the DR region's error, as on a stage with one copy.
  if (!dr.ctx && !primary.ctx) throw dr.error;
  return { dr, primary };
}

export function unanswered(reached: Record<Side, Reach>): Unanswered[] {
  return sides.filter((s) => !reached[s].ctx).map((s) => ({ side: s, region: reached[s].region, error: message(reached[s].error) }));
}

/** The exit code of `status`: 0 when every region's copy answered, 3 when one did not (what it could reach is printed). */
export const partialStatusExitCode = 3;

/**
 * Closes the open incident of whichever copy holds it. With `--incident-id`, the copy whose open
 * incident has that id; without, the only open one (two open: refused, naming both ids). A
 * region that did not answer is named when nothing was found where the CLI could look.
 */
export async function closeIncidentInEitherRegion(reached: Record<Side, Reach>, invocation: Invocation): Promise<Closed & { region: string }> {
  const open: { reach: Reach & { ctx: Context }; incident: Health.Incident }[] = [];
  for (const side of sides) {
    const reach = reached[side];
    if (!reach.ctx) continue;
    const ctx = reach.ctx;
    const target = ctx.region === ctx.config.primaryRegion ? "dr" : "primary";
    const state = await Health.loadState({ db: ctx.clients.db, table: ctx.names.stateTable }, target);
    if (state.incident) open.push({ reach: { ...reach, ctx }, incident: state.incident });
  }
  const silent = unanswered(reached);
  const notReached = silent.length > 0 ? ` ${silent.map((u) => `The ${u.side} region ${u.region} did not answer (${u.error}): an incident its copy holds cannot be closed until it does.`).join(" ")}` : "";
  const wanted = invocation.incidentId;
  const chosen = wanted ? open.filter((o) => o.incident.id === wanted) : open;
  if (chosen.length === 0) {
    const seen = open.map((o) => `${o.incident.id} (in ${o.reach.region}, on the ${o.reach.side === "dr" ? "primary" : "DR"} region)`).join(", ");
    throw new RefusedError(
      wanted
        ? `no open incident ${wanted} in the regions that answered${seen ? `; open: ${seen}` : ""}.${notReached}`
        : `no incident is open for stage ${reached.dr.ctx?.config.stage ?? reached.primary.ctx?.config.stage ?? ""} in the regions that answered: nothing to close.${notReached}`,
    );
  }
  if (chosen.length > 1) {
    const lines = chosen.map((o) => `  ${o.incident.id}: opened ${o.incident.openedAt} by the ${o.reach.region} copy's monitor: pnpm dr close-incident --stage ${o.reach.ctx.config.stage} --incident ${o.incident.id} --note "<what was done>"`);
    throw new RefusedError(["an incident is open in each region; say which one to close:", ...lines].join("\n"));
  }
  const [one] = chosen as [(typeof chosen)[number]];
  const closed = await closeOpenIncident(one.reach.ctx, { ...invocation, incidentId: one.incident.id });
  return { ...closed, region: one.reach.region };
}
