import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Construct } from "constructs";
import type { AutoModeManifests } from "./manifests";

export interface AutoModeNodePoolsProps {
  /** NodeClasses and NodePools as built by autoModeManifests; every NodePool's node class must be among them. */
  readonly manifests: AutoModeManifests;
}

/**
 * Applies the Auto Mode NodeClasses and NodePools. Their CRDs come with Auto Mode itself, so this stack follows the
 * cluster stack directly. NodePools wait for their node class, so Auto Mode never sees a dangling ref.
 */
export class AutoModeNodePools extends Construct {
  constructor(scope: Construct, id: string, props: AutoModeNodePoolsProps) {
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
          `auto mode node pools: NodePool "${manifest.metadata.name}" refers to NodeClass "${nodeClassName}", which is not among ${JSON.stringify([...nodeClasses.keys()])}`,
        );
      }
      new Manifest(this, `node-pool-${manifest.metadata.name}`, { manifest: { ...manifest }, dependsOn: [nodeClass] });
    }
  }
}
