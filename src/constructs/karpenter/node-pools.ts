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
    const nodeClasses = new Map(
      props.manifests.nodeClasses.map((manifest) => [
        manifest.metadata.name,
        new Manifest(this, `node-class-${manifest.metadata.name}`, { manifest: { ...manifest } }),
      ]),
    );
    for (const manifest of props.manifests.nodePools) {
      const nodeClassName = manifest.spec.template.spec.nodeClassRef.name;
      const nodeClass = nodeClasses.get(nodeClassName);
      if (!nodeClass) {
        throw new Error(
          `karpenter node pools: NodePool "${manifest.metadata.name}" refers to EC2NodeClass "${nodeClassName}", which is not among ${JSON.stringify([...nodeClasses.keys()])}`,
        );
      }
      new Manifest(this, `node-pool-${manifest.metadata.name}`, { manifest: { ...manifest }, dependsOn: [nodeClass] });
    }
  }
}
