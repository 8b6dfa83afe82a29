import { z } from "zod";
import type { ApiAccess } from "../contract/access";

/**
 * The only place the capacity manager reads its environment. Region, credentials and endpoints
 * (AWS_REGION, AWS_ENDPOINT_URL_*) are read by the AWS SDK itself.
 */
export interface ManagerConfig {
  readonly tableName: string;
  /** History (and later ledger) items, one partition per record (key schema in table.ts). */
  readonly journalTableName: string;
  /** Absent: nobody is notified, and nothing that needs approval is ever bought without a PATCH. */
  readonly topicArn: string | undefined;
  /** Largest API request body accepted. */
  readonly maxBodyBytes: number;
  /** Default and largest page size of GET /. */
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  /** Records reconciled concurrently. */
  readonly reconcileConcurrency: number;
  /** SSM parameter holding the blocks the environment file declares (reconcile only); absent: none. */
  readonly declaredBlocksParameter?: string;
  /** Buy extensions (with their approvals); false is tracking mode (nothing proposed or bought). */
  readonly extensionsEnabled: boolean;
  /**
   * Tags every new block the manager buys carries (JSON object in NEW_BLOCK_TAGS). Present only where the
   * environment allows new purchases (`allow_new_purchases`): then replacements may be bought. Absent: never.
   */
  readonly newBlockTags?: Readonly<Record<string, string>>;
  /**
   * Most purchases may commit per UTC calendar month, in USD (MONTHLY_BUDGET_USD). Required when extensions are
   * enabled; absent in tracking mode (nothing is bought).
   */
  readonly monthlyBudgetUsd?: number;
  /** Who may approve, and which API key carries which permission. */
  readonly access: ApiAccess;
}

export const CONFIG_DEFAULTS = {
  maxBodyBytes: 16 * 1024,
  defaultPageSize: 50,
  maxPageSize: 500,
  reconcileConcurrency: 16,
} as const;

const BUDGET_MESSAGE = 'MONTHLY_BUDGET_USD must be a positive amount in USD such as "60000" or "2500.50"';

const envSchema = z.object({
  TABLE_NAME: z.string({ error: "TABLE_NAME must be set to the capacity manager's DynamoDB table" }).min(1, "TABLE_NAME must not be empty"),
  JOURNAL_TABLE_NAME: z
    .string({ error: "JOURNAL_TABLE_NAME must be set to the capacity manager's journal table (record history)" })
    .min(1, "JOURNAL_TABLE_NAME must not be empty"),
  TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/, "TOPIC_ARN must be an SNS topic ARN")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  DECLARED_BLOCKS_PARAMETER: z
    .string()
    .regex(/^\/[A-Za-z0-9_./-]{1,2047}$/, "DECLARED_BLOCKS_PARAMETER must be an SSM parameter name starting with /")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** "true" lets reconcile buy extensions; anything else unset is tracking mode. */
  EXTENSIONS_ENABLED: z
    .enum(["true", "false"], { error: 'EXTENSIONS_ENABLED must be "true" or "false"' })
    .default("false")
    .transform((value) => value === "true"),
  NEW_BLOCK_TAGS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "NEW_BLOCK_TAGS must be a JSON object of tag keys to values" });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().min(1), z.string(), { error: "NEW_BLOCK_TAGS must be a JSON object of tag keys to values" }).optional()),
  /** USD per UTC calendar month, a positive decimal number ("60000", "2500.50"). */
  MONTHLY_BUDGET_USD: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z
      .string()
      .regex(/^\d+(\.\d{1,2})?$/, BUDGET_MESSAGE)
      .transform(Number)
      .refine((value) => value > 0, BUDGET_MESSAGE)
      .optional(),
  ),
  API_AUTH_MODE: z.enum(["iam_and_key", "api_key_only"], { error: 'API_AUTH_MODE must be "iam_and_key" or "api_key_only"' }).default("iam_and_key"),
  /** Comma-separated IAM role/user ARNs; none means nobody can approve. */
  APPROVER_PRINCIPAL_ARNS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((arn) => arn.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, "APPROVER_PRINCIPAL_ARNS must list IAM role or user ARNs"))),
  API_KEY_ID_READ: z.string().min(1).optional(),
  API_KEY_ID_WRITE: z.string().min(1).optional(),
  API_KEY_ID_APPROVE: z.string().min(1).optional(),
});

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ManagerConfig {
  const parsed = envSchema.safeParse({
    TABLE_NAME: env["TABLE_NAME"],
    JOURNAL_TABLE_NAME: env["JOURNAL_TABLE_NAME"],
    TOPIC_ARN: env["TOPIC_ARN"],
    DECLARED_BLOCKS_PARAMETER: env["DECLARED_BLOCKS_PARAMETER"],
    EXTENSIONS_ENABLED: env["EXTENSIONS_ENABLED"],
    NEW_BLOCK_TAGS: env["NEW_BLOCK_TAGS"],
    MONTHLY_BUDGET_USD: env["MONTHLY_BUDGET_USD"],
    API_AUTH_MODE: env["API_AUTH_MODE"],
    APPROVER_PRINCIPAL_ARNS: env["APPROVER_PRINCIPAL_ARNS"],
    API_KEY_ID_READ: env["API_KEY_ID_READ"],
    API_KEY_ID_WRITE: env["API_KEY_ID_WRITE"],
    API_KEY_ID_APPROVE: env["API_KEY_ID_APPROVE"],
  });
  if (!parsed.success) {
    throw new Error(`capacity manager configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const data = parsed.data;
  if (data.EXTENSIONS_ENABLED && data.MONTHLY_BUDGET_USD === undefined) {
    throw new Error(
      "capacity manager configuration: MONTHLY_BUDGET_USD: must be set when EXTENSIONS_ENABLED is true (every purchase is checked against the month's budget)",
    );
  }
  const declared = data.DECLARED_BLOCKS_PARAMETER;
  const apiKeyIds = {
    ...(data.API_KEY_ID_READ ? { read: data.API_KEY_ID_READ } : {}),
    ...(data.API_KEY_ID_WRITE ? { write: data.API_KEY_ID_WRITE } : {}),
    ...(data.API_KEY_ID_APPROVE ? { approve: data.API_KEY_ID_APPROVE } : {}),
  };
  return {
    tableName: data.TABLE_NAME,
    journalTableName: data.JOURNAL_TABLE_NAME,
    topicArn: data.TOPIC_ARN,
    ...CONFIG_DEFAULTS,
    ...(declared ? { declaredBlocksParameter: declared } : {}),
    extensionsEnabled: data.EXTENSIONS_ENABLED,
    ...(data.NEW_BLOCK_TAGS !== undefined && data.EXTENSIONS_ENABLED ? { newBlockTags: data.NEW_BLOCK_TAGS } : {}),
    ...(data.MONTHLY_BUDGET_USD !== undefined ? { monthlyBudgetUsd: data.MONTHLY_BUDGET_USD } : {}),
    access: { mode: data.API_AUTH_MODE, approverPrincipalArns: data.APPROVER_PRINCIPAL_ARNS, apiKeyIds },
  };
}
