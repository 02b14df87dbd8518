/**
 * Each region's ALB health path (the stage's `application.healthPath`, /health.php by default)
 * over real local HTTP, answered from the world's state:
 * 200 when the region is up and a healthy target can reach its database, else 503; what the
 * app answers when it is broken (./vantage); like the application's, a 200 says whether that
 * database is read-only. Requests come from the DR region's Lambdas, so a partition that cuts
 * the probed region off resets the connection.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorldState } from "./model";
import { answerHealth } from "./vantage";

export interface HealthServer {
  /** e.g. http://127.0.0.1:PORT/eu-central-1/health.php (the server's health path) */
  url(region: string): string;
  close(): Promise<void>;
}

/** `world` may be a getter, so one server can serve a fresh world per test. */
export async function startHealthServer(worldOrGetter: WorldState | (() => WorldState), healthPath = "/health.php"): Promise<HealthServer> {
  const current = typeof worldOrGetter === "function" ? worldOrGetter : () => worldOrGetter;
  const server: Server = createServer((req, res) => {
    const world = current();
    const path = req.url ?? "";
    const slash = path.indexOf("/", 1);
    const region = slash > 1 && path.slice(slash) === healthPath && /^[a-z0-9-]+$/.test(path.slice(1, slash)) ? path.slice(1, slash) : undefined;
    world.calls.push({ api: `http:GET ${healthPath}`, region: region ?? "?", input: req.url, atMs: world.clock.nowMs(), attempt: 1 });
    if (!region) return void res.writeHead(404).end();
    const answer = answerHealth(world, region);
    // A region that is down answers 503 at once rather than hanging (docs/aws-behaviour.md, "What the world does not model").
    if (!answer.reached && world.regionsDown.has(region)) {
      return void res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "unavailable" }));
    }
    if (!answer.reached) return void req.socket.destroy();
    res.writeHead(answer.status, { "content-type": answer.body.startsWith("{") ? "application/json" : "text/html" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (region) => `http://127.0.0.1:${port}/${region}${healthPath}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
