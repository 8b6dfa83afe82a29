import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import { EksClusterAccess } from "../src/constructs/cluster-access";
import { karpenterManifests } from "../src/constructs/karpenter/manifests";
import { karpenterNames } from "../src/constructs/karpenter/names";
import { KarpenterNodePools } from "../src/constructs/karpenter/node-pools";
import { managerNewBlockTags } from "../src/lib/tags";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

/**
 * `<env>-karpenter-pools`, after `<env>-karpenter`: EC2NodeClasses and NodePools. kubernetes_manifest needs the
 * CRDs at plan time, so these cannot share a stack with the Helm release that installs them.
 */
export class KarpenterPoolsStack extends EnvironmentStack {
  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "karpenter-pools", props);
    const { config, names } = this;
    const newBlockTags = managerNewBlockTags(this.environment, config);

    const access = new EksClusterAccess(this, "cluster-access", { clusterName: names.clusterName, region: config.region });
    new KubernetesProvider(this, "kubernetes", {
      host: access.endpoint,
      clusterCaCertificate: access.clusterCaCertificate,
      exec: [access.exec],
    });
    new KarpenterNodePools(this, "node-pools", {
      manifests: karpenterManifests({
        environment: this.environment,
        clusterName: names.clusterName,
        nodeRoleName: karpenterNames(names).nodeRoleName,
        amiFamily: config.karpenter.ami_family,
        amiAliasVersion: config.karpenter.ami_alias_version,
        nodePools: config.node_pools,
        capacityBlocks: config.capacity_blocks,
        // The tags the manager puts on a replacement it buys, so this pool uses it.
        ...(newBlockTags ? { newBlockTags } : {}),
      }),
    });
  }
}
