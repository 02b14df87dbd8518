/**
 * Each region's ALB /health.php over real local HTTP, answered from the world's state:
 * 200 when the region is up and a healthy target can reach its database, else 503; like the
 * application's, a 200 says whether that database is read-only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorldState } from "./model";

export interface HealthServer {
  /** e.g. http://127.0.0.1:PORT/eu-central-1/health.php */
  url(region: string): string;
  close(): Promise<void>;
}

/** `world` may be a getter, so one server can serve a fresh world per test. */
export async function startHealthServer(worldOrGetter: WorldState | (() => WorldState)): Promise<HealthServer> {
  const current = typeof worldOrGetter === "function" ? worldOrGetter : () => worldOrGetter;
  const server: Server = createServer((req, res) => {
    const world = current();
    const match = /^\/([a-z0-9-]+)\/health\.php$/.exec(req.url ?? "");
    const status = match?.[1] ? world.healthStatus(match[1]) : 404;
    world.calls.push({ api: "http:GET /health.php", region: match?.[1] ?? "?", input: req.url, atMs: world.clock.nowMs(), attempt: 1 });
    res.writeHead(status, { "content-type": "application/json" });
    // As /health.php: `readOnly` from the database the region's tasks use (a replica is read-only).
    const svc = [...world.services.values()].find((x) => x.region === match?.[1]);
    res.end(JSON.stringify({ status: status === 200 ? "ok" : "unavailable", ...(status === 200 && svc ? { readOnly: !world.isWritable(svc.database) } : {}) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (region) => `http://127.0.0.1:${port}/${region}/health.php`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
