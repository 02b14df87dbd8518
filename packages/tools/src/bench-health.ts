/**
 * Bench for the health monitor (issue 3). Prints: the deployed bundle's size (esbuild, minified,
 * ESM for node22, @aws-sdk bundled), its cold initialisation measured locally (a fresh Node
 * process importing the bundle), and one invocation against a primary that never answers,
 * with DynamoDB (dynalite) and SNS (a local stand-in) on loopback. No AWS account needed.
 * Run: `tsx packages/tools/src/bench-health.ts` (also called by `pnpm bench`).
 */
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
// @ts-expect-error -- dynalite ships no types
import dynalite from "dynalite";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const entry = join(root, "packages/functions/src/health-monitor.ts");
const probeTimeoutMs = 5_000;
const coldRuns = 7;

export interface HealthBench {
  bundleKB: number;
  bundleGzipKB: number;
  largestInputsKB: [string, number][];
  coldInitMs: { median: number; min: number; max: number; runs: number };
  hungPrimary: { invocationMs: number; probeTimeoutMs: number; healthy: boolean };
}

/** The child: import the bundle (cold init), optionally invoke once, report on a marked line. */
const runner = `
const t0 = performance.now();
const mod = await import(process.argv[2]);
const initMs = performance.now() - t0;
let invocationMs, out;
if (process.argv[3] === "invoke") {
  const context = { functionName: "health-monitor", functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:eu-central-1:123456789012:function:health-monitor", memoryLimitInMB: "256", awsRequestId: "bench", logGroupName: "/aws/lambda/health-monitor", logStreamName: "bench", getRemainingTimeInMillis: () => 30000 };
  const t1 = performance.now();
  out = await mod.handler({ time: new Date().toISOString() }, context);
  invocationMs = performance.now() - t1;
}
process.stdout.write("\\nBENCH " + JSON.stringify({ initMs, invocationMs, out }) + "\\n");
process.exit(0);
`;

export async function benchHealth(): Promise<HealthBench> {
  const dir = await mkdtemp(join(tmpdir(), "bench-health-"));
  const servers: Server[] = [];
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: "node",
      target: "node22",
      format: "esm",
      outfile: join(dir, "index.mjs"),
      mainFields: ["module", "main"],
      // As SST deploys ESM: CommonJS dependencies still call require().
      banner: { js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);" },
      metafile: true,
      logLevel: "error",
    });
    const output = Object.values(result.metafile.outputs)[0];
    const bytes = output?.bytes ?? 0;
    const gz = gzipSync(await readFile(join(dir, "index.mjs"))).length;
    const byPackage = new Map<string, number>();
    for (const [file, info] of Object.entries(output?.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file.split("node_modules/.pnpm/").pop() ?? file)?.[1] ?? "(project)";
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + info.bytesInOutput);
    }
    const largestInputsKB = [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, n]): [string, number] => [name, round(n / 1024)]);
    await writeFile(join(dir, "run.mjs"), runner);

    // Local stand-ins: a primary that accepts connections and never answers; DynamoDB; SNS.
    const hung = await listen(createServer(() => undefined), servers);
    const sns = await listen(createServer((req, res) => fakeSnsPublish(req.headers["content-type"] ?? "", res)), servers);
    const dynamo = await listen(dynalite({ createTableMs: 0 }) as Server, servers);
    const table = "bench-state";
    const ddb = new DynamoDBClient({ region: "eu-central-1", endpoint: dynamo, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    ddb.destroy();
    const env = {
      ...process.env,
      AWS_REGION: "eu-central-1",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo,
      AWS_ENDPOINT_URL_SNS: sns,
      AWS_ENDPOINT_URL_SFN: "http://127.0.0.1:9",
      STATE_TABLE: table,
      TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:bench",
      STATE_MACHINE_ARN: "arn:aws:states:eu-central-1:123456789012:stateMachine:bench",
      PRIMARY_HEALTH_URL: `${hung}/health.php`,
      FAILURE_THRESHOLD: "3",
      PROBE_TIMEOUT_MS: String(probeTimeoutMs),
      PROBES_PER_CHECK: "3",
      PROBE_SPACING_MS: "100",
      AUTO_FAILOVER: "true",
      POWERTOOLS_TRACE_ENABLED: "false",
      POWERTOOLS_SERVICE_NAME: "pilot-light",
      POWERTOOLS_METRICS_NAMESPACE: "PilotLight",
    };
    const bundle = join(dir, "index.mjs");
    const inits: number[] = [];
    for (let i = 0; i < coldRuns; i++) inits.push((await runChild(dir, bundle, env, false)).initMs);
    const invoked = await runChild(dir, bundle, env, true);
    const summary = invoked.out as { healthy: boolean } | undefined;
    inits.sort((a, b) => a - b);
    return {
      bundleKB: round(bytes / 1024),
      bundleGzipKB: round(gz / 1024),
      largestInputsKB,
      coldInitMs: { median: round(inits[Math.floor(inits.length / 2)] ?? 0), min: round(inits[0] ?? 0), max: round(inits.at(-1) ?? 0), runs: inits.length },
      hungPrimary: {
        invocationMs: round(invoked.invocationMs ?? 0),
        probeTimeoutMs,
        healthy: summary?.healthy ?? true,
      },
    };
  } finally {
    for (const s of servers) {
      s.closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

interface ChildReport {
  initMs: number;
  invocationMs?: number;
  out?: unknown;
}

function runChild(cwd: string, bundle: string, env: NodeJS.ProcessEnv, invoke: boolean): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(cwd, "run.mjs"), bundle, invoke ? "invoke" : "init"], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH "));
      if (code !== 0 || !line) return reject(new Error(`bench child failed (${code}): ${stderr || stdout}`.slice(0, 2000)));
      resolve(JSON.parse(line.slice(6)) as ChildReport);
    });
  });
}

function fakeSnsPublish(contentType: string, res: ServerResponse): void {
  if (contentType.includes("json")) {
    res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end(JSON.stringify({ MessageId: "bench" }));
    return;
  }
  res
    .writeHead(200, { "content-type": "text/xml" })
    .end(
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>bench</MessageId></PublishResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>',
    );
}

async function listen(server: Server, servers: Server[]): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function printHealthBench(b: HealthBench): void {
  const within = b.hungPrimary.invocationMs <= b.hungPrimary.probeTimeoutMs + 1000;
  console.log("Health monitor (packages/functions/src/health-monitor.ts)");
  console.log(`  bundle (esbuild, minified, esm, node22, @aws-sdk bundled): ${b.bundleKB} KB (${b.bundleGzipKB} KB gzipped), target <= 500 KB: ${b.bundleKB <= 500 ? "met" : "MISSED"}`);
  console.log(`    largest parts: ${b.largestInputsKB.map(([n, kb]) => `${n} ${kb} KB`).join(", ")}`);
  console.log(`  cold init (fresh Node ${process.versions.node} process importing the bundle, ${b.coldInitMs.runs} runs): median ${b.coldInitMs.median} ms (min ${b.coldInitMs.min}, max ${b.coldInitMs.max})`);
  console.log(
    `  one invocation, primary never answers (probe timeout ${b.hungPrimary.probeTimeoutMs} ms, 3 probes 100 ms apart): ${b.hungPrimary.invocationMs} ms, check ${b.hungPrimary.healthy ? "PASSED (unexpected)" : "failed as it should"}, target <= ${b.hungPrimary.probeTimeoutMs + 1000} ms: ${within ? "met" : "MISSED"}`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printHealthBench(await benchHealth());
}
