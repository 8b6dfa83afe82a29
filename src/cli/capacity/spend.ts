/**
 * `capacity spend`: the manager's spend ledger for one UTC month against the environment's budget.
 *
 * It reads the ledger with one DynamoDB Query on the manager's journal table (the month's own partition, see
 * lambdas/capacity-manager/contract/table.ts), with the caller's AWS credentials, through the same adapter the manager uses.
 * Not through GET /spend: that would need the API's URL (a Terraform output), the read key from Secrets Manager and
 * SigV4 signing, while the table's name follows from the environment's name and the budget from its file — the
 * same file the deployed budget came from. The caller needs dynamodb:Query on the journal table and the table's KMS
 * key through DynamoDB (the runbook lists the policy). `--demo` reads the simulated demo account instead.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoSpendLedger } from "../../../lambdas/capacity-manager/adapters/dynamodb-ledger";
import { createDocumentClient } from "../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { declaredPk } from "../../../lambdas/capacity-manager/domain/declared";
import { buildSpendSummary, type SpendEntry, type SpendSummary, utcMonthOf } from "../../../lambdas/capacity-manager/domain/spend";
import { readLedgerMonth } from "../../../lambdas/capacity-manager/service/ports";
import { naming } from "../../lib/naming";
import { demoAccount } from "../demo/account";

export interface SpendSource {
  /** Shown in the heading: the table read, or the simulated account. */
  readonly label: string;
  readMonth(month: string): Promise<SpendEntry[]>;
}

/** The manager's journal table of an environment: `<environment's capacity-manager prefix>-journal`. */
export function journalTableName(environment: string): string {
  return `${naming(environment).resource("capacity-manager")}-journal`;
}

/** The real ledger: one Query per month (paged) on the environment's journal table. */
export function dynamoSpendSource(environment: string, region: string): SpendSource {
  const table = journalTableName(environment);
  const ledger = new DynamoSpendLedger(createDocumentClient(new DynamoDBClient({ region })), table);
  return { label: `DynamoDB ${table} (${region})`, readMonth: (month) => readLedgerMonth(ledger, month) };
}

/**
 * The demo account's ledger: the extensions the manager bought there (the capacity blocks themselves were bought by
 * hand, so they are not in it; an extension whose payment failed before it was settled never is either).
 */
export function demoSpendSource(now: Date, blockNames: ReadonlyMap<string, string>): SpendSource {
  const account = demoAccount(now);
  const entries: SpendEntry[] = account.extensions
    .filter((extension) => extension.status !== "payment-failed")
    .map((extension) => {
      const purchasedAt = (extension.purchaseDate ?? now).toISOString();
      const name = blockNames.get(extension.reservationId) ?? extension.reservationId;
      const start = extension.startDate?.toISOString() ?? purchasedAt;
      return {
        intentId: `${extension.reservationId}|${start}|v1`,
        kind: "extension" as const,
        recordPk: declaredPk({ name, reservationId: extension.reservationId }),
        capacityReservationId: extension.reservationId,
        offeringId: `cbe-demo${extension.reservationId.slice(-8)}`,
        feeUsd: extension.upfrontFee ?? 0,
        currency: extension.currency ?? "USD",
        startDate: start,
        endDate: extension.endDate?.toISOString() ?? start,
        purchasedAt,
        reason: `extend ${extension.reservationId} by ${extension.durationHours ?? 0} h; no approval required by the record's policy`,
      };
    });
  return { label: "demo account (simulated)", readMonth: async (month) => entries.filter((entry) => utcMonthOf(entry.purchasedAt) === month) };
}

const money = (amount: number): string => `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The month as a table: totals against the budget, then one line per purchase grouped by block. */
export function renderSpend(environment: string, source: string, summary: SpendSummary): string {
  const lines = [`Spend of ${environment} in ${summary.month} (UTC), from ${source}`, ""];
  const budget =
    summary.budgetUsd === undefined ? "none (capacity_manager.monthly_budget_usd is not set: tracking mode buys nothing)" : money(summary.budgetUsd);
  const label = (name: string) => name.padEnd(14);
  lines.push(`${label("Budget")}${budget}`);
  lines.push(`${label("Spent")}${money(summary.totalUsd)}`);
  if (summary.remainingUsd !== undefined) lines.push(`${label("Remaining")}${money(summary.remainingUsd)}${summary.remainingUsd < 0 ? "  (over budget)" : ""}`);
  lines.push(`${label("Extensions")}${money(summary.byKind.extension.totalUsd)} (${summary.byKind.extension.purchases} purchases)`);
  lines.push(`${label("Replacements")}${money(summary.byKind.replacement.totalUsd)} (${summary.byKind.replacement.purchases} purchases)`);
  lines.push("");
  if (summary.blocks.length === 0) {
    lines.push("No purchases this month.");
    return lines.join("\n");
  }
  const header = ["BLOCK", "RECORD", "KIND", "PURCHASED (UTC)", "COVERS (UTC)", "FEE", "APPROVED BY"];
  const rows: string[][] = [];
  for (const block of summary.blocks) {
    for (const p of block.purchases) {
      rows.push([
        block.capacityReservationId,
        block.recordPk,
        p.kind,
        p.purchasedAt.slice(0, 16).replace("T", " "),
        `${p.startDate.slice(0, 16).replace("T", " ")} → ${p.endDate.slice(0, 16).replace("T", " ")}`,
        money(p.feeUsd),
        p.approvedBy ?? "-",
      ]);
    }
    rows.push(["", "", "", "", "block total", money(block.totalUsd), ""]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (r: readonly string[]) =>
    r
      .map((cell, i) => (i === 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  lines.push(format(header), ...rows.map(format));
  return lines.join("\n");
}

export { buildSpendSummary };
