/**
 * DynamoDB item size rules (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * names and strings in UTF-8 bytes, numbers about 1 byte per 2 significant digits plus 1, booleans and null 1 byte,
 * lists and maps 3 bytes plus 1 per element (plus the element and, for maps, its key).
 */
import { describe, expect, it } from "vitest";
import { itemSizeBytes } from "../../../../lambdas/capacity-manager/adapters/item-size";

describe("itemSizeBytes", () => {
  it.each([
    ["a string (name + UTF-8 bytes)", { PK: "abc" }, 2 + 3],
    ["a multi-byte string", { PK: "é東" }, 2 + 5],
    ["a number of 4 significant digits", { n: 1234 }, 1 + 3],
    ["a fractional number", { n: 12.5 }, 1 + 3],
    ["a boolean and null", { a: true, b: null }, 1 + 1 + 1 + 1],
    ["a list", { l: ["ab", 1] }, 1 + 3 + (1 + 2) + (1 + 2)],
    ["a map", { m: { k: "v" } }, 1 + 3 + (1 + 1 + 1)],
    ["undefined attributes (not stored)", { PK: "a", gone: undefined }, 2 + 1],
  ])("GIVEN %s THEN its size follows DynamoDB's rules", (_name, item, bytes) => {
    expect(itemSizeBytes(item)).toBe(bytes);
  });
});
