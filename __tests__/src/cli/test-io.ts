import type { CliIo } from "../../../src/cli/io";

export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** A CliIo that records what a command prints, with a fixed clock and no terminal unless asked for. */
export function captureIo(options: { cwd?: string; now?: Date; tty?: boolean; stdin?: string | Uint8Array; env?: Record<string, string> } = {}): CapturedIo {
  let stdout = "";
  let stderr = "";
  const now = options.now ?? new Date("2026-11-22T12:00:00Z");
  return {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    now: () => now,
    readStdin: async () => options.stdin ?? "",
    out: () => stdout,
    err: () => stderr,
  };
}
