import { describe, expect, it } from "vitest";
import type { BlockStatus } from "../../../../src/cli/capacity/status";
import {
  buildTimeline,
  mermaidGantt,
  renderTimeline,
  SEGMENT_KINDS,
  SEGMENT_TITLE,
  type SegmentKind,
  SVG_COLOUR,
  svgLayout,
  timelineJson,
  timelineSvg,
  windowStart,
} from "../../../../src/cli/capacity/timeline";
import { palette, stripAnsi } from "../../../../src/cli/io";

/** A Sunday: the window starts on Monday 2026-11-16 (the Monday on or before yesterday). */
const NOW = new Date("2026-11-22T12:00:00Z");

const block = (overrides: Partial<BlockStatus>): BlockStatus => ({
  name: "p5-training",
  reservationId: "cr-0123456789abcdef0",
  tracked: true,
  instanceType: "p5.48xlarge",
  instanceCount: 2,
  availabilityZone: "us-east-1a",
  state: "active",
  startDate: new Date("2026-11-20T11:30:00Z"),
  endDate: new Date("2026-11-27T11:30:00Z"),
  timing: "",
  extensions: [],
  usedBy: [],
  warnings: [],
  ...overrides,
});

const iso = (date: Date) => date.toISOString();
const kinds = (timeline: ReturnType<typeof buildTimeline>) => timeline.rows.map((row) => row.segments.map((segment) => segment.kind));

/** One block of every kind: active with a paid extension, pending and failed extensions, expired, payment failed, scheduled. */
const everyKind = (): BlockStatus[] => [
  block({
    endDate: new Date("2026-12-04T11:30:00Z"),
    extensions: [
      {
        reservationId: "cr-0123456789abcdef0",
        status: "payment-succeeded",
        startDate: new Date("2026-11-27T11:30:00Z"),
        endDate: new Date("2026-12-04T11:30:00Z"),
      },
    ],
  }),
  block({
    name: "p5e-inference",
    reservationId: "cr-0fedcba9876543210",
    instanceType: "p5e.48xlarge",
    startDate: new Date("2026-11-19T11:30:00Z"),
    endDate: new Date("2026-11-23T11:30:00Z"),
    extensions: [
      {
        reservationId: "cr-0fedcba9876543210",
        status: "payment-pending",
        startDate: new Date("2026-11-23T11:30:00Z"),
        endDate: new Date("2026-11-30T11:30:00Z"),
      },
    ],
  }),
  block({
    name: "p4d-old",
    reservationId: "cr-0dddddddddddddddd",
    instanceType: "p4d.24xlarge",
    state: "expired",
    startDate: new Date("2026-11-14T11:30:00Z"),
    endDate: new Date("2026-11-21T11:30:00Z"),
  }),
  block({
    name: "p4d-finetune",
    reservationId: "cr-0cccccccccccccccc",
    instanceType: "p4d.24xlarge",
    startDate: new Date("2026-11-18T11:30:00Z"),
    endDate: new Date("2026-11-23T00:00:00Z"),
    extensions: [
      {
        reservationId: "cr-0cccccccccccccccc",
        status: "payment-failed",
        startDate: new Date("2026-11-23T00:00:00Z"),
        endDate: new Date("2026-11-25T00:00:00Z"),
      },
    ],
  }),
  block({
    name: "p5-next",
    reservationId: "cr-0eeeeeeeeeeeeeeee",
    state: "scheduled",
    startDate: new Date("2026-12-08T11:30:00Z"),
    endDate: new Date("2026-12-15T11:30:00Z"),
  }),
];

describe("windowStart", () => {
  it.each([
    ["2026-11-22T12:00:00Z", "2026-11-16T00:00:00.000Z"], // Sunday → that week's Monday
    ["2026-11-23T08:00:00Z", "2026-11-16T00:00:00.000Z"], // Monday → the week before, so yesterday's blocks show
    ["2026-11-24T23:59:00Z", "2026-11-23T00:00:00.000Z"], // Tuesday → that Monday
    ["2027-01-01T12:00:00Z", "2026-12-28T00:00:00.000Z"], // across the year
  ])("GIVEN now %s THEN the window starts on Monday %s (UTC)", (now, monday) => {
    expect(iso(windowStart(new Date(now)))).toBe(monday);
    expect(windowStart(new Date(now)).getUTCDay()).toBe(1);
  });
});

describe("buildTimeline", () => {
  it("GIVEN one active block THEN the window runs whole weeks from a Monday and its type's gap runs from its end to the window's end", () => {
    const timeline = buildTimeline("prod", [block({})], NOW, 2);

    expect(iso(timeline.from)).toBe("2026-11-16T00:00:00.000Z");
    expect(iso(timeline.to)).toBe("2026-11-30T00:00:00.000Z");
    expect(timeline.gaps.map((gap) => [gap.instanceType, gap.segments.map((segment) => [iso(segment.start), iso(segment.end)])])).toEqual([
      ["p5.48xlarge", [["2026-11-27T11:30:00.000Z", "2026-11-30T00:00:00.000Z"]]],
    ]);
  });

  it("GIVEN a pending extension and a later block THEN the extension closes the gap up to its end and the later block closes the rest", () => {
    const extended = block({
      extensions: [
        {
          reservationId: "cr-0123456789abcdef0",
          status: "payment-pending",
          startDate: new Date("2026-11-27T11:30:00Z"),
          endDate: new Date("2026-12-01T11:30:00Z"),
        },
      ],
    });
    const next = block({
      name: "p5-next",
      reservationId: "cr-0fedcba9876543210",
      state: "scheduled",
      startDate: new Date("2026-12-02T11:30:00Z"),
      endDate: new Date("2026-12-16T11:30:00Z"),
    });

    const timeline = buildTimeline("prod", [extended, next], NOW, 3);

    expect(kinds(timeline)).toEqual([["active", "extension-pending"], ["scheduled"]]);
    expect(timeline.gaps[0]?.segments.map((gap) => [iso(gap.start), iso(gap.end)])).toEqual([["2026-12-01T11:30:00.000Z", "2026-12-02T11:30:00.000Z"]]);
  });

  it("GIVEN a paid extension (EC2 already moved the end) THEN the block's own bar stops where it starts and the extension is drawn as paid", () => {
    const [paid] = everyKind();

    const timeline = buildTimeline("prod", [paid!], NOW, 3);

    expect(timeline.rows[0]?.segments.map((segment) => [segment.kind, iso(segment.start), iso(segment.end)])).toEqual([
      ["active", "2026-11-20T11:30:00.000Z", "2026-11-27T11:30:00.000Z"],
      ["extension-paid", "2026-11-27T11:30:00.000Z", "2026-12-04T11:30:00.000Z"],
    ]);
    expect(timeline.gaps[0]?.segments.map((gap) => iso(gap.start))).toEqual(["2026-12-04T11:30:00.000Z"]);
  });

  it("GIVEN a failed extension THEN it is drawn as payment failed but does not cover the gap", () => {
    const failed = block({
      extensions: [
        {
          reservationId: "cr-0123456789abcdef0",
          status: "payment-failed",
          startDate: new Date("2026-11-27T11:30:00Z"),
          endDate: new Date("2026-12-04T11:30:00Z"),
        },
      ],
    });

    const timeline = buildTimeline("prod", [failed], NOW, 2);

    expect(kinds(timeline)).toEqual([["active", "payment-failed"]]);
    expect(iso(timeline.gaps[0]!.segments[0]!.start)).toBe("2026-11-27T11:30:00.000Z");
  });

  it("GIVEN an expired block and a block whose payment failed THEN they are drawn as expired and payment failed, not scheduled, and cover nothing", () => {
    const expired = block({ state: "expired", startDate: new Date("2026-11-14T11:30:00Z"), endDate: new Date("2026-11-21T11:30:00Z") });
    const unpaid = block({
      name: "p5-unpaid",
      state: "payment-failed",
      startDate: new Date("2026-11-25T11:30:00Z"),
      endDate: new Date("2026-11-27T11:30:00Z"),
    });

    const timeline = buildTimeline("prod", [expired, unpaid], NOW, 2);

    expect(kinds(timeline)).toEqual([["expired"], ["payment-failed"]]);
    expect(timeline.gaps[0]?.segments.map((gap) => [iso(gap.start), iso(gap.end)])).toEqual([["2026-11-22T12:00:00.000Z", "2026-11-30T00:00:00.000Z"]]);
  });

  it("GIVEN blocks of two instance types THEN each type has its own gaps: one type's block doesn't fill another's", () => {
    const p5 = block({ endDate: new Date("2026-11-30T00:00:00Z") });
    const p4d = block({ name: "p4d", instanceType: "p4d.24xlarge", endDate: new Date("2026-11-24T11:30:00Z") });

    const timeline = buildTimeline("prod", [p5, p4d], NOW, 2);

    expect(timeline.gaps.map((gap) => [gap.instanceType, gap.segments.map((segment) => iso(segment.start))])).toEqual([
      ["p4d.24xlarge", ["2026-11-24T11:30:00.000Z"]],
      ["p5.48xlarge", []],
    ]);
  });

  it("GIVEN blocks outside the window or without dates THEN they get no row", () => {
    const expired = block({ state: "expired", startDate: new Date("2026-10-01T11:30:00Z"), endDate: new Date("2026-10-08T11:30:00Z") });
    const missing = block({ state: "not-found", startDate: undefined, endDate: undefined });
    const tooLate = block({ state: "scheduled", startDate: new Date("2027-03-01T11:30:00Z"), endDate: new Date("2027-03-08T11:30:00Z") });

    const timeline = buildTimeline("prod", [expired, missing, tooLate], NOW, 6);

    expect(timeline.rows).toEqual([]);
    expect(timeline.gaps.map((gap) => gap.segments.length)).toEqual([1]);
  });
});

describe("renderTimeline", () => {
  const timeline = () => buildTimeline("prod", everyKind(), NOW, 4);

  it("GIVEN every kind of segment THEN no label reads undefined, the axis has month and year and a tick each Monday, and a legend names every kind", () => {
    const output = renderTimeline(timeline(), palette(false), 56);
    const lines = output.split("\n");

    expect(output).not.toContain("undefined");
    expect(lines[0]).toBe("Capacity timeline of prod (UTC), 2026-11-16 00:00 UTC → 2026-12-14 00:00 UTC");
    expect(lines[2]).toMatch(/^\s+Nov 2026\s+Dec 2026$/);
    expect(lines[3]).toMatch(/^\s+│16\s+│23\s+│30\s+│07\s+\(weeks start Monday\)$/);
    for (const kind of SEGMENT_KINDS) expect(lines.at(-2)).toContain(SEGMENT_TITLE[kind]);
    expect(output).toMatch(/▲ now 2026-11-22 12:00 UTC/);
  });

  it("GIVEN a bar long enough THEN its label (count × type · zone) is written inside it; a short one gets it right after the row", () => {
    const output = renderTimeline(timeline(), palette(false), 168);
    const next = output.split("\n").find((line) => line.startsWith("p5-next"));
    const short = output.split("\n").find((line) => line.startsWith("p5e-inference"));

    expect(next).toMatch(/^p5-next\s+┊?\s* 2 × p5\.48xlarge · us-east-1a ▓*$/);
    expect(short).toMatch(/█+▒+ 2 × p5e\.48xlarge · us-east-1a$/);
  });

  it("GIVEN a bar too short for its label and no room after it THEN the label goes just before the bar, not past the drawing", () => {
    const late = block({ name: "p5-next", state: "scheduled", startDate: new Date("2026-11-26T00:00:00Z"), endDate: new Date("2026-12-03T00:00:00Z") });
    const output = renderTimeline(buildTimeline("prod", [late], NOW, 2), palette(false), 84);
    const row = output.split("\n").find((line) => line.startsWith("p5-next"));

    expect(row).toMatch(/^p5-next\s+2 × p5\.48xlarge · us-east-1a ▓+$/);
  });

  it("GIVEN now falls on a space of a label written after a bar THEN the label stays whole (no now marker inside it)", () => {
    // 2 weeks over 56 columns: the bar ends at column 10, its label runs from column 11, and now (day 6.5) is
    // column 26, the space after "p5.48xlarge".
    const early = block({ startDate: new Date("2026-11-16T00:00:00Z"), endDate: new Date("2026-11-18T12:00:00Z") });
    const output = renderTimeline(buildTimeline("prod", [early], NOW, 2), palette(false), 56);
    const row = output.split("\n").find((line) => line.startsWith("p5-training"));

    expect(row).toContain("2 × p5.48xlarge · us-east-1a");
  });

  it("GIVEN each kind THEN it has its own glyph, so the drawing reads without colour", () => {
    const output = renderTimeline(timeline(), palette(false), 112);
    const row = (name: string) => output.split("\n").find((line) => line.startsWith(name)) ?? "";

    expect(row("p5-training")).toMatch(/█+▆+/);
    expect(row("p5e-inference")).toMatch(/█+▒+/);
    expect(row("p4d-old")).toMatch(/░+/);
    expect(row("p4d-finetune")).toMatch(/█+╳+/);
    expect(row("no p4d.24xlarge")).toMatch(/╌+/);
  });

  it("GIVEN colour THEN each kind is drawn in its own colour through util.styleText", () => {
    const output = renderTimeline(timeline(), palette(true), 112);
    const codes: Record<SegmentKind, string> = {
      active: "\u001b[32m█",
      scheduled: "\u001b[34m▓",
      expired: "\u001b[90m░",
      "extension-paid": "\u001b[36m▆",
      "extension-pending": "\u001b[33m▒",
      "payment-failed": "\u001b[31m╳",
      gap: "\u001b[35m╌",
    };

    for (const code of Object.values(codes)) expect(output).toContain(code);
    expect(stripAnsi(output)).toBe(renderTimeline(timeline(), palette(false), 112));
  });
});

describe("mermaidGantt", () => {
  it("GIVEN blocks, an extension and gaps THEN it writes a gantt with one section per block and gaps per instance type", () => {
    const extended = block({
      extensions: [
        {
          reservationId: "cr-0123456789abcdef0",
          status: "payment-pending",
          startDate: new Date("2026-11-27T11:30:00Z"),
          endDate: new Date("2026-12-01T11:30:00Z"),
        },
      ],
    });

    const chart = mermaidGantt(buildTimeline("prod", [extended], NOW, 3));

    expect(chart.split("\n")).toEqual([
      "gantt",
      "    title Capacity blocks of prod (UTC)",
      "    dateFormat YYYY-MM-DD HH:mm",
      "    axisFormat %Y-%m-%d",
      "    tickInterval 1week",
      "    weekday monday",
      "    todayMarker off",
      "    section p5-training",
      "    cr-0123456789abcdef0 2× p5.48xlarge us-east-1a active :active, b0s0, 2026-11-20 11:30, 2026-11-27 11:30",
      "    extension pending :b0s1, 2026-11-27 11:30, 2026-12-01 11:30",
      "    section Gaps",
      "    no p5.48xlarge block :crit, g0s0, 2026-12-01 11:30, 2026-12-07 00:00",
      "",
    ]);
  });

  it("GIVEN a paid extension, an expired block and a failed payment THEN they keep Mermaid's done/crit markers and nothing is undefined", () => {
    const chart = mermaidGantt(buildTimeline("prod", everyKind(), NOW, 4));

    expect(chart).not.toContain("undefined");
    expect(chart).toContain("    extension paid :done, b");
    expect(chart).toMatch(/p4d\.24xlarge us-east-1a expired :done, b\d+s0, /);
    expect(chart).toContain("    payment failed :crit, b");
  });

  it("GIVEN a name with Mermaid syntax characters THEN they are replaced so the chart still parses", () => {
    const chart = mermaidGantt(buildTimeline("prod", [block({ name: "a:b;c#d" })], NOW, 1));

    expect(chart).toContain("    section a b c d\n");
  });
});

describe("timelineSvg", () => {
  const timeline = () => buildTimeline("prod <eu>", everyKind(), NOW, 4);

  it("GIVEN every kind THEN each bar is filled with its kind's own colour, distinct from every other", () => {
    const svg = timelineSvg(timeline());
    const fills = [...svg.matchAll(/fill="(#[0-9a-f]{6})" data-kind="([a-z-]+)"/g)].map((match) => [match[2], match[1]]);

    expect(new Set(Object.values(SVG_COLOUR)).size).toBe(SEGMENT_KINDS.length);
    expect(new Set(fills.map(([kind]) => kind))).toEqual(new Set(SEGMENT_KINDS));
    for (const [kind, fill] of fills) expect(fill).toBe(SVG_COLOUR[kind as SegmentKind]);
    expect(svg).not.toContain("undefined");
  });

  it("GIVEN a timeline THEN it has a legend of every kind, a now line, Monday ticks with the year and labels inside the bars", () => {
    const svg = timelineSvg(timeline());

    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("Capacity timeline of prod &lt;eu&gt; (UTC)");
    for (const kind of SEGMENT_KINDS) expect(svg).toContain(`>${SEGMENT_TITLE[kind]}</text>`);
    expect(svg).toContain(">now 2026-11-22 12:00 UTC</text>");
    expect(svg).toContain(">Mon 16 Nov 2026</text>");
    expect(svg).toContain(">Mon 7 Dec 2026</text>");
    expect(svg).toContain(">p5-next · 2 × p5.48xlarge · us-east-1a</text>");
  });

  it("GIVEN a segment too narrow for its name THEN the name is shortened with … to what the bar holds, or left out, never cut mid-letter", () => {
    const failed = (days: number) =>
      block({
        endDate: new Date("2026-11-23T00:00:00Z"),
        extensions: [
          {
            reservationId: "cr-0123456789abcdef0",
            status: "payment-failed",
            startDate: new Date("2026-11-23T00:00:00Z"),
            endDate: new Date(Date.parse("2026-11-23T00:00:00Z") + days * 86_400_000),
          },
        ],
      });
    const inBar = (svg: string) => [...svg.matchAll(/clip-path="url\(#c\d+\)">([^<]*)<\/text>/g)].map((match) => match[1]);

    // Two days at 22 px: 44 px hold "paym…"; one day (22 px) holds too little, so the bar carries no text.
    expect(inBar(timelineSvg(buildTimeline("prod", [failed(2)], NOW, 4)))).toContain("paym…");
    expect(inBar(timelineSvg(buildTimeline("prod", [failed(1)], NOW, 4))).some((text) => text.startsWith("pay"))).toBe(false);
    for (const text of inBar(timelineSvg(timeline()))) expect(text === "" || !/^.{1,3}…$/.test(text)).toBe(true);
  });

  it("GIVEN the layout THEN bars sit in proportion to the window, on whole pixels, and the now line at now", () => {
    const layout = svgLayout(buildTimeline("prod", [block({})], NOW, 2));
    // 14 days at 22 px from x=170: the block 0 → 11.479 days is clipped at the window's start… it starts at day 4.479.
    const [own] = layout.bars;

    expect(own).toMatchObject({
      kind: "active",
      x: 170 + Math.round((4.479166 / 14) * 308),
      width: Math.round((11.479166 / 14) * 308) - Math.round((4.479166 / 14) * 308),
    });
    expect(layout.nowX).toBe(170 + Math.round((6.5 / 14) * 308));
    for (const bar of layout.bars) expect([bar.x, bar.y, bar.width, bar.height].every(Number.isInteger)).toBe(true);
  });
});

describe("timelineJson", () => {
  it("GIVEN a timeline THEN the JSON has blocks with their segments and gaps per instance type, in ISO dates", () => {
    const json = timelineJson(buildTimeline("prod", everyKind(), NOW, 4)) as {
      from: string;
      blocks: { label: string; segments: { kind: string; start: string }[] }[];
      gaps: { instance_type: string }[];
    };

    expect(json.from).toBe("2026-11-16T00:00:00.000Z");
    expect(json.blocks.find((row) => row.label === "p5-training")?.segments.map((segment) => segment.kind)).toEqual(["active", "extension-paid"]);
    expect(json.gaps.map((gap) => gap.instance_type)).toEqual(["p4d.24xlarge", "p5.48xlarge", "p5e.48xlarge"]);
  });
});

describe("buildTimeline: replacements", () => {
  it("GIVEN the manager bought a replacement starting 10 h after the block ends THEN the timeline shows exactly that gap", () => {
    const old = block({ replacedBy: { reservationId: "cr-0fedcba9876543210", startDate: new Date("2026-11-27T21:30:00Z"), gapMs: 10 * 3_600_000 } });
    const replacement = block({
      name: undefined,
      tracked: false,
      reservationId: "cr-0fedcba9876543210",
      state: "payment-pending",
      startDate: new Date("2026-11-27T21:30:00Z"),
      endDate: new Date("2026-12-04T21:30:00Z"),
    });
    const timeline = buildTimeline("prod", [old, replacement], NOW, 3);
    expect(timeline.gaps[0]?.segments.map((gap) => [iso(gap.start), iso(gap.end)])).toEqual([
      ["2026-11-27T11:30:00.000Z", "2026-11-27T21:30:00.000Z"],
      ["2026-12-04T21:30:00.000Z", "2026-12-07T00:00:00.000Z"],
    ]);
  });
});
