import { styleText } from "node:util";

/**
 * Everything a command may touch in the outside world, passed in so tests run commands in-process with captured
 * output, a fixed clock and no TTY. Only bin/blockfleet.cjs builds the real one from `process`.
 */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly now: () => Date;
  /** All of stdin, for `plan-summary -`; bytes, so the reader can tell UTF-16 from UTF-8. */
  readonly readStdin: () => Promise<string | Uint8Array>;
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org); FORCE_COLOR overrides. */
export function useColour(stream: OutputStream, env: CliIo["env"]): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

/** The text styles `util.styleText` knows, e.g. "green", "bgBlue", "bold". */
export type Style = Parameters<typeof styleText>[0];

/** Columns to fit: the terminal's width, else COLUMNS, else 120 (piped output is usually read in a wide log). */
export function terminalWidth(io: Pick<CliIo, "stdout" | "env">): number {
  const fromEnv = Number(io.env.COLUMNS);
  return io.stdout.columns ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 120);
}

export interface Palette {
  readonly enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  /** Any `util.styleText` format (or several), for drawings that need more colours than the named ones. */
  style(format: Style, text: string): string;
}

/**
 * Colours through Node's `util.styleText`. Whether to colour at all is decided once by `useColour` (terminal,
 * NO_COLOR, FORCE_COLOR as seen in the CliIo's env), so styleText's own stream check is switched off.
 */
export function palette(enabled: boolean): Palette {
  const style = (format: Style, text: string) => (enabled ? styleText(format, text, { validateStream: false }) : text);
  return {
    enabled,
    red: (text) => style("red", text),
    green: (text) => style("green", text),
    yellow: (text) => style("yellow", text),
    cyan: (text) => style("cyan", text),
    dim: (text) => style("dim", text),
    bold: (text) => style("bold", text),
    style,
  };
}

export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI colour code starts with ESC; matching it is the point
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/** A one-line status on stderr, redrawn in place; silent unless stderr is a terminal so logs and pipes stay clean. */
export interface Progress {
  update(message: string): void;
  done(): void;
}

export function progress(io: CliIo): Progress {
  if (io.stderr.isTTY !== true) return { update: () => undefined, done: () => undefined };
  let drawn = false;
  return {
    update(message) {
      io.stderr.write(`\r\u001b[2K${message}`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr.write("\r\u001b[2K");
      drawn = false;
    },
  };
}
