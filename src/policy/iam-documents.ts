import { isJsonObject, type JsonObject, type JsonValue, nestedBlocks, stringList, type TerraformBlock } from "./model";
import type { Workspace } from "./workspace";

/** How AWS evaluates a document: attached to an identity, as a role's trust, or on a resource. */
export type PolicyKind = "identity" | "trust" | "resource";

/** One policy document found in the synthesized output, with its references resolved. */
export interface PolicySource {
  /** The resource that carries the document (the role, the queue policy …). */
  readonly owner: TerraformBlock;
  readonly attribute: string;
  readonly kind: PolicyKind;
  /** Address of the `aws_iam_policy_document` data source the document came from, if any. */
  readonly dataSource?: string;
  /** The document as IAM JSON with references replaced by fake values, or undefined when unreadable. */
  readonly document?: JsonObject;
  /** Why the document could not be read. */
  readonly error?: string;
  /** References that could not be resolved (they would match nothing real). */
  readonly unresolved: readonly string[];
}

/** Where policy documents live in AWS provider resources. */
const POLICY_ATTRIBUTES: ReadonlyArray<{ type: string; attribute: string; kind: PolicyKind }> = [
  { type: "aws_iam_role", attribute: "assume_role_policy", kind: "trust" },
  { type: "aws_iam_role_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_user_policy", attribute: "policy", kind: "identity" },
  { type: "aws_iam_group_policy", attribute: "policy", kind: "identity" },
  { type: "aws_sqs_queue", attribute: "policy", kind: "resource" },
  { type: "aws_sqs_queue_policy", attribute: "policy", kind: "resource" },
  { type: "aws_sns_topic", attribute: "policy", kind: "resource" },
  { type: "aws_sns_topic_policy", attribute: "policy", kind: "resource" },
  { type: "aws_s3_bucket_policy", attribute: "policy", kind: "resource" },
  { type: "aws_kms_key", attribute: "policy", kind: "resource" },
  { type: "aws_secretsmanager_secret", attribute: "policy", kind: "resource" },
  { type: "aws_secretsmanager_secret_policy", attribute: "policy", kind: "resource" },
  { type: "aws_api_gateway_rest_api", attribute: "policy", kind: "resource" },
  { type: "aws_api_gateway_rest_api_policy", attribute: "policy", kind: "resource" },
  { type: "aws_ecr_repository_policy", attribute: "policy", kind: "resource" },
  { type: "aws_cloudwatch_log_resource_policy", attribute: "policy_document", kind: "resource" },
  { type: "aws_cloudwatch_event_bus_policy", attribute: "policy", kind: "resource" },
  { type: "aws_dynamodb_resource_policy", attribute: "policy", kind: "resource" },
];

/** Every policy document of the workspace, in a stable order. */
export function collectPolicies(workspace: Workspace): PolicySource[] {
  const sources: PolicySource[] = [];
  for (const { type, attribute, kind } of POLICY_ATTRIBUTES) {
    for (const owner of workspace.resources(type)) {
      const value = owner.config[attribute];
      if (value !== undefined) sources.push(readPolicy(workspace, owner, attribute, kind, value));
    }
  }
  for (const role of workspace.resources("aws_iam_role")) {
    nestedBlocks(role.config["inline_policy"]).forEach((inline, index) => {
      if (inline["policy"] !== undefined) {
        sources.push(readPolicy(workspace, role, `inline_policy[${index}].policy`, "identity", inline["policy"]));
      }
    });
  }
  return sources;
}

/** Reads one `policy`-style attribute: a JSON string, or a reference to an `aws_iam_policy_document`. */
export function readPolicy(workspace: Workspace, owner: TerraformBlock, attribute: string, kind: PolicyKind, value: JsonValue): PolicySource {
  const target = workspace.target(owner.stack, value);
  if (target && target.block.kind === "data" && target.block.type === "aws_iam_policy_document") {
    const document = documentFromDataSource(workspace, target.block);
    return { owner, attribute, kind, dataSource: target.block.address, document, unresolved: unresolvedIn(document) };
  }
  if (isJsonObject(value)) {
    const document = workspace.resolveValue(owner.stack, value) as JsonObject;
    return { owner, attribute, kind, document, unresolved: unresolvedIn(document) };
  }
  if (typeof value !== "string") return { owner, attribute, kind, error: `${attribute} is not a JSON string`, unresolved: [] };
  const resolved = workspace.resolveString(owner.stack, value);
  try {
    const parsed = JSON.parse(resolved) as JsonValue;
    if (!isJsonObject(parsed)) return { owner, attribute, kind, error: `${attribute} is JSON but not an object`, unresolved: [] };
    return { owner, attribute, kind, document: parsed, unresolved: unresolvedIn(parsed) };
  } catch {
    return {
      owner,
      attribute,
      kind,
      error: `${attribute} is not a JSON document the gate can read (use JSON.stringify or an aws_iam_policy_document, not a Terraform function): ${truncate(value)}`,
      unresolved: [],
    };
  }
}

/**
 * Renders an `aws_iam_policy_document` data source the way Terraform does: statements from
 * `source_policy_documents` first, then its own, then `override_policy_documents` replacing by Sid.
 */
export function documentFromDataSource(workspace: Workspace, block: TerraformBlock, depth = 0): JsonObject {
  const statements: JsonObject[] = [];
  const addBySid = (incoming: JsonObject[], replace: boolean): void => {
    for (const statement of incoming) {
      const sid = statement["Sid"];
      const existing = typeof sid === "string" ? statements.findIndex((candidate) => candidate["Sid"] === sid) : -1;
      if (existing >= 0 && replace) statements[existing] = statement;
      else statements.push(statement);
    }
  };
  const referenced = (attribute: string): JsonObject[] => stringList(block.config[attribute]).flatMap((entry) => statementsOf(workspace, block, entry, depth));
  addBySid(referenced("source_policy_documents"), false);
  addBySid(
    nestedBlocks(block.config["statement"]).map((statement) => statementFromBlock(workspace, block.stack, statement)),
    true,
  );
  addBySid(referenced("override_policy_documents"), true);
  const version = block.config["version"];
  return { Version: typeof version === "string" ? version : "2012-10-17", Statement: statements };
}

function statementsOf(workspace: Workspace, block: TerraformBlock, entry: string, depth: number): JsonObject[] {
  const target = workspace.target(block.stack, entry);
  if (target && target.block.type === "aws_iam_policy_document" && depth < 5) {
    return nestedBlocks(documentFromDataSource(workspace, target.block, depth + 1)["Statement"]);
  }
  try {
    const parsed = JSON.parse(workspace.resolveString(block.stack, entry)) as JsonValue;
    return isJsonObject(parsed) ? nestedBlocks(parsed["Statement"]) : [];
  } catch {
    return [];
  }
}

function statementFromBlock(workspace: Workspace, stack: string, statement: JsonObject): JsonObject {
  const resolveList = (key: string): string[] => stringList(statement[key]).map((item) => workspace.resolveString(stack, item));
  const out: JsonObject = { Effect: typeof statement["effect"] === "string" ? statement["effect"] : "Allow" };
  if (typeof statement["sid"] === "string") out["Sid"] = statement["sid"];
  const copy = (from: string, to: string): void => {
    if (statement[from] !== undefined) out[to] = resolveList(from);
  };
  copy("actions", "Action");
  copy("not_actions", "NotAction");
  copy("resources", "Resource");
  copy("not_resources", "NotResource");
  const principals = (key: string): JsonValue | undefined => {
    const blocks = nestedBlocks(statement[key]);
    if (blocks.length === 0) return undefined;
    const byType: JsonObject = {};
    for (const principal of blocks) {
      const type = String(principal["type"] ?? "AWS");
      const identifiers = stringList(principal["identifiers"]).map((id) => workspace.resolveString(stack, id));
      if (type === "*") return "*";
      byType[type] = [...stringList(byType[type]), ...identifiers];
    }
    return byType;
  };
  const principal = principals("principals");
  if (principal !== undefined) out["Principal"] = principal;
  const notPrincipal = principals("not_principals");
  if (notPrincipal !== undefined) out["NotPrincipal"] = notPrincipal;
  const conditions = nestedBlocks(statement["condition"]);
  if (conditions.length > 0) {
    const condition: JsonObject = {};
    for (const entry of conditions) {
      const test = String(entry["test"]);
      const operator = isJsonObject(condition[test]) ? (condition[test] as JsonObject) : {};
      operator[String(entry["variable"])] = stringList(entry["values"]).map((value) => workspace.resolveString(stack, value));
      condition[test] = operator;
    }
    out["Condition"] = condition;
  }
  return out;
}

/** Statements of a document as a list (IAM allows a single object). */
export function statementsOfDocument(document: JsonObject): JsonObject[] {
  return nestedBlocks(document["Statement"]);
}

function unresolvedIn(value: JsonValue): string[] {
  const found = new Set<string>();
  const walk = (node: JsonValue): void => {
    if (typeof node === "string") for (const match of node.matchAll(/unresolved-[0-9a-f]+/g)) found.add(match[0]);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (isJsonObject(node)) Object.values(node).forEach(walk);
  };
  walk(value);
  return [...found];
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
