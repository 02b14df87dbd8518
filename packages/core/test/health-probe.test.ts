/**
 * One check is a burst of probes against a real HTTP server: started `spacingMs` apart, all
 * in flight together (a hung primary costs one timeout, not `count`), each ended by its own
 * timeout, decided by majority.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Health } from "@pilot-light/core";

const healthy = JSON.stringify({ status: "ok", db: "ok", region: "eu-west-1" });

/** When each request arrived (performance.now), and how many were open at most. */
let arrivals: number[] = [];
let open = 0;
let mostOpen = 0;
/** Answers the n-th request of a check (0-based); undefined: never answers. */
let answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end(healthy);

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const n = arrivals.length;
  arrivals.push(performance.now());
  open += 1;
  mostOpen = Math.max(mostOpen, open);
  const closed = () => {
    open -= 1;
  };
  res.once("close", closed);
  answer(n, res);
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health.php`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  arrivals = [];
  open = 0;
  mostOpen = 0;
  answer = (_n, res) => res.end(healthy);
});

describe("a check (a burst of probes)", () => {
  it("starts its probes at least spacingMs apart and passes when they all answer ok", async () => {
    const started = performance.now();
    const result = await Health.check(url, { timeoutMs: 2_000, count: 3, spacingMs: 60 });
    expect(result.ok).toBe(true);
    expect(result.probes.map((p) => p.ok)).toEqual([true, true, true]);
    expect(arrivals).toHaveLength(3);
    // A probe cannot reach the server before its start: i * spacing after the check began.
    arrivals.forEach((at, i) => expect(at - started).toBeGreaterThanOrEqual(i * 60 - 1));
  });

  it("keeps every probe of a hung endpoint in flight at once, each ended by its own timeout", async () => {
    answer = () => undefined;
    const result = await Health.check(url, { timeoutMs: 600, count: 3, spacingMs: 20 });
    expect(result.ok).toBe(false);
    expect(result.probes.map((p) => p.failure)).toEqual(["timeout", "timeout", "timeout"]);
    expect(result.probes[0]?.error).toBe("no complete answer within 600 ms");
    // Sequential probes would never have more than one open request.
    expect(mostOpen).toBe(3);
  });

  it("fails when a strict majority fails, and passes a single lost probe", async () => {
    answer = (n, res) => (n === 1 ? res.destroy() : res.end(healthy));
    const one = await Health.check(url, { timeoutMs: 2_000, count: 3, spacingMs: 0 });
    expect(one.ok).toBe(true);
    expect(one.probes.filter((p) => !p.ok).map((p) => p.failure)).toEqual(["connection"]);

    arrivals = [];
    answer = (n, res) => (n === 0 ? res.end(healthy) : res.writeHead(503).end(JSON.stringify({ status: "error", db: "error" })));
    const two = await Health.check(url, { timeoutMs: 2_000, count: 3, spacingMs: 0 });
    expect(two.ok).toBe(false);
    expect(two.probes.map((p) => p.failure ?? "ok").sort()).toEqual(["http-status", "http-status", "ok"]);
  });
});
