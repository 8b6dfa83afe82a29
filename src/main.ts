/**
 * The cdktf app entry (`npm run synth [-- <env>...]`, `cdktf synth|diff|deploy`). The only place that reads argv and
 * the environment; everything below receives typed values.
 */
import { ConfigError } from "./config/load";
import { synthesizeEnvironments } from "./synth";

async function main(): Promise<number> {
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
  // cdktf's CLI tells the app where to write; run directly, we write to cdktf.out.
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  try {
    const result = await synthesizeEnvironments({ environmentsDir: "environments", names, outdir });
    const width = Math.max(...result.stacks.map((stack) => stack.name.length));
    for (const stack of result.stacks) {
      console.log(`${stack.name.padEnd(width)}  ${String(stack.resourceCount).padStart(4)} resources`);
    }
    for (const warning of result.warnings) console.error(`WARNING ${warning}`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      console.error("Nothing was written.");
      return 1;
    }
    throw error;
  }
}

// Failure until main says otherwise: a run whose work stops without settling (a wedged parser, a promise nothing
// resolves) ends with the event loop empty, and must not exit 0 with nothing written.
process.exitCode = 1;
let settled = false;
process.once("beforeExit", () => {
  if (!settled) console.error("synthesis stopped before it finished. Nothing was written.");
});
main().then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (error: unknown) => {
    settled = true;
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
