#!/usr/bin/env node
// Runs a TypeScript entry point of this project fast: bundles it (and only our own code; packages stay external)
// with esbuild into node_modules/.cache/blockfleet, keyed by the sources' sizes and mtimes, then requires it.
// A cache hit costs a directory walk; a miss ~100 ms. tsx would transform per module and parse every source map
// at each start, which costs more than the synthesis itself.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readdirSync, renameSync, statSync } = require("node:fs");
const { join, relative, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const SOURCE_DIRS = ["src", "stacks", "lambdas", "bench", "scripts"];
const [entryArg, ...args] = process.argv.slice(2);
if (!entryArg) {
  console.error("usage: node scripts/run.cjs <entry.ts> [args...]");
  process.exit(2);
}
const entry = resolve(entryArg);

function fingerprint() {
  const hash = createHash("sha256");
  hash.update(relative(root, entry));
  for (const file of ["package-lock.json", "tsconfig.json"]) {
    const stat = statSync(join(root, file), { throwIfNoEntry: false });
    if (stat) hash.update(`${file}:${stat.size}:${stat.mtimeMs}`);
  }
  const walk = (dir) => {
    for (const item of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, item.name);
      if (item.isDirectory()) walk(path);
      else if (/\.(ts|cjs|js|json)$/.test(item.name)) {
        const stat = statSync(path);
        hash.update(`${relative(root, path)}:${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) walk(join(root, dir));
  return hash.digest("hex").slice(0, 20);
}

const cacheDir = join(root, "node_modules", ".cache", "blockfleet", "run");
const bundle = join(cacheDir, `${fingerprint()}.cjs`);
if (!existsSync(bundle)) {
  mkdirSync(cacheDir, { recursive: true });
  const staging = `${bundle}.${process.pid}.tmp`;
  require("esbuild").buildSync({
    entryPoints: [entry],
    outfile: staging,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
    // Bundled code lives in the cache folder; code that needs the project's own files asks projectRoot().
    define: { "process.env.BLOCKFLEET_PROJECT_ROOT_HINT": JSON.stringify(root) },
  });
  renameSync(staging, bundle);
}
process.argv = [process.argv[0], entry, ...args];
require(bundle);
