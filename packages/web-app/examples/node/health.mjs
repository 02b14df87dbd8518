// The health contract (docs/health-contract.md) in Node, for an application that is not PHP:
// 200 {"status":"ok","db":"ok","readOnly":<bool>,...} only when the database answers a query
// within 2 s; otherwise 503 {"status":"error","db":"error",...}. Serve it on the path the stage
// names in application.healthPath. Needs the mysql2 package; run: node health.mjs
/* global process */
import { createServer } from "node:http";
import mysql from "mysql2/promise";

const healthPath = process.env.HEALTH_PATH ?? "/healthz";

async function health() {
  const body = { status: "ok", db: "ok", region: process.env.APP_REGION ?? "unknown", time: new Date().toISOString() };
  let connection;
  try {
    connection = await mysql.createConnection({
      host: process.env.DB_HOST,
      port: Number(process.env.DB_PORT ?? 3306),
      database: process.env.DB_NAME,
      user: process.env.DB_USER,
      password: process.env.DB_PASSWORD,
      connectTimeout: 2000,
    });
    // read_only tells a replica (1) from a writable primary (0): the switchback's verification reads it.
    const [rows] = await connection.query({ sql: "SELECT 1 AS up, @@global.read_only AS read_only", timeout: 2000 });
    body.readOnly = Number(rows[0].read_only) === 1;
    return { status: 200, body };
  } catch (error) {
    return { status: 503, body: { ...body, status: "error", db: "error", error: error.code ?? error.name } };
  } finally {
    await connection?.end().catch(() => undefined);
  }
}

createServer(async (req, res) => {
  if (req.url !== healthPath) return res.writeHead(404).end();
  const { status, body } = await health();
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(`${JSON.stringify(body)}\n`);
}).listen(Number(process.env.PORT ?? 8080));
