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

/** One way to read a mistyped word: the word as typed and the known words it may be meant as. */
export interface SuggestionAttempt {
  readonly word: string;
  readonly candidates: readonly string[];
}

/**
 * A mistyped command or flag. The dispatcher looks for the closest known word (with the schema's suggestion code,
 * loaded only then) and puts "did you mean …?" between the message and the hint.
 */
export class UnknownWordError extends CliError {
  constructor(
    readonly head: string,
    /** Joined to the head as typed, e.g. "; run `blockfleet --help` for the list" or " (see …)". */
    readonly hint: string,
    readonly attempts: readonly SuggestionAttempt[],
    readonly phrase: (suggestion: string) => string,
    /** The hint as it follows a suggestion, when it reads differently there. */
    readonly hintAfterSuggestion: string = hint,
  ) {
    super(`${head}${hint}`);
    this.name = "UnknownWordError";
  }

  /** The message with a suggestion, when there is one. */
  withSuggestion(suggestion: string | undefined): string {
    return suggestion === undefined ? this.message : `${this.head}; ${this.phrase(suggestion)}${this.hintAfterSuggestion}`;
  }
}
