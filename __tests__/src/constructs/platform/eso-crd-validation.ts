/**
 * Test support: validates External Secrets objects strictly against the CRDs the pinned chart (2.0.1) installs
 * (__tests__/fixtures/crds/external-secrets-2.0.1, see SOURCE.md there): unknown keys are refused wherever the CRD
 * doesn't preserve them, as the API server would prune them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { toStrictJsonSchema } from "../karpenter/crd-validation";

const CRD_DIR = join(__dirname, "../../../fixtures/crds/external-secrets-2.0.1");

function served(file: string): object {
  const document = parse(readFileSync(join(CRD_DIR, file), "utf8")) as {
    spec: { versions: Array<{ name: string; served: boolean; schema: { openAPIV3Schema: object } }> };
  };
  const version = document.spec.versions.find((candidate) => candidate.name === "v1" && candidate.served);
  if (!version) throw new Error(`${file}: no served v1 version`);
  return toStrictJsonSchema(version.schema.openAPIV3Schema) as object;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = {
  ClusterSecretStore: ajv.compile(served("external-secrets.io_clustersecretstores.yaml")),
  ExternalSecret: ajv.compile(served("external-secrets.io_externalsecrets.yaml")),
};

/** Structural errors against the External Secrets v1 CRD of the object's kind, as "path: message"; empty when valid. */
export function esoCrdErrors(object: unknown): string[] {
  const kind = (object as { kind?: string }).kind;
  const validate = validators[kind as keyof typeof validators];
  if (!validate) throw new Error(`no External Secrets CRD for kind ${kind}`);
  return validate(object)
    ? []
    : (validate.errors ?? []).map(
        (error) =>
          `${error.instancePath || "/"}: ${error.message}${error.params && "additionalProperty" in error.params ? ` (${String(error.params.additionalProperty)})` : ""}`,
      );
}
