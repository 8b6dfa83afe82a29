/**
 * Everything a command may touch in the outside world, passed in so tests run commands in-process with captured
 * output, a fixed clock and no TTY. Only bin/blockfleet.cjs builds the real one from `process`.
 */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
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

export interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { red: plain, green: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };
  return { red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
}

export function stripAnsi(text: string): string {
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
