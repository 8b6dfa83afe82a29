import path from "node:path";
import { ConfigError, formatConfigIssues, type LoadedEnvironment, loadEnvironments } from "../../config/load";
import { CliError } from "../errors";
import type { CliIo } from "../io";

/** Where environment files live unless --dir says otherwise; relative to the working directory. */
export const DEFAULT_ENVIRONMENTS_DIR = "environments";

/**
 * Loads and validates environments through the same loader as synth, so the CLI reports the same messages; a config
 * problem becomes a CliError listing every issue.
 */
export async function loadForCli(io: CliIo, dir: string | undefined, names: readonly string[]): Promise<LoadedEnvironment[]> {
  try {
    return await loadEnvironments({ dir: path.resolve(io.cwd, dir ?? DEFAULT_ENVIRONMENTS_DIR), names });
  } catch (error) {
    throw environmentError(io, error, dir);
  }
}

/** A loader failure as the CLI reports it: config issues listed, a missing folder named; anything else unchanged. */
export function environmentError(io: CliIo, error: unknown, dir: string | undefined, suffix = ""): unknown {
  if (error instanceof ConfigError) return new CliError(`${describeConfigError(io, error)}${suffix}`);
  const missing = error as NodeJS.ErrnoException;
  if (missing.code === "ENOENT" && missing.path === path.resolve(io.cwd, dir ?? DEFAULT_ENVIRONMENTS_DIR)) {
    return new CliError(`no environments folder at ${dir ?? DEFAULT_ENVIRONMENTS_DIR} (run from the project root or pass --dir)`);
  }
  return error;
}

/** The loader's message with file paths relative to where the command runs, as a person typed them. */
export function describeConfigError(io: CliIo, error: ConfigError): string {
  return formatConfigIssues(error.issues.map((issue) => ({ ...issue, file: path.relative(io.cwd, issue.file) || issue.file })));
}
