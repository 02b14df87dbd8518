/**
 * `pnpm dr <command> --stage S [options]`: the command line, parsed and checked without any
 * AWS call. Every mistake is a UsageError whose message says what to type instead.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors";

export const commands = ["status", "drill", "dry-run", "failover", "close-incident"] as const;
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
}

export type Parsed = { help: true } | { help: false; invocation: Invocation };

export const usage = `pnpm dr <command> --stage <stage> [options]

Commands
  status            health checks, open incident, replica lag, DR capacity, DNS answer, last executions
  drill             start a non-destructive drill: DR scales up against the replica, is verified, scales back
  dry-run           start a dry-run: preflight only, prints what a failover would do now (waits for it)
  failover          start a real failover: promote the replica, scale DR up, switch DNS (asks to confirm)
  close-incident    close the open health incident so the monitor may open a new one

Options
  --stage S                   the stage (required)
  --reason TEXT               why (required for failover)
  --requested-by NAME         who (default: your AWS identity)
  --yes                       failover: do not ask for confirmation (scripts)
  --incident ID               failover / close-incident: the incident (default: the open one)
  --note TEXT                 close-incident: what was done (required)
  --no-dns                    failover: leave DNS as it is
  --acknowledge-rpo-breach    failover / drill: go ahead although replica lag is over the RPO budget
  --wait / --no-wait          wait for the execution to end (default: only dry-run waits)
  --help`;

const only: Record<string, readonly Command[]> = {
  yes: ["failover"],
  "no-dns": ["failover"],
  incident: ["failover", "close-incident"],
  note: ["close-incident"],
  reason: ["drill", "dry-run", "failover"],
  "requested-by": ["drill", "dry-run", "failover", "close-incident"],
  "acknowledge-rpo-breach": ["failover", "drill"],
  wait: ["drill", "dry-run", "failover"],
  "no-wait": ["drill", "dry-run", "failover"],
};

export function parseCommandLine(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stage: { type: "string" },
        reason: { type: "string" },
        "requested-by": { type: "string" },
        yes: { type: "boolean", short: "y" },
        incident: { type: "string" },
        note: { type: "string" },
        "no-dns": { type: "boolean" },
        "acknowledge-rpo-breach": { type: "boolean" },
        wait: { type: "boolean" },
        "no-wait": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0] ?? String(error) : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { help: true };
  const [name, ...extra] = positionals;
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}": use one of ${commands.join(", ")}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (quote texts with spaces: --reason "primary down")`);
  const command = name;
  for (const [option, allowed] of Object.entries(only)) {
    if (values[option as keyof typeof values] !== undefined && !allowed.includes(command)) {
      throw new UsageError(`--${option} does not apply to ${command} (it applies to ${allowed.join(", ")})`);
    }
  }
  if (!values.stage) throw new UsageError(`missing --stage: pnpm dr ${command} --stage <stage>`);
  if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait contradict each other");
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
    help: false,
    invocation: {
      command,
      stage: values.stage,
      yes: values.yes ?? false,
      reason,
      requestedBy: text("requested-by", values["requested-by"]),
      incidentId: text("incident", values.incident),
      note,
      switchDns: !values["no-dns"],
      acknowledgeRpoBreach: values["acknowledge-rpo-breach"] ?? false,
      wait: values.wait ?? (values["no-wait"] ? false : command === "dry-run"),
    },
  };
}

function isCommand(value: string | undefined): value is Command {
  return commands.includes(value as Command);
}

export type Confirmation = "proceed" | "ask" | "refuse";

/**
 * Whether a command may run now: only a failover needs a person's yes, given on a terminal
 * or up front with --yes. Without a terminal and without --yes it refuses, so a script that
 * forgot --yes cannot hang on a prompt or fail over by accident.
 */
export function confirmation(invocation: Pick<Invocation, "command" | "yes">, isTerminal: boolean): Confirmation {
  if (invocation.command !== "failover" || invocation.yes) return "proceed";
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
