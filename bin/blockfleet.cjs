#!/usr/bin/env node
// The `blockfleet` command: runs the TypeScript CLI straight from a clone, through the project's one build step
// (scripts/run.cjs bundles it with esbuild on first use and whenever a source changed).
"use strict";

// The SDK warns on every run that its 2027 releases need Node 22; blockfleet supports Node 20 until then.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { runCli } = require(require("../scripts/run.cjs").bundle("src/cli/main.ts"));

// A reader that stops early (`blockfleet … | head`) closes the pipe: that ends the command quietly, with exit 0,
// as for any Unix filter. Other stream errors stay errors.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error && error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

/** Reads all of stdin as bytes, for `blockfleet plan-summary -` (which tells UTF-16 from UTF-8 itself). */
function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks)));
    process.stdin.on("error", reject);
  });
}

// Failure until runCli answers: a command whose work stops without settling must not exit 0.
process.exitCode = 1;
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
  readStdin,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`blockfleet: ${error?.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
