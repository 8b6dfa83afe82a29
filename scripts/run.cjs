#!/usr/bin/env node
// The project's one build step. Bundles our own TypeScript (packages stay external) with esbuild into
// node_modules/.cache/blockfleet/run/<fingerprint>/, keyed by the sources' sizes and mtimes, and runs it:
//   node scripts/run.cjs <entry.ts> [args...]      `npm run synth` (and cdktf.json's app), `npm run check`
//   require("./scripts/run.cjs").bundle(entry)      bin/blockfleet.cjs, and tests that load a bundle
// One miss builds the synth, CLI and policy-gate entries together (~200 ms), so whichever runs first pays for all;
// a hit costs a directory walk. There is no dist/ to keep in step: an edited source is a new fingerprint, and a
// fresh clone builds on first use, with nothing to run after `npm ci`. Dynamic import() stays lazy inside a bundle
// (esbuild wraps each lazily imported module), so `blockfleet --help` doesn't load cdktf or the AWS SDK.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } = require("node:fs");
const { join, relative, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const SOURCE_DIRS = ["src", "stacks", "lambdas", "bench", "scripts"];
/** Built together on any miss: the synth app, the CLI and the policy gate. */
const ENTRIES = ["src/main.ts", "src/cli/main.ts", "src/policy/main.ts"];

function fingerprint() {
  const hash = createHash("sha256");
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

/** The bundle's file name for an entry: src/cli/main.ts → src__cli__main.cjs. */
function outputName(entry) {
  return `${relative(root, resolve(root, entry)).replace(/\.ts$/, "").split(/[\\/]/).join("__")}.cjs`;
}

/**
 * The path of the up-to-date bundle of `entry` (relative to the project root or absolute), building it first when
 * the sources changed. Concurrent processes build into their own staging folder and the first rename wins.
 */
function bundle(entry) {
  const cacheDir = join(root, "node_modules", ".cache", "blockfleet", "run", fingerprint());
  const file = join(cacheDir, outputName(entry));
  if (existsSync(file)) return file;
  const entries = existsSync(cacheDir) ? [entry] : [...new Set([...ENTRIES, relative(root, resolve(root, entry))])];
  const staging = `${cacheDir}.${process.pid}.tmp`;
  require("esbuild").buildSync({
    entryPoints: Object.fromEntries(entries.map((path) => [outputName(path).replace(/\.cjs$/, ""), resolve(root, path)])),
    outdir: staging,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "error",
  });
  mkdirSync(cacheDir, { recursive: true });
  for (const name of readdirSync(staging)) {
    try {
      renameSync(join(staging, name), join(cacheDir, name));
    } catch (error) {
      // Another process put the same bundle there first; the contents are identical.
      if (!existsSync(join(cacheDir, name))) throw error;
    }
  }
  rmSync(staging, { recursive: true, force: true });
  return file;
}

module.exports = { bundle };

if (require.main === module) {
  const [entryArg, ...args] = process.argv.slice(2);
  if (!entryArg) {
    console.error("usage: node scripts/run.cjs <entry.ts> [args...]");
    process.exit(2);
  }
  const entry = resolve(entryArg);
  const file = bundle(entry);
  process.argv = [process.argv[0], entry, ...args];
  require(file);
}
