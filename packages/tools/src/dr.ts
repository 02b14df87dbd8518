/**
 * `pnpm dr <command> --stage S`: the operator CLI (docs/runbook.md). Finds the stage's
 * resources from its config and deterministic names, checks credentials and the deployed
 * stacks first, asks before a real failover, and prints what it did with console links.
 * `--json` prints machine-readable JSON on stdout (progress and questions go to stderr);
 * `--wait` prints each state the execution enters, from its execution history.
 * The logic lives in ./cli (tested against mocked clients); this file only wires the terminal.
 */
import { createInterface } from "node:readline/promises";
import { Errors, type Readiness, Stage } from "@pilot-light/core";
import { stageConfig, stages } from "../../../stacks/stages";
import { confirmation, confirmationQuestion, isConfirmed, parseCommandLine, type Invocation } from "./cli/args";
import { cliClientBounds, cliCredentials, connect, drClients, identify, requireCredentials, type Clients, type Context, type CredentialProvider } from "./cli/aws";
import { closeOpenIncident, gatherStatus, startRun, waitForExecution } from "./cli/commands";
import { formatFailbackFinished, formatFailbackStarted, startFailback, switchbackQuestion } from "./cli/failback";
import { CliError, MissingStackError, RefusedError, UsageError, explainAwsError } from "./cli/errors";
import { formatClosed, formatFinished, formatStarted, formatStatus, formatUnanswered } from "./cli/format";
import { checkReadiness, formatLastEvaluation, formatReadiness, lastEvaluation, readinessClients, type ReadinessClients } from "./cli/readiness";
import { closeIncidentInEitherRegion, partialStatusExitCode, reachEach, unanswered, type Unanswered } from "./cli/both-regions";
import { actingRegion } from "./cli/regions";
import { formatPointUsers, pointUsers, pointUsersClients, type PointUsersClients } from "./cli/point-users";

export interface Terminal {
  isInteractive: boolean;
  ask(question: string): Promise<string>;
  /** stdout: the result (text, or JSON with --json). */
  print(text: string): void;
  /** stderr: progress while waiting, for people. */
  progress(text: string): void;
}

/** Stacks a command needs in the region it talks to: the state table for all, the state machine to start one. */
export function requiredStacks(command: Invocation["command"]): string[] {
  if (command === "readiness" || command === "point-users") return [];
  if (command === "status" || command === "close-incident") return ["State"];
  return command === "reprotect" || command === "switchback" ? ["State", "Failback"] : ["State", "Failover"];
}

export interface Dependencies {
  /** Clients in a region (default: the stage's DR region). */
  makeClients: (config: Stage.StageConfig, region?: string) => Clients;
  /** Both regions' clients for `readiness` (default: readinessClients). */
  makeReadinessClients?: (config: Stage.StageConfig) => ReadinessClients;
  /** RDS and SSM per region and Route 53 for `point-users` (default: pointUsersClients, bounded). */
  makePointUsersClients?: () => PointUsersClients;
  /** The steps' permission catalogue (default: Readiness.stepCatalogue, the grants' rendering). */
  stepCatalogue?: Readiness.StepCatalogue;
  now: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Resolved before any AWS call (requireCredentials); absent: not checked up front (tests whose clients are mocks). */
  credentials?: CredentialProvider;
}

/** The invocation's real AWS: one credential provider (resolved up front) shared by its clients. */
export function realDependencies(): Dependencies {
  const credentials = cliCredentials();
  return { makeClients: (config, region) => drClients(config, region, cliClientBounds, credentials), credentials, now: () => new Date() };
}

/** Runs one invocation; returns the process exit code. */
export async function run(argv: readonly string[], terminal: Terminal, deps: Dependencies = realDependencies()): Promise<number> {
  const { now } = deps;
  const parsed = parseCommandLine(argv);
  if (parsed.help) {
    // `pnpm dr` alone is a usage mistake (a script that forgot its command must not "succeed"): usage on stderr, exit 2.
    if (argv.length === 0) {
      terminal.progress(`${parsed.text}\n\npnpm dr needs a command (status, drill, dry-run, failover, close-incident, reprotect, switchback, readiness, point-users).`);
      return 2;
    }
    terminal.print(parsed.text);
    return 0;
  }
  const invocation = parsed.invocation;
  let config;
  try {
    config = stageConfig(invocation.stage);
  } catch (error) {
    if (error instanceof Errors.ValidationError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  // Refused without AWS first: a real failover or switchback with nobody to confirm it.
  const decision = confirmation(invocation, terminal.isInteractive);
  if (decision === "refuse") {
    throw new RefusedError(`${invocation.command} needs a person's confirmation: run it on a terminal, or pass --yes in a script that has already decided`);
  }
  if (deps.credentials) await requireCredentials(deps.credentials);
  if (invocation.command === "readiness") {
    // Reads only, with the operator's credentials, in both regions; needs no orchestrator stack.
    const report = await checkReadiness(config, (deps.makeReadinessClients ?? readinessClients)(config), deps.makeClients(config).sts, now, deps.stepCatalogue);
    terminal.print(invocation.json ? JSON.stringify(report, null, 2) : formatReadiness(report));
    return report.ready ? 0 : 1;
  }
  if (invocation.command === "point-users") return pointUsersCommand(config, invocation, terminal, deps);
  // Which region's orchestrator copy acts: decided from what AWS shows on stages with DNS (./cli/regions).
  let region = config.drRegion;
  let why: string | null = null;
  if (invocation.command !== "status" && invocation.command !== "close-incident" && config.dns) {
    const { account } = await identify(config, deps.makeClients(config));
    const acting = await actingRegion(invocation.command, config, Stage.resourceNames(config), account, (r) => deps.makeClients(config, r));
    region = acting.region;
    why = acting.why;
  }
  let ctx: Context;
  // On a stage with DNS, status and close-incident reach each region's copy on its own: a region that does not answer is said, not fatal.
  const bothRegions = config.dns && (invocation.command === "status" || invocation.command === "close-incident");
  let silent: Unanswered[] = [];
  try {
    if (bothRegions) {
      const reached = await reachEach(config, (r) => deps.makeClients(config, r), requiredStacks(invocation.command), now);
      if (invocation.command === "close-incident") {
        const closed = await closeIncidentInEitherRegion(reached, invocation);
        terminal.print(`${formatClosed(closed, config.stage)}
(in ${closed.region}, the table of the copy whose monitor opened it)`);
        return 0;
      }
      silent = unanswered(reached);
      ctx = (reached.dr.ctx ?? reached.primary.ctx) as Context;
    } else ctx = await connect(config, deps.makeClients(config, region), requiredStacks(invocation.command), now, region);
  } catch (error) {
    if (error instanceof MissingStackError && !(invocation.stage in stages)) {
      const known = Object.keys(stages).join(", ");
      throw new MissingStackError(`${error.message}
"${invocation.stage}" is not one of the stages in stacks/stages.ts (${known}); personal stages get the defaults.`, { cause: error });
    }
    throw error;
  }
  const json = (value: unknown) => terminal.print(JSON.stringify(value, null, 2));
  if (invocation.command === "status") {
    const [status, readiness] = await Promise.all([gatherStatus(ctx, 5, (r) => deps.makeClients(config, r)), lastEvaluation(ctx)]);
    // A region whose database the copies section could not read did not answer either.
    const copies = status.copies?.ok ? status.copies.value.copies : null;
    for (const c of copies ? [copies.primary, copies.dr] : []) {
      if (c.database === null && !silent.some((u) => u.side === c.side)) silent.push({ side: c.side, region: c.region, error: c.error ?? "no answer" });
    }
    if (invocation.json) json({ ...status, readiness, unanswered: silent });
    else terminal.print(`${formatUnanswered(silent, ctx.region)}${formatStatus(status, now())}\n\n${formatLastEvaluation(readiness, config, now())}`);
    return silent.length === 0 ? 0 : partialStatusExitCode;
  }
  if (invocation.command === "close-incident") {
    terminal.print(formatClosed(await closeOpenIncident(ctx, invocation), config.stage));
    return 0;
  }
  if (why) terminal.progress(`Starting it in ${region}: ${why}.`);
  const question = invocation.command === "switchback" ? switchbackQuestion : confirmationQuestion;
  // A failover goes from the other region to the one that acts.
  const [from, to] = region === config.drRegion ? [config.primaryRegion, config.drRegion] : [config.drRegion, config.primaryRegion];
  const asked = invocation.command === "switchback" ? question(config.stage, config.primaryRegion, config.drRegion) : question(config.stage, from, to);
  if (decision === "ask" && !isConfirmed(await terminal.ask(asked), config.stage)) {
    terminal.print("Not confirmed: nothing was started.");
    return 1;
  }
  const failback = invocation.command === "reprotect" || invocation.command === "switchback";
  const started = failback ? await startFailback(ctx, invocation) : await startRun(ctx, invocation);
  const startedText = failback ? formatFailbackStarted(started as Awaited<ReturnType<typeof startFailback>>) : formatStarted(started as Awaited<ReturnType<typeof startRun>>);
  if (!invocation.json) terminal.print(startedText);
  else if (invocation.wait) terminal.progress(startedText);
  if (!invocation.wait) {
    if (invocation.json) json({ started });
    return 0;
  }
  const finished = await waitForExecution(ctx, started.executionArn, {
    intervalMs: 5_000,
    timeoutMs: invocation.command === "dry-run" || invocation.dryRun ? 3 * 60_000 : invocation.command === "reprotect" ? 6 * 60 * 60_000 : 45 * 60_000,
    onTransition: (line) => (invocation.json ? terminal.progress(line) : terminal.print(line)),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  if (invocation.json) json({ started, finished });
  else terminal.print(failback ? formatFailbackFinished(finished, started.consoleUrl) : formatFinished(finished, started.consoleUrl));
  return finished.status === "SUCCEEDED" ? 0 : 1;
}

/**
 * Reads only until it decides; asks for the stage name only when the other region's database does
 * not answer (with --yes: goes on; no terminal and no --yes: refuses), as a failover asks.
 */
async function pointUsersCommand(config: Stage.StageConfig, invocation: Invocation, terminal: Terminal, deps: Dependencies): Promise<number> {
  const to = invocation.to ?? "";
  try {
    Stage.regionRole(config, to);
  } catch (error) {
    if (error instanceof Errors.ValidationError) throw new UsageError(`--to ${to}: ${error.message.replace(/pass --region/g, "pass --to")}`, { cause: error });
    throw error;
  }
  const result = await pointUsers(config, (deps.makePointUsersClients ?? pointUsersClients)(), {
    to,
    dryRun: invocation.dryRun,
    confirm: async (question) => {
      if (invocation.yes) return true;
      if (!terminal.isInteractive) throw new RefusedError(`${question.split("\n")[0]}\nRun it on a terminal to confirm, or pass --yes in a script that has already decided.`);
      return isConfirmed(await terminal.ask(question), config.stage);
    },
    now: deps.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    progress: (line) => terminal.progress(line),
  });
  const other = to === config.primaryRegion ? config.drRegion : config.primaryRegion;
  terminal.print(invocation.json ? JSON.stringify(result, null, 2) : formatPointUsers(result, other));
  return result.outcome === "pointed" && !result.insync ? 1 : 0;
}

async function main(): Promise<void> {
  const terminal: Terminal = {
    // stderr carries the question, so `--json` output on stdout stays pure JSON.
    isInteractive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    print: (text) => void process.stdout.write(`${text}\n`),
    progress: (text) => void process.stderr.write(`${text}\n`),
  };
  try {
    process.exitCode = await run(process.argv.slice(2), terminal);
  } catch (error) {
    const known = error instanceof CliError ? error : explainAwsError("an AWS call failed", "the stage's DR region", error);
    console.error(`pnpm dr: ${known.message}`);
    if (known instanceof UsageError) console.error("(add --help for usage and examples)");
    process.exitCode = known.exitCode;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
