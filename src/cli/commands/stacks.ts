import path from "node:path";
import { parseCommandLine } from "../args";
import { EXIT } from "../errors";
import type { CliIo } from "../io";
import { dependencyOrder, readStacks, stacksOf } from "../stacks/manifest";

export async function runStacks(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("stacks", argv, {
    out: { type: "string" },
    "remote-state-only": { type: "boolean" },
    json: { type: "boolean" },
  });
  const all = readStacks(path.resolve(io.cwd, values.out ?? "cdktf.out"));
  const chosen = dependencyOrder(stacksOf(all, positionals)).filter((stack) => values["remote-state-only"] !== true || stack.backend !== "local");
  if (values.json) {
    const rows = chosen.map((stack) => ({
      name: stack.name,
      directory: path.relative(io.cwd, stack.directory),
      dependencies: stack.dependencies,
      backend: stack.backend,
      region: stack.region ?? null,
      environment: stack.environment ?? null,
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    io.stdout.write(chosen.map((stack) => `${stack.name}\n`).join(""));
  }
  return EXIT.ok;
}
