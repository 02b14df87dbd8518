/**
 * The project commands' command lines (synth, deploy:all, bench, catalogue), in-process with injected
 * effects: --help and -h with usage and examples, exit code 2 for usage mistakes, progress on a
 * terminal only, and deploy:all --remove asking for the stage name as `pnpm dr failover` does.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Io } from "../src/cli/program";
import { parseCommandLine } from "../src/cli/args";
import { run as checkAws } from "../src/check-aws";
import { run as rehearse } from "../../rehearsal/src/cli";
import { run as bench, type BenchDeps } from "../src/bench";
import type { HealthBench } from "../src/bench-health";
import type { ProfileBench } from "../../rehearsal/src/bench";
import { run as deploy, type DeployDeps } from "../src/deploy";
import { run as synth, synthToDisk, type SynthDeps } from "../src/synth";
import { run as catalogue } from "../src/cli/permissions";

function io(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const channel: Io = { out: (t) => out.push(t), err: (t) => err.push(t), isTTY };
  return { io: channel, out, err, text: () => out.join("\n"), errors: () => err.join("\n") };
}

const notCalled = (what: string) => () => {
  throw new Error(`${what} must not run`);
};

const healthy: HealthBench = {
  bundleKB: 500,
  bundleGzipKB: 150,
  largestInputsKB: [["@aws-sdk/client-dynamodb", 100]],
  coldInitMs: { median: 60, min: 55, max: 70, runs: 7 },
  hungPrimary: { invocationMs: 5200, probeTimeoutMs: 5000, healthy: false },
};

const q = (p50: number, p95 = p50) => ({ p50, p95 });
/** One profile's figures, every target met unless `change` says otherwise. */
const profileBench = (change: Partial<ProfileBench> = {}): ProfileBench => ({
  profile: "default",
  runs: 2,
  failedOver: 2,
  notFailedOver: {},
  detection: q(600),
  orchestration: q(400),
  rto: q(1000),
  overhead: q(8),
  baselineOrchestration: q(700),
  ratio: 0.57,
  wallMs: q(900),
  transitions: q(40),
  unexpected: [],
  ...change,
});

const benchDeps = (calls: string[] = [], profiles: ProfileBench[] = []): BenchDeps => ({
  health: async () => {
    calls.push("health");
    return healthy;
  },
  rehearsal: async (seeds) => {
    calls.push(`rehearsal ${seeds}`);
    return profiles;
  },
});

function deployDeps(answer = "", calls: string[][] = []): DeployDeps & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    sst: (args) => {
      calls.push(args);
      return 0;
    },
    describeReplica: async () => ({ ReadReplicaSourceDBInstanceIdentifier: "arn:aws:rds:eu-west-1:1:db:p" }),
    replacementCheck: async () => undefined,
    recordDeployed: (config) => {
      calls.push(["record", config.stage]);
      return "stacks/deployed-settings.json";
    },
    adoption: notCalled("the adoption plan (a stage that adopts no primary)"),
    describeParameterGroups: async () => [{ database: "pilot-light-alice-primary", template: "pilot-light-alice-primary", live: "pilot-light-alice-primary", templateReadOnly: false }],
    ask: async (q) => {
      asked.push(q);
      return answer;
    },
  };
}

const synthDeps: SynthDeps = { synthToDisk: notCalled("synth") as unknown as SynthDeps["synthToDisk"] };

describe.each([
  ["pnpm synth", (argv: string[], c: Io) => synth(argv, c, synthDeps), ["--stage", "--out"], ["--stage", "alice", "--dev"]],
  ["pnpm deploy:all", (argv: string[], c: Io) => deploy(argv, c, { ...deployDeps(), sst: notCalled("sst") }), ["--stage", "--plan", "--remove", "--yes"], ["--stage", "alice", "--dev"]],
  ["pnpm bench", (argv: string[], c: Io) => bench(argv, c, { health: notCalled("bench"), rehearsal: notCalled("bench") }), ["--seeds", "--only", "--json", "--scenario-seeds"], []],
  ["pnpm catalogue", (argv: string[], c: Io) => catalogue(argv, c, notCalled("writing the catalogue")), [], []],
] as const)("%s", (name, run, options, valid) => {
  it.each([["--help"], ["-h"]])("%s prints usage, options and examples and does nothing else", async (flag) => {
    const h = io();
    expect(await run([flag], h.io)).toBe(0);
    expect(h.text()).toMatch(new RegExp(`^Usage: ${name} \\[options\\]`));
    for (const o of options) expect(h.text()).toContain(o);
    expect(h.text()).toContain(`Examples:\n  $ ${name}`);
  });

  it("exits 2 for an unknown option and points at --help", async () => {
    const h = io();
    expect(await run([...valid, "--frobnicate"], h.io)).toBe(2);
    expect(h.errors()).toMatch(/unknown option '--frobnicate'[\s\S]*--help/);
  });
});

describe("pnpm bench", () => {
  it.each([
    [[], ["health", "rehearsal 50"]],
    [["--seeds", "5"], ["health", "rehearsal 5"]],
    [["--only", "health"], ["health"]],
    [["--only", "rehearsal", "--seeds", "2"], ["rehearsal 2"]],
  ])("%j runs %j", async (argv, expected) => {
    const calls: string[] = [];
    expect(await bench(argv, io().io, benchDeps(calls), {})).toBe(0);
    expect(calls).toEqual(expected);
  });

  it("exits 0 and says so when every target is met and every run ended as its scenario expects", async () => {
    const h = io();
    expect(await bench(["--only", "rehearsal", "--seeds", "2"], h.io, benchDeps([], [profileBench()]), {})).toBe(0);
    expect(h.text()).toContain("Every target met");
  });

  it.each([
    ["nothing failed over (NaN figures)", { failedOver: 0, overhead: q(Number.NaN), ratio: Number.NaN, unexpected: [{ seed: 1, expected: "failed-over", actual: "refused" }] }, /regional-outage seed 1[\s\S]*overhead p50 NaN s > 10 s/],
    ["the overhead target missed", { overhead: q(18) }, /overhead p50 18 s > 10 s/],
    ["a run that ended otherwise than its scenario expects", { unexpected: [{ seed: 7, expected: "failed-over", actual: "refused" }] }, /regional-outage seed 7 \(default\): ended refused, expected failed-over/],
  ])("exits 1 with %s, listing what was missed", async (_name, change, listed) => {
    const h = io();
    expect(await bench(["--only", "rehearsal", "--seeds", "2"], h.io, benchDeps([], [profileBench(change)]), {})).toBe(1);
    expect(h.text()).toMatch(/MISSED \(\d+\):/);
    expect(h.text()).toMatch(listed);
    expect(h.text()).not.toContain("NaN s  p95");
  });

  it("exits 1 when the health monitor misses its bundle budget", async () => {
    const deps = { ...benchDeps(), health: async () => ({ ...healthy, bundleKB: 900 }) };
    expect(await bench(["--only", "health"], io().io, deps, {})).toBe(1);
  });

  it("writes only the figures as JSON to stdout with --json -, people's lines to stderr", async () => {
    const h = io();
    expect(await bench(["--only", "rehearsal", "--seeds", "2", "--json", "-"], h.io, benchDeps([], [profileBench({ overhead: q(18) })]), {})).toBe(1);
    expect(h.out).toHaveLength(1);
    const figures = JSON.parse(h.out[0]!) as { seeds: number; rehearsal: ProfileBench[]; missed: string[] };
    expect(figures.seeds).toBe(2);
    expect(figures.rehearsal[0]?.overhead.p50).toBe(18);
    expect(figures.missed).toEqual(["default: overhead p50 18 s > 10 s"]);
    expect(h.errors()).toContain("Rehearsal: regional-outage over 2 seeds");
  });

  it.each([[["--seeds", "0"]], [["--seeds", "many"]], [["--only", "cpu"]]])("rejects %j with exit 2", async (argv) => {
    const calls: string[] = [];
    expect(await bench(argv, io().io, benchDeps(calls), {})).toBe(2);
    expect(calls).toEqual([]);
  });
});

describe("a stage stacks/stages.ts does not configure", () => {
  it.each([
    ["pnpm synth", (argv: string[], c: Io) => synth(argv, c, synthDeps)],
    ["pnpm deploy:all", (argv: string[], c: Io) => deploy(argv, c, { ...deployDeps(), sst: notCalled("sst") })],
  ] as const)("%s refuses a typo (prdo) with exit 2, naming the near stage and --dev, and does nothing", async (_name, run) => {
    const h = io();
    expect(await run(["--stage", "prdo"], h.io)).toBe(2);
    expect(h.errors()).toMatch(/unknown stage "prdo": stacks\/stages.ts configures dnsdemo, prod \(did you mean prod\?\)\. For a personal development stage with the default settings, add --dev\./);
  });

  it("is synthesized with --dev, and so is the default personal stage dev without it", async () => {
    const stages: string[] = [];
    const fake: SynthDeps = { synthToDisk: async (stage) => (stages.push(stage), []) };
    expect(await synth(["--stage", "prdo", "--dev"], io().io, fake)).toBe(0);
    expect(await synth([], io().io, fake)).toBe(0);
    expect(stages).toEqual(["prdo", "dev"]);
  });
});

describe("the example prod stage, as stacks/stages.ts ships it", () => {
  it("is refused by pnpm synth, naming each example value to replace, before anything is synthesized", async () => {
    const synthesized: string[] = [];
    const deps: SynthDeps = {
      synthToDisk: (stage, out, onPhase) =>
        synthToDisk(stage, out, onPhase, async (s, region) => {
          synthesized.push(`${s} ${region}`);
          throw new Error("synthesized");
        }),
    };
    await expect(synth(["--stage", "prod", "--out", "/nonexistent/pilot-light-out"], io().io, deps)).rejects.toThrow(
      /^stage "prod" still holds the example values of stacks\/stages.ts: dns.hostedZoneId \(Z0123456789EXAMPLE\), dns.hostedZoneName \(example.com\), dns.recordName \(www.example.com\), alertEmails.0 \(oncall@example.com\)\. Replace them .*docs\/first-deploy.md/,
    );
    expect(synthesized).toEqual([]);
  });

  it("is refused by pnpm deploy:all, which runs no step", async () => {
    const calls: string[][] = [];
    await expect(deploy(["--stage", "prod"], io().io, deployDeps("", calls))).rejects.toThrow(/stage "prod" still holds the example values/);
    expect(calls).toEqual([]);
  });
});

describe("pnpm deploy:all", () => {
  it.each([
    ["no credentials", Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }), /Set credentials for the stage's account/],
    ["no network", Object.assign(new Error("getaddrinfo ENOTFOUND rds.eu-central-1.amazonaws.com"), { code: "ENOTFOUND" }), /This is the network, not your credentials/],
  ])("gives pnpm dr's advice for %s, and deploys nothing", async (_what, failure, advice) => {
    const calls: string[][] = [];
    const h = io();
    const deps = { ...deployDeps("", calls), describeReplica: async () => Promise.reject(failure) };
    expect(await deploy(["--stage", "dnsdemo"], h.io, deps)).toBe(1);
    expect(h.errors()).toMatch(advice);
    expect(h.errors()).toContain("eu-central-1");
    expect(calls).toEqual([]);
  });

  it("exits 2 without --stage", async () => {
    const h = io();
    expect(await deploy([], h.io, deployDeps())).toBe(2);
    expect(h.errors()).toContain("required option '--stage <stage>' not specified");
  });

  it("refuses --remove without a terminal and without --yes, removing nothing", async () => {
    const calls: string[][] = [];
    const h = io(false);
    expect(await deploy(["--stage", "alice", "--dev", "--remove"], h.io, deployDeps("", calls))).toBe(1);
    expect(calls).toEqual([]);
    expect(h.errors()).toMatch(/needs a person's confirmation.*--yes/);
  });

  it("asks on a terminal and removes nothing unless the stage name is typed", async () => {
    const calls: string[][] = [];
    const deps = deployDeps("yes", calls);
    expect(await deploy(["--stage", "alice", "--dev", "--remove"], io(true).io, deps)).toBe(1);
    expect(deps.asked[0]).toMatch(/REMOVES stage "alice" from eu-central-1 and then eu-west-1[\s\S]*Type the stage name \(alice\)/);
    expect(calls).toEqual([]);
  });

  it("removes the DR region, then the primary, once the stage name is typed", async () => {
    const calls: string[][] = [];
    expect(await deploy(["--stage", "alice", "--dev", "--remove"], io(true).io, deployDeps("alice", calls))).toBe(0);
    expect(calls.map((a) => [a[0], a[4]])).toEqual([
      ["remove", "eu-central-1"],
      ["remove", "eu-west-1"],
    ]);
  });

  it("removes with --yes without asking (scripts)", async () => {
    const calls: string[][] = [];
    const deps = deployDeps("", calls);
    expect(await deploy(["--stage", "alice", "--dev", "--remove", "--yes"], io(false).io, deps)).toBe(0);
    expect(deps.asked).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it("deploys without asking: a deploy is not destructive", async () => {
    const calls: string[][] = [];
    const deps = deployDeps("", calls);
    expect(await deploy(["--stage", "alice", "--dev"], io(false).io, deps)).toBe(0);
    expect(deps.asked).toEqual([]);
    expect(calls.map((a) => a[0])).toEqual(["deploy", "deploy", "deploy", "record"]);
  });

  it("records the settings that replace data only after every step deployed", async () => {
    const calls: string[][] = [];
    const failing = { ...deployDeps("", calls), sst: (args: string[]) => (calls.push(args), calls.length === 2 ? 1 : 0) };
    expect(await deploy(["--stage", "alice", "--dev"], io(false).io, failing)).toBe(1);
    expect(calls.map((a) => a[0])).toEqual(["deploy", "deploy"]);
    const planned: string[][] = [];
    expect(await deploy(["--stage", "alice", "--dev", "--plan"], io(false).io, deployDeps("", planned))).toBe(0);
    expect(planned).toEqual([]);
  });

  it("exits 2 for --allow-replace of a setting that replaces no data, naming those that do", async () => {
    const h = io(false);
    expect(await deploy(["--stage", "alice", "--dev", "--allow-replace", "drTaskCount"], h.io, { ...deployDeps(), sst: notCalled("sst") })).toBe(2);
    expect(h.errors()).toContain("those are: primaryRegion, drRegion");
  });

  it("refuses to deploy over a failover the stage's settings do not know about", async () => {
    const calls: string[][] = [];
    const h = io(false);
    expect(await deploy(["--stage", "alice", "--dev"], h.io, { ...deployDeps("", calls), describeReplica: async () => ({}) })).toBe(1);
    expect(calls).toEqual([]);
    expect(h.errors()).toContain('activeRegion: "dr"');
  });

  it("refuses to deploy a synthesis that would replace deployed data, running no step", async () => {
    const calls: string[][] = [];
    const h = io(false);
    const why = "This deploy would replace or remove data in eu-west-1";
    expect(await deploy(["--stage", "alice", "--dev"], h.io, { ...deployDeps("", calls), replacementCheck: async () => why })).toBe(1);
    expect(calls).toEqual([]);
    expect(h.errors()).toContain(why);
  });

  it("refuses to deploy while a template's group holds a fence and the database under its name uses another", async () => {
    const calls: string[][] = [];
    const h = io(false);
    const fenced = async () => [
      { database: "pilot-light-alice-primary", template: "pilot-light-alice-primary", live: "pilot-light-alice-primary-g20260101030000", templateReadOnly: true },
      { database: "pilot-light-alice-replica", template: "pilot-light-alice-replica", live: "pilot-light-alice-replica-g20260101050000", templateReadOnly: false },
    ];
    expect(await deploy(["--stage", "alice", "--dev"], h.io, { ...deployDeps("", calls), describeParameterGroups: fenced })).toBe(1);
    expect(calls).toEqual([]);
    expect(h.errors()).toContain("holds read_only = 1");
  });
});

describe("pnpm synth", () => {
  const fake: SynthDeps = {
    synthToDisk: async (_stage, _out, onPhase = () => undefined) => {
      onPhase({ index: 1, total: 2, what: "primary region eu-west-1: SST app, Lambda bundles, cdk-nag" });
      onPhase({ index: 1, total: 2, what: "primary region eu-west-1: SST app, Lambda bundles, cdk-nag", seconds: 41.2 });
      return [{ region: "eu-west-1", stack: "Network", file: "out/x/eu-west-1/Network.template.json", resources: 30, nagErrors: 0 }];
    },
  };

  it("announces each phase on a terminal, on stderr", async () => {
    const h = io(true);
    expect(await synth(["--stage", "alice", "--dev"], h.io, fake)).toBe(0);
    expect(h.err).toEqual(["[1/2] primary region eu-west-1: SST app, Lambda bundles, cdk-nag …", "[1/2] ✓ primary region eu-west-1: SST app, Lambda bundles, cdk-nag (41.2 s)"]);
    expect(h.text()).toContain("Network");
  });

  it("prints one line per phase, when it ends, when not on a terminal (a CI log is never silent for a minute)", async () => {
    const h = io(false);
    expect(await synth(["--stage", "alice", "--dev"], h.io, fake)).toBe(0);
    expect(h.err).toEqual(["[1/2] ✓ primary region eu-west-1: SST app, Lambda bundles, cdk-nag (41.2 s)"]);
  });

  it("exits 1 when a stack has cdk-nag errors", async () => {
    const failing: SynthDeps = { synthToDisk: async () => [{ region: "eu-west-1", stack: "Data", file: "f", resources: 1, nagErrors: 2 }] };
    expect(await synth(["--stage", "alice", "--dev"], io().io, failing)).toBe(1);
  });

  it("rejects a stage name SST cannot use with exit 2", async () => {
    expect(await synth(["--stage", "Alice_1"], io().io, synthDeps)).toBe(2);
  });
});

describe("the command lines the README and docs/ give", () => {
  const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  const texts = ["README.md", ...readdirSync(root("docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)].map((file) => [file, readFileSync(root(file), "utf8")] as const);
  const scripts = Object.keys((JSON.parse(readFileSync(root("package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
  /** Each command's --help, where its options are listed (sst's and test's are not ours to list). */
  const help = async (script: string, sub: string | undefined): Promise<string | undefined> => {
    const h = io();
    if (script === "dr") {
      // A word after `pnpm dr` that is no command ("pnpm dr adopt" is named as missing) gets the top level's help.
      const known = sub !== undefined && (parseCommandLine(["--help"]) as { text: string }).text.includes(`\n  ${sub} [options]`);
      return (parseCommandLine([...(known ? [sub] : []), "--help"]) as { text: string }).text;
    }
    const runs: Record<string, (argv: string[], c: Io) => Promise<number>> = {
      synth: (argv, c) => synth(argv, c, synthDeps),
      "deploy:all": (argv, c) => deploy(argv, c, { ...deployDeps(), sst: notCalled("sst") }),
      bench: (argv, c) => bench(argv, c, { health: notCalled("bench"), rehearsal: notCalled("bench") }),
      "check:aws": (argv, c) => checkAws(argv, c),
      catalogue: (argv, c) => catalogue(argv, c, notCalled("writing the catalogue")),
      rehearse: (argv, c) => rehearse(argv, c),
    };
    const command = runs[script];
    if (!command) return undefined;
    expect(await command(["--help"], h.io)).toBe(0);
    return h.text();
  };
  // `pnpm <script> [<sub>] ...flags` (or `npx --yes pnpm@<version> <script> ...`) wherever the docs name one (prose such as "pnpm is" aside: not a script).
  const mentions = texts.flatMap(([file, text]) =>
    [...text.matchAll(/\bpnpm(?:@[\d.]+)? ([a-z][a-z:-]*)([^`\n|)]*)/g)].map((m) => ({ file, script: m[1]!, sub: /^ ([a-z][a-z-]*)/.exec(m[2]!)?.[1], flags: m[2]!.match(/--[a-z][a-z-]*/g) ?? [] })),
  );
  const ours = mentions.filter((m) => scripts.includes(m.script));

  it("name only the workspace's scripts and pnpm's own install", () => {
    const prose = new Set(["is", "via", "script", "env", "workspace", "here"]);
    expect(mentions.filter((m) => !scripts.includes(m.script) && m.script !== "install" && !prose.has(m.script)).map((m) => `${m.file}: pnpm ${m.script}`)).toEqual([]);
  });

  it("give each command only the options its --help lists, and every help has an example", async () => {
    const unknown: string[] = [];
    for (const m of ours) {
      const text = await help(m.script, m.script === "dr" ? m.sub : undefined);
      if (text === undefined) continue;
      expect(text, `pnpm ${m.script} ${m.sub ?? ""} --help`).toContain("Examples:");
      for (const flag of m.flags) if (!new RegExp(`${flag}\\b`).test(text)) unknown.push(`${m.file}: pnpm ${m.script}${m.script === "dr" ? ` ${m.sub}` : ""} ${flag}`);
    }
    expect(unknown).toEqual([]);
  });
});
