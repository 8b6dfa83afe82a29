import { Construct } from "constructs";
import { applyNodeClassesAndPools } from "../karpenter/node-pools";
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
    applyNodeClassesAndPools(this, props.manifests, { owner: "auto mode node pools", nodeClassKind: "NodeClass" });
  }
}
