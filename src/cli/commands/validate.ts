import path from "node:path";
import { ConfigError, loadEnvironments } from "../../config/load";
import { parseCommandLine } from "../args";
import { EXIT } from "../errors";
import { type CliIo, palette, useColour } from "../io";
import { DEFAULT_ENVIRONMENTS_DIR, loadForCli } from "./environment";

/**
 * Schema validation only: loads no stacks, so it answers in a fraction of synth's time with the same messages.
 * With --json: `{ valid, environments: [...], issues: [...] }` on stdout, exit 1 when invalid.
 */
export async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("validate", argv, { dir: { type: "string" }, json: { type: "boolean" } });
  const relative = (file: string) => path.relative(io.cwd, file) || file;
  if (values.json) {
    try {
      const loaded = await loadEnvironments({ dir: path.resolve(io.cwd, values.dir ?? DEFAULT_ENVIRONMENTS_DIR), names: positionals });
      const environments = loaded.map((environment) => ({
        name: environment.name,
        file: relative(environment.file),
        region: environment.config.region,
        availability_zones: environment.config.availability_zones,
        capacity_blocks: environment.config.capacity_blocks.length,
      }));
      io.stdout.write(`${JSON.stringify({ valid: true, environments, issues: [] }, null, 2)}\n`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const issues = error.issues.map((issue) => ({ file: relative(issue.file), path: issue.path, message: issue.message, received: issue.received ?? null }));
      io.stdout.write(`${JSON.stringify({ valid: false, environments: [], issues }, null, 2)}\n`);
      return EXIT.failure;
    }
  }
  const colours = palette(useColour(io.stdout, io.env));
  for (const environment of await loadForCli(io, values.dir, positionals)) {
    const { capacity_blocks: blocks, availability_zones: zones, region } = environment.config;
    io.stdout.write(
      `${colours.green("✓")} ${relative(environment.file)}: ${region}, ${zones.length} AZs, ${blocks.length} capacity block${blocks.length === 1 ? "" : "s"}\n`,
    );
  }
  return EXIT.ok;
}
