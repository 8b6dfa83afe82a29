import { code, markdownTable } from "../format/text";
import type { ChangeKind, StackSummary } from "./summarize";

/** Above this many changed resources a stack's table folds into <details> so the PR comment stays readable. */
const FOLD_TABLE_AFTER_ROWS = 15;

const ACTION_LABEL: Readonly<Record<ChangeKind, string>> = {
  create: "➕ create",
  update: "🔧 update",
  replace: "♻️ replace",
  delete: "🗑️ delete",
  forget: "👋 forget",
  read: "read",
  "no-op": "no-op",
};

export function dangerCount(summaries: readonly StackSummary[]): number {
  return summaries.reduce((total, summary) => total + summary.dangers.length, 0);
}

/** The whole report: a verdict, an overview table and one section per stack. */
export function renderPlanReport(summaries: readonly StackSummary[], title = "Terraform plan summary"): string {
  const dangers = dangerCount(summaries);
  const dangerousStacks = summaries.filter((summary) => summary.dangers.length > 0).map((summary) => code(summary.stack));
  const verdict =
    dangers > 0
      ? [
          "> [!CAUTION]",
          `> **${dangers} dangerous change${dangers === 1 ? "" : "s"}** in ${dangerousStacks.join(", ")}. Read the DANGER section${dangerousStacks.length === 1 ? "" : "s"} below before applying.`,
        ].join("\n")
      : `✅ No dangerous changes in ${summaries.length} stack${summaries.length === 1 ? "" : "s"}.`;
  const overview = markdownTable(
    ["Stack", "Create", "Update", "Replace", "Delete", "Danger"],
    summaries.map((summary) => [
      code(summary.stack),
      String(summary.counts.create),
      String(summary.counts.update),
      String(summary.counts.replace),
      String(summary.counts.delete),
      summary.dangers.length > 0 ? `🛑 ${summary.dangers.length}` : "—",
    ]),
  );
  return [`# ${title}`, verdict, overview, ...summaries.map(renderStack)].join("\n\n") + "\n";
}

function renderStack(summary: StackSummary): string {
  const { counts } = summary;
  const forgotten = counts.forget > 0 ? `, ${counts.forget} to forget` : "";
  const headline = `**${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete${forgotten}** · ${counts["no-op"]} unchanged`;
  const parts = [`## ${code(summary.stack)}`, headline];
  if (summary.dangers.length > 0) {
    parts.push(
      "### 🛑 DANGER",
      summary.dangers
        .map((danger) => [`- **${danger.title}**: ${code(danger.address)}`, ...danger.details.map((detail) => `  - ${detail}`)].join("\n"))
        .join("\n"),
    );
  }
  if (summary.changes.length === 0) {
    parts.push("No changes.");
    return parts.join("\n\n");
  }
  const table = markdownTable(
    ["Action", "Resource", "Type", "Why"],
    summary.changes.map((change) => [ACTION_LABEL[change.kind], code(change.address), change.type, change.reason ?? ""]),
  );
  parts.push("### Changes");
  parts.push(
    summary.changes.length > FOLD_TABLE_AFTER_ROWS
      ? `<details><summary>${summary.changes.length} changed resources</summary>\n\n${table}\n\n</details>`
      : table,
  );
  return parts.join("\n\n");
}
