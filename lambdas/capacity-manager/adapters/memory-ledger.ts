import { ledgerItemKey, ledgerPartitionKey } from "../contract/table";
import type { SpendEntry } from "../domain/spend";
import { InvalidCursorError } from "../service/errors";
import type { LedgerPage, SpendLedger } from "../service/ports";

/**
 * The SpendLedger contract in memory, keyed like the DynamoDB ledger (a partition per month, put only when absent).
 * Used by simulations and tests; every call yields once, like a network call.
 */
export class InMemorySpendLedger implements SpendLedger {
  private readonly items = new Map<string, SpendEntry>();

  async append(entry: SpendEntry): Promise<"written" | "exists"> {
    await Promise.resolve();
    const { PK, SK } = ledgerItemKey(entry);
    const key = `${PK}\u0000${SK}`;
    if (this.items.has(key)) return "exists";
    this.items.set(key, structuredClone(entry));
    return "written";
  }

  async month(month: string, options: { cursor?: string; limit?: number } = {}): Promise<LedgerPage> {
    await Promise.resolve();
    const prefix = `${ledgerPartitionKey(month)}\u0000`;
    const keys = [...this.items.keys()].filter((k) => k.startsWith(prefix)).sort();
    let start = 0;
    if (options.cursor !== undefined) {
      const index = keys.indexOf(Buffer.from(options.cursor, "base64url").toString("utf8"));
      if (index < 0) throw new InvalidCursorError(options.cursor);
      start = index + 1;
    }
    const page = keys.slice(start, start + (options.limit ?? 500));
    const last = page.at(-1);
    const more = start + page.length < keys.length;
    return {
      entries: page.map((k) => structuredClone(this.items.get(k) as SpendEntry)),
      ...(more && last !== undefined ? { cursor: Buffer.from(last, "utf8").toString("base64url") } : {}),
    };
  }

  /** Every entry of every month (for assertions). */
  all(): SpendEntry[] {
    return [...this.items.values()].map((entry) => structuredClone(entry));
  }
}
