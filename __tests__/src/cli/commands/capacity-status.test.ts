import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeCapacityBlockExtensionHistoryCommand, DescribeCapacityReservationsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../../src/cli/main";
import { EXTENSIONS, NOW, RESERVATION_PAGES } from "../capacity/fixtures/ec2-snapshot";
import { captureIo } from "../test-io";

const ec2 = mockClient(EC2Client);
const dir = path.join(__dirname, "..", "capacity", "fixtures", "environments");
const status = ["capacity", "status", "--env", "staging", "--dir", dir];

interface JsonBlock {
  name: string | null;
  reservation_id: string;
  state: string;
  timing: string;
  tracked: boolean;
  extensions: { status: string; end_date: string; upfront_fee: number }[];
  used_by: string[];
  warnings: string[];
}

describe("blockfleet capacity status", () => {
  const givenEc2 = () => {
    ec2.reset();
    ec2
      .on(DescribeCapacityReservationsCommand)
      .resolvesOnce({ CapacityReservations: RESERVATION_PAGES[0], NextToken: "next" })
      .resolvesOnce({ CapacityReservations: RESERVATION_PAGES[1] });
    ec2.on(DescribeCapacityBlockExtensionHistoryCommand).resolves({ CapacityBlockExtensions: EXTENSIONS });
  };

  beforeEach(givenEc2);

  const runJson = async () => {
    const io = captureIo({ now: NOW });
    const code = await runCli([...status, "--json"], io);
    return { code, io, json: JSON.parse(io.out()) as { environment: string; region: string; blocks: JsonBlock[] } };
  };

  it("GIVEN blocks and no capacity_manager section THEN it says the manager runs in tracking mode, in text and JSON", async () => {
    const { json } = await runJson();
    expect((json as unknown as { capacity_manager: unknown }).capacity_manager).toEqual({ mode: "tracking" });
    givenEc2();
    const io = captureIo({ now: NOW });
    await runCli(status, io);
    expect(io.out().endsWith("\nCapacity manager: tracking mode (capacity_manager.extensions_enabled = false)\n")).toBe(true);
  });

  it("GIVEN extension purchasing turned on THEN it says the manager buys extensions", async () => {
    const extending = mkdtempSync(path.join(tmpdir(), "blockfleet-status-mode-"));
    writeFileSync(
      path.join(extending, "staging.tfvars"),
      `${readFileSync(path.join(dir, "staging.tfvars"), "utf8")}\ncapacity_manager = {\n  extensions_enabled = true\n  monthly_budget_usd = 10000\n}\n`,
    );
    const io = captureIo({ now: NOW });
    await runCli(["capacity", "status", "--env", "staging", "--dir", extending], io);
    expect(io.err()).toBe("");
    expect(io.out()).toContain("\nCapacity manager: buys extensions (capacity_manager.extensions_enabled = true)\n");
  });

  it("GIVEN the staging file and EC2's answer THEN it lists tracked blocks and live untracked ones, by start date", async () => {
    const { code, json } = await runJson();

    expect(code).toBe(0);
    expect(json).toMatchObject({ environment: "staging", region: "us-east-1" });
    expect(json.blocks.map((block) => [block.name, block.reservation_id, block.state, block.tracked])).toEqual([
      [null, "cr-0bbbbbbbbbbbbbbbb", "active", false],
      ["p5-training", "cr-0123456789abcdef0", "active", true],
      ["p5e-inference", "cr-0fedcba9876543210", "scheduled", true],
      [null, "cr-0eeeeeeeeeeeeeeee", "scheduled", false],
      ["p4d-typo", "cr-0aaaaaaaaaaaaaaaa", "not-found", true],
    ]);
  });

  it("GIVEN paginated reservations THEN it reads every page and asks for extensions of live or tracked blocks only", async () => {
    await runJson();
    const reservationCalls = ec2.commandCalls(DescribeCapacityReservationsCommand);
    const extensionCalls = ec2.commandCalls(DescribeCapacityBlockExtensionHistoryCommand);

    expect(reservationCalls).toHaveLength(2);
    expect(reservationCalls[1]?.args[0].input.NextToken).toBe("next");
    expect(extensionCalls).toHaveLength(1);
    expect(extensionCalls[0]?.args[0].input.CapacityReservationIds).toEqual([
      "cr-0123456789abcdef0",
      "cr-0fedcba9876543210",
      "cr-0bbbbbbbbbbbbbbbb",
      "cr-0eeeeeeeeeeeeeeee",
    ]);
  });

  it("GIVEN an active node-group block with a pending extension THEN it shows time left, the extension and its node group only (Karpenter never selects it), without warnings", async () => {
    const { json } = await runJson();
    const training = json.blocks.find((block) => block.name === "p5-training");

    expect(training?.timing).toBe("23h 30m left");
    expect(training?.extensions).toEqual([expect.objectContaining({ status: "payment-pending", end_date: "2026-11-30T11:30:00.000Z", upfront_fee: 10752 })]);
    expect(training?.used_by).toEqual(["node group p5-training-*"]);
    expect(training?.warnings).toEqual([]);
  });

  it("GIVEN EC2 puts a tracked block in another AZ THEN it warns about the AZ mismatch", async () => {
    const { json } = await runJson();
    const inference = json.blocks.find((block) => block.name === "p5e-inference");

    expect(inference?.timing).toBe("starts in 8d 23h");
    expect(inference?.warnings).toEqual([
      "availability_zone is us-east-1b in staging.tfvars but the reservation is in us-east-1c: its node group cannot launch (AZ mismatch)",
    ]);
  });

  it("GIVEN a tracked id EC2 doesn't know THEN it is shown as not-found with a warning", async () => {
    const { json } = await runJson();

    expect(json.blocks.find((block) => block.name === "p4d-typo")?.warnings).toEqual([
      "cr-0aaaaaaaaaaaaaaaa is not a capacity block in this region: check reservation_id and region in staging.tfvars",
    ]);
  });

  it("GIVEN an untracked block tagged for the environment and for Karpenter THEN Karpenter's pool uses it; ending soon with a failed extension, it warns when instances go", async () => {
    const { json } = await runJson();

    expect(json.blocks[0]?.used_by).toEqual(["node pool gpu-capacity-block"]);
    expect(json.blocks[0]?.warnings).toEqual([
      "extension to 2026-11-24 00:00 UTC failed payment: the block ends at its current end date",
      "ends in 12h with no extension; its instances are terminated at 2026-11-22 23:30 UTC; gap from 2026-11-23 00:00 UTC, no replacement bought yet",
    ]);
  });

  it("GIVEN an EKS Auto Mode cluster THEN Auto Mode's capacity-block pool is what uses the tagged block, and a karpenter block is not idle", async () => {
    // GIVEN the same environment on Auto Mode, with p5-training consumed by the Auto Mode pool
    const autoMode = mkdtempSync(path.join(tmpdir(), "blockfleet-status-auto-"));
    const text = readFileSync(path.join(dir, "staging.tfvars"), "utf8")
      .replace('version = "1.34"', 'version = "1.34"\n  auto_mode = true')
      .replace('availability_zone = "us-east-1a"\n  },', 'availability_zone = "us-east-1a"\n    consumer          = "karpenter"\n  },');
    writeFileSync(path.join(autoMode, "staging.tfvars"), text);
    // WHEN
    const io = captureIo({ now: NOW });
    await runCli(["capacity", "status", "--env", "staging", "--dir", autoMode, "--json"], io);
    // THEN
    expect(io.err()).toBe("");
    const json = JSON.parse(io.out()) as { blocks: JsonBlock[] };
    expect(json.blocks[0]?.used_by).toEqual(["node pool gpu-capacity-block (EKS Auto Mode)"]);
    const training = json.blocks.find((block) => block.name === "p5-training");
    expect(training?.used_by).toEqual(["node pool gpu-capacity-block (EKS Auto Mode)"]);
    expect(training?.warnings).toEqual([]);
  });

  it("GIVEN an untracked block without the pool's tags THEN it warns that nothing uses it", async () => {
    const { json } = await runJson();
    const idle = json.blocks.find((block) => block.reservation_id === "cr-0eeeeeeeeeeeeeeee");

    expect(idle?.used_by).toEqual([]);
    expect(idle?.warnings).toEqual([
      "not in capacity_blocks of staging.tfvars and no node pool selects it: nothing will use it (declare it in capacity_blocks, or tag it blockfleet.io/capacity-consumer=karpenter plus the pool's reservation_tags)",
    ]);
  });

  it("GIVEN a terminal THEN the table is coloured and warnings follow it; piped, there are no escape codes", async () => {
    const tty = captureIo({ now: NOW, tty: true });
    await runCli(status, tty);
    givenEc2();
    const piped = captureIo({ now: NOW });
    await runCli([...status, "--wide"], piped);

    expect(tty.out()).toContain("\u001b[32mactive\u001b[39m");
    expect(piped.out()).not.toContain("\u001b[");
    expect(piped.out()).toMatch(
      /^p5-training\s+cr-0123456789abcdef0\s+2 × p5\.48xlarge\s+2\/2\s+us-east-1a\s+active\s+2026-11-20 11:30\s+2026-11-23 11:30\s+23h 30m left\s+pending to 2026-11-30 11:30 UTC \(USD 10,752\.00\)\s+node group p5-training-\*$/m,
    );
    expect(piped.out()).toContain("⚠ p5e-inference: availability_zone is us-east-1b");
  });

  it.each([80, 100, 140])("GIVEN a %i-column terminal THEN every line of the table fits, and a note says --wide shows the rest", async (columns) => {
    const io = captureIo({ now: NOW });
    const narrow = { ...io, stdout: { ...io.stdout, columns } };

    await runCli(status, narrow);
    const table = io.out().split("\n\n")[1]!.split("\n");

    expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(columns);
    expect(io.out()).toContain("--wide shows all");
    expect(
      io
        .out()
        .split("\n")
        .every((line) => line.length <= columns),
    ).toBe(true);
  });

  it("GIVEN a terminal too narrow for the Extensions column THEN each block's extension is still listed below the table", async () => {
    const io = captureIo({ now: NOW });

    await runCli(status, { ...io, stdout: { ...io.stdout, columns: 100 } });

    expect(io.out()).not.toMatch(/^Name.*Extensions/m);
    expect(io.out()).toContain(
      "Extensions:\n  cr-0bbbbbbbbbbbbbbbb: extension FAILED to 2026-11-24 00:00 UTC (USD 768.00)\n  p5-training: extension pending to 2026-11-30 11:30 UTC (USD 10,752.00)\n",
    );
  });

  it("GIVEN --wide THEN every column is shown, however wide", async () => {
    const io = captureIo({ now: NOW });

    await runCli([...status, "--wide"], { ...io, stdout: { ...io.stdout, columns: 80 } });

    expect(io.out()).toMatch(/^Name\s+Reservation\s+Instances\s+In use\s+AZ\s+State\s+Start \(UTC\)\s+End \(UTC\)\s+Time\s+Extensions\s+Used by$/m);
    expect(io.out()).not.toContain("left out to fit");
  });

  it("GIVEN warnings and --fail-on-warning THEN it exits 3 (for cron and CI); without the flag it exits 0", async () => {
    const flagged = captureIo({ now: NOW });
    const code = await runCli([...status, "--fail-on-warning"], flagged);
    givenEc2();
    const plain = captureIo({ now: NOW });

    expect(code).toBe(3);
    expect(flagged.out()).toContain("⚠ p5e-inference");
    expect(await runCli(status, plain)).toBe(0);
  });

  it("fails when the environment file is invalid, listing the issue with file and key path", async () => {
    const io = captureIo({ now: NOW });

    const code = await runCli(["capacity", "status", "--env", "broken", "--dir", dir], io);

    expect(code).toBe(1);
    expect(io.err()).toContain("broken.tfvars: capacity_blocks[0].reservation_id: expected a capacity reservation id");
    expect(ec2.commandCalls(DescribeCapacityReservationsCommand)).toHaveLength(0);
  });

  it("fails when --env is missing", async () => {
    const io = captureIo();

    expect(await runCli(["capacity", "status", "--dir", dir], io)).toBe(1);
    expect(io.err()).toBe("blockfleet: capacity status: --env is required (see `blockfleet capacity status --help`)\n");
  });

  it("fails when the environment does not exist, naming the ones that do", async () => {
    const io = captureIo();

    expect(await runCli(["capacity", "status", "--env", "qa", "--dir", dir], io)).toBe(1);
    expect(io.err()).toContain("qa.tfvars: no such environment; available: broken, staging");
  });
});

describe("blockfleet capacity timeline", () => {
  beforeEach(() => {
    ec2.reset();
    ec2.on(DescribeCapacityReservationsCommand).resolves({ CapacityReservations: RESERVATION_PAGES.flat() });
    ec2.on(DescribeCapacityBlockExtensionHistoryCommand).resolves({ CapacityBlockExtensions: EXTENSIONS });
  });

  it("GIVEN the staging environment THEN it draws the timeline and writes no file unless asked", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "blockfleet-timeline-"));
    const io = captureIo({ now: NOW, cwd });

    const code = await runCli(["capacity", "timeline", "--env", "staging", "--dir", dir], io);

    expect(code).toBe(0);
    expect(io.out()).toMatch(/^p5-training\s+.*█+▒+/m);
    expect(io.out()).toMatch(/^no p5\.48xlarge\s+/m);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("GIVEN --mermaid FILE.md and --svg FILE THEN it writes a Mermaid gantt in a Markdown fence and an SVG there", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "blockfleet-timeline-"));
    const io = captureIo({ now: NOW, cwd });

    const code = await runCli(["capacity", "timeline", "--env", "staging", "--dir", dir, "--mermaid", "timeline.md", "--svg", "timeline.svg"], io);
    const markdown = readFileSync(path.join(cwd, "timeline.md"), "utf8");
    const svg = readFileSync(path.join(cwd, "timeline.svg"), "utf8");

    expect(code).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(["timeline.md", "timeline.svg"]);
    expect(markdown).toMatch(/^```mermaid\ngantt\n/m);
    expect(io.out()).toContain("Mermaid gantt written to timeline.md");
    expect(io.out()).toContain("SVG written to timeline.svg");
    expect(svg).toContain(">p5-training</text>");
    // Gaps per instance type: the p5e block doesn't fill the p5 gap, and p5e has none before its block starts.
    expect(markdown).toContain("    no p5.48xlarge block :crit, g0s0, 2026-11-30 11:30, 2026-12-20 11:30\n");
    expect(markdown).toContain("    no p5e.48xlarge block :crit, g1s0, 2026-11-22 12:00, 2026-12-01 11:30\n");
  });

  it("GIVEN --mermaid - THEN it prints only the chart", async () => {
    const io = captureIo({ now: NOW });

    await runCli(["capacity", "timeline", "--env", "staging", "--dir", dir, "--mermaid", "-", "--weeks", "2"], io);

    expect(io.out().startsWith("gantt\n")).toBe(true);
    expect(io.out()).toContain("    no p5e.48xlarge block :crit, g0s0, 2026-11-22 12:00, 2026-11-30 00:00\n");
    expect(io.out()).not.toContain("no p5.48xlarge block");
    expect(io.out()).not.toContain("Capacity timeline of");
  });

  it("fails when --weeks is beyond what EC2 sells", async () => {
    const io = captureIo({ now: NOW });

    expect(await runCli(["capacity", "timeline", "--env", "staging", "--dir", dir, "--weeks", "30"], io)).toBe(1);
    expect(io.err()).toBe("blockfleet: capacity timeline: --weeks must be at most 26 (capacity blocks are sold up to 26 weeks ahead), got 30\n");
  });
});
