import path from "node:path";
import { ConfigError, loadEnvironments, type LoadedEnvironment } from "../../config/load";
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
    if (error instanceof ConfigError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CliError(`no environments folder at ${dir ?? DEFAULT_ENVIRONMENTS_DIR} (run from the project root or pass --dir)`);
    }
    throw error;
  }
}
