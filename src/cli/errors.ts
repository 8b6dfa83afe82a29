/**
 * An error the CLI reports as one line (no stack trace unless --debug) with a chosen exit code. Anything else that
 * escapes a command is a bug and is reported the same way, but with the hint to rerun with --debug.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Exit codes shared by every command, so scripts and CI can branch on them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  danger: 2,
  /** `capacity status --fail-on-warning` found something to warn about. */
  warnings: 3,
} as const;
