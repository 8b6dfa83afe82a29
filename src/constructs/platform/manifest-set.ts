import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Construct } from "constructs";
import type { KubernetesObject } from "./manifests";

/** Applies Kubernetes objects with kubernetes_manifest, one resource per object, named by kind and name. */
export class ManifestSet extends Construct {
  constructor(scope: Construct, id: string, objects: readonly KubernetesObject[]) {
    super(scope, id);
    const seen = new Set<string>();
    for (const object of objects) {
      const key = `${object.kind.toLowerCase()}-${object.metadata.namespace ? `${object.metadata.namespace}-` : ""}${object.metadata.name}`;
      if (seen.has(key)) throw new Error(`manifest set "${id}": ${object.kind} "${object.metadata.name}" is listed twice`);
      seen.add(key);
      new Manifest(this, key, { manifest: object as unknown as Record<string, unknown> });
    }
  }
}
