import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { referenceRows, renderEnvironmentReference } from "../../scripts/env-reference";
import { capacityBlockSchema, environmentShape } from "../../src/config/schema";

const checkedIn = path.join(__dirname, "..", "..", "docs", "environment-reference.md");

describe("docs/environment-reference.md", () => {
  it("GIVEN the schema THEN the checked-in reference is what `npm run docs:env` generates (run it after changing the schema)", () => {
    expect(readFileSync(checkedIn, "utf8")).toBe(renderEnvironmentReference());
  });
});

describe("referenceRows", () => {
  const rows = referenceRows();
  const row = (key: string) => rows.find((candidate) => candidate.path === key);

  it("GIVEN the root schema THEN every top-level key has a row", () => {
    for (const key of Object.keys(environmentShape)) expect(row(key), key).toBeTruthy();
  });

  it("GIVEN capacity blocks THEN each key of an entry has a row under capacity_blocks[]", () => {
    const keys = Object.keys(capacityBlockSchema.shape);

    expect(rows.filter((candidate) => /^capacity_blocks\[\]\.[a-z_]+$/.test(candidate.path)).map((candidate) => candidate.path)).toEqual(
      keys.map((key) => `capacity_blocks[].${key}`),
    );
  });

  it("GIVEN required keys and defaults THEN they are marked from the schema", () => {
    expect(row("capacity_blocks[].reservation_id")).toMatchObject({ required: true, type: "string, matching `^cr-[0-9a-f]{17}$`" });
    expect(row("capacity_blocks[].root_volume_gib")).toMatchObject({ required: false, defaultValue: "500", type: "whole number, 50–16384" });
    expect(row("cluster.version")?.type).toMatch(/^one of "1\.\d+"/);
  });

  it("GIVEN doc comments, @default tags and refinement messages THEN they become the description and default", () => {
    expect(row("capacity_blocks[].efa")?.description).toBe(
      "EFA interfaces on every network card and an all-traffic self rule for multi-node training (no placement group: EC2 co-locates a block).",
    );
    expect(row("state_bucket")?.defaultValue).toBe("blockfleet-tfstate-<env>-<account_id>-<region>");
    expect(row("capacity_blocks[].instance_type")?.description).toMatch(/^Rule: expected an instance type sold as a capacity block \(families p4d, /);
  });
});
