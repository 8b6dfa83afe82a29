/**
 * Values AWS or Kubernetes refuse at apply time, refused here instead, with the key named. Each limit is taken from
 * the system that enforces it; __tests__/src/config/aws-limits.test.ts cites the source of every number.
 */
import { z } from "zod";
import { cidrsOverlap, formatCidr, type Ipv4Cidr, parseCidr } from "../lib/cidr";

/** AWS tags per resource (EKS user guide, "Tag restrictions"; the same limit applies to EC2, IAM, S3, …). */
export const MAX_TAGS_PER_RESOURCE = 50;
/**
 * Tags blockfleet puts on a resource beside the file's `tags`: `environment`, `managed-by` and, in a production
 * environment, `production` (provider default_tags) and at most six of its own (`Name`, the Kubernetes cluster and
 * role tags, Karpenter discovery, tier, reservation id).
 */
export const BLOCKFLEET_TAGS_PER_RESOURCE = 9;
export const MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - BLOCKFLEET_TAGS_PER_RESOURCE;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** Node group taints (terraform-provider-aws `aws_eks_node_group.taint` MaxItems; EKS API Taint). */
export const MAX_TAINTS = 50;
/** EKS Taint key 1-63, value 0-63; node group label keys and values 1-63 (EKS API reference). */
export const MAX_EKS_TAINT_KEY_LENGTH = 63;
export const MAX_EKS_LABEL_LENGTH = 63;
/** EKS quota "Public endpoint access CIDR ranges per cluster" (not adjustable). */
export const MAX_PUBLIC_ACCESS_CIDRS = 40;
/** VPC IPv4 CIDR block sizes AWS accepts. */
export const VPC_PREFIX_RANGE = { largest: 16, smallest: 28 } as const;

const cidr = (text: string): Ipv4Cidr => parseCidr(text)!;

/** Ranges a VPC can't use: "this network", loopback, link-local, multicast and the reserved 240/4 (incl. broadcast). */
export const VPC_RESTRICTED_RANGES: ReadonlyArray<{ readonly range: Ipv4Cidr; readonly what: string }> = [
  { range: cidr("0.0.0.0/8"), what: '"this network" (0.0.0.0/8)' },
  { range: cidr("127.0.0.0/8"), what: "loopback (127.0.0.0/8)" },
  { range: cidr("169.254.0.0/16"), what: "link-local (169.254.0.0/16)" },
  { range: cidr("224.0.0.0/4"), what: "multicast (224.0.0.0/4)" },
  { range: cidr("240.0.0.0/4"), what: "reserved (240.0.0.0/4)" },
];

/** Addresses EKS refuses in public_access_cidrs ("cannot include reserved addresses"): private and special-use ranges. */
export const NON_PUBLIC_RANGES: ReadonlyArray<{ readonly range: Ipv4Cidr; readonly what: string }> = [
  { range: cidr("10.0.0.0/8"), what: "private (10.0.0.0/8)" },
  { range: cidr("172.16.0.0/12"), what: "private (172.16.0.0/12)" },
  { range: cidr("192.168.0.0/16"), what: "private (192.168.0.0/16)" },
  { range: cidr("100.64.0.0/10"), what: "carrier-grade NAT (100.64.0.0/10)" },
  ...VPC_RESTRICTED_RANGES,
];

/** Kubernetes label/taint key: optional DNS-subdomain prefix (≤253) and "/", then a name of ≤63. */
const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why key is not a valid Kubernetes label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `the prefix "${prefix}" must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "the name must be 1-63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why value is not a valid Kubernetes label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value))
    return "at most 63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** `tags`: what AWS accepts on every resource, with room for the tags blockfleet adds. */
export const awsTagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const keys = Object.keys(tags);
  if (keys.length > MAX_USER_TAGS) {
    ctx.addIssue({
      code: "custom",
      message: `${keys.length} tags; at most ${MAX_USER_TAGS} (AWS allows ${MAX_TAGS_PER_RESOURCE} per resource and blockfleet adds up to ${BLOCKFLEET_TAGS_PER_RESOURCE})`,
    });
  }
  for (const key of keys) {
    const value = tags[key]!;
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH)
      ctx.addIssue({ code: "custom", path: [key], message: `tag keys are 1-${MAX_TAG_KEY_LENGTH} characters, got ${key.length}` });
    if (/^aws:/i.test(key)) ctx.addIssue({ code: "custom", path: [key], message: 'tag keys starting with "aws:" are reserved for AWS' });
    if (value.length > MAX_TAG_VALUE_LENGTH)
      ctx.addIssue({ code: "custom", path: [key], message: `tag values are at most ${MAX_TAG_VALUE_LENGTH} characters, got ${value.length}` });
  }
});

/** Node labels of a managed node group: Kubernetes label syntax within EKS's 63-character key and value. */
export const nodeLabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem =
      key.length > MAX_EKS_LABEL_LENGTH
        ? `EKS takes label keys of at most ${MAX_EKS_LABEL_LENGTH} characters, prefix included; got ${key.length}`
        : labelKeyProblem(key);
    if (keyProblem) ctx.addIssue({ code: "custom", path: [key], message: `not a valid node label key: ${keyProblem}` });
    const valueProblem = value.length === 0 ? "EKS refuses empty label values" : labelValueProblem(value);
    if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: `not a valid node label value: ${valueProblem}` });
  }
});

/** Taint key and value: Kubernetes label syntax within EKS's limits (key 1-63 characters, value 0-63). */
export const taintKeySchema = z.string().superRefine((key, ctx) => {
  const problem =
    key.length > MAX_EKS_TAINT_KEY_LENGTH
      ? `EKS takes taint keys of at most ${MAX_EKS_TAINT_KEY_LENGTH} characters, prefix included; got ${key.length}`
      : labelKeyProblem(key);
  if (problem) ctx.addIssue({ code: "custom", message: `not a valid taint key: ${problem}` });
});
export const taintValueSchema = z.string().superRefine((value, ctx) => {
  const problem = labelValueProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `not a valid taint value: ${problem}` });
});

/** Why a VPC CIDR is refused by EC2, or undefined. */
export function vpcCidrProblem(text: string): string | undefined {
  const block = parseCidr(text);
  if (!block) return undefined;
  if (block.prefix < VPC_PREFIX_RANGE.largest || block.prefix > VPC_PREFIX_RANGE.smallest) {
    return `AWS takes VPC CIDR blocks from /${VPC_PREFIX_RANGE.largest} to /${VPC_PREFIX_RANGE.smallest}, got /${block.prefix}`;
  }
  const restricted = VPC_RESTRICTED_RANGES.find(({ range }) => cidrsOverlap(range, block));
  return restricted ? `${formatCidr(block)} is in the ${restricted.what} range, which a VPC can't use` : undefined;
}

/** Why a public_access_cidrs entry is refused by EKS, or undefined. 0.0.0.0/0 is a separate, explicit opt-in. */
export function publicAccessCidrProblem(text: string): string | undefined {
  const block = parseCidr(text);
  if (!block || block.prefix === 0) return undefined;
  const reserved = NON_PUBLIC_RANGES.find(({ range }) => cidrsOverlap(range, block));
  return reserved ? `includes ${reserved.what} addresses; EKS only takes public addresses here (the private endpoint serves the VPC)` : undefined;
}
