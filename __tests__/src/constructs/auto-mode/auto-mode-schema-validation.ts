/**
 * Test support: validates EKS Auto Mode objects (`eks.amazonaws.com/v1` NodeClass and IngressClassParams) strictly
 * against the schemas in __tests__/fixtures/crds/eks-auto-mode (see SOURCE.md there: captured from a live cluster,
 * the NodeClass's capacityReservationSelectorTerms added from the user guide). Unknown keys are refused wherever the
 * schema doesn't allow them; the CEL rules blockfleet's objects could break are checked by hand (ajv can't run CEL).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { toStrictJsonSchema } from "../karpenter/crd-validation";

const DIR = join(__dirname, "../../../fixtures/crds/eks-auto-mode");

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema of a recorded CRD, walked by key
type SchemaNode = Record<string, any>;

function fixture(file: string): SchemaNode {
  return JSON.parse(readFileSync(join(DIR, file), "utf8")) as SchemaNode;
}

/** The captured schema with ObjectMeta's `$ref` (not stored) as a plain object. */
function objectSchema(file: string, extraSpecProperties: SchemaNode = {}): SchemaNode {
  const schema = fixture(file);
  schema.properties.metadata = { type: "object" };
  schema.properties.spec.properties = { ...schema.properties.spec.properties, ...extraSpecProperties };
  return schema;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

export const NODE_CLASS_SCHEMA = objectSchema("eks.amazonaws.com_nodeclass_v1.json", fixture("eks.amazonaws.com_nodeclass_v1.capacity-reservations.json"));
const validators = {
  NodeClass: ajv.compile(toStrictJsonSchema(NODE_CLASS_SCHEMA) as object),
  IngressClassParams: ajv.compile(toStrictJsonSchema(objectSchema("eks.amazonaws.com_ingressclassparams_v1.json")) as object),
};

/** Structural errors against the Auto Mode schema, as "path: message" strings; empty when valid. */
export function autoModeSchemaErrors(object: { apiVersion: string; kind: string }): string[] {
  if (object.apiVersion !== "eks.amazonaws.com/v1") throw new Error(`not an Auto Mode object: ${object.apiVersion}`);
  const validate = validators[object.kind as keyof typeof validators];
  if (!validate) throw new Error(`no Auto Mode schema for kind ${object.kind}`);
  return validate(object)
    ? []
    : (validate.errors ?? []).map(
        (error) =>
          `${error.instancePath || "/"}: ${error.message}${error.params && "additionalProperty" in error.params ? ` (${String(error.params.additionalProperty)})` : ""}`,
      );
}

const RESTRICTED_TAGS = [
  "karpenter.sh/provisioner-name",
  "karpenter.sh/nodepool",
  "karpenter.sh/nodeclaim",
  "karpenter.sh/managed-by",
  "eks.amazonaws.com/nodeclass",
];

/** The NodeClass schema's CEL rules (x-kubernetes-validations in the fixture) that blockfleet's objects could break. */
export function autoModeCelErrors(object: SchemaNode): string[] {
  const errors: string[] = [];
  if (object.kind !== "NodeClass") return errors;
  const spec = object.spec;
  if (spec.role === "") errors.push("role cannot be empty");
  for (const [field, keys] of [
    ["subnetSelectorTerms", ["tags", "id"]],
    ["securityGroupSelectorTerms", ["tags", "id", "name"]],
  ] as const) {
    const terms = (spec[field] ?? []) as SchemaNode[];
    if (terms.length === 0) errors.push(`${field} cannot be empty`);
    if (!terms.every((term) => keys.some((key) => key in term))) errors.push(`${field}: expected at least one of ${keys.join(", ")}`);
    if (terms.some((term) => "id" in term && Object.keys(term).length > 1)) errors.push(`${field}: 'id' is mutually exclusive`);
    if (terms.some((term) => Object.entries(term.tags ?? {}).some(([key, value]) => key === "" || value === "")))
      errors.push(`${field}: empty tag keys or values aren't supported`);
  }
  for (const term of (spec.capacityReservationSelectorTerms ?? []) as SchemaNode[]) {
    if (!term.id && !term.tags) errors.push("capacity reservation term: expected at least one of tags, id");
    if (term.id && (term.tags || term.owner)) errors.push("capacity reservation term: 'id' is mutually exclusive");
  }
  for (const key of Object.keys(spec.tags ?? {})) {
    if (key === "" || key.startsWith("kubernetes.io/cluster") || RESTRICTED_TAGS.includes(key)) errors.push(`tag ${key} is restricted`);
  }
  return errors;
}
