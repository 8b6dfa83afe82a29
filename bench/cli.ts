/**
 * CLI benchmark: start-up of `blockfleet --help` (commands load lazily, so help must not pay for cdktf or the AWS
 * SDK) and `plan-summary` over a generated plan of 5,000 resource changes, each against the floor of starting node.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { measureCommand, type CommandMeasurement } from "./measure";

const BIN = resolve(__dirname, "..", "bin", "blockfleet.cjs");
const CHANGES = 5_000;

export interface CliBenchRow extends CommandMeasurement {
  readonly command: string;
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
      change: { actions: index % 50 === 0 ? ["create", "delete"] : kinds[index % kinds.length], before: { description: `rule ${index}` }, after: { description: `rule ${index}` } },
    };
  });
  return JSON.stringify({ format_version: "1.2", terraform_version: "1.12.2", resource_changes: resourceChanges });
}

export function runCliBench(runs: number): CliBenchRow[] {
  const workdir = mkdtempSync(join(tmpdir(), "blockfleet-cli-bench-"));
  try {
    const plan = join(workdir, "bench-cluster.json");
    writeFileSync(plan, generatedPlan());
    return [
      { command: "floor (node -e 0)", ...measureCommand(process.execPath, ["-e", "0"], { runs }) },
      { command: "blockfleet --help", ...measureCommand(process.execPath, [BIN, "--help"], { runs }) },
      { command: `blockfleet plan-summary (${CHANGES} changes)`, ...measureCommand(process.execPath, [BIN, "plan-summary", "--allow-danger", plan], { runs }) },
    ];
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}
