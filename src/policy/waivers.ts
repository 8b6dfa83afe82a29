import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { Finding } from "./model";

/** A calendar date written YYYY-MM-DD (2026-02-30 is refused). */
const isoDate = z.string().refine((value) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}, "expected an ISO date (YYYY-MM-DD)");

const waiverSchema = z
  .object({
    rule: z.string().regex(/^BF-[A-Z0-9]+-\d{3}$/, "expected a rule id such as BF-IAM-006"),
    // `*` may stand for parts (every environment, cdktf's id hashes) but the resource type stays literal, so one
    // waiver can never silence a rule for every resource.
    resource: z
      .string()
      .regex(
        /^[^/\s]+\/(data\.)?[a-z][a-z0-9_]*\.\S+$/,
        "expected a resource address <stack>/<type>.<name> such as prod-cluster/aws_iam_role.karpenter (* may replace parts of the stack or name, not the type)",
      ),
    reason: z.string().min(10, "say why the finding is acceptable (at least 10 characters)"),
    expires: isoDate,
  })
  .strict();

export const waiverFileSchema = z.object({ waivers: z.array(waiverSchema) }).strict();

export type Waiver = z.infer<typeof waiverSchema>;

/** Reads and validates the waiver file; a missing file means no waivers. */
export function loadWaivers(file: string): Waiver[] {
  if (!existsSync(file)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = waiverFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new Error(`${file}: invalid waiver file\n${issues.join("\n")}`);
  }
  return parsed.data.waivers;
}

/** `*` in a waiver's resource matches any text, so one waiver can cover every environment. */
export function waiverMatches(waiver: Waiver, finding: Finding): boolean {
  if (waiver.rule !== finding.ruleId) return false;
  const pattern = waiver.resource
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(finding.address);
}

/** A waiver is valid through its expiry date (UTC). */
export function isExpired(waiver: Waiver, today: Date): boolean {
  return waiver.expires < today.toISOString().slice(0, 10);
}
