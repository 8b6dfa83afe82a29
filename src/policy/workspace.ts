import { createHash } from "node:crypto";
import { isJsonObject, type JsonObject, type JsonValue, type StackDocument, stringList, type TerraformBlock } from "./model";

/** Account used for references when the provider does not pin one with `allowed_account_ids`. */
export const FAKE_ACCOUNT_ID = "111122223333";
const DEFAULT_REGION = "us-east-1";
const MAX_RESOLVE_DEPTH = 8;

/** Which attribute holds the physical name of a resource type (default `name`). */
const NAME_ATTRIBUTE: Record<string, string> = {
  aws_s3_bucket: "bucket",
  aws_lambda_function: "function_name",
  aws_eks_node_group: "node_group_name",
  aws_db_instance: "identifier",
  aws_elasticache_replication_group: "replication_group_id",
  aws_eks_cluster: "name",
};

interface ArnParts {
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly id: string;
  readonly config: JsonObject;
}

/** Realistic ARNs per resource type, so IAM simulation compares references like AWS would. */
const ARN_FORMAT: Record<string, (p: ArnParts) => string> = {
  aws_iam_role: (p) => `arn:aws:iam::${p.account}:role/${p.name}`,
  aws_iam_policy: (p) => `arn:aws:iam::${p.account}:policy/${p.name}`,
  aws_iam_instance_profile: (p) => `arn:aws:iam::${p.account}:instance-profile/${p.name}`,
  aws_iam_user: (p) => `arn:aws:iam::${p.account}:user/${p.name}`,
  aws_iam_openid_connect_provider: (p) => `arn:aws:iam::${p.account}:oidc-provider/${p.name}`,
  aws_sqs_queue: (p) => `arn:aws:sqs:${p.region}:${p.account}:${p.name}`,
  aws_sns_topic: (p) => `arn:aws:sns:${p.region}:${p.account}:${p.name}`,
  aws_dynamodb_table: (p) => `arn:aws:dynamodb:${p.region}:${p.account}:table/${p.name}`,
  aws_lambda_function: (p) => `arn:aws:lambda:${p.region}:${p.account}:function:${p.name}`,
  aws_kms_key: (p) => `arn:aws:kms:${p.region}:${p.account}:key/${p.id}`,
  aws_kms_alias: (p) => `arn:aws:kms:${p.region}:${p.account}:${p.name}`,
  aws_s3_bucket: (p) => `arn:aws:s3:::${p.name}`,
  aws_eks_cluster: (p) => `arn:aws:eks:${p.region}:${p.account}:cluster/${p.name}`,
  aws_eks_node_group: (p) => `arn:aws:eks:${p.region}:${p.account}:nodegroup/${p.name}/${p.id}`,
  aws_cloudwatch_log_group: (p) => `arn:aws:logs:${p.region}:${p.account}:log-group:${p.name}`,
  aws_cloudwatch_event_rule: (p) => `arn:aws:events:${p.region}:${p.account}:rule/${p.name}`,
  aws_cloudwatch_event_bus: (p) => `arn:aws:events:${p.region}:${p.account}:event-bus/${p.name}`,
  aws_cloudwatch_metric_alarm: (p) => `arn:aws:cloudwatch:${p.region}:${p.account}:alarm:${p.name}`,
  aws_scheduler_schedule: (p) => `arn:aws:scheduler:${p.region}:${p.account}:schedule/default/${p.name}`,
  aws_secretsmanager_secret: (p) => `arn:aws:secretsmanager:${p.region}:${p.account}:secret:${p.name}-${p.id.slice(0, 6)}`,
  aws_ssm_parameter: (p) => `arn:aws:ssm:${p.region}:${p.account}:parameter/${p.name.replace(/^\//, "")}`,
  aws_api_gateway_rest_api: (p) => `arn:aws:apigateway:${p.region}::/restapis/${p.id}`,
  aws_db_instance: (p) => `arn:aws:rds:${p.region}:${p.account}:db:${p.name}`,
  aws_elasticache_replication_group: (p) => `arn:aws:elasticache:${p.region}:${p.account}:replicationgroup:${p.name}`,
  aws_launch_template: (p) => `arn:aws:ec2:${p.region}:${p.account}:launch-template/${p.id}`,
  aws_placement_group: (p) => `arn:aws:ec2:${p.region}:${p.account}:placement-group/${p.name}`,
  aws_security_group: (p) => `arn:aws:ec2:${p.region}:${p.account}:security-group/${p.id}`,
  aws_subnet: (p) => `arn:aws:ec2:${p.region}:${p.account}:subnet/${p.id}`,
  aws_vpc: (p) => `arn:aws:ec2:${p.region}:${p.account}:vpc/${p.id}`,
  aws_ec2_capacity_block_reservation: (p) => `arn:aws:ec2:${p.region}:${p.account}:capacity-reservation/${p.id}`,
  aws_ec2_capacity_reservation: (p) => `arn:aws:ec2:${p.region}:${p.account}:capacity-reservation/${p.id}`,
};

/** Id prefixes of EC2-style resources (`vpc-0a1b…`). */
const EC2_ID_PREFIX: Record<string, string> = {
  aws_vpc: "vpc",
  aws_subnet: "subnet",
  aws_security_group: "sg",
  aws_default_security_group: "sg",
  aws_launch_template: "lt",
  aws_internet_gateway: "igw",
  aws_nat_gateway: "nat",
  aws_eip: "eipalloc",
  aws_route_table: "rtb",
  aws_vpc_endpoint: "vpce",
  aws_flow_log: "fl",
  aws_network_acl: "acl",
  aws_placement_group: "pg",
  aws_ec2_capacity_block_reservation: "cr",
  aws_ec2_capacity_reservation: "cr",
};

/** Attributes that hold another resource's EC2-style id (`vpc_config[0].vpc_id`, `cluster_security_group_id`). */
const ID_ATTRIBUTE_PREFIX: Record<string, string> = {
  vpc_id: "vpc",
  subnet_id: "subnet",
  security_group_id: "sg",
  route_table_id: "rtb",
  launch_template_id: "lt",
};

/** Types whose Terraform `id` is their physical name. */
const ID_IS_NAME = new Set([
  "aws_iam_role",
  "aws_iam_instance_profile",
  "aws_iam_user",
  "aws_s3_bucket",
  "aws_eks_cluster",
  "aws_dynamodb_table",
  "aws_lambda_function",
  "aws_cloudwatch_log_group",
  "aws_ssm_parameter",
  "aws_db_instance",
  "aws_elasticache_replication_group",
  "aws_placement_group",
]);
/** Types whose Terraform `id` is their ARN. */
const ID_IS_ARN = new Set(["aws_iam_policy", "aws_sns_topic", "aws_secretsmanager_secret", "aws_iam_openid_connect_provider"]);

const TRAVERSAL = /^(?:(data)\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+|\[\d+\])*)$/;

/** A resolved reference: the block it points at, when one exists in the synthesized output. */
export interface ReferenceTarget {
  readonly block: TerraformBlock;
  readonly attribute: string;
}

/**
 * All stacks of one gate run, with lookups across them and the reference resolver.
 *
 * References (`${aws_iam_role.node.arn}`, `${data.aws_caller_identity.current.account_id}`, cross-stack
 * remote-state outputs) become realistic fake values: per-type ARNs in the stack's region and account,
 * ids with the right prefix. A reference therefore never matches everything, and two references to
 * the same resource resolve to the same value.
 */
export class Workspace {
  readonly stacks: readonly StackDocument[];
  private readonly byStack = new Map<string, StackDocument>();
  private readonly index = new Map<string, TerraformBlock>();
  private readonly unresolved = new Map<string, string>();

  constructor(stacks: readonly StackDocument[]) {
    this.stacks = stacks;
    for (const stack of stacks) {
      this.byStack.set(stack.name, stack);
      for (const block of [...stack.resources, ...stack.data]) this.index.set(block.address, block);
    }
  }

  /** Every resource of these types across all stacks. */
  resources(...types: string[]): TerraformBlock[] {
    return this.stacks.flatMap((stack) => stack.resources.filter((block) => types.includes(block.type)));
  }

  dataSources(...types: string[]): TerraformBlock[] {
    return this.stacks.flatMap((stack) => stack.data.filter((block) => types.includes(block.type)));
  }

  stack(name: string): StackDocument | undefined {
    return this.byStack.get(name);
  }

  block(stack: string, kind: TerraformBlock["kind"], type: string, name: string): TerraformBlock | undefined {
    return this.index.get(`${stack}/${kind === "data" ? "data." : ""}${type}.${name}`);
  }

  region(stack: string): string {
    const provider = this.awsProvider(stack);
    const region = provider?.["region"];
    return typeof region === "string" && !region.includes("${") ? region : DEFAULT_REGION;
  }

  account(stack: string): string {
    const [first] = stringList(this.awsProvider(stack)?.["allowed_account_ids"]);
    return first !== undefined && /^\d{12}$/.test(first) ? first : FAKE_ACCOUNT_ID;
  }

  /**
   * The block a whole-string reference like `${aws_subnet.private_a.id}` points at, following
   * cross-stack outputs. Undefined for literals and for expressions that are not a plain traversal.
   */
  target(stack: string, value: JsonValue | undefined, depth = 0): ReferenceTarget | undefined {
    if (typeof value !== "string" || depth > MAX_RESOLVE_DEPTH) return undefined;
    const match = /^\$\{([^{}]+)\}$/.exec(value);
    if (!match) return undefined;
    const parsed = TRAVERSAL.exec(match[1]!.trim());
    if (!parsed) return undefined;
    const [, dataPrefix, type, name, rest] = parsed as unknown as [string, string | undefined, string, string, string];
    const path = rest
      .split(/\.|\[/)
      .filter(Boolean)
      .map((part) => part.replace(/\]$/, ""));
    if (dataPrefix === "data" && type === "terraform_remote_state" && path[0] === "outputs" && path[1] !== undefined) {
      const remote = this.remoteOutput(stack, name, path[1]);
      return remote ? this.target(remote.stack, remote.value, depth + 1) : undefined;
    }
    const block = this.block(stack, dataPrefix === "data" ? "data" : "resource", type, name);
    if (!block) return undefined;
    return { block, attribute: attributeOf(path) };
  }

  /** True when `value` (an argument of `from`) is a reference to `block`, in any stack, through cross-stack outputs. */
  refersTo(from: TerraformBlock, value: JsonValue | undefined, block: TerraformBlock): boolean {
    return this.target(from.stack, value ?? null)?.block.address === block.address;
  }

  /** Replaces every `${…}` in a string with its fake value. */
  resolveString(stack: string, text: string, depth = 0): string {
    if (!text.includes("${")) return text;
    let out = "";
    let index = 0;
    while (index < text.length) {
      if (text.startsWith("$${", index)) {
        out += "${";
        index += 3;
        continue;
      }
      if (text.startsWith("${", index)) {
        const end = matchingBrace(text, index + 1);
        if (end < 0) return out + text.slice(index);
        out += this.resolveExpression(stack, text.slice(index + 2, end).trim(), depth);
        index = end + 1;
        continue;
      }
      out += text[index];
      index += 1;
    }
    return out;
  }

  /** Resolves every string inside a JSON value. */
  resolveValue(stack: string, value: JsonValue): JsonValue {
    if (typeof value === "string") return this.resolveString(stack, value);
    if (Array.isArray(value)) return value.map((item) => this.resolveValue(stack, item));
    if (isJsonObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolveValue(stack, item)]));
    }
    return value;
  }

  /** The physical name of a block: its name attribute resolved, else its Terraform name. */
  physicalName(block: TerraformBlock, depth = 0): string {
    const attribute = NAME_ATTRIBUTE[block.type] ?? "name";
    const value = block.config[attribute];
    if (typeof value === "string" && value.length > 0) return this.resolveString(block.stack, value, depth + 1);
    const prefix = block.config["name_prefix"];
    if (typeof prefix === "string") return `${this.resolveString(block.stack, prefix, depth + 1)}${shortHash(block.address, 8)}`;
    return block.name;
  }

  /** The fake ARN of a block, in its stack's region and account. */
  arnOf(block: TerraformBlock, depth = 0): string {
    const parts: ArnParts = {
      region: this.region(block.stack),
      account: this.account(block.stack),
      name: this.physicalName(block, depth),
      id: this.fakeId(block),
      config: block.config,
    };
    const format = ARN_FORMAT[block.type];
    if (format) return format(parts);
    const [, service = "unknown", ...rest] = block.type.split("_");
    return `arn:aws:${service}:${parts.region}:${parts.account}:${rest.join("-") || "resource"}/${parts.name}`;
  }

  private attributeValue(block: TerraformBlock, attribute: string, depth: number): string {
    const region = this.region(block.stack);
    const account = this.account(block.stack);
    switch (attribute) {
      case "arn":
        return this.arnOf(block, depth);
      case "id":
        if (ID_IS_NAME.has(block.type)) return this.physicalName(block, depth);
        if (ID_IS_ARN.has(block.type)) return this.arnOf(block, depth);
        if (block.type === "aws_sqs_queue") return `https://sqs.${region}.amazonaws.com/${account}/${this.physicalName(block, depth)}`;
        return this.fakeId(block);
      case "name":
      case "bucket":
      case "function_name":
      case "node_group_name":
        return this.physicalName(block, depth);
      case "url":
        return `https://sqs.${region}.amazonaws.com/${account}/${this.physicalName(block, depth)}`;
      case "key_id":
        return this.fakeId(block);
      case "invoke_arn":
        return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${this.arnOf(block, depth)}/invocations`;
      case "qualified_arn":
        return `${this.arnOf(block, depth)}:$LATEST`;
      case "execution_arn":
        return `arn:aws:execute-api:${region}:${account}:${this.fakeId(block)}`;
      case "stream_arn":
        return `${this.arnOf(block, depth)}/stream/2026-01-01T00:00:00.000`;
      case "account_id":
        return account;
      case "partition":
        return "aws";
      case "dns_suffix":
        return "amazonaws.com";
      case "region":
        return region;
      default: {
        const literal = block.config[attribute];
        if (typeof literal === "string" || typeof literal === "number" || typeof literal === "boolean") {
          return this.resolveString(block.stack, String(literal), depth + 1);
        }
        const hash = shortHash(`${block.address}.${attribute}`, 16);
        const idPrefix = Object.entries(ID_ATTRIBUTE_PREFIX).find(([suffix]) => attribute === suffix || attribute.endsWith(`_${suffix}`))?.[1];
        if (idPrefix) return `${idPrefix}-0${hash}`;
        if (attribute.endsWith("_arn")) {
          const service = this.arnOf(block, depth).split(":")[2];
          return `arn:aws:${service}:${region}:${account}:${attribute.slice(0, -4).replace(/_/g, "-")}/${hash}`;
        }
        return `${attribute.replace(/_/g, "-")}-${hash.slice(0, 10)}`;
      }
    }
  }

  /** The expression behind an `unresolved-…` placeholder, for messages. */
  unresolvedExpression(placeholder: string): string {
    return this.unresolved.get(placeholder) ?? placeholder;
  }

  private unresolvable(expression: string): string {
    const placeholder = `unresolved-${shortHash(expression, 10)}`;
    this.unresolved.set(placeholder, `\${${expression}}`);
    return placeholder;
  }

  private resolveExpression(stack: string, expression: string, depth: number): string {
    if (depth > MAX_RESOLVE_DEPTH) return this.unresolvable(expression);
    const parsed = TRAVERSAL.exec(expression);
    if (!parsed) return this.unresolvable(expression);
    const [, dataPrefix, type, name, rest] = parsed as unknown as [string, string | undefined, string, string, string];
    const path = rest
      .split(/\.|\[/)
      .filter(Boolean)
      .map((part) => part.replace(/\]$/, ""));
    if (!dataPrefix && type === "var") return this.variableValue(stack, name);
    if (!dataPrefix && type === "terraform") return "default";
    if (dataPrefix === "data") {
      if (type === "aws_caller_identity") return this.account(stack);
      if (type === "aws_region") return this.region(stack);
      if (type === "aws_partition") return path[0] === "dns_suffix" ? "amazonaws.com" : "aws";
      if (type === "terraform_remote_state" && path[0] === "outputs" && path[1] !== undefined) {
        const remote = this.remoteOutput(stack, name, path[1]);
        if (remote && typeof remote.value === "string") return this.resolveString(remote.stack, remote.value, depth + 1);
        return this.unresolvable(expression);
      }
    }
    const block = this.block(stack, dataPrefix === "data" ? "data" : "resource", type, name);
    const attribute = attributeOf(path);
    if (!block) return this.unresolvable(expression);
    return this.attributeValue(block, attribute, depth + 1);
  }

  private variableValue(stack: string, name: string): string {
    const variables = this.stack(stack)?.json["variable"];
    const variable = isJsonObject(variables) ? variables[name] : undefined;
    const fallback = isJsonObject(variable) ? variable["default"] : undefined;
    return typeof fallback === "string" || typeof fallback === "number" ? String(fallback) : `var-${name}`;
  }

  /** cdktf cross-stack references read `data.terraform_remote_state.cross-stack-reference-input-<stack>`. */
  private remoteOutput(stack: string, stateName: string, output: string): { stack: string; value: JsonValue } | undefined {
    const producers = this.stacks.filter((candidate) => candidate.name !== stack);
    const named = stateName.replace(/^cross-stack-reference-input-/, "");
    const ordered = [...producers.filter((candidate) => candidate.name === named), ...producers];
    for (const producer of ordered) {
      const outputs = producer.json["output"];
      const entry = isJsonObject(outputs) ? outputs[output] : undefined;
      if (isJsonObject(entry) && entry["value"] !== undefined) return { stack: producer.name, value: entry["value"] };
    }
    return undefined;
  }

  private awsProvider(stack: string): JsonObject | undefined {
    const providers = this.stack(stack)?.json["provider"];
    const aws = isJsonObject(providers) ? providers["aws"] : undefined;
    const list = Array.isArray(aws) ? aws : [aws];
    return list.find((entry): entry is JsonObject => isJsonObject(entry) && entry["alias"] === undefined);
  }

  private fakeId(block: TerraformBlock): string {
    const prefix = EC2_ID_PREFIX[block.type];
    if (prefix) return `${prefix}-0${shortHash(block.address, 16)}`;
    if (block.type === "aws_kms_key") {
      const hex = shortHash(block.address, 32);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    }
    if (block.type === "aws_api_gateway_rest_api") return shortHash(block.address, 10);
    return shortHash(block.address, 12);
  }
}

/** The attribute a traversal reads: the last name of `arn`, `vpc_config[0].vpc_id` … (`id` when none). */
function attributeOf(path: readonly string[]): string {
  return [...path].reverse().find((part) => !/^\d+$/.test(part)) ?? "id";
}

function matchingBrace(text: string, openIndex: number): number {
  let depth = 0;
  let quoted = false;
  for (let index = openIndex; index < text.length; index += 1) {
    const char = text[index];
    if (char === "\\") {
      index += 1;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (quoted) continue;
    if (char === "{") depth += 1;
    if (char === "}") {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}

function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
