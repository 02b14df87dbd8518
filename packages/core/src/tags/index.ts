/**
 * The tags the workflows write: the fence's tag on the old primary's ECS service, the tags a
 * re-protect replica gets (copied from the instance it replaces, plus its own). RDS and ECS
 * refuse keys with AWS's reserved prefixes and characters outside one pattern
 * (docs/aws-behaviour.md, "Requests AWS refuses"); a refused tag stops the call that carries it
 * (the fence's TagResource runs before its UpdateService). Every tag writer passes what it writes
 * through here, so no free text (an execution name, an error, a reason) reaches AWS unchecked.
 * Pure.
 */

export interface Tag {
  Key: string;
  Value: string;
}

/** RDS `Tag`: keys 1-128, values 0-256 Unicode characters; ECS: the same lengths. */
export const maxKeyLength = 128;
export const maxValueLength = 256;

/** Characters RDS and ECS accept in a tag key or value: `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`. */
const allowedPattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const disallowedRun = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]+/gu;

/** `aws:` (case-insensitive: RDS, ECS, CloudFormation) and `rds:` (RDS) are AWS's own. */
export const isReserved = (text: string): boolean => /^(aws|rds):/i.test(text);

/** Whether RDS and ECS accept this as a tag key. */
export function isValidKey(key: string): boolean {
  const length = [...key].length;
  return length >= 1 && length <= maxKeyLength && allowedPattern.test(key) && !isReserved(key);
}

/** Whether RDS and ECS accept this as a tag value. */
export function isValidValue(value: string): boolean {
  return [...value].length <= maxValueLength && allowedPattern.test(value) && !isReserved(value);
}

/**
 * Free text made into a tag value both services accept: each run of other characters (brackets,
 * commas, quotes, line breaks) becomes one space, a reserved prefix is dropped, and the text is
 * cut at 256 characters. `failover x (incident y)` → `failover x incident y`.
 */
export function tagValue(text: string): string {
  let value = text.replace(disallowedRun, " ").replace(/\s+/gu, " ").trim();
  while (isReserved(value)) value = value.replace(/^(aws|rds):/i, "").trim();
  return [...value].slice(0, maxValueLength).join("").trim();
}

/**
 * The tags of an existing resource that may be given to a new one: none of AWS's own
 * (CloudFormation's `aws:cloudformation:*`, anything `rds:`), none whose key starts with one of
 * `dropPrefixes` (the workflow's own, written anew), and values made valid.
 */
export function copyableTags(tags: readonly Tag[], dropPrefixes: readonly string[] = []): Tag[] {
  return tags.filter((t) => isValidKey(t.Key) && !dropPrefixes.some((p) => t.Key.startsWith(p))).map((t) => ({ Key: t.Key, Value: tagValue(t.Value) }));
}
