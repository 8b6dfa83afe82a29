import type { GateResult } from "./engine";
import type { ReportedFinding } from "./model";

const HEADERS = ["RULE", "CHECKOV", "RESOURCE", "MESSAGE"] as const;

function table(findings: readonly ReportedFinding[], detail: (finding: ReportedFinding) => string): string[] {
  const rows = findings.map((finding) => [finding.ruleId, finding.checkovId || "-", finding.address, finding.message]);
  const widths = [0, 1, 2].map((column) => Math.max(HEADERS[column]!.length, ...rows.map((row) => row[column]!.length)));
  const indent = " ".repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join("  ");
  return [line(HEADERS), ...findings.flatMap((finding, index) => [line(rows[index]!), `${indent}${detail(finding)}`])];
}

/** The gate's report as printed by `npm run check`. */
export function formatReport(result: GateResult, stackCount: number): string {
  const lines: string[] = [];
  if (result.failures.length > 0) {
    lines.push(`Findings (${result.failures.length}):`, ...table(result.failures, (finding) => `fix: ${finding.fix}`), "");
  }
  const waived = result.findings.filter((finding) => finding.waivedBy);
  if (waived.length > 0) {
    lines.push(`Waived (${waived.length}):`, ...table(waived, (finding) => `waived until ${finding.waivedBy!.expires}: ${finding.waivedBy!.reason}`), "");
  }
  for (const waiver of result.unusedWaivers) {
    lines.push(`warning: waiver ${waiver.rule} for ${waiver.resource} (expires ${waiver.expires}) matches no finding; remove it`);
  }
  if (result.unusedWaivers.length > 0) lines.push("");
  lines.push(
    result.failures.length === 0
      ? `policy gate passed: ${stackCount} stack(s), ${waived.length} waived finding(s)`
      : `policy gate FAILED: ${result.failures.length} finding(s) in ${stackCount} stack(s), ${waived.length} waived`,
  );
  return lines.join("\n");
}
