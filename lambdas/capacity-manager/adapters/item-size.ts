/**
 * The size DynamoDB counts for an item, following its documented rules (attribute names and values in UTF-8,
 * numbers about 1 byte per 2 significant digits plus 1, 1 byte for booleans and null, 3 bytes plus 1 per element
 * for lists and maps). Used to hold record items to RECORD_ITEM_BUDGET_BYTES.
 * Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function itemSizeBytes(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += utf8(name) + valueSize(value);
  }
  return size;
}

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

function valueSize(value: unknown): number {
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return utf8(value);
  if (typeof value === "number") {
    const digits = String(Math.abs(value))
      .replace(/[.e+-]/g, "")
      .replace(/^0+/, "").length;
    return Math.ceil(Math.max(digits, 1) / 2) + 1;
  }
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === "object") {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => (v === undefined ? sum : sum + 1 + utf8(k) + valueSize(v)), 0);
  }
  return utf8(String(value));
}
