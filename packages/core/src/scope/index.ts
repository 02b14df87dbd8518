/**
 * Values a handler computes once (its settings, its clients): per Lambda sandbox in AWS, per
 * emulated world in the tests and tools. No zod and no SDK here, so the health monitor's bundle
 * can use it without the rest of core.
 */
/**
 * Where a `lazy` value lives: the world the code runs in. In AWS that is the Lambda sandbox,
 * which belongs to one deployment for its whole life, so nothing ever sets this key and a value
 * is computed once per module. A harness that plays several emulated worlds in one process
 * (packages/world's `installApis`, once per world) puts a fresh object under this process-wide
 * key, and every `lazy` value (settings read from the environment, clients bound to a region
 * and an endpoint) is computed again in the new world: nothing built for one world is used in
 * another. The key is a registered symbol so the harness needs no import of this package.
 */
export const worldScopeKey = Symbol.for("pilot-light.world-scope");
const sandbox = {};
const currentScope = (): object => ((globalThis as Record<symbol, unknown>)[worldScopeKey] as object | undefined) ?? sandbox;

/** A value computed on first use and kept for the life of the Lambda sandbox (or of the emulated world: `worldScopeKey`). */
export function lazy<T>(make: () => T): () => T {
  const values = new WeakMap<object, { v: T }>();
  return () => {
    const scope = currentScope();
    let value = values.get(scope);
    if (!value) {
      value = { v: make() };
      values.set(scope, value);
    }
    return value.v;
  };
}
