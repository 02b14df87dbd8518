/**
 * One way for every project command (rehearse, synth, deploy:all, dr, bench) to read its
 * command line, on commander: `--help` / `-h` with usage and examples, and exit code 2 for a
 * usage mistake (0 for help), as POSIX utilities and most SRE tools do. Output goes through
 * an injected Io, so help text and exit codes are tested in-process.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { Stage } from "@pilot-light/core";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether a person watches: progress lines and questions only then. */
  isTTY: boolean;
}

let pipeGuarded = false;
/** `pnpm dr status --json | head`: a reader that stops early is not an error. */
function write(stream: NodeJS.WriteStream, text: string): void {
  if (!pipeGuarded) {
    pipeGuarded = true;
    for (const s of [process.stdout, process.stderr]) {
      s.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE") throw error;
        process.exit(process.exitCode ?? 0);
      });
    }
  }
  stream.write(text.endsWith("\n") ? text : `${text}\n`);
}

export const processIo: Io = {
  out: (text) => write(process.stdout, text),
  err: (text) => write(process.stderr, text),
  isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
};

export const usageExitCode = 2;

/**
 * A tool's entry point (`pnpm <script>` runs the module itself): `run` with the arguments, its
 * code as the exit code; an error that escapes it is written with its stack and exits 1.
 */
export function runWhenMain(moduleUrl: string, run: (argv: readonly string[]) => Promise<number>): void {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      processIo.err(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}

/**
 * A command with the project's conventions. `examples` are shown at the end of --help.
 * Errors are thrown (exitOverride) and written to io.err with a pointer to --help.
 */
export function newCommand(name: string, summary: string, examples: readonly string[], io: Io): Command {
  const command = new Command(name);
  command
    .description(summary)
    .helpOption("-h, --help", "show this help and exit")
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage and examples)")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .allowExcessArguments(false);
  if (examples.length > 0) command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}`);
  return command;
}

/** Parses argv (user arguments only) and runs the matched action; returns the exit code. */
export async function runCommand(command: Command, argv: readonly string[]): Promise<number> {
  try {
    await command.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : usageExitCode;
    throw error;
  }
}

/** An option parser for whole numbers in [min, max]; the message names the rule. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };
}

/**
 * A stage the command may act on: one stacks/stages.ts configures, the default personal stage
 * `dev`, or any other name when `--dev` says a personal development stage (the defaults) is
 * meant. A typo (`prdo`) would otherwise get development defaults without a word.
 */
export function refuseUnknownStage(command: Command, stage: string, configured: readonly string[], dev: boolean | undefined): void {
  if (dev || stage === "dev" || configured.includes(stage)) return;
  const near = configured.filter((c) => editDistance(c, stage) <= 2);
  command.error(
    `error: unknown stage "${stage}": stacks/stages.ts configures ${configured.join(", ")}${near.length > 0 ? ` (did you mean ${near.join(" or ")}?)` : ""}. For a personal development stage with the default settings, add --dev.`,
    { exitCode: usageExitCode, code: "pilot-light.unknownStage" },
  );
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Stage names as SST and Stage.resolveStageConfig accept them. */
export function stageName(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(value)) throw new InvalidArgumentError("must be 1-21 lowercase letters, digits or dashes, starting with a letter.");
  return value;
}

/** `--allow-replace a,b`: names of settings that replace data (Stage.replacingSettings), checked. */
export function allowReplace(value: string): string {
  try {
    Stage.parseAllowReplace(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  return value;
}

/**
 * `mkdir -p` that fails rather than spins: Node's `mkdir(dir, { recursive: true })` never
 * settles for a path under /proc (`--json /proc/nope/x.json` hung the rehearsal). Creates the
 * missing parents one at a time; an existing directory is fine; any other error is thrown.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw error;
    await makeDirectory(parent);
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== "EEXIST") throw again;
    });
  }
}

/** Writes a report file, making its folder first (`makeDirectory`). */
export async function writeReport(file: string, text: string): Promise<void> {
  await makeDirectory(dirname(file));
  await writeFile(file, text);
}

/**
 * The folder the person ran the command from: pnpm runs every script in the workspace root
 * (each package's scripts forward there), and keeps where it was invoked in INIT_CWD. Paths
 * people give (`--json out/r.json`) are theirs, so they resolve against it.
 */
export function invocationDir(env: Record<string, string | undefined> = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

/** A path as the person meant it: relative to the folder they ran the command from. */
export function fromInvocationDir(file: string, env: Record<string, string | undefined> = process.env): string {
  return resolve(invocationDir(env), file);
}
