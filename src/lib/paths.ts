import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The blockfleet checkout's root folder. Code is run both from source (tests, tsx) and from a bundle in
 * node_modules/.cache (scripts/run.cjs), so paths to the project's own files are resolved from here, never from
 * __dirname directly.
 */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "blockfleet") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the blockfleet project root above ${__dirname}`);
    dir = parent;
  }
}
