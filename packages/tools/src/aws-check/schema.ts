/**
 * Every resource of a synthesized template checked against CloudFormation's own resource
 * schemas as @aws-cdk/aws-service-spec (Apache-2.0) carries them: the type exists, every
 * property is one the type has, each value has the property's type (string, number, integer,
 * boolean, JSON, list, map, nested type, tag) and one of its allowed values where the schema
 * lists them, and every required property is present. An intrinsic function (Ref, Fn::*) stands
 * for a value CloudFormation resolves at deploy: it is accepted where any scalar or list may be.
 * Custom resources (`Custom::*`, AWS::CloudFormation::CustomResource) take any properties but
 * ServiceToken, and AWS::CDK::Metadata is CDK's own bookkeeping that CloudFormation ignores.
 * The service spec keeps no string patterns, so patterns are not checked here.
 */
import { loadAwsServiceSpecSync } from "@aws-cdk/aws-service-spec";

type SpecDb = ReturnType<typeof loadAwsServiceSpecSync>;

interface PropertyType {
  type: string;
  allowedValues?: (string | number)[];
  element?: PropertyType;
  types?: PropertyType[];
  reference?: { $ref: string };
}

interface SpecProperty {
  required?: boolean;
  type: PropertyType;
  previousTypes?: PropertyType[];
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

let loaded: SpecDb | undefined;
/** The service spec database (a few seconds to load, once per process). */
export function serviceSpec(): SpecDb {
  loaded ??= loadAwsServiceSpecSync();
  return loaded;
}

const isIntrinsic = (v: unknown): boolean => {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === "Ref" || keys[0]!.startsWith("Fn::"));
};

/** Whether `value` has the type; the reason when it has not. */
function typeErrors(db: SpecDb, t: PropertyType, value: unknown, path: string): string[] {
  if (isIntrinsic(value)) return [];
  switch (t.type) {
    case "string":
    case "date-time": {
      if (typeof value !== "string" && typeof value !== "number") return [`${path}: expected a string, got ${JSON.stringify(value)}`];
      if (t.allowedValues && !t.allowedValues.includes(String(value))) return [`${path}: ${JSON.stringify(value)} is not one of ${t.allowedValues.join(", ")}`];
      return [];
    }
    case "number":
    case "integer": {
      // CloudFormation takes numbers written as strings.
      const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof n !== "number" || Number.isNaN(n)) return [`${path}: expected a ${t.type}, got ${JSON.stringify(value)}`];
      if (t.type === "integer" && !Number.isInteger(n)) return [`${path}: expected an integer, got ${JSON.stringify(value)}`];
      if (t.allowedValues && !t.allowedValues.includes(n)) return [`${path}: ${n} is not one of ${t.allowedValues.join(", ")}`];
      return [];
    }
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false" ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
    case "json":
      return [];
    case "null":
      return value === null ? [] : [`${path}: expected null`];
    case "tag":
      return value && typeof value === "object" && "Key" in value && "Value" in value ? [] : [`${path}: expected a tag { Key, Value }, got ${JSON.stringify(value)}`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected a list, got ${JSON.stringify(value)}`];
      return value.flatMap((v, i) => typeErrors(db, t.element as PropertyType, v, `${path}[${i}]`));
    case "map":
      if (!value || typeof value !== "object" || Array.isArray(value)) return [`${path}: expected a map, got ${JSON.stringify(value)}`];
      return Object.entries(value).flatMap(([k, v]) => typeErrors(db, t.element as PropertyType, v, `${path}.${k}`));
    case "union": {
      const each = (t.types ?? []).map((u) => typeErrors(db, u, value, path));
      return each.some((e) => e.length === 0) ? [] : [`${path}: matches none of its types (${each.map((e) => e[0]).join(" | ")})`];
    }
    case "ref": {
      const definition = db.get("typeDefinition", (t.reference as { $ref: string }).$ref) as unknown as { name: string; properties: Record<string, SpecProperty> };
      if (!value || typeof value !== "object" || Array.isArray(value)) return [`${path}: expected a ${definition.name} object, got ${JSON.stringify(value)}`];
      return propertiesErrors(db, definition.properties, value as Record<string, unknown>, path);
    }
    default:
      return [`${path}: the checker does not know the schema type ${t.type}`];
  }
}

function propertiesErrors(db: SpecDb, spec: Record<string, SpecProperty>, values: Record<string, unknown>, path: string): string[] {
  const errors: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const property = spec[name];
    if (!property) {
      errors.push(`${path}.${name}: no such property`);
      continue;
    }
    // A property whose type changed over time accepts its previous types too.
    const candidates = [property.type, ...(property.previousTypes ?? [])].map((t) => typeErrors(db, t, value, `${path}.${name}`));
    if (!candidates.some((c) => c.length === 0)) errors.push(...(candidates[0] ?? []));
  }
  for (const [name, property] of Object.entries(spec)) {
    if (property.required && !(name in values)) errors.push(`${path}.${name}: required, missing`);
  }
  return errors;
}

/** Schema errors of one resource, each "LogicalId (Type).Path: what is wrong". */
export function resourceErrors(db: SpecDb, logicalId: string, resource: TemplateResource): string[] {
  const where = `${logicalId} (${resource.Type})`;
  if (resource.Type === "AWS::CDK::Metadata") return [];
  if (resource.Type.startsWith("Custom::") || resource.Type === "AWS::CloudFormation::CustomResource") {
    return resource.Properties?.ServiceToken === undefined ? [`${where}.ServiceToken: required, missing`] : [];
  }
  const found = db.lookup("resource", "cloudFormationType", "equals", resource.Type);
  if (found.length === 0) return [`${where}: no such resource type`];
  const spec = (found[0] as unknown as { properties: Record<string, SpecProperty> }).properties;
  return propertiesErrors(db, spec, resource.Properties ?? {}, where);
}

/** Schema errors of every resource in a template. */
export function templateErrors(template: { Resources?: Record<string, TemplateResource> }, db: SpecDb = serviceSpec()): string[] {
  return Object.entries(template.Resources ?? {}).flatMap(([id, r]) => resourceErrors(db, id, r));
}
