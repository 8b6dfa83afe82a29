import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Construct } from "constructs";
import type { KubernetesObject } from "./objects";

export * from "./objects";

export interface ManifestSetProps {
  /** The objects to apply; each kind, namespace and name at most once (they become the resources' ids). */
  readonly objects: readonly KubernetesObject[];
}

/** Applies Kubernetes objects with kubernetes_manifest, one resource per object, named by kind and name. */
export class ManifestSet extends Construct {
  constructor(scope: Construct, id: string, props: ManifestSetProps) {
    super(scope, id);
    const seen = new Set<string>();
    for (const object of props.objects) {
      const key = `${object.kind.toLowerCase()}-${object.metadata.namespace ? `${object.metadata.namespace}-` : ""}${object.metadata.name}`;
      if (seen.has(key)) throw new Error(`manifest set "${id}": objects lists ${object.kind} "${object.metadata.name}" twice`);
      seen.add(key);
      new Manifest(this, key, { manifest: object as unknown as Record<string, unknown> });
    }
  }
}
