/**
 * Bench for the health monitor (issue 3). Prints: the deployed bundle's size (built as SST v2
 * builds it, with SST's own esbuild and the project's `lambdaNodejs` props), its cold
 * initialisation measured locally (a fresh Node
 * process importing the bundle), and one invocation against a primary that never answers,
 * with DynamoDB (dynalite) and SNS (a local stand-in) on loopback. No AWS account needed.
 * Run: `tsx packages/tools/src/bench-health.ts` (also called by `pnpm bench`).
 */
import type * as esbuild from "esbuild";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
// @ts-expect-error -- dynalite ships no types
import dynalite from "dynalite";
import { lambdaNodejs } from "../../../stacks/bundling";

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
let mod;
try {
  mod = await import(process.argv[2]);
} catch (error) {
  process.stdout.write("\\nINIT-ERROR " + JSON.stringify(String(error?.name) + ": " + String(error?.message)) + "\\n");
  process.exit(1);
}
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

/** SST's own esbuild (sst 2.49.8 pins 0.18.13), not the workspace's newer one. */
export function sstEsbuild(): typeof esbuild {
  const sst = createRequire(join(root, "package.json")).resolve("sst/package.json");
  return createRequire(sst)("esbuild") as typeof esbuild;
}

/**
 * The options sst 2.49.8 (runtime/handlers/node.js) passes to esbuild in deploy mode for a
 * function with the project's `lambdaNodejs` props: ESM (its require/__dirname banner),
 * `keepNames`, a linked sourcemap (the `.map` is not part of the code Lambda loads).
 * `stacks/test/monitor.test.ts` checks the result is byte-identical to SST's own build.
 */
export function sstBuildOptions(): esbuild.BuildOptions & { metafile: true } {
  return {
    platform: "node",
    external: ["sharp", "pg-native", ...lambdaNodejs.esbuild.external],
    keepNames: true,
    bundle: true,
    metafile: true,
    format: lambdaNodejs.format,
    target: "esnext",
    mainFields: ["module", "main"],
    banner: {
      js: [
        `import { createRequire as topLevelCreateRequire } from 'module';`,
        `const require = topLevelCreateRequire(import.meta.url);`,
        `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
        `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
        "",
      ].join("\n"),
    },
    sourcemap: true,
    minify: lambdaNodejs.minify,
  };
}

export interface MonitorBundle {
  dir: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes in the output per input file (paths as esbuild reports them). */
  inputs: Record<string, number>;
}

/** Builds the monitor into a fresh temporary directory with nothing beside it (no node_modules). */
export async function buildMonitorBundle(): Promise<MonitorBundle> {
  const dir = await mkdtemp(join(tmpdir(), "bench-health-"));
  // Named as SST names it, so the sourcemap trailer matches too.
  const file = join(dir, "health-monitor.mjs");
  const result = await sstEsbuild().build({ ...sstBuildOptions(), entryPoints: [entry], outfile: file, logLevel: "error" });
  const output = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith(".mjs"))?.[1];
  const inputs = Object.fromEntries(Object.entries(output?.inputs ?? {}).map(([f, info]) => [f, info.bytesInOutput]));
  await writeFile(join(dir, "run.mjs"), runner);
  return { dir, file, bytes: output?.bytes ?? 0, gzipBytes: gzipSync(await readFile(file)).length, inputs };
}

/** The npm package an esbuild input path belongs to, or "(project)". */
export function packageOf(input: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.split("node_modules/.pnpm/").pop() ?? input)?.[1] ?? "(project)";
}

export interface StandIns {
  /** A Lambda-like environment: the function's variables and credentials, nothing of this shell's. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Local stand-ins for what the monitor talks to: the primary (`primary` answers its requests),
 * DynamoDB (dynalite, with the state table), SNS (accepts Publish), and no Step Functions.
 */
export async function startStandIns(primary: RequestListener, probeTimeout = probeTimeoutMs): Promise<StandIns> {
  const servers: Server[] = [];
  const close = async () => {
    for (const s of servers) {
      s.closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };
  try {
    const target = await listen(createServer(primary), servers);
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
      PATH: process.env.PATH ?? "",
      // What Lambda sets for every function: region and the execution role's credentials.
      AWS_REGION: "eu-central-1",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_SESSION_TOKEN: "bench",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo,
      AWS_ENDPOINT_URL_SNS: sns,
      AWS_ENDPOINT_URL_SFN: "http://127.0.0.1:9",
      STATE_TABLE: table,
      TOPIC_ARN: "arn:aws:sns:eu-central-1:123456789012:bench",
      STATE_MACHINE_ARN: "arn:aws:states:eu-central-1:123456789012:stateMachine:bench",
      PRIMARY_HEALTH_URL: `${target}/health.php`,
      FAILURE_THRESHOLD: "3",
      PROBE_TIMEOUT_MS: String(probeTimeout),
      PROBES_PER_CHECK: "3",
      PROBE_SPACING_MS: "100",
      AUTO_FAILOVER: "true",
      POWERTOOLS_TRACE_ENABLED: "false",
      POWERTOOLS_SERVICE_NAME: "pilot-light",
      POWERTOOLS_METRICS_NAMESPACE: "PilotLight",
    };
    return { env, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function benchHealth(): Promise<HealthBench> {
  const bundle = await buildMonitorBundle();
  // A primary that accepts connections and never answers.
  const world = await startStandIns(() => undefined);
  try {
    const byPackage = new Map<string, number>();
    for (const [file, bytes] of Object.entries(bundle.inputs)) byPackage.set(packageOf(file), (byPackage.get(packageOf(file)) ?? 0) + bytes);
    const largestInputsKB = [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([name, n]): [string, number] => [name, round(n / 1024)]);
    const inits: number[] = [];
    for (let i = 0; i < coldRuns; i++) inits.push((await runBundle(bundle, world.env, "init")).initMs);
    const invoked = await runBundle(bundle, world.env, "invoke");
    const summary = invoked.out as { healthy: boolean } | undefined;
    inits.sort((a, b) => a - b);
    return {
      bundleKB: round(bundle.bytes / 1024),
      bundleGzipKB: round(bundle.gzipBytes / 1024),
      largestInputsKB,
      coldInitMs: { median: round(inits[Math.floor(inits.length / 2)] ?? 0), min: round(inits[0] ?? 0), max: round(inits.at(-1) ?? 0), runs: inits.length },
      hungPrimary: {
        invocationMs: round(invoked.invocationMs ?? 0),
        probeTimeoutMs,
        healthy: summary?.healthy ?? true,
      },
    };
  } finally {
    await world.close();
    await rm(bundle.dir, { recursive: true, force: true });
  }
}

export interface ChildReport {
  initMs: number;
  invocationMs?: number;
  out?: unknown;
}

/** Imports the bundle in a fresh Node process (cold), and with "invoke" calls the handler once. */
export function runBundle(bundle: MonitorBundle, env: Record<string, string>, mode: "init" | "invoke"): Promise<ChildReport> {
  const cwd = bundle.dir;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(cwd, "run.mjs"), bundle.file, mode], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH "));
      const initError = stdout.split("\n").find((l) => l.startsWith("INIT-ERROR "));
      if (initError) return reject(new Error(`cold start failed: ${JSON.parse(initError.slice(11)) as string}`));
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

/**
 * The monitor's bundle budget. 500 KB until the second opinion: the Route 53 client it needs
 * registers every error shape of the Route 53 API, which esbuild cannot drop (+92 KB, +6 ms
 * of cold initialisation on the bench machine). 600 KB until the monitor ran in both regions:
 * whether it may start a failover is read from RDS (its database a replica of the watched
 * region's), and the RDS client costs 90 KB more (+14 ms median cold initialisation, 71 to 85 ms
 * on the bench machine). docs/detection.md, "Bench".
 */
export const monitorBundleBudgetKB = 700;

/** The health monitor's figures, printed line by line; returns the targets it missed. */
export function printHealthBench(b: HealthBench, out: (line: string) => void = (line) => console.log(line)): string[] {
  const within = b.hungPrimary.invocationMs <= b.hungPrimary.probeTimeoutMs + 1000;
  const bundleMet = b.bundleKB <= monitorBundleBudgetKB;
  out("Health monitor (packages/functions/src/health-monitor.ts)");
  out(`  bundle (as SST deploys it: esbuild ${sstEsbuild().version}, minified ESM, keepNames, pinned @aws-sdk bundled, stacks/bundling.ts externals): ${b.bundleKB} KB (${b.bundleGzipKB} KB gzipped), target <= ${monitorBundleBudgetKB} KB: ${bundleMet ? "met" : "MISSED"}`);
  out(`    largest parts: ${b.largestInputsKB.map(([n, kb]) => `${n} ${kb} KB`).join(", ")}`);
  out(`  cold init (fresh Node ${process.versions.node} process importing the bundle, ${b.coldInitMs.runs} runs): median ${b.coldInitMs.median} ms (min ${b.coldInitMs.min}, max ${b.coldInitMs.max})`);
  out(
    `  one invocation, primary never answers (probe timeout ${b.hungPrimary.probeTimeoutMs} ms, 3 probes 100 ms apart): ${b.hungPrimary.invocationMs} ms, check ${b.hungPrimary.healthy ? "PASSED (unexpected)" : "failed as it should"}, target <= ${b.hungPrimary.probeTimeoutMs + 1000} ms: ${within ? "met" : "MISSED"}`,
  );
  return [
    ...(bundleMet ? [] : [`health monitor bundle ${b.bundleKB} KB > ${monitorBundleBudgetKB} KB`]),
    ...(within ? [] : [`health monitor invocation against a hung primary ${b.hungPrimary.invocationMs} ms > ${b.hungPrimary.probeTimeoutMs + 1000} ms`]),
    ...(b.hungPrimary.healthy ? ["health monitor passed a check against a primary that never answers"] : []),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printHealthBench(await benchHealth());
}
