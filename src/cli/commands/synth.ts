import path from "node:path";
import { synthesizeEnvironments } from "../../synth";
import { parseCommandLine } from "../args";
import { EXIT } from "../errors";
import { type CliIo, palette, progress, useColour } from "../io";
import { DEFAULT_ENVIRONMENTS_DIR, environmentError } from "./environment";

export async function runSynth(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("synth", argv, { dir: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } });
  const status = progress(io);
  status.update(`synthesizing ${positionals.length > 0 ? positionals.join(", ") : "all environments"}…`);
  let result: Awaited<ReturnType<typeof synthesizeEnvironments>>;
  try {
    result = await synthesizeEnvironments({
      environmentsDir: path.resolve(io.cwd, values.dir ?? DEFAULT_ENVIRONMENTS_DIR),
      names: positionals,
      outdir: path.resolve(io.cwd, values.out ?? "cdktf.out"),
    });
  } catch (error) {
    throw environmentError(io, error, values.dir, "\nNothing was written.");
  } finally {
    status.done();
  }
  if (values.json) {
    const stacks = result.stacks.map((stack) => ({
      name: stack.name,
      environment: stack.environment,
      resource_count: stack.resourceCount,
      file: path.relative(io.cwd, stack.file) || stack.file,
    }));
    io.stdout.write(`${JSON.stringify({ stacks, warnings: result.warnings }, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...result.stacks.map((stack) => stack.name.length));
  for (const stack of result.stacks) io.stdout.write(`${stack.name.padEnd(width)}  ${String(stack.resourceCount).padStart(4)} resources\n`);
  // Choices that synthesize but put money or access at risk (e.g. a key-only capacity manager API): never fatal,
  // never silent. Same wording as `npm run synth`.
  const colours = palette(useColour(io.stderr, io.env));
  for (const warning of result.warnings) io.stderr.write(`${colours.yellow(`WARNING ${warning}`)}\n`);
  return EXIT.ok;
}
