import { code, markdownTable } from "../format/text";
import type { Danger } from "./danger";
import type { AttributeDiff } from "./diff";
import type { ChangedResource, StackSummary } from "./summarize";

/**
 * The Markdown review. Verdicts come first and are never dropped: the title, the verdict, the overview table, every
 * DANGER entry and every unreadable file. Below the detail marker follow the per-stack tables and attribute diffs,
 * which are shortened, then dropped, whole block by whole block (never cut inside a tag) until the report fits the
 * budget. The PR workflow splits comments at the marker when several environments' reports don't fit one comment.
 */
export const DETAIL_MARKER = "<!-- blockfleet:detail -->";

/** GitHub refuses issue and PR comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Above this many changed resources a stack's table folds into <details> so the PR comment stays readable. */
const FOLD_TABLE_AFTER_ROWS = 15;
/** Attribute lines shown per resource at most, even when everything fits. */
const MAX_DIFF_LINES = 40;

export interface UnreadablePlan {
  readonly file: string;
  readonly error: string;
}

export interface ReportInput {
  readonly summaries: readonly StackSummary[];
  readonly unreadable?: readonly UnreadablePlan[];
  readonly title?: string;
}

export interface RenderOptions {
  /** Longest report in characters; detail is shortened to fit. Unlimited when absent. */
  readonly budget?: number;
  /** Where the whole report can be read when this one is shortened (a link or a sentence). */
  readonly fullReport?: string;
}

/** How much detail one rendering keeps; the budget walks down these lists. */
interface Detail {
  readonly diffLines: number;
  readonly tableRows: number;
  readonly dangers: DangerStyle;
}

/** `full`: every entry with its facts; `grouped`: one entry per kind of loss, every address listed; `counted`: the same with the first addresses only. */
type DangerStyle = "full" | "grouped" | "counted";

/** Detail is given up first; DANGER entries are only compressed when they alone don't fit, and then detail returns. */
const DANGER_STYLES: readonly DangerStyle[] = ["full", "grouped", "counted"];
const DETAIL_LEVELS: readonly Omit<Detail, "dangers">[] = [
  { diffLines: MAX_DIFF_LINES, tableRows: Number.POSITIVE_INFINITY },
  { diffLines: 5, tableRows: Number.POSITIVE_INFINITY },
  { diffLines: 0, tableRows: Number.POSITIVE_INFINITY },
  { diffLines: 0, tableRows: 250 },
  { diffLines: 0, tableRows: 100 },
  { diffLines: 0, tableRows: 20 },
  { diffLines: 0, tableRows: 0 },
];

function shortenedLabel(detail: Detail): string | undefined {
  const parts = [
    detail.diffLines === 0
      ? "attribute diffs left out"
      : detail.diffLines < MAX_DIFF_LINES
        ? `attribute diffs shortened to ${detail.diffLines} lines per resource`
        : "",
    detail.tableRows === 0
      ? "change tables left out"
      : Number.isFinite(detail.tableRows)
        ? `change tables shortened to ${detail.tableRows} rows per stack`
        : "",
    detail.dangers === "grouped"
      ? "DANGER entries grouped by what they lose"
      : detail.dangers === "counted"
        ? "DANGER entries grouped by what they lose, first addresses only"
        : "",
  ].filter((part) => part !== "");
  return parts.length > 0 ? parts.join(", ") : undefined;
}

const ACTION_LABEL: Readonly<Record<ChangedResource["kind"], string>> = {
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

/** `+/-`, `-/+` and the other labels of a change, as `terraform plan` distinguishes them. */
export function actionLabel(change: ChangedResource): string {
  if (change.kind === "replace") {
    if (change.order === "create-first") return "♻️ replace +/- (create first)";
    if (change.order === "forget-old") return "♻️ replace (old one forgotten)";
    return "♻️ replace -/+ (destroy first)";
  }
  if (change.kind === "no-op") return change.importing ? "📥 import" : "🚚 move";
  const label = ACTION_LABEL[change.kind];
  return change.importing ? `📥 import, ${label}` : label;
}

/** The whole report, shortened to the budget when one is given. */
export function renderPlanReport(input: ReportInput, options: RenderOptions = {}): string {
  const budget = options.budget ?? Number.POSITIVE_INFINITY;
  let report = "";
  for (const dangers of DANGER_STYLES) {
    for (const level of DETAIL_LEVELS) {
      report = render(input, { ...level, dangers }, options);
      if (report.length <= budget) return report;
    }
  }
  // Even the verdicts alone exceed the budget: they are still returned whole, never cut (the caller decides).
  return report;
}

function render(input: ReportInput, detail: Detail, options: RenderOptions): string {
  const { summaries } = input;
  const unreadable = input.unreadable ?? [];
  const dangers = dangerCount(summaries);
  const dangerousStacks = summaries.filter((summary) => summary.dangers.length > 0).map((summary) => code(summary.stack));
  const stacks = `${summaries.length} stack${summaries.length === 1 ? "" : "s"}`;
  const verdict =
    dangers > 0
      ? [
          "> [!CAUTION]",
          `> **${dangers} dangerous change${dangers === 1 ? "" : "s"}** in ${dangerousStacks.join(", ")}. Read the DANGER section below before applying.`,
        ].join("\n")
      : `✅ No dangerous changes in ${stacks}.`;
  const parts = [`# ${input.title ?? "Terraform plan summary"}`, verdict];
  if (unreadable.length > 0) {
    parts.push(
      `> [!WARNING]\n> **${unreadable.length} plan file${unreadable.length === 1 ? "" : "s"} could not be read**; the other stacks are summarized below.`,
    );
  }
  const label = shortenedLabel(detail);
  if (label) {
    parts.push(
      `> [!NOTE]\n> Shortened to fit ${(options.budget ?? 0).toLocaleString("en-US")} characters: ${label}.${options.fullReport ? ` The full report: ${options.fullReport}.` : ""}`,
    );
  }
  if (summaries.length > 0) parts.push(overview(summaries));
  if (dangers > 0) parts.push(dangerSection(summaries, detail.dangers));
  const notes = summaries.flatMap((summary) => summary.notes.map((note) => `- ${code(summary.stack)}: ${note}`));
  if (notes.length > 0) parts.push("## ⚠️ Incomplete plans", notes.join("\n"));
  if (unreadable.length > 0) {
    parts.push("## ⚠️ Plans that could not be read", unreadable.map((item) => `- ${code(item.file)}: ${oneLine(item.error)}`).join("\n"));
  }
  parts.push(DETAIL_MARKER);
  for (const summary of summaries) parts.push(stackSection(summary, detail));
  return `${parts.join("\n\n")}\n`;
}

function overview(summaries: readonly StackSummary[]): string {
  return markdownTable(
    ["Stack", "Create", "Update", "Replace", "Delete", "Import", "Move", "Forget", "Deferred", "Drift", "Danger"],
    summaries.map((summary) => [
      code(summary.stack),
      ...(["create", "update", "replace", "delete", "import", "move", "forget", "deferred", "drift"] as const).map((kind) => String(summary.counts[kind])),
      summary.dangers.length > 0 ? `🛑 ${summary.dangers.length}` : "—",
    ]),
  );
}

function dangerSection(summaries: readonly StackSummary[], style: DangerStyle): string {
  const sections = summaries
    .filter((summary) => summary.dangers.length > 0)
    .map((summary) => `### 🛑 DANGER in ${code(summary.stack)}\n\n${dangerList(summary.dangers, style)}`);
  return ["## 🛑 Dangerous changes", ...sections].join("\n\n");
}

function dangerList(dangers: readonly Danger[], style: DangerStyle): string {
  if (style !== "full") {
    // Entries that lose the same thing in the same way share one line of facts; no entry is left uncounted.
    const groups = new Map<string, Danger[]>();
    for (const danger of dangers) {
      const key = JSON.stringify([danger.title, danger.lost, danger.recovery]);
      groups.set(key, [...(groups.get(key) ?? []), danger]);
    }
    return [...groups.values()]
      .map((members) => {
        const [first] = members;
        const shown = style === "counted" ? members.slice(0, 5) : members;
        const more = members.length > shown.length ? ` and ${members.length - shown.length} more` : "";
        return [
          `- **${first?.title}** × ${members.length}: ${shown.map((danger) => code(danger.address)).join(", ")}${more}`,
          `  - Lost: ${first?.lost}`,
          `  - Recovery: ${first?.recovery}`,
        ].join("\n");
      })
      .join("\n");
  }
  return dangers
    .map((danger) =>
      [
        `- **${danger.title}**: ${code(danger.address)}`,
        `  - Lost: ${danger.lost}`,
        `  - Recovery: ${danger.recovery}`,
        ...danger.details.map((line) => `  - ${line}`),
      ].join("\n"),
    )
    .join("\n");
}

function headline(summary: StackSummary): string {
  const { counts } = summary;
  const extra = [
    counts.import > 0 ? `${counts.import} to import` : "",
    counts.move > 0 ? `${counts.move} moved` : "",
    counts.forget > 0 ? `${counts.forget} to forget` : "",
  ]
    .filter((text) => text !== "")
    .map((text) => `, ${text}`)
    .join("");
  const tail = [
    `${counts["no-op"]} unchanged`,
    ...(counts.deferred > 0 ? [`${counts.deferred} deferred`] : []),
    ...(counts.drift > 0 ? [`${counts.drift} changed outside Terraform`] : []),
  ].join(" · ");
  return `**${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete${extra}** · ${tail}`;
}

function stackSection(summary: StackSummary, detail: Detail): string {
  const parts = [`## ${code(summary.stack)}`, headline(summary)];
  if (summary.dangers.length > 0) parts.push(`🛑 ${summary.dangers.length} DANGER (above).`);
  if (summary.changes.length === 0 && summary.deferred.length === 0 && summary.drift.length === 0) {
    parts.push("No changes.");
    return parts.join("\n\n");
  }
  if (summary.changes.length > 0) {
    parts.push("### Changes");
    parts.push(detail.tableRows > 0 ? changeTable(summary.changes, detail.tableRows) : `${summary.changes.length} changed resources (table left out).`);
  }
  if (detail.diffLines > 0) {
    const diffs = summary.changes
      .filter((change) => change.attributes.length > 0)
      .map((change) => diffBlock(actionLabel(change), change.address, change.attributes, detail.diffLines));
    if (diffs.length > 0) parts.push("### Attribute changes", diffs.join("\n\n"));
  }
  if (summary.deferred.length > 0) {
    parts.push("### ⏸️ Deferred to a later plan");
    parts.push(
      detail.tableRows > 0
        ? fold(
            markdownTable(
              ["Action", "Resource", "Type", "Why deferred"],
              summary.deferred.slice(0, detail.tableRows).map((item) => [ACTION_LABEL[item.kind], code(item.address), item.type, item.reason]),
            ) + more(summary.deferred.length, detail.tableRows),
            summary.deferred.length,
            "deferred changes",
          )
        : `${summary.deferred.length} deferred changes (table left out).`,
    );
  }
  if (summary.drift.length > 0) {
    parts.push("### 🌀 Changed outside Terraform (drift)");
    const rows = summary.drift.slice(0, detail.tableRows).map((item) => [item.kind === "delete" ? "🗑️ deleted" : "🔧 changed", code(item.address), item.type]);
    parts.push(
      detail.tableRows > 0
        ? fold(
            markdownTable(["What happened", "Resource", "Type"], rows) + more(summary.drift.length, detail.tableRows),
            summary.drift.length,
            "drifted resources",
          )
        : `${summary.drift.length} drifted resources (table left out).`,
    );
    if (detail.diffLines > 0) {
      const diffs = summary.drift
        .filter((item) => item.attributes.length > 0)
        .map((item) => diffBlock("🌀 drift", item.address, item.attributes, detail.diffLines));
      if (diffs.length > 0) parts.push(diffs.join("\n\n"));
    }
  }
  return parts.join("\n\n");
}

function changeTable(changes: readonly ChangedResource[], rows: number): string {
  const table = markdownTable(
    ["Action", "Resource", "Type", "Why"],
    changes.slice(0, rows).map((change) => [actionLabel(change), code(change.address), change.type, why(change)]),
  );
  return fold(table + more(changes.length, rows), changes.length, "changed resources");
}

function why(change: ChangedResource): string {
  return [
    change.movedFrom ? `moved from ${code(change.movedFrom)}` : "",
    change.importing ? `import${change.importing.id !== undefined ? ` of ${code(change.importing.id)}` : ""}` : "",
    change.deposed ? `deposed object ${code(change.deposed)}` : "",
    change.reason ?? "",
  ]
    .filter((text) => text !== "")
    .join("; ");
}

function more(total: number, shown: number): string {
  return total > shown ? `\n\n… and ${total - shown} more (in the full report).` : "";
}

function fold(body: string, count: number, what: string): string {
  return count > FOLD_TABLE_AFTER_ROWS ? `<details><summary>${count} ${what}</summary>\n\n${body}\n\n</details>` : body;
}

/** One resource's attribute changes in a folded diff block; its fence is longer than any backtick run inside. */
function diffBlock(label: string, address: string, attributes: readonly AttributeDiff[], maxLines: number): string {
  const lines = attributes.slice(0, maxLines).map(diffLine);
  if (attributes.length > maxLines) lines.push(`# … ${attributes.length - maxLines} more attributes`);
  const body = lines.join("\n");
  const longestRun = Math.max(2, ...[...body.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longestRun + 1);
  const count = `${attributes.length} attribute${attributes.length === 1 ? "" : "s"}`;
  return `<details><summary>${escapeHtml(label)} <code>${escapeHtml(address)}</code> · ${count}</summary>\n\n${fence}diff\n${body}\n${fence}\n\n</details>`;
}

function diffLine(diff: AttributeDiff): string {
  const forces = diff.forcesReplacement ? "   # forces replacement" : "";
  if (diff.op === "+") return `+ ${diff.path} = ${oneLine(diff.after ?? "")}${forces}`;
  if (diff.op === "-") return `- ${diff.path} = ${oneLine(diff.before ?? "")}${forces}`;
  return `! ${diff.path}: ${oneLine(diff.before ?? "")} → ${oneLine(diff.after ?? "")}${forces}`;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, " ");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
