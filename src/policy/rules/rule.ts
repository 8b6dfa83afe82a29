import type { PolicySource } from "../iam-documents";
import type { Finding, TerraformBlock } from "../model";
import type { Workspace } from "../workspace";

/** What a rule sees: every stack of the run, the policy documents found in them, and today's date. */
export interface RuleContext {
  readonly workspace: Workspace;
  readonly policies: readonly PolicySource[];
  /** Evaluation date (for support windows), a parameter so tests are deterministic. */
  readonly today: Date;
}

export interface Rule {
  /** blockfleet's id, `BF-<GROUP>-<NNN>`. */
  readonly id: string;
  /** The matching Checkov check(s), empty when Checkov has none. */
  readonly checkovId: string;
  readonly title: string;
  /** How to fix a finding, shown in the report. */
  readonly fix: string;
  check(context: RuleContext): Finding[] | Promise<Finding[]>;
}

/** A problem (or several) with one block; undefined or [] when the block passes. */
export type BlockProblems = string | readonly string[] | undefined;

interface ResourceRuleSpec {
  readonly id: string;
  readonly checkovId?: string;
  readonly title: string;
  readonly fix: string;
  /** Resource types the rule inspects. */
  readonly types: readonly string[];
  /** The problems of one resource. */
  readonly test: (block: TerraformBlock, context: RuleContext) => BlockProblems;
}

/** A rule that inspects each resource of some types on its own. */
export function resourceRule(spec: ResourceRuleSpec): Rule {
  return {
    id: spec.id,
    checkovId: spec.checkovId ?? "",
    title: spec.title,
    fix: spec.fix,
    check: (context) => context.workspace.resources(...spec.types).flatMap((block) => findingsFor(spec.id, block.address, spec.test(block, context))),
  };
}

export function findingsFor(ruleId: string, address: string, problems: BlockProblems): Finding[] {
  if (problems === undefined) return [];
  const list = typeof problems === "string" ? [problems] : problems;
  return list.map((message) => ({ ruleId, address, message }));
}

/** Terraform accepts booleans as strings in JSON (`"true"`). */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

export function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}
