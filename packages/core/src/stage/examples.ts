/**
 * The example values stacks/stages.ts ships (a hosted zone id ending in EXAMPLE, names under
 * the domains RFC 2606 reserves for documentation) left in a production stage: a deploy with
 * them would wait on a certificate in a zone that is not the team's and mail nobody. Refused
 * before synthesis, naming each setting to replace.
 */
import { ValidationError } from "../errors";

/** RFC 2606: example.com/.net/.org and the .example, .test, .invalid, .localhost top-level names. */
const reservedDomain = /(^|\.)(example\.(com|net|org)|[^.]+\.(example|test|invalid|localhost))\.?$|^(example|test|invalid|localhost)\.?$/i;

export interface ExampleSettings {
  isDevelopment: boolean;
  alertEmails: string[];
  dns?: { hostedZoneId: string; hostedZoneName: string; recordName: string } | undefined;
}

/** Each setting that still holds a documentation example, as `path (value)`. */
export function exampleValues(settings: ExampleSettings): string[] {
  const found: string[] = [];
  if (settings.dns) {
    if (/EXAMPLE$/.test(settings.dns.hostedZoneId)) found.push(`dns.hostedZoneId (${settings.dns.hostedZoneId})`);
    if (reservedDomain.test(settings.dns.hostedZoneName)) found.push(`dns.hostedZoneName (${settings.dns.hostedZoneName})`);
    if (reservedDomain.test(settings.dns.recordName)) found.push(`dns.recordName (${settings.dns.recordName})`);
  }
  settings.alertEmails.forEach((address, i) => {
    if (reservedDomain.test(address.slice(address.lastIndexOf("@") + 1))) found.push(`alertEmails.${i} (${address})`);
  });
  return found;
}

/**
 * Throws a ValidationError naming every example value of a production stage (isDevelopment:
 * false). Development stages may keep them: the tests synthesize dnsdemo and nobody deploys it
 * as a service.
 */
export function refuseExampleValues(stage: string, settings: ExampleSettings): void {
  if (settings.isDevelopment) return;
  const found = exampleValues(settings);
  if (found.length === 0) return;
  throw new ValidationError(
    `stage "${stage}" still holds the example values of stacks/stages.ts: ${found.join(", ")}. Replace them with your Route 53 hosted zone (its id and name), the record users resolve and your on-call addresses before synthesizing or deploying it (docs/first-deploy.md, step 1).`,
  );
}
