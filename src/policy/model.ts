/**
 * The policy gate's view of synthesized Terraform: stacks of resource and data blocks, plus the
 * findings rules report about them.
 */

/** A JSON value as it appears in cdk.tf.json. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One `resource` or `data` block of a stack. */
export interface TerraformBlock {
  readonly stack: string;
  readonly kind: "resource" | "data";
  readonly type: string;
  readonly name: string;
  /** `<stack>/<type>.<name>`, or `<stack>/data.<type>.<name>` for data sources. */
  readonly address: string;
  readonly config: JsonObject;
}

/** One synthesized stack (one cdk.tf.json). */
export interface StackDocument {
  readonly name: string;
  /** Where the JSON was read from, for messages. */
  readonly file: string;
  readonly json: JsonObject;
  readonly resources: readonly TerraformBlock[];
  readonly data: readonly TerraformBlock[];
}

/** A problem a rule found on one resource. */
export interface Finding {
  readonly ruleId: string;
  readonly address: string;
  readonly message: string;
}

/** A finding joined with its rule's metadata and the waiver decision. */
export interface ReportedFinding extends Finding {
  readonly checkovId: string;
  readonly fix: string;
  /** The waiver that covers this finding, when one is valid today. */
  readonly waivedBy?: { readonly reason: string; readonly expires: string };
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Blocks in cdktf JSON are objects; Terraform also accepts a one-element list for nested blocks. */
export function nestedBlocks(value: JsonValue | undefined): JsonObject[] {
  if (Array.isArray(value)) return value.filter(isJsonObject);
  return isJsonObject(value) ? [value] : [];
}

export function firstBlock(value: JsonValue | undefined): JsonObject | undefined {
  return nestedBlocks(value)[0];
}

export function stringList(value: JsonValue | undefined): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

/** True when a string holds a Terraform expression (`${…}`) whose value is only known at apply. */
export function isExpression(value: JsonValue | undefined): boolean {
  return typeof value === "string" && value.includes("${");
}
