/**
 * A real HTTP server on a free loopback port playing the primary ALB's /health.php.
 * Its behaviour can be switched between requests; hung requests are released on stop.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour =
  | "healthy"
  | "http-500"
  | "http-503"
  | "hang"
  | "wrong-body"
  | { slowMs: number }
  /** Answer requests in turn from this list (then repeat the last one). */
  | { sequence: Behaviour[] };

export interface PrimaryServer {
  url: string;
  behaviour: Behaviour;
  requests: number;
  stop(): Promise<void>;
}

const healthy = (region: string) => JSON.stringify({ status: "ok", db: "ok", region, time: new Date().toISOString() });

export async function startPrimaryServer(initial: Behaviour = "healthy", region = "eu-west-1"): Promise<PrimaryServer> {
  const state = { behaviour: initial, requests: 0 };
  const respond = (b: Behaviour, n: number, res: ServerResponse) => {
    if (typeof b === "object" && "sequence" in b) {
      return respond(b.sequence[Math.min(n, b.sequence.length - 1)] ?? "healthy", n, res);
    }
    if (b === "hang") return; // never answers
    if (typeof b === "object") {
      setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(healthy(region)), b.slowMs);
      return;
    }
    if (b === "healthy") return res.writeHead(200, { "content-type": "application/json" }).end(healthy(region));
    if (b === "http-500") return res.writeHead(500, { "content-type": "text/html" }).end("<h1>Internal Server Error</h1>");
    if (b === "http-503") {
      return res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "error", db: "error", region }));
    }
    return res.writeHead(200, { "content-type": "text/html" }).end("<html><body>It works!</body></html>");
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const n = state.requests++;
    if (req.url !== "/health.php") return res.writeHead(404).end();
    respond(state.behaviour, n, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health.php`,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: Behaviour) {
      state.behaviour = b;
    },
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/health.php`;
}
