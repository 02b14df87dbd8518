/**
 * /health.php run by PHP's built-in server against a real MariaDB (Debian packages php-cli,
 * php-mysql, mariadb-server; .ci/run installs them): 200 with the documented body only when
 * the database answers, 503 otherwise, and `readOnly` telling a replica from a primary. The
 * Node example of docs/health-contract.md (examples/node/health.mjs) against the same database,
 * and both judged by the contract's own code (the monitor's parser, the switchback's check).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@pilot-light/core";

const publicDir = fileURLToPath(new URL("../public", import.meta.url));
const nodeExample = fileURLToPath(new URL("../examples/node/health.mjs", import.meta.url));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function requireCommand(command: string) {
  const found = spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
  if (!found) throw new Error(`${command} is missing: apt-get install php-cli php-mysql mariadb-server (.ci/run does)`);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startMariaDb(): Promise<{ port: number; socket: string }> {
  requireCommand("mariadbd");
  const dir = await mkdtemp(join(tmpdir(), "mariadb-"));
  const port = await freePort();
  const socket = join(dir, "mysqld.sock");
  const init = spawnSync("mariadb-install-db", [`--datadir=${dir}/data`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"], { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
  const child = spawn("mariadbd", [
    "--no-defaults",
    `--datadir=${dir}/data`,
    `--socket=${socket}`,
    `--port=${port}`,
    "--bind-address=127.0.0.1",
    "--user=root",
    "--skip-grant-tables",
    "--skip-log-bin",
  ]);
  children.push(child);
  await waitFor(async () => spawnSync("mariadb", [`--socket=${socket}`, "-e", "CREATE DATABASE IF NOT EXISTS app"]).status === 0, "MariaDB");
  return { port, socket };
}

async function startPhp(env: Record<string, string>): Promise<string> {
  requireCommand("php");
  const port = await freePort();
  const child = spawn("php", ["-S", `127.0.0.1:${port}`, "-t", publicDir], { env: { ...process.env, ...env } });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health.php`)).status > 0, "PHP's built-in server");
  return base;
}

async function startNodeExample(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [nodeExample], { env: { ...process.env, ...env, PORT: String(port), HEALTH_PATH: "/healthz" } });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/healthz`)).status > 0, "the Node example");
  return base;
}

/** What the monitor (Health.judgeResponse) and the switchback (readOnly: false) make of one answer. */
async function judged(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  const body = JSON.parse(text) as { readOnly?: unknown };
  return { status: res.status, contract: Health.judgeResponse(res.status, text), readOnly: body.readOnly };
}

let db: { port: number; socket: string };
beforeAll(async () => {
  db = await startMariaDb();
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

const appEnv = () => ({ DB_HOST: "127.0.0.1", DB_PORT: String(db.port), DB_NAME: "app", DB_USER: "root", DB_PASSWORD: "", APP_REGION: "eu-central-1" });

describe("/health.php", () => {
  it("answers 200 with the documented body when the database answers", async () => {
    const base = await startPhp(appEnv());
    const res = await fetch(`${base}/health.php`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await res.json()) as { time: string };
    expect(body).toMatchObject({ status: "ok", db: "ok", region: "eu-central-1", readOnly: false });
    expect(new Date(body.time).getTime()).not.toBeNaN();
  });

  it("reports readOnly when it is served by a read replica", async () => {
    spawnSync("mariadb", [`--socket=${db.socket}`, "-e", "SET GLOBAL read_only = 1"]);
    try {
      const base = await startPhp(appEnv());
      const body = await (await fetch(`${base}/health.php`)).json();
      expect(body).toMatchObject({ status: "ok", readOnly: true });
    } finally {
      spawnSync("mariadb", [`--socket=${db.socket}`, "-e", "SET GLOBAL read_only = 0"]);
    }
  });

  it("answers 503 with status error when the database does not answer", async () => {
    const base = await startPhp({ ...appEnv(), DB_PORT: String(await freePort()) });
    const res = await fetch(`${base}/health.php`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "error", db: "error" });
  });

  it("serves the application page, counting visits in the database", async () => {
    const base = await startPhp(appEnv());
    const first = await (await fetch(`${base}/`)).text();
    const second = await (await fetch(`${base}/`)).text();
    const count = (html: string) => Number(/Visit number (\d+)/.exec(html)?.[1]);
    expect(count(second)).toBe(count(first) + 1);
    expect(second).toContain("eu-central-1");
  });
});

describe.each([
  ["the PHP app's /health.php", (env: Record<string, string>) => startPhp(env), "/health.php"],
  ["the Node example (docs/health-contract.md)", (env: Record<string, string>) => startNodeExample(env), "/healthz"],
] as const)("%s, judged by the contract's code", (_what, start, path) => {
  it("passes the monitor's contract and tells a writable primary from a replica", async () => {
    const base = await start(appEnv());
    expect(await judged(`${base}${path}`)).toMatchObject({ status: 200, contract: { ok: true, region: "eu-central-1" }, readOnly: false });
    spawnSync("mariadb", [`--socket=${db.socket}`, "-e", "SET GLOBAL read_only = 1"]);
    try {
      expect(await judged(`${base}${path}`)).toMatchObject({ status: 200, contract: { ok: true }, readOnly: true });
    } finally {
      spawnSync("mariadb", [`--socket=${db.socket}`, "-e", "SET GLOBAL read_only = 0"]);
    }
  });

  it("fails the contract with the status and the body's verdict when the database does not answer", async () => {
    const base = await start({ ...appEnv(), DB_PORT: String(await freePort()) });
    expect(await judged(`${base}${path}`)).toMatchObject({ status: 503, contract: { ok: false, failure: "http-status", error: 'HTTP 503 (status "error", db "error")' } });
  });
});
