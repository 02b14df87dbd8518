/**
 * What @aws-cdk/aws-service-spec leaves out of CloudFormation's registry schemas: each property's
 * string `pattern`, `minLength`/`maxLength` and `minimum`/`maximum`. @awboost/cfn-resource-types
 * (generated from the registry's resource schemas; package.json says MIT, its LICENSE file
 * Apache-2.0, both permissive; a tool dependency, never in a Lambda bundle) keeps them as JSDoc
 * tags on each property of its per-resource type declarations (`@pattern`, `@minLength`,
 * `@maxLength`, `@min`, `@max`). This reads those tags with the TypeScript parser, follows nested
 * property types, and checks every literal value of a template against them. Intrinsic functions
 * (Ref, Fn::*) stand for values CloudFormation resolves at deploy and are not checked; a property
 * the declarations do not know is left to ./schema.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ts from "typescript";

interface Field {
  pattern?: RegExp;
  /** A pattern JavaScript cannot read: named in the figures, never passed in silence. */
  unreadable?: string;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  /** A nested property type, by its name in the same declaration file. */
  ref?: string;
  list?: boolean;
  map?: boolean;
}

interface ResourceFields {
  properties: string;
  types: Map<string, Record<string, Field>>;
}

export interface ConstraintFigures {
  /** Literal values checked against at least one constraint. */
  checked: number;
  errors: string[];
  /** Resource types the declarations do not have (unchecked, named). */
  uncovered: string[];
  /** Values whose pattern JavaScript cannot read (unchecked, named). */
  unreadable: string[];
}

const require = createRequire(import.meta.url);
const loaded = new Map<string, ResourceFields | undefined>();

const tagNumber = (text: string) => Number(text);

/**
 * A registry pattern as a JavaScript RegExp; undefined if it is not one. The declarations escape
 * `&` and `"` as HTML entities and a comment's end, `*` then `/`, as `*\/` or as `/`, a zero-width
 * joiner, `*` (ECR's repository filter: the registry's `(?:[._-][a-z0-9]*)*\/)*` reads
 * `(?:[._-][a-z0-9]*)/\u200d*)*` there; a JSDoc comment cannot hold its end); some registry
 * patterns use the `\A` and `\Z` anchors of Java and Python and its `(?s)` flag, written otherwise in JavaScript.
 */
function regExp(written: string): RegExp | undefined {
  const dotAll = written.startsWith("(?s)");
  const source = (dotAll ? written.slice(4) : written)
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&")
    .replaceAll("*\\/", "*/")
    .replaceAll("/\u200d*", "*/")
    .replace(/\\[Zz]/g, "$")
    .replace(/\\A/g, "^");
  for (const flags of ["", "u"]) {
    try {
      return new RegExp(source, dotAll ? `${flags}s` : flags);
    } catch {
      // Try the next flags.
    }
  }
  return undefined;
}

/** The type a property declares: a nested type by name, a list or a map of one, or a scalar. */
function shape(type: ts.TypeNode | undefined): Pick<Field, "ref" | "list" | "map"> {
  if (!type) return {};
  if (ts.isArrayTypeNode(type)) return { ...shape(type.elementType), list: true };
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    if (type.typeName.text === "Record") return { ...shape(type.typeArguments?.[1]), map: true };
    return { ref: type.typeName.text };
  }
  return {};
}

function fieldsOf(members: ts.NodeArray<ts.TypeElement>): Record<string, Field> {
  const fields: Record<string, Field> = {};
  for (const member of members) {
    if (!ts.isPropertySignature(member) || !member.name || !(ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) continue;
    const field: Field = shape(member.type);
    for (const tag of ts.getJSDocTags(member)) {
      const text = (typeof tag.comment === "string" ? tag.comment : "").trim().replace(/^`([\s\S]*)`$/, "$1");
      switch (tag.tagName.text) {
        case "pattern":
          field.pattern = regExp(text);
          if (!field.pattern) field.unreadable = text;
          break;
        case "minLength":
          field.minLength = tagNumber(text);
          break;
        case "maxLength":
          field.maxLength = tagNumber(text);
          break;
        case "min":
          field.min = tagNumber(text);
          break;
        case "max":
          field.max = tagNumber(text);
          break;
      }
    }
    fields[member.name.text] = field;
  }
  return fields;
}

/** The declarations of one resource type (read once per process), or undefined when the package has none. */
export function resourceFields(cfnType: string): ResourceFields | undefined {
  if (loaded.has(cfnType)) return loaded.get(cfnType);
  let file: string | undefined;
  try {
    file = require.resolve(`@awboost/cfn-resource-types/${cfnType.replaceAll("::", "-")}`).replace(/\.js$/, ".d.ts");
  } catch {
    file = undefined;
  }
  let result: ResourceFields | undefined;
  if (file) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const types = new Map<string, Record<string, Field>>();
    let properties: string | undefined;
    for (const statement of source.statements) {
      if (ts.isTypeAliasDeclaration(statement) && ts.isTypeLiteralNode(statement.type)) types.set(statement.name.text, fieldsOf(statement.type.members));
      if (ts.isClassDeclaration(statement)) {
        // `class X extends $Resource<"AWS::S::T", XProperties, XAttributes>`
        const args = statement.heritageClauses?.[0]?.types[0]?.typeArguments;
        const props = args?.[1];
        if (props && ts.isTypeReferenceNode(props) && ts.isIdentifier(props.typeName)) properties = props.typeName.text;
      }
    }
    if (properties) result = { properties, types };
  }
  loaded.set(cfnType, result);
  return result;
}

const isIntrinsic = (v: unknown): boolean => {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === "Ref" || keys[0]!.startsWith("Fn::"));
};

function scalarErrors(field: Field, value: unknown, path: string, figures: ConstraintFigures): string[] {
  if (typeof value !== "string" && typeof value !== "number") return [];
  if (field.unreadable) figures.unreadable.push(`${path}: ${field.unreadable}`);
  const constrained = field.pattern || field.minLength !== undefined || field.maxLength !== undefined || field.min !== undefined || field.max !== undefined;
  if (!constrained) return [];
  figures.checked += 1;
  const errors: string[] = [];
  const text = String(value);
  if (field.pattern && !field.pattern.test(text)) errors.push(`${path}: ${JSON.stringify(value)} does not match the pattern ${field.pattern.source}`);
  if (typeof value === "string" && field.minLength !== undefined && value.length < field.minLength) errors.push(`${path}: ${JSON.stringify(value)} is shorter than ${field.minLength}`);
  if (typeof value === "string" && field.maxLength !== undefined && value.length > field.maxLength) errors.push(`${path}: ${JSON.stringify(value).slice(0, 80)} is longer than ${field.maxLength} (${value.length})`);
  const n = typeof value === "number" ? value : text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isNaN(n) && field.min !== undefined && n < field.min) errors.push(`${path}: ${n} is below the minimum ${field.min}`);
  if (!Number.isNaN(n) && field.max !== undefined && n > field.max) errors.push(`${path}: ${n} is above the maximum ${field.max}`);
  return errors;
}

function valueErrors(r: ResourceFields, field: Field, value: unknown, path: string, figures: ConstraintFigures, inCollection = false): string[] {
  if (isIntrinsic(value)) return [];
  if (field.list && !inCollection) {
    if (!Array.isArray(value)) return [];
    // On a list, the declarations' minLength/maxLength are the schema's minItems/maxItems.
    const count: string[] = [];
    if (field.minLength !== undefined || field.maxLength !== undefined) figures.checked += 1;
    if (field.minLength !== undefined && value.length < field.minLength) count.push(`${path}: ${value.length} items, fewer than ${field.minLength}`);
    if (field.maxLength !== undefined && value.length > field.maxLength) count.push(`${path}: ${value.length} items, more than ${field.maxLength}`);
    const item = { ...field, minLength: undefined, maxLength: undefined };
    return [...count, ...value.flatMap((v, i) => valueErrors(r, item, v, `${path}[${i}]`, figures, true))];
  }
  if (field.map && !inCollection) return value && typeof value === "object" && !Array.isArray(value) ? Object.entries(value).flatMap(([k, v]) => valueErrors(r, field, v, `${path}.${k}`, figures, true)) : [];
  if (field.ref) {
    const nested = r.types.get(field.ref);
    return nested && value && typeof value === "object" && !Array.isArray(value) ? objectErrors(r, nested, value as Record<string, unknown>, path, figures) : [];
  }
  return scalarErrors(field, value, path, figures);
}

function objectErrors(r: ResourceFields, fields: Record<string, Field>, values: Record<string, unknown>, path: string, figures: ConstraintFigures): string[] {
  return Object.entries(values).flatMap(([name, value]) => {
    const field = fields[name];
    return field ? valueErrors(r, field, value, `${path}.${name}`, figures) : [];
  });
}

/** Pattern, length and bound errors of every resource in a template, each "LogicalId (Type).Path: what is wrong". */
export function constraintErrors(template: { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> }, figures: ConstraintFigures = { checked: 0, errors: [], uncovered: [], unreadable: [] }): ConstraintFigures {
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (!resource.Type.startsWith("AWS::") || resource.Type === "AWS::CDK::Metadata" || resource.Type === "AWS::CloudFormation::CustomResource") continue;
    const r = resourceFields(resource.Type);
    if (!r) {
      if (!figures.uncovered.includes(resource.Type)) figures.uncovered.push(resource.Type);
      continue;
    }
    figures.errors.push(...objectErrors(r, r.types.get(r.properties) ?? {}, resource.Properties ?? {}, `${id} (${resource.Type})`, figures));
  }
  return figures;
}
