import { ENDED_RESERVATION_STATES, LIVE_RESERVATION_STATES, type ReservationState } from "../../lib/capacity-blocks/facts";
import { formatUtc } from "../format/text";
import type { Palette, Style } from "../io";
import type { BlockStatus } from "./status";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** What a stretch of a bar means; each has its own colour in the terminal and in the SVG. */
export const SEGMENT_KINDS = ["active", "scheduled", "expired", "extension-paid", "extension-pending", "payment-failed", "gap"] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

export interface Segment {
  readonly kind: SegmentKind;
  readonly start: Date;
  readonly end: Date;
}

export interface TimelineRow {
  /** The block's name in the environment file, else its reservation id. */
  readonly label: string;
  readonly reservationId: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly availabilityZone: string;
  readonly state: string;
  /** What the bar itself says: `p5-training · 4 × p5.48xlarge · us-east-1a`. */
  readonly barLabel: string;
  readonly segments: readonly Segment[];
}

/** Periods when no block of one instance type is active or on its way: its GPU work falls back to on-demand or waits. */
export interface GapRow {
  readonly instanceType: string;
  readonly segments: readonly Segment[];
}

export interface Timeline {
  readonly environment: string;
  /** A Monday, 00:00 UTC. */
  readonly from: Date;
  readonly to: Date;
  readonly now: Date;
  readonly rows: readonly TimelineRow[];
  readonly gaps: readonly GapRow[];
}

/** Block states that hold (or will hold) capacity, so they close a gap. */
const COVERING_STATES = LIVE_RESERVATION_STATES;
/** Drawn as over: ended, or a request EC2 does not support (it never starts). */
const ENDED_STATES: ReadonlySet<string> = new Set([...ENDED_RESERVATION_STATES, "unsupported" satisfies ReservationState]);

/** EC2's extension status → what the drawing calls it. */
const EXTENSION_KIND: Readonly<Record<string, SegmentKind>> = {
  "payment-succeeded": "extension-paid",
  "payment-pending": "extension-pending",
  "payment-failed": "payment-failed",
};

/** The Monday (00:00 UTC) on or before the day before `now`, so a block that ended yesterday is still in view. */
export function windowStart(now: Date): Date {
  const yesterday = Math.floor(now.getTime() / DAY_MS) * DAY_MS - DAY_MS;
  const weekday = (new Date(yesterday).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(yesterday - weekday * DAY_MS);
}

function ownKind(state: string): SegmentKind {
  if (state === "active") return "active";
  if (state === "payment-failed") return "payment-failed";
  if (ENDED_STATES.has(state)) return "expired";
  return "scheduled";
}

/**
 * Blocks, their extensions and, per instance type, the gaps between them over `weeks` weeks from a Monday (UTC).
 * EC2 already moved a block's end for a paid extension, so the block's own bar stops where that extension starts
 * and the extension is drawn after it; pending and failed extensions are drawn after the block's end.
 */
export function buildTimeline(environment: string, blocks: readonly BlockStatus[], now: Date, weeks: number): Timeline {
  const from = windowStart(now);
  const to = new Date(from.getTime() + weeks * WEEK_MS);
  const rows = blocks
    .filter((block) => block.startDate && block.endDate && block.endDate > from && block.startDate < to)
    .map((block): TimelineRow => {
      const extensions = block.extensions.flatMap((extension): Segment[] => {
        const kind = EXTENSION_KIND[extension.status];
        return kind && extension.startDate && extension.endDate ? [{ kind, start: extension.startDate, end: extension.endDate }] : [];
      });
      const paidStarts = extensions.filter((segment) => segment.kind === "extension-paid").map((segment) => segment.start.getTime());
      const ownEnd = new Date(Math.min(block.endDate!.getTime(), ...paidStarts));
      const label = block.name ?? block.reservationId;
      return {
        label,
        reservationId: block.reservationId,
        instanceType: block.instanceType,
        instanceCount: block.instanceCount,
        availabilityZone: block.availabilityZone,
        state: block.state,
        barLabel: `${label} · ${block.instanceCount} × ${block.instanceType} · ${block.availabilityZone}`,
        segments: [{ kind: ownKind(block.state), start: block.startDate!, end: ownEnd }, ...extensions],
      };
    });
  const types = [...new Set(blocks.filter((block) => block.startDate && block.endDate).map((block) => block.instanceType))].sort();
  const gaps = types.map((instanceType): GapRow => {
    const covering = blocks
      .filter((block) => block.instanceType === instanceType && COVERING_STATES.has(block.state) && block.startDate && block.endDate)
      .flatMap((block) => [
        { start: block.startDate!, end: block.endDate! },
        ...block.extensions
          .filter((extension) => extension.status !== "payment-failed" && extension.startDate && extension.endDate)
          .map((extension) => ({ start: extension.startDate!, end: extension.endDate! })),
      ]);
    return { instanceType, segments: uncovered(new Date(Math.max(now.getTime(), from.getTime())), to, covering) };
  });
  return { environment, from, to, now, rows, gaps };
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

export const SEGMENT_TITLE: Readonly<Record<SegmentKind, string>> = {
  active: "active",
  scheduled: "scheduled",
  expired: "expired",
  "extension-paid": "extension paid",
  "extension-pending": "extension pending",
  "payment-failed": "payment failed",
  gap: "no capacity block",
};

/** Terminal glyphs: distinct even without colour. */
export const GLYPH: Readonly<Record<SegmentKind, string>> = {
  active: "█",
  scheduled: "▓",
  expired: "░",
  "extension-paid": "▆",
  "extension-pending": "▒",
  "payment-failed": "╳",
  gap: "╌",
};

/** Terminal colours (util.styleText names): one per kind. */
export const TERMINAL_COLOUR = {
  active: "green",
  scheduled: "blue",
  expired: "gray",
  "extension-paid": "cyan",
  "extension-pending": "yellow",
  "payment-failed": "red",
  gap: "magenta",
} as const satisfies Readonly<Record<SegmentKind, Style>>;

/** Background for label text written inside a bar, with black text on it. */
const TERMINAL_BACKGROUND = {
  active: "bgGreen",
  scheduled: "bgBlue",
  expired: "bgGray",
  "extension-paid": "bgCyan",
  "extension-pending": "bgYellow",
  "payment-failed": "bgRed",
  gap: "bgMagenta",
} as const;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * The timeline in a terminal: a month/year row and a row of Mondays, one bar row per block with its label written
 * inside the bar when it fits, one gap row per instance type, a "now" marker and a legend. `width` is the number of
 * columns for the chart itself (default: two per day, within the terminal).
 */
export function renderTimeline(timeline: Timeline, colours: Palette, width?: number): string {
  const span = timeline.to.getTime() - timeline.from.getTime();
  const labels = [...timeline.rows.map((row) => row.label), ...timeline.gaps.map((gap) => `no ${gap.instanceType}`)];
  const labelWidth = Math.max(10, ...labels.map((label) => label.length));
  const days = span / DAY_MS;
  const columns = width ?? Math.round(days * 2);
  const column = (date: Date) => Math.round(((date.getTime() - timeline.from.getTime()) / span) * columns);
  const nowColumn = timeline.now >= timeline.from && timeline.now < timeline.to ? Math.min(columns - 1, column(timeline.now)) : undefined;

  const paint = (segments: readonly Segment[], text?: string) => {
    const cells: { char: string; kind?: SegmentKind; text?: boolean; label?: boolean }[] = Array.from({ length: columns }, () => ({ char: " " }));
    for (const segment of segments) {
      const first = Math.max(0, column(segment.start));
      const last = Math.min(columns, Math.max(column(segment.end), column(segment.start) + 1));
      for (let index = first; index < last; index++) cells[index] = { char: GLYPH[segment.kind], kind: segment.kind };
    }
    // The label goes inside the block's own bar (its first segment) when it fits, else just after the row's last
    // segment when there is room in the chart, else just before the bar, else after the drawing.
    let placed = text === undefined;
    const own = segments[0];
    if (own && text !== undefined) {
      const first = Math.max(0, column(own.start));
      const last = Math.min(columns, Math.max(column(own.end), first + 1));
      const inside = ` ${text} `;
      const after = Math.max(...segments.map((segment) => Math.max(column(segment.end), column(segment.start) + 1))) + 1;
      if (last - first >= inside.length) {
        for (const [offset, char] of [...inside].entries()) cells[first + offset] = { char, kind: own.kind, text: true };
        placed = true;
      } else if (after >= 0 && after + text.length <= columns) {
        for (const [offset, char] of [...text].entries()) cells[after + offset] = { char, label: true };
        placed = true;
      } else if (first - 1 - text.length >= 0) {
        for (const [offset, char] of [...text].entries()) cells[first - 1 - text.length + offset] = { char, label: true };
        placed = true;
      }
    }
    // The now marker goes on empty cells only, never on a space inside a label.
    if (nowColumn !== undefined && cells[nowColumn]?.char === " " && !cells[nowColumn]?.label) cells[nowColumn] = { char: "┊" };
    const drawn = cells
      .map((cell) => {
        if (!cell.kind) return cell.char === "┊" ? colours.bold(cell.char) : cell.char === " " ? " " : colours.dim(cell.char);
        return cell.text ? colours.style([TERMINAL_BACKGROUND[cell.kind], "black"], cell.char) : colours.style(TERMINAL_COLOUR[cell.kind], cell.char);
      })
      .join("");
    return placed ? drawn : `${drawn.trimEnd()}  ${colours.dim(text!)}`;
  };

  // Axis: month and year where a month starts (and at the left edge), day of month on each Monday.
  const months = Array.from({ length: columns }, () => " ");
  const mondays = Array.from({ length: columns }, () => " ");
  const put = (row: string[], at: number, text: string) => {
    if (at < 0 || at + text.length > columns || row.slice(at, at + text.length + 1).some((cell) => cell !== " ")) return;
    row.splice(at, text.length, ...text);
  };
  for (let day = 0; day < days; day++) {
    const date = new Date(timeline.from.getTime() + day * DAY_MS);
    if (date.getUTCDate() === 1) put(months, column(date), `${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`);
    if (date.getUTCDay() === 1) put(mondays, column(date), `│${String(date.getUTCDate()).padStart(2, "0")}`);
  }
  put(months, 0, `${MONTHS[timeline.from.getUTCMonth()]} ${timeline.from.getUTCFullYear()}`);
  const nowLine = nowColumn === undefined ? undefined : `${" ".repeat(nowColumn)}▲ now ${formatUtc(timeline.now)}`;
  const pad = " ".repeat(labelWidth + 2);
  const legend = SEGMENT_KINDS.map((kind) => `${colours.style(TERMINAL_COLOUR[kind], GLYPH[kind].repeat(2))} ${SEGMENT_TITLE[kind]}`).join("  ");
  const lines = [
    colours.bold(`Capacity timeline of ${timeline.environment} (UTC), ${formatUtc(timeline.from)} → ${formatUtc(timeline.to)}`),
    "",
    `${pad}${months.join("").trimEnd()}`,
    `${pad}${mondays.join("").trimEnd()}  ${colours.dim("(weeks start Monday)")}`,
    ...timeline.rows.map((row) =>
      `${row.label.padEnd(labelWidth)}  ${paint(row.segments, `${row.instanceCount} × ${row.instanceType} · ${row.availabilityZone}`)}`.trimEnd(),
    ),
    ...(timeline.rows.length === 0 ? [colours.dim("(no capacity blocks in this window)")] : []),
    ...timeline.gaps.map((gap) => `${`no ${gap.instanceType}`.padEnd(labelWidth)}  ${paint(gap.segments)}`.trimEnd()),
    ...(nowLine ? [`${pad}${colours.bold(nowLine)}`] : []),
    "",
    legend,
  ];
  return `${lines.join("\n")}\n`;
}

/** Today's Mermaid task markers; expired and paid are `done`, failures and gaps `crit`. */
const MERMAID_TAG: Readonly<Record<SegmentKind, string>> = {
  active: "active, ",
  scheduled: "",
  expired: "done, ",
  "extension-pending": "",
  "extension-paid": "done, ",
  "payment-failed": "crit, ",
  gap: "crit, ",
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
    "    axisFormat %Y-%m-%d",
    // A tick each Monday: `tickInterval` and `weekday` statements of Mermaid's gantt grammar
    // (mermaid-js/mermaid, packages/mermaid/src/diagrams/gantt/parser/gantt.jison).
    "    tickInterval 1week",
    "    weekday monday",
    "    todayMarker off",
  ];
  timeline.rows.forEach((row, rowIndex) => {
    lines.push(`    section ${text(row.label)}`);
    row.segments.forEach((segment, segmentIndex) => {
      const title =
        segmentIndex === 0
          ? `${text(`${row.reservationId} ${row.instanceCount}× ${row.instanceType} ${row.availabilityZone}`)} ${SEGMENT_TITLE[segment.kind]}`
          : SEGMENT_TITLE[segment.kind];
      lines.push(`    ${title} :${MERMAID_TAG[segment.kind]}b${rowIndex}s${segmentIndex}, ${when(segment.start)}, ${when(segment.end)}`);
    });
  });
  const gaps = timeline.gaps.filter((gap) => gap.segments.length > 0);
  if (gaps.length > 0) {
    lines.push("    section Gaps");
    for (const [gapIndex, gap] of gaps.entries()) {
      for (const [index, segment] of gap.segments.entries()) {
        lines.push(`    no ${text(gap.instanceType)} block :${MERMAID_TAG.gap}g${gapIndex}s${index}, ${when(segment.start)}, ${when(segment.end)}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

/** SVG fills, one distinct hue per kind (also the legend's swatches). */
export const SVG_COLOUR: Readonly<Record<SegmentKind, string>> = {
  active: "#2da44e",
  scheduled: "#0969da",
  expired: "#8c959f",
  "extension-paid": "#8250df",
  "extension-pending": "#e3b341",
  "payment-failed": "#cf222e",
  gap: "#f778ba",
};
/** Text inside a bar: white on dark fills, near-black on light ones. */
const SVG_TEXT: Readonly<Record<SegmentKind, string>> = {
  active: "#ffffff",
  scheduled: "#ffffff",
  expired: "#1f2328",
  "extension-paid": "#ffffff",
  "extension-pending": "#1f2328",
  "payment-failed": "#ffffff",
  gap: "#1f2328",
};
export const SVG_NOW_COLOUR = "#1f2328";

/** Where the SVG puts things, in whole pixels, so a test can look at the rendered image at the same places. */
export interface SvgLayout {
  readonly width: number;
  readonly height: number;
  readonly bars: readonly {
    readonly kind: SegmentKind;
    readonly row: string;
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
  }[];
  /** The "now" line's pixel column (absent when now is outside the window). */
  readonly nowX?: number;
  readonly chartTop: number;
  readonly chartBottom: number;
  readonly chartRight: number;
  readonly legend: readonly { readonly kind: SegmentKind; readonly x: number; readonly y: number; readonly size: number }[];
}

const SVG = { labelWidth: 170, dayWidth: 22, rowHeight: 30, barHeight: 22, top: 78, margin: 16 } as const;

export function svgLayout(timeline: Timeline): SvgLayout {
  const span = timeline.to.getTime() - timeline.from.getTime();
  const chartWidth = Math.round((span / DAY_MS) * SVG.dayWidth);
  const x = (date: Date) => SVG.labelWidth + Math.round(Math.max(0, Math.min(1, (date.getTime() - timeline.from.getTime()) / span)) * chartWidth);
  const rows = [
    ...timeline.rows.map((row) => ({ label: row.label, segments: row.segments })),
    ...timeline.gaps.map((gap) => ({ label: `no ${gap.instanceType}`, segments: gap.segments })),
  ];
  const bars = rows.flatMap((row, index) =>
    row.segments
      .filter((segment) => segment.end > timeline.from && segment.start < timeline.to)
      .map((segment) => {
        const [left, right] = [x(segment.start), x(segment.end)];
        return {
          kind: segment.kind,
          row: row.label,
          x: left,
          y: SVG.top + index * SVG.rowHeight + (SVG.rowHeight - SVG.barHeight) / 2,
          width: Math.max(2, right - left),
          height: SVG.barHeight,
        };
      }),
  );
  const chartBottom = SVG.top + rows.length * SVG.rowHeight;
  const legendY = chartBottom + 24;
  const legend = SEGMENT_KINDS.map((kind, index) => ({ kind, x: SVG.margin + index * 145, y: legendY, size: 14 }));
  const nowX = timeline.now >= timeline.from && timeline.now < timeline.to ? x(timeline.now) : undefined;
  return {
    width: Math.max(SVG.labelWidth + chartWidth + SVG.margin, SVG.margin * 2 + (SEGMENT_KINDS.length + 1) * 145),
    height: legendY + 14 + SVG.margin,
    bars,
    ...(nowX !== undefined ? { nowX } : {}),
    chartTop: SVG.top - 8,
    chartBottom,
    chartRight: SVG.labelWidth + chartWidth,
    legend,
  };
}

/**
 * The same timeline as a standalone SVG (no library, no script): a date axis with the year and a tick each Monday,
 * bar rows labelled inside the bars (a PNG or a GitHub preview shows no tooltips), gap rows per instance type, a
 * "now" line and a legend.
 */
export function timelineSvg(timeline: Timeline): string {
  const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const layout = svgLayout(timeline);
  const span = timeline.to.getTime() - timeline.from.getTime();
  const chartWidth = Math.round((span / DAY_MS) * SVG.dayWidth);
  const dayX = (day: number) => SVG.labelWidth + Math.round(((day * DAY_MS) / span) * chartWidth);
  const rowLabels = [...timeline.rows.map((row) => row.label), ...timeline.gaps.map((gap) => `no ${gap.instanceType}`)];
  const barText = new Map(timeline.rows.map((row) => [row.label, row.barLabel]));
  const weeks = Math.round(span / WEEK_MS);
  const ticks = Array.from({ length: weeks + 1 }, (_, week) => new Date(timeline.from.getTime() + week * WEEK_MS));
  const label = (date: Date) => `Mon ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  const firstBars = new Set<string>();
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${SVG.margin}" y="24" font-size="15" font-weight="bold" fill="#1f2328">${escapeXml(`Capacity timeline of ${timeline.environment} (UTC)`)}</text>`,
    `<text x="${SVG.margin}" y="42" fill="#57606a">${escapeXml(`${formatUtc(timeline.from)} → ${formatUtc(timeline.to)}; weeks start Monday`)}</text>`,
    ...ticks.map((tick, index) => {
      const at = dayX(index * 7);
      return `<line x1="${at}" y1="${layout.chartTop}" x2="${at}" y2="${layout.chartBottom}" stroke="#d0d7de"/>${index < weeks ? `<text x="${at + 3}" y="${layout.chartTop - 6}" fill="#57606a">${label(tick)}</text>` : ""}`;
    }),
    ...rowLabels.map((text, index) => `<text x="${SVG.margin}" y="${SVG.top + index * SVG.rowHeight + 19}" fill="#1f2328">${escapeXml(text)}</text>`),
    ...layout.bars.map((bar, index) => {
      const tooltip = `${bar.row}: ${SEGMENT_TITLE[bar.kind]}`;
      const rect = `<rect x="${bar.x}" y="${bar.y}" width="${bar.width}" height="${bar.height}" rx="3" fill="${SVG_COLOUR[bar.kind]}" data-kind="${bar.kind}"><title>${escapeXml(tooltip)}</title></rect>`;
      const own = !firstBars.has(bar.row) && barText.has(bar.row);
      firstBars.add(bar.row);
      const text = own ? barText.get(bar.row)! : SEGMENT_TITLE[bar.kind];
      // About 6.5 px a character at 11 px: a label that doesn't fit its bar goes after the row's last bar (or else
      // before the bar), in dark text, when the chart has room there; otherwise it is shortened with "…" to what the
      // bar holds, and left out when that is under four characters (the bar's colour and the legend still say it).
      const rowEnd = Math.max(...layout.bars.filter((other) => other.row === bar.row).map((other) => other.x + other.width));
      const textWidth = text.length * 6.5;
      const fits = textWidth + 10 <= bar.width;
      const after = !fits && own && rowEnd + 6 + textWidth <= layout.chartRight;
      const before = !fits && own && !after && bar.x - 6 - textWidth >= SVG.labelWidth;
      if (after || before) {
        const at = after ? rowEnd + 6 : Math.round(bar.x - 6 - textWidth);
        return `${rect}<text x="${at}" y="${bar.y + 15}" fill="#1f2328" font-size="11">${escapeXml(text)}</text>`;
      }
      const room = Math.floor((bar.width - 10) / 6.5);
      const shown = fits ? text : room >= 4 ? `${text.slice(0, room - 1).trimEnd()}…` : "";
      if (shown === "") return rect;
      return `${rect}<clipPath id="c${index}"><rect x="${bar.x}" y="${bar.y}" width="${bar.width}" height="${bar.height}"/></clipPath><text x="${bar.x + 6}" y="${bar.y + 15}" fill="${SVG_TEXT[bar.kind]}" font-size="11" clip-path="url(#c${index})">${escapeXml(shown)}</text>`;
    }),
    ...(layout.nowX !== undefined
      ? [
          `<line x1="${layout.nowX}" y1="${layout.chartTop}" x2="${layout.nowX}" y2="${layout.chartBottom}" stroke="${SVG_NOW_COLOUR}" stroke-width="2"/>`,
          `<text x="${layout.nowX + 4}" y="${layout.chartBottom + 12}" fill="${SVG_NOW_COLOUR}" font-weight="bold">${escapeXml(`now ${formatUtc(timeline.now)}`)}</text>`,
        ]
      : []),
    ...layout.legend.map(
      (item) =>
        `<rect x="${item.x}" y="${item.y}" width="${item.size}" height="${item.size}" rx="2" fill="${SVG_COLOUR[item.kind]}"/><text x="${item.x + item.size + 5}" y="${item.y + 11}" fill="#1f2328">${escapeXml(SEGMENT_TITLE[item.kind])}</text>`,
    ),
    (() => {
      const x = SVG.margin + SEGMENT_KINDS.length * 145;
      const y = layout.legend[0]!.y;
      return `<line x1="${x + 7}" y1="${y}" x2="${x + 7}" y2="${y + 14}" stroke="${SVG_NOW_COLOUR}" stroke-width="2"/><text x="${x + 19}" y="${y + 11}" fill="#1f2328">now</text>`;
    })(),
    `</svg>`,
  ];
  return `${parts.join("\n")}\n`;
}

/** The `--json` shape: ISO dates, kinds as in the legend. */
export function timelineJson(timeline: Timeline): unknown {
  const segment = (item: Segment) => ({ kind: item.kind, start: item.start.toISOString(), end: item.end.toISOString() });
  return {
    environment: timeline.environment,
    from: timeline.from.toISOString(),
    to: timeline.to.toISOString(),
    now: timeline.now.toISOString(),
    blocks: timeline.rows.map((row) => ({
      label: row.label,
      reservation_id: row.reservationId,
      instance_type: row.instanceType,
      instance_count: row.instanceCount,
      availability_zone: row.availabilityZone,
      state: row.state,
      segments: row.segments.map(segment),
    })),
    gaps: timeline.gaps.map((gap) => ({ instance_type: gap.instanceType, segments: gap.segments.map(segment) })),
  };
}
