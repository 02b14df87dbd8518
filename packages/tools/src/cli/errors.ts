/**
 * The operator CLI's errors: each message is what the operator reads, so it says what is
 * wrong and what to do. `exitCode` separates usage mistakes (2) from refusals and
 * environment problems (1).
 */
export abstract class CliError extends Error {
  abstract override readonly name: string;
  readonly exitCode: number = 1;
}

/** The command line is wrong. */
export class UsageError extends CliError {
  override readonly name = "UsageError";
  override readonly exitCode = 2;
}

/** STS could not confirm who is calling: no, expired or invalid credentials. */
export class CredentialsError extends CliError {
  override readonly name = "CredentialsError";
}

/** The stage's stack is not deployed in the DR region (wrong stage, wrong account, not deployed yet). */
export class MissingStackError extends CliError {
  override readonly name = "MissingStackError";
}

/** The command was understood but must not run (no confirmation, an execution already running...). */
export class RefusedError extends CliError {
  override readonly name = "RefusedError";
}
