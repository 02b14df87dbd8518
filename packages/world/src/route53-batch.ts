/**
 * Route 53's ChangeResourceRecordSets as AWS applies a batch: all changes or none. A CREATE of a
 * record set that exists, a DELETE that does not name an existing record set with exactly its
 * values, a failover (or any set-identifier) record beside a simple record of the same name and
 * type, or another type beside a CNAME, refuses the whole batch with InvalidChangeBatch
 * (docs/aws-behaviour.md, "Route 53 applies a change batch all or nothing").
 */
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";

export interface RecordChange {
  Action?: string;
  ResourceRecordSet?: ResourceRecordSet;
}

const fqdn = (name: string | undefined) => (name ?? "").replace(/\.?$/, ".").toLowerCase();
const sameSet = (a: ResourceRecordSet, b: ResourceRecordSet) => fqdn(a.Name) === fqdn(b.Name) && a.Type === b.Type && (a.SetIdentifier ?? "") === (b.SetIdentifier ?? "");
const describe = (r: ResourceRecordSet) => `[name='${fqdn(r.Name)}', type='${r.Type ?? ""}'${r.SetIdentifier ? `, set-identifier='${r.SetIdentifier}'` : ""}]`;

function canonical(r: ResourceRecordSet): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort({ ...r, Name: fqdn(r.Name), ...(r.AliasTarget ? { AliasTarget: { ...r.AliasTarget, DNSName: fqdn(r.AliasTarget.DNSName) } } : {}) }));
}

/** The zone's records after the batch, or the InvalidChangeBatch messages that refuse it. */
export function applyChangeBatch(records: readonly ResourceRecordSet[], changes: readonly RecordChange[]): { records: ResourceRecordSet[] } | { refused: string[] } {
  const next = records.map((r) => structuredClone(r));
  const refused: string[] = [];
  for (const change of changes) {
    const rrs = change.ResourceRecordSet;
    if (!rrs) continue;
    const i = next.findIndex((r) => sameSet(r, rrs));
    if (change.Action === "DELETE") {
      if (i < 0) refused.push(`Tried to delete resource record set ${describe(rrs)} but it was not found`);
      else if (canonical(next[i]!) !== canonical(rrs)) refused.push(`Tried to delete resource record set ${describe(rrs)} but the values provided do not match the current values`);
      else next.splice(i, 1);
      continue;
    }
    if (change.Action === "CREATE" && i >= 0) {
      refused.push(`Tried to create resource record set ${describe(rrs)} but it already exists`);
      continue;
    }
    const others = next.filter((r, j) => j !== i && fqdn(r.Name) === fqdn(rrs.Name));
    if (others.some((r) => r.Type === rrs.Type && (r.SetIdentifier === undefined) !== (rrs.SetIdentifier === undefined))) {
      refused.push(
        rrs.SetIdentifier === undefined
          ? `RRSet with DNS name ${fqdn(rrs.Name)}, type ${rrs.Type ?? ""} cannot be created as other RRSets exist with the same name and type.`
          : `RRSet with DNS name ${fqdn(rrs.Name)}, type ${rrs.Type ?? ""}, SetIdentifier ${rrs.SetIdentifier} cannot be created as a non-weighted set exists with the same name and type.`,
      );
      continue;
    }
    if (others.some((r) => r.Type !== rrs.Type && (r.Type === "CNAME" || rrs.Type === "CNAME"))) {
      refused.push(`RRSet of type ${rrs.Type ?? ""} with DNS name ${fqdn(rrs.Name)} is not permitted as it conflicts with other records with the same DNS name in zone.`);
      continue;
    }
    if (i >= 0) next[i] = structuredClone(rrs);
    else next.push(structuredClone(rrs));
  }
  return refused.length > 0 ? { refused } : { records: next };
}
