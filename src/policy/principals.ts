/**
 * Who a policy statement names, and which conditions scope it: the small vocabulary the trust and resource-policy
 * rules share.
 */
import { isJsonObject, type JsonObject, type JsonValue, stringList } from "./model";

/** The identifiers of one principal type in a statement (`AWS`, `Service`, `Federated`); `*` yields ["*"]. */
export function principalsOf(statement: JsonObject, type: "AWS" | "Service" | "Federated"): string[] {
  const principal = statement["Principal"];
  if (principal === "*") return ["*"];
  return isJsonObject(principal) ? stringList(principal[type]) : [];
}

/** The account an AWS principal belongs to (`123456789012`, `arn:aws:iam::123456789012:root`, a role ARN …). */
export function accountOfPrincipal(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

/** True when the AWS principal is a whole account: its root ARN or its bare id (IAM treats both the same). */
export function isAccountRoot(principal: string): boolean {
  return /^\d{12}$/.test(principal) || /^arn:[a-z-]+:iam::\d{12}:root$/.test(principal);
}

/** Condition operators that require the key to be present and to match (no IfExists, no negation). */
const POSITIVE_OPERATORS = new Set(["StringEquals", "StringLike", "ArnEquals", "ArnLike", "StringEqualsIgnoreCase"]);

/** Values a condition key must match, per positive operator; keys are compared case-insensitively like IAM does. */
export function conditionValues(statement: JsonObject, key: string): string[] {
  const condition = statement["Condition"];
  if (!isJsonObject(condition)) return [];
  const values: string[] = [];
  for (const [operator, entries] of Object.entries(condition)) {
    if (!POSITIVE_OPERATORS.has(operator) || !isJsonObject(entries)) continue;
    for (const [name, value] of Object.entries(entries)) if (name.toLowerCase() === key.toLowerCase()) values.push(...stringList(value as JsonValue));
  }
  return values;
}
