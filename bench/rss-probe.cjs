// Preloaded into every node process of a benchmarked command (NODE_OPTIONS=--require): appends the process's peak
// resident set size in kB to BENCH_RSS_FILE on exit, so the benchmark sees the largest process of the command.
const { appendFileSync } = require("node:fs");
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    appendFileSync(file, `${process.resourceUsage().maxRSS}\n`);
  });
}
