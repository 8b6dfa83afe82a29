/**
 * The capacity commands against the demo account (src/cli/demo): what a newcomer sees with `--demo` or
 * BLOCKFLEET_DEMO=1, no AWS account involved. The EC2 client is mocked only to prove it is never called.
 */

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeCapacityBlockOfferingsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SEGMENT_KINDS } from "../../../../src/cli/capacity/timeline";
import { demoAccount } from "../../../../src/cli/demo/account";
import { runCli } from "../../../../src/cli/main";
import { captureIo } from "../test-io";

const ec2 = mockClient(EC2Client);
/** A Sunday; the demo lays its blocks out around it. */
const NOW = new Date("2026-11-22T12:00:00Z");

interface StatusJson {
  environment: string;
  region: string;
  blocks: {
    name: string | null;
    reservation_id: string;
    state: string;
    instances_in_use: number | null;
    warnings: string[];
    extensions: { status: string }[];
  }[];
}

const run = async (argv: string[], env: Record<string, string> = {}, cwd?: string) => {
  const io = captureIo({ now: NOW, env, ...(cwd ? { cwd } : {}) });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe("the demo account", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expect(ec2.calls()).toHaveLength(0));

  describe("capacity status --demo", () => {
    it("GIVEN no AWS account THEN it shows the demo environment's blocks in every state, instances in use, and what to do", async () => {
      const { code, out, err } = await run(["capacity", "status", "--demo"]);

      expect(code).toBe(0);
      expect(err).toBe("");
      expect(out).toContain("Capacity blocks of demo (us-east-1)");
      expect(out).toMatch(/^p5-training\s+4 × p5\.48xlarge\s+3\/4\s+us-east-1a\s+active\s/m);
      expect(out).toMatch(/^p4d-finetune\s+2 × p4d\.24xlarge\s+0\/2\s+us-east-1a\s+active\s/m);
      expect(out).toMatch(/^p5-next\s+4 × p5\.48xlarge\s+—\s+us-east-1a\s+scheduled\s/m);
      expect(out).toMatch(/^p4d-old\s+2 × p4d\.24xlarge\s+—\s+us-east-1a\s+expired\s/m);
      expect(out).toMatch(/^p5en-eval\s+1 × p5en\.48xlarge\s+—\s+us-east-1b\s+payment-failed\s/m);
      expect(out).toMatch(/^cr-0de300000000000f6\s+2 × p5\.48xlarge/m);
      expect(out).toContain("⚠ p4d-old: expired 1d ago: no longer a usable block, remove it from capacity_blocks in demo.tfvars");
      expect(out).toContain("⚠ p5en-eval: payment failed: the block will not start");
      expect(out).toContain("⚠ p4d-finetune: extension to 2026-11-25 00:00 UTC failed payment");
    });

    it("GIVEN --json THEN the same account comes out as JSON: a paid extension, a pending one, a failed one, and in-use counts", async () => {
      const { code, out } = await run(["capacity", "status", "--demo", "--json"]);
      const json = JSON.parse(out) as StatusJson;
      const byName = (name: string) => json.blocks.find((block) => block.name === name);

      expect(code).toBe(0);
      expect(json).toMatchObject({ environment: "demo", region: "us-east-1" });
      expect(json.blocks.map((block) => block.state).sort()).toEqual(["active", "active", "active", "expired", "payment-failed", "scheduled", "scheduled"]);
      expect(byName("p5-training")).toMatchObject({ instances_in_use: 3, extensions: [{ status: "payment-succeeded" }], warnings: [] });
      expect(byName("p5e-inference")?.extensions).toEqual([expect.objectContaining({ status: "payment-pending" })]);
      expect(byName("p4d-finetune")?.extensions).toEqual([expect.objectContaining({ status: "payment-failed" })]);
      expect(json.blocks.find((block) => block.name === null)?.reservation_id).toBe("cr-0de300000000000f6");
    });

    it("GIVEN BLOCKFLEET_DEMO=1 instead of --demo THEN the output is the same", async () => {
      const flag = await run(["capacity", "status", "--demo"]);
      const env = await run(["capacity", "status"], { BLOCKFLEET_DEMO: "1" });

      expect(env.out).toBe(flag.out);
    });

    it("GIVEN FORCE_COLOR on a pipe THEN it is coloured; NO_COLOR wins over FORCE_COLOR", async () => {
      const forced = await run(["capacity", "status", "--demo"], { FORCE_COLOR: "1" });
      const both = await run(["capacity", "status", "--demo"], { FORCE_COLOR: "1", NO_COLOR: "1" });

      expect(forced.out).toContain("\u001b[32mactive\u001b[39m");
      expect(both.out).not.toContain("\u001b[");
    });

    it("GIVEN --fail-on-warning THEN the demo's warnings make it exit 3", async () => {
      expect((await run(["capacity", "status", "--demo", "--fail-on-warning"])).code).toBe(3);
    });
  });

  describe("capacity timeline --demo", () => {
    it("GIVEN no files asked for THEN it draws every state with a legend and a now marker and writes nothing", async () => {
      const cwd = mkdtempSync(path.join(tmpdir(), "blockfleet-demo-"));

      const { code, out } = await run(["capacity", "timeline", "--demo"], {}, cwd);

      expect(code).toBe(0);
      expect(readdirSync(cwd)).toEqual([]);
      expect(out).toContain("Capacity timeline of demo (UTC), 2026-11-16 00:00 UTC → 2026-12-28 00:00 UTC");
      expect(out).toMatch(/^p5-training\s+.*█+▆+/m);
      expect(out).toMatch(/^p5e-inference\s+.*█+▒+/m);
      expect(out).toMatch(/^p4d-finetune\s+.*█+╳+/m);
      expect(out).toMatch(/^p4d-old\s+.*░+/m);
      expect(out).toMatch(/^no p5\.48xlarge\s+.*╌+/m);
      expect(out).toContain("▲ now 2026-11-22 12:00 UTC");
      expect(out).not.toContain("undefined");
    });

    it("GIVEN --json THEN every kind of segment is in it, with gaps per instance type", async () => {
      const { code, out } = await run(["capacity", "timeline", "--demo", "--json"]);
      const json = JSON.parse(out) as { blocks: { segments: { kind: string }[] }[]; gaps: { instance_type: string; segments: unknown[] }[] };
      const kinds = new Set(
        [...json.blocks.flatMap((block) => block.segments), ...json.gaps.flatMap((gap) => gap.segments as { kind: string }[])].map((segment) => segment.kind),
      );

      expect(code).toBe(0);
      expect(kinds).toEqual(new Set(SEGMENT_KINDS));
      expect(json.gaps.map((gap) => gap.instance_type)).toEqual(["p4d.24xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge"]);
    });

    it("GIVEN --svg and --mermaid files THEN it writes those two and nothing else", async () => {
      const cwd = mkdtempSync(path.join(tmpdir(), "blockfleet-demo-"));

      const { code, out } = await run(["capacity", "timeline", "--demo", "--svg", "t.svg", "--mermaid", "t.mmd"], {}, cwd);

      expect(code).toBe(0);
      expect(readdirSync(cwd).sort()).toEqual(["t.mmd", "t.svg"]);
      expect(readFileSync(path.join(cwd, "t.mmd"), "utf8")).toMatch(/^gantt\n/);
      expect(readFileSync(path.join(cwd, "t.svg"), "utf8")).toContain(">extension paid</text>");
      expect(out).toContain("SVG written to t.svg");
    });
  });

  describe("capacity offerings --demo", () => {
    const search = ["capacity", "offerings", "--demo", "--instance-type", "p5.48xlarge,p4d.24xlarge,p5e.48xlarge", "--count", "2", "--duration", "7d"];

    it("GIVEN three instance types THEN offerings are ranked by GPU-hour and grouped by GPU generation", async () => {
      const { code, out } = await run([...search, "--limit", "50"]);
      const headings = out.split("\n").filter((line) => /^(A100|H100|H200):/.test(line));

      expect(code).toBe(0);
      expect(out).toContain("27 offerings in us-east-1 [demo account (simulated)]");
      expect(headings).toEqual(["A100: p4d.24xlarge", "H100: p5.48xlarge", "H200: p5e.48xlarge"]);
      const ranks = out
        .split("\n")
        .filter((line) => /^\d+\s+p/.test(line))
        .map((line) => Number(line.split(/\s+/)[0]));
      expect(ranks).toEqual([...ranks].sort((left, right) => left - right));
    });

    it("GIVEN --json THEN each offering has its region and GPU generation", async () => {
      const { out } = await run([...search, "--json"]);
      const json = JSON.parse(out) as { region: string; offerings: { rank: number; region: string; gpu_generation: string }[] };

      expect(json.region).toBe("us-east-1");
      expect(json.offerings).toHaveLength(27);
      expect(new Set(json.offerings.map((offering) => offering.gpu_generation))).toEqual(new Set(["A100", "H100", "H200"]));
      expect(json.offerings.every((offering) => offering.region === "us-east-1")).toBe(true);
    });

    it("GIVEN --env demo THEN only the environment's zones are searched and the purchase command tags the block for its Karpenter pool", async () => {
      const { code, out } = await run([...search, "--env", "demo", "--json"]);
      const text = await run([...search, "--env", "demo"]);
      const zones = new Set((JSON.parse(out) as { offerings: { availability_zone: string }[] }).offerings.map((offering) => offering.availability_zone));

      expect(code).toBe(0);
      expect(zones).toEqual(new Set(["us-east-1a", "us-east-1b"]));
      // PurchaseCapacityBlock takes TagSpecifications for the reservation it creates (ResourceType capacity-reservation):
      // aws/aws-sdk-js-v3 @aws-sdk/client-ec2 3.1169.0, dist-types/models/models_8.d.ts PurchaseCapacityBlockRequest.
      // Karpenter's tag terms also require the consumer tag (node-group blocks never carry it), and reconcile may extend
      // only reservations tagged with its environment (or declared).
      expect(text.out).toContain(
        "--tag-specifications 'ResourceType=capacity-reservation,Tags=[{Key=capacity-pool,Value=demo},{Key=blockfleet.io/capacity-consumer,Value=karpenter},{Key=blockfleet.io/environment,Value=demo}]'",
      );
      expect(text.out).toContain('consumer          = "karpenter"');
    });

    it("GIVEN --regions THEN every region is searched and the table says which region each offering is in", async () => {
      const { code, out } = await run([...search, "--regions", "us-east-1,us-west-2", "--json"]);
      const json = JSON.parse(out) as { regions: string[]; offerings: { region: string; availability_zone: string }[] };

      expect(code).toBe(0);
      expect(json.regions).toEqual(["us-east-1", "us-west-2"]);
      expect(new Set(json.offerings.map((offering) => offering.region))).toEqual(new Set(["us-east-1", "us-west-2"]));
      expect(json.offerings.every((offering) => offering.availability_zone.startsWith(offering.region))).toBe(true);
      expect((await run([...search, "--regions", "us-east-1,us-west-2"])).out).toMatch(/^#\s+Instance type\s+Region\s+AZ/m);
    });

    it("fails when --env is combined with --region", async () => {
      const { code, err } = await run([...search, "--env", "demo", "--region", "us-west-2"]);

      expect(code).toBe(1);
      expect(err).toBe("blockfleet: capacity offerings: --env sets the region; leave out --region/--regions\n");
    });
  });

  describe("demoAccount", () => {
    it("GIVEN any day THEN the account has every state, and every purchase (blocks and extensions) carries its fee for a spend report", () => {
      for (const day of ["2026-11-22T12:00:00Z", "2027-02-01T00:00:00Z", "2027-06-30T23:59:00Z"]) {
        const account = demoAccount(new Date(day));

        expect(new Set(account.reservations.map((reservation) => reservation.state))).toEqual(new Set(["active", "scheduled", "expired", "payment-failed"]));
        expect(new Set(account.extensions.map((extension) => extension.status))).toEqual(new Set(["payment-succeeded", "payment-pending", "payment-failed"]));
        expect(account.purchases).toHaveLength(account.reservations.length + account.extensions.length);
        expect(account.purchases.every((purchase) => purchase.upfrontFee > 0 && purchase.currency === "USD")).toBe(true);
        for (const reservation of account.reservations.filter((candidate) => candidate.state === "active")) {
          expect(reservation.startDate!.getTime()).toBeLessThanOrEqual(account.now.getTime());
          expect(reservation.endDate!.getTime()).toBeGreaterThan(account.now.getTime());
        }
      }
    });
  });
});

describe("capacity offerings --regions against EC2", () => {
  afterEach(() => ec2.reset());

  it("GIVEN two regions THEN both are asked at once, not one after the other", async () => {
    ec2.reset();
    let inFlight = 0;
    let most = 0;
    ec2.on(DescribeCapacityBlockOfferingsCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return { CapacityBlockOfferings: [] };
    });

    const { code } = await run([
      "capacity",
      "offerings",
      "--instance-type",
      "p5.48xlarge",
      "--count",
      "1",
      "--duration",
      "1d",
      "--regions",
      "us-east-1,eu-north-1",
    ]);

    expect(code).toBe(0);
    expect(ec2.commandCalls(DescribeCapacityBlockOfferingsCommand)).toHaveLength(2);
    expect(most).toBe(2);
  });
});
