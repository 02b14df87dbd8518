/**
 * `pnpm dr <command> --stage S [options]`: the command line, parsed (commander, through the
 * project's program conventions) and checked without any AWS call. Every mistake is a
 * UsageError (exit 2) whose message says what to type instead; --help and -h work on the
 * program and on every command.
 */
import { CommanderError, type Command as Program } from "commander";
import { UsageError } from "./errors";
import { newCommand, stageName, type Io } from "./program";

export const commands = ["status", "drill", "dry-run", "failover", "close-incident", "reprotect", "switchback", "readiness", "point-users"] as const;
export type Command = (typeof commands)[number];

export interface Invocation {
  command: Command;
  stage: string;
  /** failover only: skip the interactive confirmation. */
  yes: boolean;
  reason?: string;
  requestedBy?: string;
  incidentId?: string;
  note?: string;
  /** failover only: false keeps DNS as it is (options.switchDns). */
  switchDns: boolean;
  /** failover and drill: proceed although replica lag is over the RPO budget. */
  acknowledgeRpoBreach: boolean;
  /** Wait for the execution to end and print its result (default: dry-run only). */
  wait: boolean;
  /** Machine-readable output on stdout (status, and the started/finished execution). */
  json: boolean;
  /** switchback and point-users: the readiness and plan (the record change), changing nothing. */
  dryRun: boolean;
  /** point-users only: the region users are sent to. */
  to?: string;
}

export type Parsed = { help: true; text: string } | { help: false; invocation: Invocation };

const summaries: Record<Command, string> = {
  status: "health checks, open incident, replica lag against the RPO budget, DR capacity, DNS answer, last executions against the targets",
  drill: "start a non-destructive drill: DR scales up against the replica, is verified, scales back",
  "dry-run": "start a dry-run: preflight only, prints what a failover would do now (waits for it)",
  failover: "start a real failover: promote the replica, scale DR up, switch DNS (asks you to type the stage)",
  "close-incident": "close the open health incident so the monitor may open a new one",
  reprotect: "after a failover: a replica of the serving database in the other region, reverse S3 replication, that region back to a pilot light",
  switchback: "planned, zero-data-loss move back to the primary region, then re-protect the other way (asks you to type the stage; --dry-run changes nothing)",
  "point-users":
    "stranded states: point the PRIMARY DNS record at a region whose database takes writes (refused unless it is writable and the other region's is not; asks you to type the stage if the other region does not answer; --dry-run changes nothing)",
  readiness: "whether a failover and a failback could run now: replica, backups, DR image, task definition and Fargate quota, step roles' permissions, confirmed alert e-mails, health check, parameter groups, KMS keys; exit 1 unless ready",
};

const examples: Record<Command | "dr", string[]> = {
  dr: ["pnpm dr status --stage prod", "pnpm dr drill --stage prod --wait", 'pnpm dr failover --stage prod --reason "eu-west-1 outage"'],
  status: ["pnpm dr status --stage prod", "pnpm dr status --stage prod --json | jq .replica"],
  drill: ["pnpm dr drill --stage prod --wait", "pnpm dr drill --stage prod --wait --json > drill.json"],
  "dry-run": ["pnpm dr dry-run --stage prod", "pnpm dr dry-run --stage prod --json"],
  failover: ['pnpm dr failover --stage prod --reason "eu-west-1 outage, AWS Health event 123"', 'pnpm dr failover --stage prod --reason "scripted" --yes --wait --json'],
  "close-incident": ['pnpm dr close-incident --stage prod --note "failed over, DR serving"'],
  reprotect: ["pnpm dr reprotect --stage prod --wait", 'pnpm dr reprotect --stage prod --reason "eu-west-1 is back"'],
  switchback: ["pnpm dr switchback --stage prod --dry-run", 'pnpm dr switchback --stage prod --reason "planned, maintenance window 22:00" --wait'],
  readiness: ["pnpm dr readiness --stage prod", "pnpm dr readiness --stage prod --json | jq '.findings[] | select(.ok | not)'"],
  "point-users": ["pnpm dr point-users --stage prod --to eu-west-1 --dry-run", "pnpm dr point-users --stage prod --to eu-west-1"],
};

interface Raw {
  stage: string;
  reason?: string;
  requestedBy?: string;
  yes?: boolean;
  incident?: string;
  note?: string;
  dns?: boolean;
  acknowledgeRpoBreach?: boolean;
  wait?: boolean;
  json?: boolean;
  dryRun?: boolean;
  to?: string;
}

/** The dr program: one commander command per operator command, each with only its options. */
export function drProgram(io: Io, onInvocation: (invocation: Invocation) => void): Program {
  const program = newCommand("pnpm dr", "The operator CLI: read a stage's readiness, start drills, dry-runs and failovers, close incidents (docs/runbook.md).", examples.dr, io);
  program.usage("<command> --stage <stage> [options]");
  for (const name of commands) {
    const c = program.command(name).description(summaries[name]).requiredOption("--stage <stage>", "the stage (see stacks/stages.ts)", stageName);
    c.addHelpText("after", `\nExamples:\n${examples[name].map((e) => `  $ ${e}`).join("\n")}`);
    if (name !== "close-incident" && name !== "status" && name !== "readiness" && name !== "point-users") {
      c.option("--reason <text>", name === "failover" ? "why (required): goes into the execution and every notification" : "why")
        .option("--wait", "wait for the execution to end, printing each state it enters")
        .option("--no-wait", "return once started");
    }
    if (name !== "status" && name !== "readiness" && name !== "point-users") c.option("--requested-by <name>", "who (default: your AWS identity)");
    if (name === "point-users") {
      c.requiredOption("--to <region>", "the region to send users to: its database must take writes")
        .option("--dry-run", "print the record change only; changes nothing")
        .option("-y, --yes", "go on without asking when the other region's database does not answer (scripts that have already decided)");
    }
    if (name === "failover" || name === "switchback") {
      c.option("-y, --yes", "do not ask for confirmation (scripts that have already decided)").option("--no-dns", "leave DNS as it is");
    }
    if (name === "switchback") c.option("--dry-run", "the readiness and plan only; changes nothing (waits for it)");
    if (name === "failover" || name === "close-incident") c.option("--incident <id>", "the incident (default: the open one)");
    if (name === "failover" || name === "drill") c.option("--acknowledge-rpo-breach", "go ahead although replica lag is over the RPO budget");
    if (name === "close-incident") c.option("--note <text>", "what was done (required): archived with the incident");
    if (name !== "close-incident") c.option("--json", "print machine-readable JSON to stdout (progress goes to stderr)");
    c.action((raw: Raw) => onInvocation(toInvocation(name, raw)));
  }
  return program;
}

function toInvocation(command: Command, values: Raw): Invocation {
  const text = (option: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    if (value.trim() === "") throw new UsageError(`--${option} must not be empty`);
    return value.trim();
  };
  const reason = text("reason", values.reason);
  const note = text("note", values.note);
  if (command === "failover" && !reason) throw new UsageError('failover needs --reason "<why>": it goes into the execution and every notification');
  if (command === "close-incident" && !note) throw new UsageError('close-incident needs --note "<what was done>": it is archived with the incident');
  return {
    command,
    stage: values.stage,
    yes: values.yes ?? false,
    reason,
    requestedBy: text("requested-by", values.requestedBy),
    incidentId: text("incident", values.incident),
    note,
    switchDns: values.dns ?? true,
    acknowledgeRpoBreach: values.acknowledgeRpoBreach ?? false,
    wait: values.wait ?? (command === "dry-run" || (command === "switchback" && values.dryRun === true)),
    json: values.json ?? false,
    dryRun: values.dryRun ?? false,
    ...(values.to !== undefined ? { to: values.to } : {}),
  };
}

/** Parses without side effects: help text is returned, mistakes are thrown as UsageError. */
export function parseCommandLine(argv: readonly string[]): Parsed {
  let invocation: Invocation | undefined;
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), isTTY: false };
  const program = drProgram(io, (i) => {
    invocation = i;
  });
  if (argv.length === 0) return { help: true, text: program.helpInformation().trimEnd() };
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return { help: true, text: out.trimEnd() };
      throw new UsageError(error.message.replace(/^error: /, ""), { cause: error });
    }
    throw error;
  }
  if (!invocation) return { help: true, text: program.helpInformation().trimEnd() };
  return { help: false, invocation };
}

export type Confirmation = "proceed" | "ask" | "refuse";

/**
 * Whether a command may run now: only a failover and a switchback (it stops writes) need a person's yes, given on a terminal
 * or up front with --yes. Without a terminal and without --yes it refuses, so a script that
 * forgot --yes cannot hang on a prompt or fail over by accident.
 */
export function confirmation(invocation: Pick<Invocation, "command" | "yes"> & { dryRun?: boolean }, isTerminal: boolean): Confirmation {
  const destructive = invocation.command === "failover" || (invocation.command === "switchback" && !invocation.dryRun);
  if (!destructive || invocation.yes) return "proceed";
  return isTerminal ? "ask" : "refuse";
}

/** The question asked on a terminal; the operator must type the stage name back. */
export function confirmationQuestion(stage: string, primaryRegion: string, drRegion: string): string {
  return [
    `This starts a REAL failover of stage "${stage}" from ${primaryRegion} to ${drRegion}:`,
    `the read replica in ${drRegion} is promoted (cannot be undone), the DR service scales up, DNS moves to ${drRegion}.`,
    `Type the stage name (${stage}) to go ahead: `,
  ].join("\n");
}

export function isConfirmed(answer: string, stage: string): boolean {
  return answer.trim() === stage;
}
