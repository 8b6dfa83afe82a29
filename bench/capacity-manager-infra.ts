/**
 * Capacity manager packaging figures for `npm run bench`: each handler's zip against its budget, what is inside,
 * and what bundling costs a synth — cold (esbuild + zip) and from the cache (re-hashing the inputs).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE_BUDGET_BYTES, bundleLambda, capacityManagerHandlers } from "../src/lib/bundling/bundle";

export interface CapacityManagerBundleFigures {
  readonly handler: string;
  readonly zipBytes: number;
  readonly budgetBytes: number;
  /** zipBytes as a percentage of the budget. */
  readonly budgetUsedPercent: number;
  readonly bundleJsBytes: number;
  readonly sourceMapBytes: number;
  readonly inputFiles: number;
  /** Median wall time of a build without the cache (esbuild, zip, hashes). */
  readonly coldBuildMs: number;
  /** Median wall time of a synth-time lookup when nothing changed. */
  readonly cachedLookupMs: number;
  readonly sha256: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
}

function timed<T>(action: () => T): { value: T; ms: number } {
  const started = process.hrtime.bigint();
  const value = action();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export async function runCapacityManagerInfraBench(runs = 3): Promise<CapacityManagerBundleFigures[]> {
  const scratch = mkdtempSync(join(tmpdir(), "blockfleet-bench-bundle-"));
  try {
    return Object.entries(capacityManagerHandlers()).map(([handler, entryPoint]) => {
      const cold = Array.from({ length: runs }, (_, run) =>
        timed(() => bundleLambda({ name: handler, entryPoint, cacheDir: join(scratch, `cold-${run}`), useCache: false })),
      );
      const cacheDir = join(scratch, "warm");
      bundleLambda({ name: handler, entryPoint, cacheDir });
      const warm = Array.from({ length: runs }, () => timed(() => bundleLambda({ name: handler, entryPoint, cacheDir })));
      if (warm.some(({ value }) => !value.fromCache)) throw new Error(`bundle "${handler}" missed its cache with unchanged code`);
      const bundle = cold[0]!.value;
      if (cold.some(({ value }) => value.sha256 !== bundle.sha256)) throw new Error(`bundle "${handler}" is not deterministic`);
      return {
        handler,
        zipBytes: bundle.zipBytes,
        budgetBytes: BUNDLE_BUDGET_BYTES,
        budgetUsedPercent: Math.round((bundle.zipBytes / BUNDLE_BUDGET_BYTES) * 100),
        bundleJsBytes: bundle.fileBytes[`${handler}.bundle.js`] ?? 0,
        sourceMapBytes: bundle.fileBytes[`${handler}.bundle.js.map`] ?? 0,
        inputFiles: bundle.inputFiles,
        coldBuildMs: median(cold.map(({ ms }) => ms)),
        cachedLookupMs: median(warm.map(({ ms }) => ms)),
        sha256: bundle.sha256.slice(0, 12),
      };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// `node --require tsx/cjs bench/capacity-manager-infra.ts` prints the figures on its own.
if (require.main === module) {
  runCapacityManagerInfraBench().then(
    (figures) => console.table(figures),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
