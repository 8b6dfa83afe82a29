/**
 * Test support: validates Karpenter objects strictly against the CRDs Karpenter 1.14.1 installs
 * (__tests__/fixtures/crds/karpenter-1.14.1, copied from the release; see SOURCE.md there). The CRD's openAPIV3Schema becomes a JSON Schema that rejects unknown keys wherever the
 * CRD doesn't preserve them, and the CEL rules blockfleet's objects could break are checked by hand (ajv can't run CEL).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";

const CRD_DIR = join(__dirname, "../../../fixtures/crds/karpenter-1.14.1");

type SchemaNode = Record<string, unknown>;

/** openAPIV3Schema → JSON Schema: drops Kubernetes extensions, closes objects the API server would prune. */
export function toStrictJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStrictJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const source = node as SchemaNode;
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith("x-kubernetes-") || key === "description") continue;
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as SchemaNode).map(([name, child]) => [name, toStrictJsonSchema(child)]))
        : toStrictJsonSchema(value);
  }
  if (source.properties && source.additionalProperties === undefined && source["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function crd(file: string): { schema: SchemaNode; text: string } {
  const text = readFileSync(join(CRD_DIR, file), "utf8");
  const document = parse(text) as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: SchemaNode } }> } };
  const version = document.spec.versions.find((candidate) => candidate.name === "v1");
  if (!version) throw new Error(`${file}: no v1 version`);
  return { schema: version.schema.openAPIV3Schema, text };
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

const nodePoolCrd = crd("karpenter.sh_nodepools.yaml");
const nodeClassCrd = crd("karpenter.k8s.aws_ec2nodeclasses.yaml");
const validators = {
  NodePool: ajv.compile(toStrictJsonSchema(nodePoolCrd.schema) as object),
  EC2NodeClass: ajv.compile(toStrictJsonSchema(nodeClassCrd.schema) as object),
};

/** Label keys in the karpenter.k8s.aws domain the NodePool CRD allows, read from its own CEL rule. */
const ALLOWED_AWS_LABELS = new Set(
  /self in \[([^\]]+)\] \|\| !self\.find\("\^\(\[\^\/\]\+\)"\)\.endsWith\("karpenter\.k8s\.aws"\)/
    .exec(nodePoolCrd.text)![1]!
    .match(/"[^"]+"/g)!
    .map((quoted) => quoted.slice(1, -1)),
);

/** Structural errors against the CRD, as "path: message" strings; empty when valid. */
export function crdErrors(object: { kind: string }): string[] {
  const validate = validators[object.kind as keyof typeof validators];
  if (!validate) throw new Error(`no CRD for kind ${object.kind}`);
  return validate(object)
    ? []
    : (validate.errors ?? []).map(
        (error) =>
          `${error.instancePath || "/"}: ${error.message}${error.params && "additionalProperty" in error.params ? ` (${String(error.params.additionalProperty)})` : ""}`,
      );
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

/** The CEL rules of the CRDs that the generated objects could violate. */
export function celErrors(object: Json): string[] {
  const errors: string[] = [];
  if (object.kind === "NodePool") {
    for (const requirement of object.spec.template.spec.requirements as Json[]) {
      const { key, operator, values = [] } = requirement;
      if (operator === "In" && values.length === 0) errors.push(`${key}: requirements with operator 'In' must have a value defined`);
      if (["Gt", "Lt", "Gte", "Lte"].includes(operator) && !(values.length === 1 && /^\d+$/.test(values[0])))
        errors.push(`${key}: must have a single positive integer value`);
      const domain = /^([^/]+)\//.exec(key)?.[1] ?? "";
      if (domain.endsWith("karpenter.sh") && !["karpenter.sh/capacity-type"].includes(key)) errors.push(`${key}: label domain "karpenter.sh" is restricted`);
      if (domain.endsWith("karpenter.k8s.aws") && !ALLOWED_AWS_LABELS.has(key)) errors.push(`${key}: label domain "karpenter.k8s.aws" is restricted`);
    }
    const budgets = (object.spec.disruption?.budgets ?? []) as Json[];
    if (budgets.some((budget) => "schedule" in budget !== "duration" in budget)) errors.push("budgets: 'schedule' must be set with 'duration'");
  }
  if (object.kind === "EC2NodeClass") {
    const spec = object.spec;
    for (const term of spec.amiSelectorTerms as Json[]) {
      if (term.alias !== undefined && !/^(al2|al2023|bottlerocket)@.+$/.test(term.alias)) errors.push(`alias ${term.alias}: improperly formatted`);
    }
    if (spec.amiSelectorTerms.some((term: Json) => term.alias) && spec.amiSelectorTerms.length !== 1)
      errors.push("'alias' is mutually exclusive with other amiSelectorTerms");
    for (const term of (spec.capacityReservationSelectorTerms ?? []) as Json[]) {
      if (!term.id && !term.tags && !term.instanceMatchCriteria)
        errors.push("capacity reservation term: expected at least one of tags, id, instanceMatchCriteria");
      if (term.id && (term.tags || term.ownerID || term.instanceMatchCriteria)) errors.push("capacity reservation term: 'id' is mutually exclusive");
      if (term.tags && Object.entries(term.tags).some(([key, value]) => key === "" || value === ""))
        errors.push("capacity reservation term: empty tag keys or values aren't supported");
    }
    if ("role" in spec === "instanceProfile" in spec) errors.push("must specify exactly one of ['role', 'instanceProfile']");
    for (const key of Object.keys(spec.tags ?? {})) {
      if (
        key === "eks:eks-cluster-name" ||
        key.startsWith("kubernetes.io/cluster") ||
        ["karpenter.sh/nodepool", "karpenter.sh/nodeclaim", "karpenter.k8s.aws/ec2nodeclass"].includes(key)
      ) {
        errors.push(`tag ${key} is restricted`);
      }
    }
    if ((spec.blockDeviceMappings ?? []).filter((mapping: Json) => mapping.rootVolume === true).length > 1)
      errors.push("must have only one blockDeviceMappings with rootVolume");
  }
  return errors;
}
