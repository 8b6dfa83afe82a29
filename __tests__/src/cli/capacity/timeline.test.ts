import { describe, expect, it } from "vitest";
import type { BlockStatus } from "../../../../src/cli/capacity/status";
import { buildTimeline, mermaidGantt, renderTimeline, timelineSvg } from "../../../../src/cli/capacity/timeline";
import { palette } from "../../../../src/cli/io";

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

describe("buildTimeline", () => {
  it("GIVEN one active block THEN the window starts at midnight UTC and the gap runs from its end to the window's end", () => {
    const timeline = buildTimeline("prod", [block({})], NOW, 2);

    expect(timeline.from.toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(timeline.to.toISOString()).toBe("2026-12-06T00:00:00.000Z");
    expect(timeline.gaps.map((gap) => [gap.start.toISOString(), gap.end.toISOString()])).toEqual([
      ["2026-11-27T11:30:00.000Z", "2026-12-06T00:00:00.000Z"],
    ]);
  });

  it("GIVEN a pending extension and a later block THEN the extension closes the gap up to its end and the later block closes the rest", () => {
    const extended = block({
      extensions: [{ reservationId: "cr-0123456789abcdef0", status: "payment-pending", startDate: new Date("2026-11-27T11:30:00Z"), endDate: new Date("2026-12-01T11:30:00Z") }],
    });
    const next = block({ name: "p5-next", reservationId: "cr-0fedcba9876543210", state: "scheduled", startDate: new Date("2026-12-02T11:30:00Z"), endDate: new Date("2026-12-16T11:30:00Z") });

    const timeline = buildTimeline("prod", [extended, next], NOW, 2);

    expect(timeline.rows.map((row) => row.segments.map((segment) => segment.kind))).toEqual([["active", "extension-pending"], ["scheduled"]]);
    expect(timeline.gaps.map((gap) => [gap.start.toISOString(), gap.end.toISOString()])).toEqual([
      ["2026-12-01T11:30:00.000Z", "2026-12-02T11:30:00.000Z"],
    ]);
  });

  it("GIVEN a failed extension THEN it is drawn but does not cover the gap", () => {
    const failed = block({
      extensions: [{ reservationId: "cr-0123456789abcdef0", status: "payment-failed", startDate: new Date("2026-11-27T11:30:00Z"), endDate: new Date("2026-12-04T11:30:00Z") }],
    });

    const timeline = buildTimeline("prod", [failed], NOW, 2);

    expect(timeline.rows[0]?.segments.map((segment) => segment.kind)).toEqual(["active", "extension-failed"]);
    expect(timeline.gaps[0]?.start.toISOString()).toBe("2026-11-27T11:30:00.000Z");
  });

  it("GIVEN blocks outside the window or without dates THEN they get no row", () => {
    const expired = block({ state: "expired", startDate: new Date("2026-10-01T11:30:00Z"), endDate: new Date("2026-10-08T11:30:00Z") });
    const missing = block({ state: "not-found", startDate: undefined, endDate: undefined });
    const tooLate = block({ state: "scheduled", startDate: new Date("2027-03-01T11:30:00Z"), endDate: new Date("2027-03-08T11:30:00Z") });

    const timeline = buildTimeline("prod", [expired, missing, tooLate], NOW, 6);

    expect(timeline.rows).toEqual([]);
    expect(timeline.gaps).toHaveLength(1);
  });
});

describe("renderTimeline", () => {
  it("GIVEN a one-week block in a two-week window THEN about half the row is filled and the rest is a gap", () => {
    const output = renderTimeline(buildTimeline("prod", [block({})], NOW, 2), palette(false), 28);
    const row = output.split("\n").find((line) => line.startsWith("p5-training"));
    const gaps = output.split("\n").find((line) => line.startsWith("no capacity"));

    expect(row?.match(/█+/)?.[0].length).toBe(11);
    expect(gaps?.match(/░+/)?.[0].length).toBe(17);
    expect(output).toContain("Capacity timeline of prod, 2026-11-22 00:00 UTC → 2026-12-06 00:00 UTC");
  });
});

describe("mermaidGantt", () => {
  it("GIVEN blocks, an extension and gaps THEN it writes a gantt with one section per block and a Gaps section", () => {
    const extended = block({
      extensions: [{ reservationId: "cr-0123456789abcdef0", status: "payment-pending", startDate: new Date("2026-11-27T11:30:00Z"), endDate: new Date("2026-12-01T11:30:00Z") }],
    });

    const chart = mermaidGantt(buildTimeline("prod", [extended], NOW, 2));

    expect(chart.split("\n")).toEqual([
      "gantt",
      "    title Capacity blocks of prod (UTC)",
      "    dateFormat YYYY-MM-DD HH:mm",
      "    axisFormat %m-%d",
      "    todayMarker off",
      "    section p5-training",
      "    cr-0123456789abcdef0 2× p5.48xlarge us-east-1a active :active, b0s0, 2026-11-20 11:30, 2026-11-27 11:30",
      "    extension pending :b0s1, 2026-11-27 11:30, 2026-12-01 11:30",
      "    section Gaps",
      "    no capacity block :crit, g0, 2026-12-01 11:30, 2026-12-06 00:00",
      "",
    ]);
  });

  it("GIVEN a name with Mermaid syntax characters THEN they are replaced so the chart still parses", () => {
    const chart = mermaidGantt(buildTimeline("prod", [block({ name: "a:b;c#d" })], NOW, 1));

    expect(chart).toContain("    section a b c d\n");
  });
});

describe("timelineSvg", () => {
  it("GIVEN a block and its gap THEN it draws one bar each, placed in proportion to the window, with escaped labels", () => {
    const svg = timelineSvg(buildTimeline("prod <eu>", [block({ name: "p5 & co" })], NOW, 2));
    const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="\d+" width="([\d.]+)"[^>]*fill="(#[0-9a-f]+)"/g)].map((match) => ({
      x: Number(match[1]),
      width: Number(match[2]),
      fill: match[3],
    }));

    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("Capacity timeline of prod &lt;eu&gt; (UTC)");
    expect(svg).toContain(">p5 &amp; co</text>");
    // Window: 14 days over 720 px from x=220. The block runs (clipped) 0 → 5.479 days, the gap 5.479 → 14 days.
    expect(bars).toEqual([
      { x: 220, width: 281.8, fill: "#2da44e" },
      { x: 501.8, width: 438.2, fill: "#ff8182" },
    ]);
  });
});
