/**
 * No deploy replaces data: the diff engine behind `cdk diff` (@aws-cdk/cloudformation-diff,
 * Apache-2.0) between two syntheses of the same stage says, for each resource, whether
 * CloudFormation will update it in place, replace it (a new physical resource: for a database,
 * bucket, table, key or secret, the data is gone or orphaned) or remove it. This lists every
 * data-holding resource the change would replace (or may replace) or remove.
 */
import { fullDiff, ResourceImpact } from "@aws-cdk/cloudformation-diff";

/** Resources whose replacement or removal loses data, or the key to it. */
export const dataTypes = ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::KMS::Key", "AWS::SecretsManager::Secret"];

const losing = new Set<string>([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE, ResourceImpact.WILL_DESTROY, ResourceImpact.WILL_ORPHAN]);

export interface DataChange {
  stack: string;
  logicalId: string;
  type: string;
  impact: string;
  /** The properties whose change causes it (empty for a removal). */
  properties: string[];
}

type Templates = Record<string, Record<string, unknown>>;

/** Every data-holding resource that going from `before` to `after` (templates by stack) replaces or removes. */
export function dataChanges(before: Templates, after: Templates): DataChange[] {
  const changes: DataChange[] = [];
  for (const [stack, template] of Object.entries(before)) {
    const diff = fullDiff(template, after[stack] ?? {});
    diff.resources.forEachDifference((logicalId, change) => {
      const type = change.oldResourceType ?? change.newResourceType ?? "";
      if (!dataTypes.includes(type) || !losing.has(change.changeImpact)) return;
      const properties = Object.entries(change.propertyUpdates)
        .filter(([, p]) => p.changeImpact !== undefined && losing.has(p.changeImpact))
        .map(([name]) => name);
      changes.push({ stack, logicalId, type, impact: change.changeImpact, properties });
    });
  }
  return changes;
}

export const describeChange = (c: DataChange) => `${c.stack}/${c.logicalId} (${c.type}): ${c.impact}${c.properties.length ? ` by ${c.properties.join(", ")}` : ""}`;

/**
 * The deploys checked, as pairs of the stacks tests' stored variants of one stage
 * (stacks/test/support/variants.ts): the deploy story and plausible settings changes.
 */
export const deployChanges: { what: string; from: string; to: string }[] = [
  { what: "as deployed → failed over (and re-protected)", from: "switching-before", to: "switching-after" },
  { what: "failed over → switched back", from: "switching-after", to: "switching-before" },
  { what: "as deployed → settings changed (task counts, health schedule, alert addresses, instance class, RPO budget, DNS added)", from: "switching-before", to: "switching-settings" },
  { what: "settings changed → back (DNS removed)", from: "switching-settings", to: "switching-before" },
  { what: "settings changed → failed over", from: "switching-settings", to: "switching-after" },
  { what: "settings changed → own application (prebuilt image, container port, health path, environment, secrets, task size)", from: "switching-settings", to: "switching-ownapp" },
];
