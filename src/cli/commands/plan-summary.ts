import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseCommandLine, positiveInteger } from "../args";
import { CliError, EXIT } from "../errors";
import type { CliIo } from "../io";
import { decodePlanBytes, parsePlanJson } from "../plan/plan-json";
import { dangerCount, renderPlanReport, type UnreadablePlan } from "../plan/render";
import { type StackSummary, summarizePlan } from "../plan/summarize";

const OPTIONS = {
  stack: { type: "string" },
  "allow-danger": { type: "boolean" },
  format: { type: "string" },
  json: { type: "boolean" },
  title: { type: "string" },
  budget: { type: "string" },
  "full-report": { type: "string" },
  "full-report-link": { type: "string" },
  "full-report-budget": { type: "string" },
} as const;

const FORMATS = ["markdown", "json"] as const;

/** Version of the `--format json` document; raised when a field changes meaning or goes away. */
export const PLAN_SUMMARY_JSON_VERSION = 1;

export async function runPlanSummary(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine("plan-summary", argv, OPTIONS);
  if (positionals.length === 0) throw new CliError("plan-summary: give at least one plan JSON file (see `blockfleet plan-summary --help`)");
  if (values.stack !== undefined && positionals.length > 1) {
    throw new CliError(`plan-summary: --stack names a single plan, but ${positionals.length} files were given`);
  }
  const format = values.json === true ? "json" : (values.format ?? "markdown");
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`plan-summary: --format must be one of ${FORMATS.join(", ")}, got "${format}"`);
  }
  const budget = values.budget === undefined ? undefined : positiveInteger("plan-summary", "budget", values.budget);
  const fullBudget =
    values["full-report-budget"] === undefined ? undefined : positiveInteger("plan-summary", "full-report-budget", values["full-report-budget"]);

  const summaries: StackSummary[] = [];
  const unreadable: UnreadablePlan[] = [];
  for (const file of positionals) {
    const shownAs = file === "-" ? "stdin" : file;
    try {
      const stdin = file === "-" ? await io.readStdin() : undefined;
      const text = stdin === undefined ? readPlanFile(path.resolve(io.cwd, file), file) : typeof stdin === "string" ? stdin : decodePlanBytes(stdin);
      const stack = values.stack ?? (file === "-" ? "stdin" : stackNameFromPath(file));
      summaries.push(summarizePlan(stack, parsePlanJson(text, shownAs)));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      unreadable.push({ file: shownAs, error: error.message.replace(/^plan-summary: /, "") });
    }
  }
  // One line per unreadable file on stderr; when nothing could be summarized that is the whole answer.
  for (const item of unreadable) io.stderr.write(`blockfleet: plan-summary: ${item.error}\n`);
  if (summaries.length === 0) return EXIT.failure;

  const exitCode = dangerCount(summaries) > 0 && values["allow-danger"] !== true ? EXIT.danger : EXIT.ok;
  const input = { summaries, unreadable, ...(values.title !== undefined ? { title: values.title } : {}) };
  if (values["full-report"] !== undefined) {
    writeFileSync(path.resolve(io.cwd, values["full-report"]), renderPlanReport(input, fullBudget !== undefined ? { budget: fullBudget } : {}));
  }
  if (format === "json") {
    const document = { version: PLAN_SUMMARY_JSON_VERSION, exitCode, dangerCount: dangerCount(summaries), stacks: summaries, unreadable };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    const fullReport = values["full-report-link"];
    io.stdout.write(renderPlanReport(input, { ...(budget !== undefined ? { budget } : {}), ...(fullReport !== undefined ? { fullReport } : {}) }));
  }
  return exitCode;
}

function readPlanFile(absolutePath: string, shownAs: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolutePath);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new CliError(`plan-summary: cannot read ${shownAs}: ${reason}`);
  }
  return decodePlanBytes(bytes);
}

/** `prod-cluster.json`, `prod-cluster.plan.json` → prod-cluster; `stacks/prod-cluster/plan.json` → prod-cluster. */
export function stackNameFromPath(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.json$/i, "")
    .replace(/\.(tf)?plan$/i, "");
  if (/^(tf)?plan$/i.test(base) || base === "") return path.basename(path.dirname(path.resolve(file)));
  return base;
}
