/**
 * The timeline checked the way a person sees it: the SVG is rendered to a PNG by a real rasterizer (rsvg-convert
 * from Debian's librsvg2-bin, which .ci/run installs) and the test looks at the pixels: every state's colour inside
 * its bars, the legend's swatches, the "now" line. Without rsvg-convert the test is skipped on a developer's machine,
 * and fails in CI (CI=true), where it must run.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { capacityStatus } from "../../../../src/cli/capacity/status";
import { buildTimeline, SEGMENT_KINDS, SVG_COLOUR, SVG_NOW_COLOUR, svgLayout, timelineSvg } from "../../../../src/cli/capacity/timeline";
import { demoAccount } from "../../../../src/cli/demo/account";
import { capacityBlockSchema } from "../../../../src/config/schema";
import { decodePng, near, rgb } from "../../../support/png";

const NOW = new Date("2026-11-22T12:00:00Z");
const rasterizer = spawnSync("rsvg-convert", ["--version"], { encoding: "utf8" });
const available = rasterizer.status === 0;
const inCi = /^(true|1)$/i.test(process.env.CI ?? "");

/** The demo account's timeline: every kind of segment is in it. */
function demoTimeline() {
  const account = demoAccount(NOW);
  const tracked = [
    ["p5-training", "cr-0de300000000000a1"],
    ["p5e-inference", "cr-0de300000000000b2"],
    ["p4d-finetune", "cr-0de300000000000c3"],
    ["p5-next", "cr-0de300000000000d4"],
    ["p4d-old", "cr-0de300000000000e5"],
    ["p5en-eval", "cr-0de30000000000107"],
  ].map(([name, id]) => {
    const reservation = account.reservations.find((candidate) => candidate.reservationId === id)!;
    return capacityBlockSchema.parse({
      name,
      reservation_id: id,
      instance_type: reservation.instanceType,
      instance_count: reservation.totalInstances,
      availability_zone: reservation.availabilityZone,
    });
  });
  const blocks = capacityStatus({ environment: "demo", blocks: tracked, reservations: account.reservations, extensions: account.extensions, now: NOW });
  return buildTimeline("demo", blocks, NOW, 6);
}

describe.skipIf(!available && !inCi)(
  `timeline SVG rendered to PNG${available ? "" : " (skipped: rsvg-convert not installed; apt-get install librsvg2-bin)"}`,
  () => {
    const render = () => {
      if (!available) throw new Error("rsvg-convert is not installed: CI must install librsvg2-bin (see .ci/run)");
      const timeline = demoTimeline();
      const result = spawnSync("rsvg-convert", ["--format", "png"], { input: timelineSvg(timeline) });
      expect(result.status, result.stderr?.toString()).toBe(0);
      return { timeline, layout: svgLayout(timeline), image: decodePng(result.stdout) };
    };

    it("GIVEN the demo timeline THEN the image has the SVG's size and each bar shows its state's colour where no text is drawn", () => {
      const { layout, image } = render();
      const seen = new Set<string>();

      expect([image.width, image.height]).toEqual([layout.width, layout.height]);
      for (const bar of layout.bars.filter((candidate) => candidate.width >= 8)) {
        // Below the label's descenders, away from the rounded corners and from the now line.
        let x = bar.x + Math.floor(bar.width / 2);
        if (layout.nowX !== undefined && Math.abs(x - layout.nowX) <= 2) x = layout.nowX + 4 < bar.x + bar.width - 3 ? layout.nowX + 4 : layout.nowX - 5;
        const pixel = image.pixel(x, bar.y + bar.height - 2);
        expect(near(pixel, rgb(SVG_COLOUR[bar.kind])), `${bar.row} ${bar.kind} at (${x}, ${bar.y + bar.height - 2}) is ${pixel}`).toBe(true);
        seen.add(bar.kind);
      }
      expect([...seen].sort()).toEqual([...SEGMENT_KINDS].sort());
    });

    it("GIVEN the demo timeline THEN the legend shows a swatch of every state's colour", () => {
      const { layout, image } = render();

      for (const item of layout.legend) {
        const centre = Math.floor(item.size / 2);
        expect(near(image.pixel(item.x + centre, item.y + centre), rgb(SVG_COLOUR[item.kind])), item.kind).toBe(true);
      }
    });

    it("GIVEN the demo timeline THEN a dark now line crosses the whole chart at now, and the pixels beside it are not the line", () => {
      const { layout, image } = render();
      const nowX = layout.nowX!;

      expect(nowX).toBeGreaterThan(0);
      for (let y = layout.chartTop + 2; y < layout.chartBottom - 2; y += 5) {
        expect(near(image.pixel(nowX - 1, y), rgb(SVG_NOW_COLOUR), 24), `now line at (${nowX - 1}, ${y}) is ${image.pixel(nowX - 1, y)}`).toBe(true);
      }
      const beside = Array.from({ length: 20 }, (_, index) => layout.chartTop + 2 + index * 5).filter((y) => y < layout.chartBottom);
      expect(beside.some((y) => !near(image.pixel(nowX - 6, y), rgb(SVG_NOW_COLOUR), 24))).toBe(true);
    });
  },
);
