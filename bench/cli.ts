/**
 * CLI benchmark: start-up of `blockfleet --help` (commands load lazily, so help must not pay for cdktf or the AWS
 * SDK) and `plan-summary` over a generated plan of 5,000 resource changes, each against the floor of starting node.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CommandMeasurement, measureCommand } from "./measure";

const BIN = resolve(__dirname, "..", "bin", "blockfleet.cjs");
const CHANGES = 5_000;

/** Each environment's share of the PR comment, as .github/workflows/pull-request.yml sets it. */
const COMMENT_BUDGET = 30_000;

export interface CliBenchRow extends CommandMeasurement {
  readonly command: string;
  /** Characters the command printed (the report size), where that is what matters. */
  readonly outputChars?: number;
}

/** A plan with every kind of change, one in fifty of them a node group replacement (DANGER). */
function generatedPlan(): string {
  const kinds = [["create"], ["update"], ["delete", "create"], ["delete"], ["no-op"]];
  const resourceChanges = Array.from({ length: CHANGES }, (_, index) => {
    const type = index % 50 === 0 ? "aws_eks_node_group" : "aws_security_group_rule";
    return {
      address: `${type}.resource_${index}`,
      mode: "managed",
      type,
      change: {
        actions: index % 50 === 0 ? ["create", "delete"] : kinds[index % kinds.length],
        before: { description: `rule ${index}`, from_port: 443 },
        after: { description: `rule ${index} (reviewed)`, from_port: 443 },
        after_unknown: { id: true },
        before_sensitive: {},
        after_sensitive: {},
      },
    };
  });
  return JSON.stringify({ format_version: "1.2", terraform_version: "1.12.2", resource_changes: resourceChanges });
}

export function runCliBench(runs: number): CliBenchRow[] {
  const workdir = mkdtempSync(join(tmpdir(), "blockfleet-cli-bench-"));
  try {
    const plan = join(workdir, "bench-cluster.json");
    writeFileSync(plan, generatedPlan());
    const full = [BIN, "plan-summary", "--allow-danger", plan];
    const budgeted = [BIN, "plan-summary", "--allow-danger", "--budget", String(COMMENT_BUDGET), plan];
    const json = [BIN, "plan-summary", "--allow-danger", "--format", "json", plan];
    return [
      { command: "floor (node -e 0)", ...measureCommand(process.execPath, ["-e", "0"], { runs }) },
      { command: "blockfleet --help", ...measureCommand(process.execPath, [BIN, "--help"], { runs }) },
      {
        command: `blockfleet plan-summary (${CHANGES} changes, full report)`,
        ...measureCommand(process.execPath, full, { runs }),
        outputChars: outputChars(full),
      },
      {
        command: `blockfleet plan-summary --budget ${COMMENT_BUDGET} (${CHANGES} changes)`,
        ...measureCommand(process.execPath, budgeted, { runs }),
        outputChars: outputChars(budgeted),
      },
      {
        command: `blockfleet plan-summary --format json (${CHANGES} changes)`,
        ...measureCommand(process.execPath, json, { runs }),
        outputChars: outputChars(json),
      },
    ];
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

/** The length of what a command prints, in characters (GitHub counts a comment's length in characters). */
function outputChars(args: readonly string[]): number {
  const result = spawnSync(process.execPath, [...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`plan-summary failed (${result.status}): ${result.stderr.slice(0, 500)}`);
  return result.stdout.length;
}
