import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import { autoModeManifests } from "../src/constructs/auto-mode/manifests";
import { AutoModeNodePools } from "../src/constructs/auto-mode/node-pools";
import { EksClusterAccess } from "../src/constructs/cluster-access";
import { autoModeNodeRoleName } from "../src/constructs/eks-cluster";
import { managerNewBlockTags } from "../src/lib/tags";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

/**
 * `<env>-auto-mode-pools`, after `<env>-cluster` when cluster.auto_mode is on: the Auto Mode NodeClasses and
 * NodePools mirroring blockfleet's Karpenter pools. kubernetes_manifest needs the CRDs at plan time; Auto Mode
 * installs them with the cluster, so no Helm release comes between.
 */
export class AutoModePoolsStack extends EnvironmentStack {
  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "auto-mode-pools", props);
    const { config, names } = this;
    const newBlockTags = managerNewBlockTags(this.environment, config);
    const access = new EksClusterAccess(this, "cluster-access", { clusterName: names.clusterName, region: config.region });
    new KubernetesProvider(this, "kubernetes", { host: access.endpoint, clusterCaCertificate: access.clusterCaCertificate, exec: [access.exec] });
    new AutoModeNodePools(this, "node-pools", {
      manifests: autoModeManifests({
        environment: this.environment,
        clusterName: names.clusterName,
        nodeRoleName: autoModeNodeRoleName(names.clusterName),
        nodePools: config.node_pools,
        capacityBlocks: config.capacity_blocks,
        // The tags the manager puts on a replacement it buys, so this pool uses it.
        ...(newBlockTags ? { newBlockTags } : {}),
      }),
    });
  }
}
