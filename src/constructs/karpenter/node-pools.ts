import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Construct } from "constructs";
import type { KarpenterManifests } from "./manifests";

export interface KarpenterNodePoolsProps {
  /** EC2NodeClasses and NodePools as built by karpenterManifests; every NodePool's node class must be among them. */
  readonly manifests: KarpenterManifests;
}

/**
 * Applies the EC2NodeClasses and NodePools. They need Karpenter's CRDs at plan time, which is why they live in a
 * stack deployed after the Helm release. NodePools wait for their node class, so Karpenter never sees a dangling ref.
 */
export class KarpenterNodePools extends Construct {
  constructor(scope: Construct, id: string, props: KarpenterNodePoolsProps) {
    super(scope, id);
    applyNodeClassesAndPools(this, props.manifests, { owner: "karpenter node pools", nodeClassKind: "EC2NodeClass" });
  }
}

/** The shape both Karpenter's and Auto Mode's manifests share: node classes by name, pools naming their class. */
export interface NodeClassesAndPools {
  readonly nodeClasses: ReadonlyArray<{ readonly metadata: { readonly name: string } }>;
  readonly nodePools: ReadonlyArray<{
    readonly metadata: { readonly name: string };
    readonly spec: { readonly template: { readonly spec: { readonly nodeClassRef: { readonly name: string } } } };
  }>;
}

/**
 * One `node-class-<name>` manifest per node class and one `node-pool-<name>` per pool under `scope` (ids keyed by name,
 * so adding a pool never moves another), each pool depending on its class. A pool naming a missing class is refused.
 */
export function applyNodeClassesAndPools(
  scope: Construct,
  manifests: NodeClassesAndPools,
  names: { readonly owner: string; readonly nodeClassKind: string },
): void {
  const nodeClasses = new Map(
    manifests.nodeClasses.map((manifest) => [
      manifest.metadata.name,
      new Manifest(scope, `node-class-${manifest.metadata.name}`, { manifest: { ...manifest } }),
    ]),
  );
  for (const manifest of manifests.nodePools) {
    const nodeClassName = manifest.spec.template.spec.nodeClassRef.name;
    const nodeClass = nodeClasses.get(nodeClassName);
    if (!nodeClass) {
      throw new Error(
        `${names.owner}: NodePool "${manifest.metadata.name}" refers to ${names.nodeClassKind} "${nodeClassName}", which is not among ${JSON.stringify([...nodeClasses.keys()])}`,
      );
    }
    new Manifest(scope, `node-pool-${manifest.metadata.name}`, { manifest: { ...manifest }, dependsOn: [nodeClass] });
  }
}
