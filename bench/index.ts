/**
 * `npm run bench`: the figures the README and closing notes quote. Wall times are medians; nothing here is a test.
 * BENCH_RUNS sets the runs per command (default 5).
 */

import { runCapacityManagerBench } from "./capacity-manager";
import { runCapacityManagerInfraBench } from "./capacity-manager-infra";
import { runCliBench } from "./cli";
import { runSynthBench } from "./synth";

type Row = Record<string, string | number>;

function table(rows: readonly Row[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join("  ")
      .trimEnd();
  return [line(columns), line(widths.map((width) => "-".repeat(width))), ...rows.map((row) => line(columns.map((column) => String(row[column]))))].join("\n");
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);

  console.log(`\n## Synthesis (median of ${runs} runs; floor = npm run + require("cdktf"); aim <= 2x floor, <= 300 MB)`);
  const synth = runSynthBench(runs);
  console.log(
    table([
      { command: "floor", "wall ms": synth.floor.wallMs, "peak RSS MB": synth.floor.peakRssMb, "x floor": 1 },
      ...synth.rows.map((row) => ({ command: `synth -- ${row.environment}`, "wall ms": row.wallMs, "peak RSS MB": row.peakRssMb, "x floor": row.ratio })),
    ]),
  );

  console.log(`\n## CLI (median of ${runs} runs)`);
  console.log(
    table(
      runCliBench(runs).map((row) => ({ command: row.command, "wall ms": row.wallMs, "peak RSS MB": row.peakRssMb, "output chars": row.outputChars ?? "—" })),
    ),
  );

  console.log("\n## Capacity manager packaging (zips shipped by the <env>-capacity-manager stack)");
  const bundles = await runCapacityManagerInfraBench(3);
  console.log(
    table(
      bundles.map((bundle) => ({
        handler: bundle.handler,
        "zip KB": Math.round(bundle.zipBytes / 1024),
        "budget used %": bundle.budgetUsedPercent,
        "bundle.js KB": Math.round(bundle.bundleJsBytes / 1024),
        "cold build ms": bundle.coldBuildMs,
        "cached ms": bundle.cachedLookupMs,
      })),
    ),
  );

  console.log("\n## Capacity manager: one reconcile over 10,000 tracked blocks (mocked EC2), handler bundles");
  const manager = await runCapacityManagerBench();
  console.log(table(Object.entries(manager).map(([measure, value]) => ({ measure, value }))));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
