/**
 * Traffic in the runbook. Route 53 failover routing already sends users to DR when the
 * primary's health check fails; this step pins them there, because a recovering old primary
 * holds stale data. Pinning = UPSERT the PRIMARY failover record (SetIdentifier "primary")
 * as an alias of the DR ALB with no health check; the switchback points it back at the primary's
 * ALB with its health check (pointPrimaryRecord, one function for both). Repeating either is a no-op.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { callAws } from "../errors";
import { RecordNotFailoverPairError } from "../workflow/errors";

export interface DnsTarget {
  hostedZoneId: string;
  recordName: string;
  /** The DR ALB's DNS name and canonical hosted zone id. */
  drAlbDns: string;
  drAlbZoneId: string;
}

export const primarySetIdentifier = "primary";

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/** Whether an alias target names the given ALB (Route 53 may prefix "dualstack." and add a dot). */
export function aliasPointsAt(record: ResourceRecordSet | undefined, albDns: string): boolean {
  const target = record?.AliasTarget?.DNSName?.toLowerCase().replace(/^dualstack\./, "").replace(/\.$/, "");
  return target === albDns.toLowerCase().replace(/^dualstack\./, "").replace(/\.$/, "");
}

export async function readPrimaryRecord(r53: Route53Client, t: DnsTarget): Promise<ResourceRecordSet> {
  const out = await callAws("route53:ListResourceRecordSets", () =>
    r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: t.hostedZoneId,
        StartRecordName: fqdn(t.recordName),
        StartRecordType: "A",
        StartRecordIdentifier: primarySetIdentifier,
        MaxItems: 2,
      }),
    ),
  );
  const record = out.ResourceRecordSets?.find(
    (r) => fqdn(r.Name ?? "") === fqdn(t.recordName) && r.Type === "A" && r.SetIdentifier === primarySetIdentifier,
  );
  if (!record) {
    throw new RecordNotFailoverPairError(
      `no PRIMARY failover record ${t.recordName} (SetIdentifier "primary") in zone ${t.hostedZoneId}: users cannot be moved by this stage. ` +
        "A simple record (an adopted primary's) must become a failover pair: pnpm deploy:all --stage <stage> --apply-adoption (docs/adopt.md); " +
        "until then, point the record at the DR load balancer by hand (docs/runbook.md)",
    );
  }
  return record;
}

export interface DnsSwitch {
  switched: boolean;
  alreadyPinned: boolean;
  changeId: string | null;
  insync: boolean;
  /** The record before the change (plain JSON in the execution state), for the record of the run. */
  previous: Record<string, unknown> | null;
  requestedAt: string;
  insyncAt: string | null;
  attempts: number;
}

const toJson = (record: ResourceRecordSet): Record<string, unknown> => JSON.parse(JSON.stringify(record)) as Record<string, unknown>;

/** Whether the PRIMARY record is pinned to the DR ALB now (an alias of it, no health check). */
export async function isPinnedToDr(r53: Route53Client, t: DnsTarget): Promise<boolean> {
  const current = await readPrimaryRecord(r53, t);
  return aliasPointsAt(current, t.drAlbDns) && !current.HealthCheckId;
}

/** The PRIMARY failover record: its hosted zone and name. */
export interface RecordRef {
  hostedZoneId: string;
  recordName: string;
}

/** Where the PRIMARY record sends users: a load balancer, with or without the record's health check. */
export interface RecordTarget {
  albDns: string;
  albZoneId: string;
  /** The Route 53 health check the Dns stack puts on the record (the primary's); absent, the record is pinned. */
  healthCheckId?: string;
}

/**
 * Points the PRIMARY record at `to`: an alias of its load balancer, with its health check (and
 * the target's health evaluated) when one is given, else pinned (no health check, no target
 * health: users stay there whatever the checks say). Reads first: already so is success with no
 * change. The record before the change is returned (`previous`).
 */
export async function pointPrimaryRecord(r53: Route53Client, t: RecordRef, to: RecordTarget, now: Date): Promise<DnsSwitch> {
  const at = now.toISOString();
  const current = await readPrimaryRecord(r53, { ...t, drAlbDns: "", drAlbZoneId: "" });
  const currentCheck = current.HealthCheckId ? current.HealthCheckId : undefined;
  if (aliasPointsAt(current, to.albDns) && currentCheck === to.healthCheckId) {
    return { switched: true, alreadyPinned: true, changeId: null, insync: true, previous: null, requestedAt: at, insyncAt: at, attempts: 0 };
  }
  const pointed: ResourceRecordSet = {
    Name: fqdn(t.recordName),
    Type: "A",
    SetIdentifier: primarySetIdentifier,
    Failover: "PRIMARY",
    ...(to.healthCheckId ? { HealthCheckId: to.healthCheckId } : {}),
    AliasTarget: { DNSName: to.albDns, HostedZoneId: to.albZoneId, EvaluateTargetHealth: to.healthCheckId !== undefined },
  };
  const comment = to.healthCheckId ? "pilot-light: PRIMARY record back to its load balancer and health check" : "pilot-light failover: pin traffic to DR";
  const out = await callAws("route53:ChangeResourceRecordSets", () =>
    r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: t.hostedZoneId, ChangeBatch: { Comment: comment, Changes: [{ Action: "UPSERT", ResourceRecordSet: pointed }] } })),
  );
  const changeId = out.ChangeInfo?.Id ?? null;
  const insync = out.ChangeInfo?.Status === "INSYNC";
  return { switched: true, alreadyPinned: false, changeId, insync, previous: toJson(current), requestedAt: at, insyncAt: insync ? at : null, attempts: 0 };
}

/** Pins the PRIMARY record to the DR ALB (the failover's direction of pointPrimaryRecord; the fence's DNS part). */
export async function pinToDr(r53: Route53Client, t: DnsTarget, now: Date): Promise<DnsSwitch> {
  return pointPrimaryRecord(r53, t, { albDns: t.drAlbDns, albZoneId: t.drAlbZoneId }, now);
}

/** One poll of the DNS loop: INSYNC means every Route 53 name server answers the new record. */
export async function checkChange(r53: Route53Client, previous: DnsSwitch, now: Date): Promise<DnsSwitch> {
  if (previous.insync || previous.changeId === null) return { ...previous, attempts: previous.attempts + 1 };
  const id = previous.changeId;
  const out = await callAws("route53:GetChange", () => r53.send(new GetChangeCommand({ Id: id })));
  const insync = out.ChangeInfo?.Status === "INSYNC";
  return { ...previous, insync, insyncAt: insync ? now.toISOString() : null, attempts: previous.attempts + 1 };
}
