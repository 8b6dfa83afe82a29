import path from "node:path";
import { parseCommandLine } from "../args";
import { EXIT } from "../errors";
import { palette, useColour, type CliIo } from "../io";
import { loadForCli } from "./environment";

/** Schema validation only: loads no stacks, so it answers in a fraction of synth's time with the same messages. */
export async function runValidate(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("validate", argv, { dir: { type: "string" } });
  const colours = palette(useColour(io.stdout, io.env));
  for (const environment of await loadForCli(io, values.dir, positionals)) {
    const { capacity_blocks: blocks, availability_zones: zones, region } = environment.config;
    io.stdout.write(
      `${colours.green("✓")} ${path.relative(io.cwd, environment.file) || environment.file}: ${region}, ${zones.length} AZs, ${blocks.length} capacity block${blocks.length === 1 ? "" : "s"}\n`,
    );
  }
  return EXIT.ok;
}
