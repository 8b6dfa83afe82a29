/**
 * Resource addresses are a contract: a changed address destroys the resource and creates a new one unless a `moved`
 * block carries its state over. This test pins the address of every resource (and every `moved` block) of every
 * shipped environment in fixtures/resource-addresses.json, so any change to an address shows in the pull request's
 * diff next to the move that goes with it.
 *
 * After a deliberate change, regenerate the fixture and review its diff:
 *
 *   UPDATE_ADDRESSES=1 npx vitest run __tests__/stacks/resource-addresses.test.ts
 *
 * An address that disappears while a resource of the same type appears is a replacement: ship a cdktf move
 * (`movedFrom(resource, addressAt(...))`, see src/lib/moves.ts) unless replacing it is the point.
 *
 * The positional check flags construct ids such as `admin-0` (a word, a dash, a number): key the construct by what
 * it is instead. A shipped name that merely ends in a number (a block called `train-2`) trips it too; rename it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeEnvironments } from "../../src/synth";

const FIXTURE = join(__dirname, "fixtures", "resource-addresses.json");

interface StackAddresses {
  /** `type.name` of every resource, sorted. */
  readonly resources: string[];
  /** `from -> to` of every moved block, sorted. */
  readonly moved: string[];
}

type Pins = Record<string, StackAddresses>;

function addressesOf(json: { resource?: Record<string, Record<string, unknown>>; moved?: Array<{ from: string; to: string }> }): StackAddresses {
  const resources = Object.entries(json.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`));
  const moved = (json.moved ?? []).map(({ from, to }) => `${from} -> ${to}`);
  return { resources: resources.sort(), moved: moved.sort() };
}

describe("resource addresses of the shipped environments", () => {
  let actual: Pins;
  const outdir = mkdtempSync(join(tmpdir(), "blockfleet-addresses-"));

  beforeAll(async () => {
    // GIVEN every file in environments/  WHEN synthesized as `npm run synth` does
    const result = await synthesizeEnvironments({ environmentsDir: "environments", outdir: join(outdir, "cdktf.out") });
    actual = Object.fromEntries(
      [...result.stacks].sort((a, b) => a.name.localeCompare(b.name)).map((stack) => [stack.name, addressesOf(JSON.parse(readFileSync(stack.file, "utf8")))]),
    );
    if (process.env["UPDATE_ADDRESSES"] === "1") writeFileSync(FIXTURE, `${JSON.stringify(actual, null, 2)}\n`);
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("match the pinned addresses, stack by stack (regenerate with UPDATE_ADDRESSES=1, see the header)", () => {
    // THEN every stack's resource and moved addresses are exactly the pinned ones
    const pinned = JSON.parse(readFileSync(FIXTURE, "utf8")) as Pins;
    expect(Object.keys(actual)).toEqual(Object.keys(pinned));
    for (const [stack, addresses] of Object.entries(pinned)) {
      expect({ stack, ...actual[stack] }).toEqual({ stack, ...addresses });
    }
  });

  it("never key a resource by list position", () => {
    // THEN no construct id along any address (the last part is cdktf's hash) is a bare index or ends in one (admin-0)
    const positional = Object.values(actual)
      .flatMap((stack) => stack.resources)
      .filter((address) =>
        address
          .split(".")[1]!
          .split("_")
          .slice(0, -1)
          .some((part) => /^(\d+|[a-z-]+-\d+)$/.test(part)),
      );
    expect(positional).toEqual([]);
  });

  it("move only to addresses that exist, from addresses that no longer do", () => {
    for (const [stack, { resources, moved }] of Object.entries(actual)) {
      for (const move of moved) {
        // A move into a counted resource names its instance: `type.name[0]`.
        const [from, to] = move.split(" -> ").map((address) => address.replace(/\[\d+\]$/, ""));
        expect({ stack, move, toExists: resources.includes(to!), fromGone: !resources.includes(from!) }).toEqual({
          stack,
          move,
          toExists: true,
          fromGone: true,
        });
      }
    }
  });
});
