/**
 * `npm run bench`: the figures the README and closing notes quote. Wall times are medians; nothing here is a test.
 */
import { runSynthBench } from "./synth";

function table(rows: ReadonlyArray<Record<string, string | number>>): string {
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells: readonly string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ");
  return [line(columns), line(widths.map((width) => "-".repeat(width))), ...rows.map((row) => line(columns.map((column) => String(row[column]))))].join("\n");
}

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  console.log(`Synthesis (median of ${runs} runs; floor = npm run + require("cdktf"))`);
  const synth = runSynthBench(runs);
  console.log(
    table([
      { command: "floor", "wall ms": synth.floor.wallMs, "peak RSS MB": synth.floor.peakRssMb, "x floor": 1 },
      ...synth.rows.map((row) => ({ command: `synth -- ${row.environment}`, "wall ms": row.wallMs, "peak RSS MB": row.peakRssMb, "x floor": row.ratio })),
    ]),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
