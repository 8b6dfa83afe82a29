/** `npm run check [-- <dir>] [--waivers <file>]`: the policy gate over every cdk.tf.json under a folder. */
import { check, parseArguments } from "./cli";

async function main(): Promise<void> {
  try {
    const { exitCode, output } = await check(parseArguments(process.argv.slice(2)), new Date());
    (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
    process.exitCode = exitCode;
  } catch (error) {
    process.stderr.write(`policy gate error: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}

void main();
