import { collectPolicies } from "./iam-documents";
import type { Finding, ReportedFinding, StackDocument } from "./model";
import { ALL_RULES, type Rule } from "./rules";
import { type Waiver, isExpired, waiverMatches } from "./waivers";
import { Workspace } from "./workspace";

export interface GateOptions {
  readonly stacks: readonly StackDocument[];
  readonly waivers?: readonly Waiver[];
  /** Evaluation date for waiver expiry and support windows. */
  readonly today: Date;
  /** @default ALL_RULES */
  readonly rules?: readonly Rule[];
}

export interface GateResult {
  /** Every finding, waived or not, in rule order. */
  readonly findings: readonly ReportedFinding[];
  /** Findings that fail the gate: unwaived, or covered only by an expired waiver. */
  readonly failures: readonly ReportedFinding[];
  /** Waivers that matched no finding (stale: remove them). */
  readonly unusedWaivers: readonly Waiver[];
}

export async function runGate(options: GateOptions): Promise<GateResult> {
  const rules = options.rules ?? ALL_RULES;
  const waivers = options.waivers ?? [];
  const workspace = new Workspace(options.stacks);
  const context = { workspace, policies: collectPolicies(workspace), today: options.today };
  const used = new Set<Waiver>();
  const findings: ReportedFinding[] = [];
  for (const rule of rules) {
    let raw: Finding[];
    try {
      raw = await rule.check(context);
    } catch (error) {
      throw new Error(`rule ${rule.id} failed: ${(error as Error).message}`);
    }
    for (const finding of raw) {
      const matching = waivers.filter((waiver) => waiverMatches(waiver, finding));
      matching.forEach((waiver) => used.add(waiver));
      const valid = matching.find((waiver) => !isExpired(waiver, options.today));
      const expired = matching.find((waiver) => isExpired(waiver, options.today));
      findings.push({
        ...finding,
        message: !valid && expired ? `${finding.message} [waiver expired on ${expired.expires}]` : finding.message,
        checkovId: rule.checkovId,
        fix: rule.fix,
        ...(valid ? { waivedBy: { reason: valid.reason, expires: valid.expires } } : {}),
      });
    }
  }
  return {
    findings,
    failures: findings.filter((finding) => !finding.waivedBy),
    unusedWaivers: waivers.filter((waiver) => !used.has(waiver)),
  };
}
