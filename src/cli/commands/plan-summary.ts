import { readFileSync } from "node:fs";
import path from "node:path";
import { parseCommandLine } from "../args";
import { CliError, EXIT } from "../errors";
import type { CliIo } from "../io";
import { parsePlanJson } from "../plan/plan-json";
import { dangerCount, renderPlanReport } from "../plan/render";
import { summarizePlan } from "../plan/summarize";

const OPTIONS = {
  stack: { type: "string" },
  "allow-danger": { type: "boolean" },
  json: { type: "boolean" },
  title: { type: "string" },
} as const;

export async function runPlanSummary(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("plan-summary", argv, OPTIONS);
  if (positionals.length === 0) throw new CliError("plan-summary: give at least one plan JSON file (see `blockfleet plan-summary --help`)");
  if (values.stack !== undefined && positionals.length > 1) {
    throw new CliError(`plan-summary: --stack names a single plan, but ${positionals.length} files were given`);
  }
  const summaries = [];
  for (const file of positionals) {
    const text = file === "-" ? await io.readStdin() : readPlanFile(path.resolve(io.cwd, file), file);
    const stack = values.stack ?? (file === "-" ? "stdin" : stackNameFromPath(file));
    summaries.push(summarizePlan(stack, parsePlanJson(text, file === "-" ? "stdin" : file)));
  }
  io.stdout.write(values.json ? `${JSON.stringify(summaries, null, 2)}\n` : renderPlanReport(summaries, values.title));
  return dangerCount(summaries) > 0 && values["allow-danger"] !== true ? EXIT.danger : EXIT.ok;
}

function readPlanFile(absolutePath: string, shownAs: string): string {
  try {
    return readFileSync(absolutePath, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`plan-summary: cannot read ${shownAs}: ${reason}`);
  }
}

/** `prod-cluster.json`, `prod-cluster.plan.json` → prod-cluster; `stacks/prod-cluster/plan.json` → prod-cluster. */
export function stackNameFromPath(file: string): string {
  const base = path.basename(file).replace(/\.json$/i, "").replace(/\.(tf)?plan$/i, "");
  if (/^(tf)?plan$/i.test(base) || base === "") return path.basename(path.dirname(path.resolve(file)));
  return base;
}
