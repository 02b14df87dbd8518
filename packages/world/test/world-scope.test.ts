/**
 * `Failover.lazy`: computed once per Lambda sandbox, and once per emulated world when a harness
 * runs several in one process (packages/world's installApis opens a scope per world).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Failover } from "@pilot-light/core";
import { openWorldScope } from "../src";

const scopes = globalThis as Record<symbol, unknown>;
afterEach(() => {
  delete scopes[Failover.worldScopeKey];
});

describe("Failover.lazy", () => {
  it("computes its value once while the world stays the same", () => {
    let made = 0;
    const value = Failover.lazy(() => ++made);
    expect([value(), value(), value()]).toEqual([1, 1, 1]);
  });

  it("computes its value again in a new world, and keeps each world's own", () => {
    let made = 0;
    const value = Failover.lazy(() => ++made);
    openWorldScope();
    expect(value()).toBe(1);
    openWorldScope();
    expect([value(), value()]).toEqual([2, 2]);
  });

  it("uses the key the world opens its scope under", () => {
    openWorldScope();
    const first = scopes[Failover.worldScopeKey];
    openWorldScope();
    expect(scopes[Failover.worldScopeKey]).not.toBe(first);
    expect(first).toBeTypeOf("object");
  });
});
