/**
 * Tables looked up by strings that come from users (instance types, AMI types, versions). A plain object answers
 * `"toString" in table` and `table["constructor"]` from its prototype; these never do.
 */

/** The table as a frozen object without a prototype, so only its own keys are found by `in` and `[]`. */
export function lookupTable<T extends object>(entries: T): Readonly<T> {
  return Object.freeze(Object.assign(Object.create(null) as T, entries));
}

/** The table's own value for key, or undefined; never an inherited property. */
export function ownValue<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
