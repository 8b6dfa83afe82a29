import { formatUtc } from "../format/text";
import type { Palette } from "../io";
import type { BlockStatus } from "./status";

const DAY_MS = 86_400_000;

export type SegmentKind = "active" | "scheduled" | "extension-pending" | "extension-paid" | "extension-failed" | "gap";

export interface Segment {
  readonly kind: SegmentKind;
  readonly start: Date;
  readonly end: Date;
}

export interface TimelineRow {
  readonly label: string;
  readonly detail: string;
  readonly segments: readonly Segment[];
}

export interface Timeline {
  readonly environment: string;
  readonly from: Date;
  readonly to: Date;
  readonly rows: readonly TimelineRow[];
  /** Periods in the window when no block is active or on its way: GPU work falls back to on-demand or waits. */
  readonly gaps: readonly Segment[];
}

const COVERING_STATES = new Set(["active", "scheduled", "payment-pending", "pending", "assessing", "delayed"]);

/**
 * Blocks, their extensions and the gaps between them over `weeks` weeks from the start of today (UTC). A block's own
 * dates come from EC2 (a paid extension already moved its end); pending extensions are drawn after it.
 */
export function buildTimeline(environment: string, blocks: readonly BlockStatus[], now: Date, weeks: number): Timeline {
  const from = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const to = new Date(from.getTime() + weeks * 7 * DAY_MS);
  const rows = blocks
    .filter((block) => block.startDate && block.endDate && block.endDate > from && block.startDate < to)
    .map((block): TimelineRow => {
      const own: Segment = { kind: block.state === "active" ? "active" : "scheduled", start: block.startDate!, end: block.endDate! };
      const extensions = block.extensions.flatMap((extension): Segment[] =>
        extension.startDate && extension.endDate
          ? [{ kind: `extension-${extension.status.replace("payment-", "")}` as SegmentKind, start: extension.startDate, end: extension.endDate }]
          : [],
      );
      return {
        label: block.name ?? block.reservationId,
        detail: `${block.reservationId} ${block.instanceCount}× ${block.instanceType} ${block.availabilityZone} (${block.state})`,
        segments: [own, ...extensions.filter((segment) => segment.kind !== "extension-paid")],
      };
    });
  const covering = blocks
    .filter((block) => COVERING_STATES.has(block.state) && block.startDate && block.endDate)
    .flatMap((block) => [
      { start: block.startDate!, end: block.endDate! },
      ...block.extensions
        .filter((extension) => extension.status !== "payment-failed" && extension.startDate && extension.endDate)
        .map((extension) => ({ start: extension.startDate!, end: extension.endDate! })),
    ]);
  return { environment, from, to, rows, gaps: uncovered(now, to, covering) };
}

/** The parts of [from, to) no interval covers. */
function uncovered(from: Date, to: Date, intervals: readonly { start: Date; end: Date }[]): Segment[] {
  const gaps: Segment[] = [];
  let cursor = from.getTime();
  for (const interval of [...intervals].sort((left, right) => left.start.getTime() - right.start.getTime())) {
    if (interval.start.getTime() > cursor) gaps.push({ kind: "gap", start: new Date(cursor), end: new Date(Math.min(interval.start.getTime(), to.getTime())) });
    cursor = Math.max(cursor, interval.end.getTime());
    if (cursor >= to.getTime()) break;
  }
  if (cursor < to.getTime()) gaps.push({ kind: "gap", start: new Date(cursor), end: to });
  return gaps.filter((gap) => gap.end > gap.start);
}

const GLYPH: Readonly<Record<SegmentKind, string>> = {
  active: "█",
  scheduled: "▓",
  "extension-pending": "▒",
  "extension-paid": "█",
  "extension-failed": "x",
  gap: "░",
};

/** One character per slice of the window; later segments (extensions, gaps) draw over earlier ones. */
export function renderTimeline(timeline: Timeline, colours: Palette, width = 56): string {
  const span = timeline.to.getTime() - timeline.from.getTime();
  const column = (date: Date) => Math.round(((date.getTime() - timeline.from.getTime()) / span) * width);
  const paint = (segments: readonly Segment[]) => {
    const cells: string[] = Array.from({ length: width }, () => " ");
    for (const segment of segments) {
      const colour = segment.kind === "active" ? colours.green : segment.kind === "gap" || segment.kind === "extension-failed" ? colours.red : colours.cyan;
      for (let index = Math.max(0, column(segment.start)); index < Math.min(width, Math.max(column(segment.end), column(segment.start) + 1)); index++) {
        cells[index] = colour(GLYPH[segment.kind]);
      }
    }
    return cells.join("");
  };
  const labels = [...timeline.rows.map((row) => row.label), "no capacity"];
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const axis = Array.from({ length: width }, () => " ");
  for (let week = 0; week * 7 * DAY_MS < span; week++) {
    const date = new Date(timeline.from.getTime() + week * 7 * DAY_MS).toISOString().slice(5, 10);
    const at = column(new Date(timeline.from.getTime() + week * 7 * DAY_MS));
    if (at + date.length <= width) axis.splice(at, date.length, ...date);
  }
  const lines = [
    colours.bold(`Capacity timeline of ${timeline.environment}, ${formatUtc(timeline.from)} → ${formatUtc(timeline.to)}`),
    "",
    `${" ".repeat(labelWidth)}  ${axis.join("").trimEnd()}`,
    ...timeline.rows.map((row) => `${row.label.padEnd(labelWidth)}  ${paint(row.segments)}  ${colours.dim(row.detail)}`),
    `${"no capacity".padEnd(labelWidth)}  ${paint(timeline.gaps)}`,
    "",
    colours.dim(`${GLYPH.active} active  ${GLYPH.scheduled} scheduled  ${GLYPH["extension-pending"]} extension pending  ${GLYPH["extension-failed"]} extension failed  ${GLYPH.gap} no block (on-demand fallback)`),
  ];
  if (timeline.rows.length === 0) lines.splice(3, 0, colours.dim("(no capacity blocks in this window)"));
  return `${lines.join("\n")}\n`;
}

const MERMAID_TAG: Readonly<Record<SegmentKind, string>> = {
  active: "active, ",
  scheduled: "",
  "extension-pending": "",
  "extension-paid": "done, ",
  "extension-failed": "crit, ",
  gap: "crit, ",
};

const SEGMENT_TITLE: Readonly<Record<SegmentKind, string>> = {
  active: "active",
  scheduled: "scheduled",
  "extension-pending": "extension pending",
  "extension-paid": "extension paid",
  "extension-failed": "extension payment failed",
  gap: "no capacity block",
};

/** A Mermaid gantt chart of the same timeline; renders in GitHub Markdown and most docs tools. */
export function mermaidGantt(timeline: Timeline): string {
  const when = (date: Date) => date.toISOString().slice(0, 16).replace("T", " ");
  // Mermaid treats ':' ';' and '#' in task names as syntax.
  const text = (value: string) => value.replace(/[:;#]/g, " ");
  const lines = [
    "gantt",
    `    title Capacity blocks of ${text(timeline.environment)} (UTC)`,
    "    dateFormat YYYY-MM-DD HH:mm",
    "    axisFormat %m-%d",
    "    todayMarker off",
  ];
  timeline.rows.forEach((row, rowIndex) => {
    lines.push(`    section ${text(row.label)}`);
    row.segments.forEach((segment, segmentIndex) => {
      const title = segmentIndex === 0 ? `${text(row.detail.replace(/ \(.*\)$/, ""))} ${SEGMENT_TITLE[segment.kind]}` : SEGMENT_TITLE[segment.kind];
      lines.push(`    ${title} :${MERMAID_TAG[segment.kind]}b${rowIndex}s${segmentIndex}, ${when(segment.start)}, ${when(segment.end)}`);
    });
  });
  if (timeline.gaps.length > 0) {
    lines.push("    section Gaps");
    timeline.gaps.forEach((gap, index) => lines.push(`    ${SEGMENT_TITLE.gap} :${MERMAID_TAG.gap}g${index}, ${when(gap.start)}, ${when(gap.end)}`));
  }
  return `${lines.join("\n")}\n`;
}

const SVG_COLOUR: Readonly<Record<SegmentKind, string>> = {
  active: "#2da44e",
  scheduled: "#0969da",
  "extension-pending": "#54aeff",
  "extension-paid": "#2da44e",
  "extension-failed": "#cf222e",
  gap: "#ff8182",
};

/** The same timeline as a standalone SVG image (no library needed): one bar row per block, a row of gaps, week ticks. */
export function timelineSvg(timeline: Timeline): string {
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const [labelWidth, chartWidth, rowHeight, top] = [220, 720, 28, 56];
  const span = timeline.to.getTime() - timeline.from.getTime();
  const x = (date: Date) => labelWidth + Math.max(0, Math.min(1, (date.getTime() - timeline.from.getTime()) / span)) * chartWidth;
  const rows = [...timeline.rows.map((row) => ({ label: row.label, title: row.detail, segments: row.segments })), { label: "no capacity", title: "no block active or scheduled", segments: timeline.gaps }];
  const height = top + rows.length * rowHeight + 16;
  const weeks = Array.from({ length: Math.ceil(span / (7 * DAY_MS)) }, (_, week) => new Date(timeline.from.getTime() + week * 7 * DAY_MS));
  const bars = rows.flatMap((row, index) => {
    const y = top + index * rowHeight;
    return [
      `<text x="8" y="${y + 18}">${escape(row.label)}</text>`,
      ...row.segments
        .filter((segment) => segment.end > timeline.from && segment.start < timeline.to)
        .map((segment) => {
          const [left, right] = [x(segment.start), x(segment.end)];
          const tooltip = `${SEGMENT_TITLE[segment.kind]}: ${formatUtc(segment.start)} → ${formatUtc(segment.end)}`;
          return `<rect x="${left.toFixed(1)}" y="${y + 5}" width="${Math.max(1, right - left).toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${SVG_COLOUR[segment.kind]}"><title>${escape(`${row.title}: ${tooltip}`)}</title></rect>`;
        }),
    ];
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 16}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escape(`Capacity timeline of ${timeline.environment} (UTC)`)}</text>`,
    ...weeks.map((week) => `<line x1="${x(week).toFixed(1)}" y1="${top - 12}" x2="${x(week).toFixed(1)}" y2="${height - 16}" stroke="#d0d7de"/><text x="${(x(week) + 3).toFixed(1)}" y="${top - 16}" fill="#57606a">${week.toISOString().slice(5, 10)}</text>`),
    ...bars,
    `</svg>`,
  ].join("\n") + "\n";
}
