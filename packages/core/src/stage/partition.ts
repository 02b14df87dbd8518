/**
 * The partition of a region, for every ARN built from one: `aws-cn` for cn-*, `aws-us-gov` for
 * us-gov-*, `aws` for the commercial regions (and any region the data does not know yet, as the
 * SDK resolves it). Read from the partition data the AWS SDK's own endpoint resolution uses
 * (@aws-sdk/core), so a new partition comes with an SDK update, not an edit here.
 */
import { partition } from "@aws-sdk/core/client";

export function partitionOf(region: string): string {
  return partition(region).name;
}

/** arn:<partition of region>:<service>:<region>:<account>:<resource>; region "" for global resources (IAM, S3 buckets). */
export function arnIn(partitionRegion: string, service: string, region: string, account: string, resource: string): string {
  return `arn:${partitionOf(partitionRegion)}:${service}:${region}:${account}:${resource}`;
}
