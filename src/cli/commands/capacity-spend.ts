import { buildSpendSummary, isUtcMonth, utcMonthOf } from "../../../lambdas/capacity-manager/domain/spend";
import { parseCommandLine, requireOption } from "../args";
import { demoRequested } from "../capacity/source";
import { demoSpendSource, dynamoSpendSource, renderSpend, type SpendSource } from "../capacity/spend";
import { DEMO_ENVIRONMENT } from "../demo/account";
import { CliError, EXIT } from "../errors";
import type { CliIo } from "../io";
import { demoEnvironmentsDir } from "./capacity-status";
import { loadForCli } from "./environment";

const OPTIONS = {
  env: { type: "string" },
  month: { type: "string" },
  dir: { type: "string" },
  json: { type: "boolean" },
  demo: { type: "boolean" },
} as const;

const COMMAND = "capacity spend";

export async function runCapacitySpend(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(COMMAND, argv, OPTIONS);
  if (positionals.length > 0) throw new CliError(`${COMMAND}: unexpected argument "${positionals[0]}" (use --env ${positionals[0]})`);
  if (values.month !== undefined && !isUtcMonth(values.month)) {
    throw new CliError(`${COMMAND}: --month must be a UTC month written YYYY-MM (such as 2026-12), got "${values.month}"`);
  }
  const demo = demoRequested(values.demo, io.env);
  const environment = demo ? (values.env ?? DEMO_ENVIRONMENT) : requireOption(COMMAND, "env", values.env);
  const dir = demo ? demoEnvironmentsDir(environment, values.dir) : values.dir;
  const [loaded] = await loadForCli(io, dir, [environment]);
  if (!loaded) throw new CliError(`no environment "${environment}"`);
  const manager = loaded.config.capacity_manager;
  if (!demo && manager === undefined) {
    throw new CliError(`${COMMAND}: environment "${environment}" deploys no capacity manager (capacity_manager.enabled = false), so it has no spend ledger`);
  }
  const source: SpendSource = demo
    ? demoSpendSource(io.now(), new Map(loaded.config.capacity_blocks.map((block) => [block.reservation_id, block.name])))
    : dynamoSpendSource(loaded.name, loaded.config.region);
  const month = values.month ?? utcMonthOf(io.now());
  let entries: Awaited<ReturnType<SpendSource["readMonth"]>>;
  try {
    entries = await source.readMonth(month);
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new CliError(`${COMMAND}: could not read the spend ledger from ${source.label}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`);
  }
  const budget = manager?.monthly_budget_usd;
  const summary = buildSpendSummary({ month, entries, ...(budget !== undefined ? { budgetUsd: budget } : {}) });
  io.stdout.write(
    values.json ? `${JSON.stringify({ environment: loaded.name, ...summary }, null, 2)}\n` : `${renderSpend(loaded.name, source.label, summary)}\n`,
  );
  return EXIT.ok;
}
