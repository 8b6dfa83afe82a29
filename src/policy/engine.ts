import { collectPolicies } from "./iam-documents";
import type { Finding, ReportedFinding, StackDocument } from "./model";
import { ALL_RULES, type Rule } from "./rules";
import { isExpired, type Waiver, waiverMatches } from "./waivers";
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
  /** Every finding, waived or not, in rule order, then expired waivers that matched nothing. */
  readonly findings: readonly ReportedFinding[];
  /** Findings that fail the gate: unwaived, covered only by an expired waiver, or an expired waiver itself. */
  readonly failures: readonly ReportedFinding[];
  /** Waivers still valid that matched no finding (stale: remove them). */
  readonly unusedWaivers: readonly Waiver[];
}

/**
 * An expired waiver is a finding even when what it covered is gone: the file would otherwise keep an exception
 * nobody re-reviewed, ready to hide the next finding that matches it.
 */
export const EXPIRED_WAIVER_RULE = {
  id: "BF-WAIVER-001",
  title: "No expired waiver in the waiver file",
  fix: "delete the waiver if the finding is fixed; otherwise review the exception again and set a new expires date",
} as const;

function expiredWaiverFinding(waiver: Waiver): ReportedFinding {
  return {
    ruleId: EXPIRED_WAIVER_RULE.id,
    checkovId: "",
    address: `waiver ${waiver.rule} ${waiver.resource}`,
    message: `waiver expired on ${waiver.expires} and matches no finding (reason given: ${waiver.reason})`,
    fix: EXPIRED_WAIVER_RULE.fix,
  };
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
      for (const waiver of matching) used.add(waiver);
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
  const unused = waivers.filter((waiver) => !used.has(waiver));
  findings.push(...unused.filter((waiver) => isExpired(waiver, options.today)).map(expiredWaiverFinding));
  return {
    findings,
    failures: findings.filter((finding) => !finding.waivedBy),
    unusedWaivers: unused.filter((waiver) => !isExpired(waiver, options.today)),
  };
}
