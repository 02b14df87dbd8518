/**
 * What a whole test run did with each function's grants, for `pnpm check:aws`: when
 * PILOT_LIGHT_IAM_USAGE names a folder (the packages tests' global setup sets it), each process
 * appends JSON lines to its own file there: every role it enforced and every statement-action
 * pair a call was allowed by (once each), and one line per authorised, denied or unattributed
 * call (the figures). Nothing is written otherwise.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { FunctionRole, PolicyStatement } from "./iam";

export type UsageLine =
  | { kind: "role"; functionId: string; statements: PolicyStatement[] }
  | { kind: "use"; functionId: string; statement: PolicyStatement; action: string }
  | { kind: "call"; verdict: "allowed" }
  | { kind: "call"; verdict: "unattributed"; api: string; function?: string }
  | { kind: "call"; verdict: "denied"; functionId: string; action: string; resource: string };

/** This process's file per folder, and the once-only lines it already wrote. */
class UsageLog {
  static readonly #files = new Map<string, { fd: number; written: Set<string> }>();

  static write(line: UsageLine, once: boolean): void {
    const dir = process.env.PILOT_LIGHT_IAM_USAGE;
    if (!dir) return;
    let file = UsageLog.#files.get(dir);
    if (!file) {
      file = { fd: openSync(join(dir, `${process.pid}.jsonl`), "a"), written: new Set() };
      UsageLog.#files.set(dir, file);
      const fd = file.fd;
      process.once("exit", () => closeSync(fd));
    }
    const text = JSON.stringify(line);
    if (once) {
      if (file.written.has(text)) return;
      file.written.add(text);
    }
    writeSync(file.fd, `${text}\n`);
  }
}

/** A role the world enforces (its grants, whether or not a call uses them). */
export function logRole(role: FunctionRole): void {
  UsageLog.write({ kind: "role", functionId: role.functionId, statements: role.statements }, true);
}

/** A call the role allowed, by which statement, for which action. */
export function logAllowed(role: FunctionRole, statement: number, action: string): void {
  logRole(role);
  const granted = role.statements[statement];
  if (granted) UsageLog.write({ kind: "use", functionId: role.functionId, statement: granted, action }, true);
}

/** A call every request of which its role allowed. */
export function logAuthorised(): void {
  UsageLog.write({ kind: "call", verdict: "allowed" }, false);
}

export function logDenied(role: FunctionRole, action: string, resource: string): void {
  UsageLog.write({ kind: "call", verdict: "denied", functionId: role.functionId, action, resource }, false);
}

/** A call made outside any function, or by one the world holds no role for: not checked. */
export function logUnattributed(api: string, fn: string | undefined): void {
  UsageLog.write({ kind: "call", verdict: "unattributed", api, ...(fn ? { function: fn } : {}) }, false);
}
