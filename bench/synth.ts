import { readdirSync } from "node:fs";
import { environmentNameOf } from "../src/config/load";
import { type CommandMeasurement, measureCommand } from "./measure";

export interface SynthBenchRow extends CommandMeasurement {
  readonly environment: string;
  /** Wall time relative to the floor. */
  readonly ratio: number;
}

/**
 * `npm run synth -- <env>` for each shipped environment against the floor: `npm run` itself plus loading cdktf,
 * which no synth can avoid. Aim: at most 2x the floor and 300 MB.
 */
export function runSynthBench(runs = 5): { floor: CommandMeasurement; rows: SynthBenchRow[] } {
  const floor = measureCommand("npm", ["run", "-s", "bench:floor"], { runs });
  const environments = readdirSync("environments")
    .map((file) => environmentNameOf(file))
    .filter((name): name is string => name !== undefined);
  const rows = environments.map((environment) => {
    const measurement = measureCommand("npm", ["run", "-s", "synth", "--", environment], { runs });
    return { environment, ...measurement, ratio: Math.round((measurement.wallMs / floor.wallMs) * 100) / 100 };
  });
  return { floor, rows };
}
