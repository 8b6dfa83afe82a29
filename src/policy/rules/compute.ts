import { firstBlock, isJsonObject, type JsonObject, nestedBlocks, type TerraformBlock } from "../model";
import { asNumber, type BlockProblems, findingsFor, isTrue, type Rule, type RuleContext, resourceRule } from "./rule";

/** A Karpenter EC2NodeClass declared through `kubernetes_manifest`. */
interface NodeClass {
  readonly block: TerraformBlock;
  readonly spec: JsonObject;
}

export function nodeClasses(context: RuleContext): NodeClass[] {
  return context.workspace.resources("kubernetes_manifest").flatMap((block) => {
    const manifest = block.config["manifest"];
    if (!isJsonObject(manifest) || manifest["kind"] !== "EC2NodeClass") return [];
    return [{ block, spec: isJsonObject(manifest["spec"]) ? manifest["spec"] : {} }];
  });
}

interface ComputeRuleSpec {
  readonly id: string;
  readonly checkovId?: string;
  readonly title: string;
  readonly fix: string;
  readonly launchTemplate: (config: JsonObject) => BlockProblems;
  readonly nodeClass: (spec: JsonObject) => BlockProblems;
}

/** One rule over both ways nodes get launched: EC2 launch templates and Karpenter node classes. */
function computeRule(spec: ComputeRuleSpec): Rule {
  return {
    id: spec.id,
    checkovId: spec.checkovId ?? "",
    title: spec.title,
    fix: spec.fix,
    check: (context) => [
      ...context.workspace.resources("aws_launch_template").flatMap((block) => findingsFor(spec.id, block.address, spec.launchTemplate(block.config))),
      ...nodeClasses(context).flatMap(({ block, spec: nodeSpec }) => findingsFor(spec.id, block.address, spec.nodeClass(nodeSpec))),
    ],
  };
}

/** Patterns that are secrets whatever they are called. */
const SECRET_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: "an AWS access key id", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: "an AWS secret access key", pattern: /aws_secret_access_key\s*[=:]\s*\S{20,}/i },
  { name: "a password assignment", pattern: /\b(password|passwd|secret|token|api_?key)\s*[=:]\s*["']?[A-Za-z0-9+/_\-!@#$%^&*]{8,}/i },
];

/** Names the first secret-looking thing in a text, if any. */
export function secretIn(text: string): string | undefined {
  return SECRET_PATTERNS.find(({ pattern }) => pattern.test(text))?.name;
}

function decodedUserData(value: unknown): string {
  if (typeof value !== "string") return "";
  const trimmed = value.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && trimmed.length % 4 === 0) {
    const decoded = Buffer.from(trimmed, "base64").toString("utf8");
    if (!decoded.includes("\uFFFD")) return decoded;
  }
  return value;
}

/** A launch template's metadata options, or "disabled" when the instance metadata service is off (nothing to check). */
function metadataOptions(config: JsonObject): JsonObject | "disabled" {
  const options = firstBlock(config["metadata_options"]) ?? {};
  return options["http_endpoint"] === "disabled" ? "disabled" : options;
}

export const computeRules: readonly Rule[] = [
  computeRule({
    id: "BF-EC2-001",
    checkovId: "CKV_AWS_79",
    title: "IMDSv2 required on launch templates and node classes",
    fix: 'set metadata_options.http_tokens = "required" (node classes: metadataOptions.httpTokens: required)',
    launchTemplate: (config) => {
      const options = metadataOptions(config);
      if (options === "disabled" || options["http_tokens"] === "required") return undefined;
      return `IMDSv1 is allowed (metadata_options.http_tokens is ${JSON.stringify(options["http_tokens"] ?? "unset")})`;
    },
    // Karpenter defaults httpTokens to required; only an explicit other value is a problem.
    nodeClass: (spec) => {
      const tokens = isJsonObject(spec["metadataOptions"]) ? spec["metadataOptions"]["httpTokens"] : undefined;
      return tokens === undefined || tokens === "required" ? undefined : `IMDSv1 is allowed (metadataOptions.httpTokens is ${JSON.stringify(tokens)})`;
    },
  }),
  computeRule({
    id: "BF-EC2-002",
    checkovId: "CKV_AWS_341",
    title: "IMDS hop limit 1 on launch templates and node classes",
    fix: "set metadata_options.http_put_response_hop_limit = 1 (node classes: metadataOptions.httpPutResponseHopLimit: 1)",
    launchTemplate: (config) => {
      const options = metadataOptions(config);
      if (options === "disabled") return undefined;
      const limit = asNumber(options["http_put_response_hop_limit"]);
      // AL2023 AMIs default to 2, so the limit must be explicit.
      return limit === 1 ? undefined : `pods can reach the node's instance credentials (metadata hop limit is ${limit ?? "unset"}, expected 1)`;
    },
    nodeClass: (spec) => {
      const limit = isJsonObject(spec["metadataOptions"]) ? asNumber(spec["metadataOptions"]["httpPutResponseHopLimit"]) : undefined;
      return limit === undefined || limit === 1
        ? undefined
        : `pods can reach the node's instance credentials (metadataOptions.httpPutResponseHopLimit is ${limit}, expected 1)`;
    },
  }),
  computeRule({
    id: "BF-EC2-003",
    title: "Encrypted block devices on launch templates and node classes",
    fix: "declare block_device_mappings with ebs.encrypted = true (node classes: blockDeviceMappings[].ebs.encrypted: true)",
    launchTemplate: (config) => {
      const mappings = nestedBlocks(config["block_device_mappings"]);
      if (mappings.length === 0) return "no block_device_mappings: the root volume takes the AMI's unencrypted default";
      return mappings
        .filter((mapping) => !isTrue(firstBlock(mapping["ebs"])?.["encrypted"]))
        .map((mapping) => `block device ${String(mapping["device_name"] ?? "?")} is not encrypted`);
    },
    // Karpenter's default mappings are encrypted; declared ones must say so.
    nodeClass: (spec) =>
      nestedBlocks(spec["blockDeviceMappings"])
        .filter((mapping) => !isTrue(isJsonObject(mapping["ebs"]) ? mapping["ebs"]["encrypted"] : undefined))
        .map((mapping) => `block device ${String(mapping["deviceName"] ?? "?")} is not encrypted`),
  }),
  computeRule({
    id: "BF-EC2-004",
    checkovId: "CKV_AWS_88",
    title: "No public IP on launch templates and node classes",
    fix: "remove associate_public_ip_address (node classes: associatePublicIPAddress) or set it to false",
    launchTemplate: (config) =>
      nestedBlocks(config["network_interfaces"]).some((nic) => isTrue(nic["associate_public_ip_address"]))
        ? "a network interface gets a public IP (associate_public_ip_address = true)"
        : undefined,
    nodeClass: (spec) => (isTrue(spec["associatePublicIPAddress"]) ? "nodes get a public IP (associatePublicIPAddress: true)" : undefined),
  }),
  computeRule({
    id: "BF-EC2-005",
    checkovId: "CKV_AWS_46",
    title: "No secrets in user data",
    fix: "read secrets at boot from Secrets Manager or SSM with the node role; never bake them into user data",
    launchTemplate: (config) => {
      const found = secretIn(decodedUserData(config["user_data"]));
      return found ? `user_data contains ${found}` : undefined;
    },
    nodeClass: (spec) => {
      const found = typeof spec["userData"] === "string" ? secretIn(spec["userData"]) : undefined;
      return found ? `userData contains ${found}` : undefined;
    },
  }),
  resourceRule({
    id: "BF-EC2-006",
    checkovId: "CKV_AWS_3",
    title: "Standalone EBS volumes encrypted",
    fix: "set encrypted = true (with kms_key_id for a customer managed key)",
    types: ["aws_ebs_volume"],
    test: (volume) => (isTrue(volume.config["encrypted"]) ? undefined : "the volume is not encrypted at rest (encrypted is not true)"),
  }),
];
