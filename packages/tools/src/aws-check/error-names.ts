/**
 * The world speaks AWS's error names: every error name packages/world raises for an API must
 * be one its @aws-sdk/client-* package models (the `name` of the exception class the SDK
 * throws) or one the service documents among its common errors. Mechanical: the world's sources
 * are parsed (TypeScript's own parser), each `awsError("Name", ...)` and each `deniedAs` /
 * `deniedErrors` entry is attributed to the service of the API whose answer it is (the
 * enclosing `route(..., "service:Operation", ...)` or `"service:Operation": ...` entry, through
 * the helpers that raise it), and checked against that service's client package.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { deniedErrors } from "../../../world/src/iam";

const worldSrc = fileURLToPath(new URL("../../../world/src/", import.meta.url));
const requireFromWorld = createRequire(join(worldSrc, "index.ts"));

/** The SDK client package of each service prefix the world answers. */
export const clientPackages: Record<string, string> = {
  rds: "@aws-sdk/client-rds",
  cloudwatch: "@aws-sdk/client-cloudwatch",
  ecs: "@aws-sdk/client-ecs",
  elasticloadbalancing: "@aws-sdk/client-elastic-load-balancing-v2",
  route53: "@aws-sdk/client-route-53",
  secretsmanager: "@aws-sdk/client-secrets-manager",
  states: "@aws-sdk/client-sfn",
  sns: "@aws-sdk/client-sns",
  s3: "@aws-sdk/client-s3",
  lambda: "@aws-sdk/client-lambda",
  dynamodb: "@aws-sdk/client-dynamodb",
  ssm: "@aws-sdk/client-ssm",
  kms: "@aws-sdk/client-kms",
  ecr: "@aws-sdk/client-ecr",
  iam: "@aws-sdk/client-iam",
  servicequotas: "@aws-sdk/client-service-quotas",
  cloudformation: "@aws-sdk/client-cloudformation",
  sts: "@aws-sdk/client-sts",
};

/**
 * Errors a service answers that its SDK package does not model (the SDK then throws its
 * service exception with the wire code as `name`). Sources: each API Reference's "Common
 * Errors" page (AccessDeniedException, InvalidParameterCombination, InvalidParameterValue,
 * ServiceUnavailable, ThrottlingException, ValidationError, ...); the IAM User Guide,
 * "Troubleshoot access denied error messages" (`AccessDenied` from the query and REST-XML
 * services); the Amazon S3 API Reference, "Error responses" (InvalidRequest, PermanentRedirect,
 * ReplicationConfigurationNotFoundError).
 */
export const documentedCommonErrors: Record<string, string[]> = {
  "*": ["AccessDeniedException", "IncompleteSignature", "InternalFailure", "InvalidAction", "InvalidClientTokenId", "NotAuthorized", "OptInRequired", "RequestExpired", "ServiceUnavailable", "ThrottlingException", "ValidationError", "InvalidParameterCombination", "InvalidParameterValue", "MissingParameter"],
  rds: ["AccessDenied"],
  cloudwatch: ["AccessDenied"],
  elasticloadbalancing: ["AccessDenied"],
  route53: ["AccessDenied"],
  iam: ["AccessDenied"],
  s3: ["AccessDenied", "InvalidRequest", "PermanentRedirect", "ReplicationConfigurationNotFoundError"],
};

/** The `name` of every exception class a client package exports. */
export function modelledErrorNames(service: string): Set<string> {
  const pkg = clientPackages[service];
  if (!pkg) throw new Error(`no SDK client package known for ${service}`);
  const exports = requireFromWorld(pkg) as Record<string, unknown>;
  // The client's base exception (`<Service>ServiceException`), not a modelled error that happens to be named `ServiceException` (Service Quotas has one).
  const base = Object.entries(exports).find(([k]) => k.endsWith("ServiceException") && k !== "ServiceException")?.[1] as (new (...a: never[]) => Error) | undefined;
  if (!base) throw new Error(`${pkg} exports no service exception`);
  const names = new Set<string>();
  for (const value of Object.values(exports)) {
    if (typeof value === "function" && value.prototype instanceof base) {
      names.add((new (value as new (o: object) => Error)({ message: "", $metadata: {} })).name);
    }
  }
  return names;
}

export interface RaisedError {
  name: string;
  service: string;
  /** file:line */
  where: string;
}

const apiOf = (text: string) => (/^(\w+):\w+$/.test(text) ? text.split(":")[0] : undefined);

/** Every literal error name the world's sources raise, with the service(s) it answers for. */
export function worldErrorNames(): RaisedError[] {
  const found: RaisedError[] = [];
  for (const file of readdirSync(worldSrc).filter((f) => f.endsWith(".ts"))) {
    const source = ts.createSourceFile(file, readFileSync(join(worldSrc, file), "utf8"), ts.ScriptTarget.Latest, true);
    const calls: ts.CallExpression[] = [];
    /** Functions by name, with the block they are visible in (helpers of the same name may differ by scope). */
    const named: { name: string; node: ts.Node; scope: ts.Node }[] = [];
    const scopeOf = (node: ts.Node) => {
      let n = node.parent;
      while (n && !ts.isBlock(n) && !ts.isSourceFile(n)) n = n.parent;
      return n;
    };
    const raised: { name: string; node: ts.Node }[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node)) calls.push(node);
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))) named.push({ name: node.name.text, node: node.initializer, scope: scopeOf(node) });
      if (ts.isFunctionDeclaration(node) && node.name) named.push({ name: node.name.text, node, scope: scopeOf(node) });
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "awsError" && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) raised.push({ name: node.arguments[0].text, node });
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "deniedAs" && ts.isObjectLiteralExpression(node.initializer)) {
        const nameProperty = node.initializer.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === "name");
        if (nameProperty && ts.isStringLiteral(nameProperty.initializer)) raised.push({ name: nameProperty.initializer.text, node });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    const servicesOf = (node: ts.Node, seen: Set<string>): string[] => {
      for (let n: ts.Node | undefined = node; n; n = n.parent) {
        if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "route") {
          const api = n.arguments.find((a): a is ts.StringLiteral => ts.isStringLiteral(a) && apiOf(a.text) !== undefined);
          if (api) return [apiOf(api.text) as string];
        }
        if (ts.isPropertyAssignment(n) && ts.isStringLiteral(n.name) && apiOf(n.name.text)) return [apiOf(n.name.text) as string];
        const helper = named.find((h) => h.node === n);
        if (helper && !seen.has(helper.name)) {
          seen.add(helper.name);
          const within = (c: ts.Node) => c.getStart() >= helper.scope.getStart() && c.getEnd() <= helper.scope.getEnd();
          const uses = calls.filter((c) => ts.isIdentifier(c.expression) && c.expression.text === helper.name && within(c));
          return [...new Set(uses.flatMap((u) => servicesOf(u, seen)))];
        }
      }
      return [];
    };
    for (const r of raised) {
      const where = `packages/world/src/${file}:${source.getLineAndCharacterOfPosition(r.node.getStart()).line + 1}`;
      const services = servicesOf(r.node, new Set());
      if (services.length === 0) found.push({ name: r.name, service: "?", where });
      for (const service of services) found.push({ name: r.name, service, where });
    }
  }
  for (const [service, denied] of Object.entries(deniedErrors)) found.push({ name: denied.name, service, where: "packages/world/src/iam.ts deniedErrors" });
  return found;
}

/** Each error name the world raises that its service's SDK package neither models nor documents. */
export function errorNameFindings(raised: RaisedError[] = worldErrorNames()): string[] {
  const modelled = new Map<string, Set<string>>();
  return raised.flatMap((r) => {
    if (r.service === "?") return [`${r.where}: ${r.name} is raised outside any API the world answers`];
    let names = modelled.get(r.service);
    if (!names) modelled.set(r.service, (names = modelledErrorNames(r.service)));
    const known = names.has(r.name) || [...(documentedCommonErrors["*"] ?? []), ...(documentedCommonErrors[r.service] ?? [])].includes(r.name);
    return known ? [] : [`${r.where}: ${r.service} raises ${r.name}, which ${clientPackages[r.service]} does not model and the service does not document`];
  });
}
