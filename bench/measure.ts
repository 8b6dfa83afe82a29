import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface CommandMeasurement {
  /** Median wall time over the runs, in milliseconds. */
  readonly wallMs: number;
  /** Largest peak RSS of any node process the command started, in MB. */
  readonly peakRssMb: number;
}

/** Runs a command `runs` times (after one warm-up) and reports the median wall time and the peak RSS. */
export function measureCommand(
  command: string,
  args: readonly string[],
  options: { runs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CommandMeasurement {
  const runs = options.runs ?? 5;
  const probeDir = mkdtempSync(join(tmpdir(), "blockfleet-bench-"));
  const rssFile = join(probeDir, "rss");
  const env = {
    ...process.env,
    ...options.env,
    CHECKPOINT_DISABLE: "1",
    BENCH_RSS_FILE: rssFile,
    NODE_OPTIONS: `--require ${resolve(__dirname, "rss-probe.cjs")}`,
  };
  const times: number[] = [];
  try {
    for (let run = 0; run <= runs; run++) {
      const started = process.hrtime.bigint();
      const result = spawnSync(command, [...args], { cwd: options.cwd, env, stdio: ["ignore", "ignore", "pipe"] });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr.toString().slice(0, 500)}`);
      if (run > 0) times.push(elapsed);
    }
    const rssKb = readFileSync(rssFile, "utf8").trim().split("\n").map(Number);
    times.sort((a, b) => a - b);
    return { wallMs: Math.round(times[Math.floor(times.length / 2)]!), peakRssMb: Math.round(Math.max(...rssKb) / 1024) };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}
