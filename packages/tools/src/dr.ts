/**
 * `pnpm dr <command> --stage S`: the operator CLI (docs/runbook.md). Finds the stage's
 * resources from its config and deterministic names, checks credentials and the deployed
 * stacks first, asks before a real failover, and prints what it did with console links.
 * The logic lives in ./cli (tested against mocked clients); this file only wires the terminal.
 */
import { createInterface } from "node:readline/promises";
import { Errors, type Stage } from "@pilot-light/core";
import { stageConfig, stages } from "../../../stacks/stages";
import { confirmation, confirmationQuestion, isConfirmed, parseCommandLine, usage, type Invocation } from "./cli/args";
import { connect, drClients, type Clients, type Context } from "./cli/aws";
import { closeOpenIncident, gatherStatus, startRun, waitForExecution } from "./cli/commands";
import { CliError, MissingStackError, RefusedError, UsageError } from "./cli/errors";
import { formatClosed, formatFinished, formatStarted, formatStatus } from "./cli/format";

export interface Terminal {
  isInteractive: boolean;
  ask(question: string): Promise<string>;
  print(text: string): void;
}

/** Stacks a command needs in the DR region: the state table for all, the state machine to start one. */
export function requiredStacks(command: Invocation["command"]): string[] {
  return command === "status" || command === "close-incident" ? ["State"] : ["State", "Failover"];
}

export interface Dependencies {
  makeClients: (config: Stage.StageConfig) => Clients;
  now: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

const real: Dependencies = { makeClients: drClients, now: () => new Date() };

/** Runs one invocation; returns the process exit code. */
export async function run(argv: readonly string[], terminal: Terminal, deps: Dependencies = real): Promise<number> {
  const { now } = deps;
  const parsed = parseCommandLine(argv);
  if (parsed.help) {
    terminal.print(usage);
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
  const decision = confirmation(invocation, terminal.isInteractive);
  if (decision === "refuse") {
    throw new RefusedError("failover needs a person's confirmation: run it on a terminal, or pass --yes in a script that has already decided");
  }
  let ctx: Context;
  try {
    ctx = await connect(config, deps.makeClients(config), requiredStacks(invocation.command), now);
  } catch (error) {
    if (error instanceof MissingStackError && !(invocation.stage in stages)) {
      const known = Object.keys(stages).join(", ");
      throw new MissingStackError(`${error.message}
"${invocation.stage}" is not one of the stages in stacks/stages.ts (${known}); personal stages get the defaults.`, { cause: error });
    }
    throw error;
  }
  if (invocation.command === "status") {
    terminal.print(formatStatus(await gatherStatus(ctx), now()));
    return 0;
  }
  if (invocation.command === "close-incident") {
    terminal.print(formatClosed(await closeOpenIncident(ctx, invocation), config.stage));
    return 0;
  }
  if (decision === "ask" && !isConfirmed(await terminal.ask(confirmationQuestion(config.stage, config.primaryRegion, config.drRegion)), config.stage)) {
    terminal.print("Not confirmed: nothing was started.");
    return 1;
  }
  const started = await startRun(ctx, invocation);
  terminal.print(formatStarted(started));
  if (!invocation.wait) return 0;
  const finished = await waitForExecution(ctx, started.executionArn, {
    intervalMs: 5_000,
    timeoutMs: invocation.command === "dry-run" ? 3 * 60_000 : 45 * 60_000,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  terminal.print(formatFinished(finished, started.consoleUrl));
  return finished.status === "SUCCEEDED" ? 0 : 1;
}

async function main(): Promise<void> {
  const terminal: Terminal = {
    isInteractive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    async ask(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    print: (text) => console.log(text),
  };
  try {
    process.exitCode = await run(process.argv.slice(2), terminal);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`pnpm dr: ${error.message}`);
      if (error instanceof UsageError) console.error(`\n${usage}`);
      process.exitCode = error.exitCode;
      return;
    }
    console.error(error instanceof Error ? `pnpm dr: unexpected ${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
