/**
 * Readiness of an adopting stage's DR task definition (docs/adopt.md, "The DR task definition
 * follows yours"): the failover's scale-up starts the latest revision of the mirror family
 * (`<prefix>-web-mirror`), which must mirror the revision the team's service runs now, or a
 * failover starts something else. Judged from what ECS shows in both regions: the mirror's
 * `pilot-light.mirror-of` label against the team service's current revision, which ECS never
 * changes in place (a new deploy is a new ARN). Read-only.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient, type TaskDefinition } from "@aws-sdk/client-ecs";
import { mirrorLabels, mirrorTaskDefinition, MirrorRefusedError } from "../adoption/mirror";
import type { Finding, Read } from "./index";

export interface MirrorObservation {
  family: string;
  /** The rule whose target is MirrorTaskDefinition (its function's name is CloudFormation's). */
  scheduleRule: string;
  drRegion: string;
  /** What a failover starts (the mirror family's latest revision, else the DR service's own), and the team revision its label says it mirrors (null: not a mirror). */
  dr: { arn: string; family: string; mirrorOf: string | null; registeredAt: string | null };
  /** The team's service's current revision in the primary region, and why the mirror refuses it (null: it does not). */
  team: Read<{ service: string; arn: string; refused: string | null }>;
}

/** The command that runs one mirror pass now (the schedule rule names the function). */
export function mirrorCommand(o: Pick<MirrorObservation, "scheduleRule" | "drRegion">): string {
  return `aws lambda invoke --region ${o.drRegion} --function-name "$(aws events list-targets-by-rule --region ${o.drRegion} --rule ${o.scheduleRule} --query 'Targets[0].Arn' --output text)" /dev/stdout`;
}

export function mirrorFinding(o: MirrorObservation, now: Date): Finding {
  const check = "task-definition-mirror";
  const run = `run the mirror (${mirrorCommand(o)}) or wait for its next pass`;
  const team = o.team;
  if (team.ok && team.value.refused) {
    return { check, ok: false, detail: `mirror failing: ${team.value.refused}; a failover starts ${o.dr.arn}`, action: `change what the reason names, then ${run}` };
  }
  if (o.dr.family !== o.family || !o.dr.mirrorOf) {
    return {
      check,
      ok: false,
      detail: `never mirrored: ${o.family} has no revision, so a failover would start ${o.dr.arn}, pilot-light's own definition, not yours${team.ok ? ` (${team.value.arn})` : ""}`,
      action: run,
    };
  }
  if (!team.ok) {
    // The primary region may be the one that is down: the mirror's latest revision is what a failover starts.
    const age = o.dr.registeredAt ? `, registered ${Math.round((now.getTime() - Date.parse(o.dr.registeredAt)) / 60_000)} minutes ago` : "";
    return { check, ok: true, detail: `a failover starts ${o.dr.arn}, a mirror of ${o.dr.mirrorOf}${age}; your service could not be read to compare (${team.error})` };
  }
  if (team.value.arn !== o.dr.mirrorOf) {
    return { check, ok: false, detail: `mirror stale: you deployed ${team.value.arn} (${team.value.service}), a failover starts ${o.dr.arn}, a mirror of ${o.dr.mirrorOf}`, action: run };
  }
  return { check, ok: true, detail: `a failover starts ${o.dr.arn}, a mirror of ${team.value.arn}, what ${team.value.service} runs` };
}

const labelOf = (d: TaskDefinition | undefined, label: string) => d?.containerDefinitions?.map((c) => c.dockerLabels?.[label]).find((v) => v !== undefined) ?? null;

/**
 * The team's service and its current revision (primary region), and whether the mirror would
 * refuse it, judged with the DR definition and load balancer target the DR service has now.
 */
export async function teamRevision(
  primaryEcs: ECSClient,
  team: { cluster: string; service: string },
  dr: { definition: TaskDefinition; target: { containerName: string; containerPort: number } | null },
  regions: { primaryRegion: string; drRegion: string; family: string },
): Promise<{ service: string; arn: string; refused: string | null }> {
  const svc = (await primaryEcs.send(new DescribeServicesCommand({ cluster: team.cluster, services: [team.service] }))).services?.[0];
  const lb = svc?.loadBalancers?.[0];
  if (!svc?.taskDefinition) throw new Error(`no ECS service ${team.service} in cluster ${team.cluster} (${regions.primaryRegion})`);
  const definition = (await primaryEcs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }))).taskDefinition ?? {};
  let refused: string | null = null;
  if (!lb?.containerName || lb.containerPort === undefined || !dr.target) refused = `your service ${team.service} or the DR service sends no load balancer traffic to a container`;
  else {
    try {
      mirrorTaskDefinition(definition, { containerName: lb.containerName, containerPort: lb.containerPort }, dr.definition, dr.target, { family: regions.family, primaryRegion: regions.primaryRegion, drRegion: regions.drRegion, endpoints: { primary: "", dr: "" } });
    } catch (error) {
      if (!(error instanceof MirrorRefusedError)) throw error;
      refused = error.message;
    }
  }
  return { service: team.service, arn: svc.taskDefinition, refused };
}

/** The DR service's revision as a mirror: its family and the team revision its label names. */
export function drRevision(definition: TaskDefinition, serviceTaskDefinition: string): MirrorObservation["dr"] {
  const arn = definition.taskDefinitionArn ?? serviceTaskDefinition;
  return {
    arn,
    family: definition.family ?? (arn.split("/").pop() ?? "").split(":")[0] ?? "",
    mirrorOf: labelOf(definition, mirrorLabels.source),
    registeredAt: definition.registeredAt ? new Date(definition.registeredAt).toISOString() : null,
  };
}
