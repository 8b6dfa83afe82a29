import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { EksClusterAccess } from "../src/constructs/cluster-access";
import { KarpenterInfrastructure } from "../src/constructs/karpenter";
import { karpenterNames } from "../src/constructs/karpenter/names";
import { KarpenterRelease } from "../src/constructs/karpenter/release";
import { awsContext } from "../src/lib/aws-context";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

/**
 * `<env>-karpenter`, after `<env>-cluster`: Karpenter's IAM, interruption queue and rules, and the Helm releases
 * (the CRD chart, then the controller). Reaches the cluster by name, so it plans without the cluster stack's state.
 */
export class KarpenterStack extends EnvironmentStack {
  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "karpenter", props);
    const { config, names } = this;
    const karpenter = karpenterNames(names);

    const infrastructure = new KarpenterInfrastructure(this, "infrastructure", {
      clusterName: names.clusterName,
      names: karpenter,
      aws: awsContext(this, config.region),
      createSpotServiceLinkedRole: config.create_spot_service_linked_role,
      ssmAccess: config.cluster.ssm_access,
    });

    const access = new EksClusterAccess(this, "cluster-access", { clusterName: names.clusterName, region: config.region });
    new HelmProvider(this, "helm", {
      kubernetes: { host: access.endpoint, clusterCaCertificate: access.clusterCaCertificate, exec: access.exec },
    });
    new KarpenterRelease(this, "karpenter", {
      clusterName: names.clusterName,
      clusterEndpoint: access.endpoint,
      names: karpenter,
      chartVersion: config.karpenter.chart_version,
      replicas: config.karpenter.replicas,
      systemNodeMinSize: config.system_node_group.min_size,
      dependsOn: infrastructure.readyForController,
    });

    new TerraformOutput(this, "karpenter_controller_role_arn", { value: infrastructure.controllerRoleArn });
    new TerraformOutput(this, "karpenter_node_role_arn", { value: infrastructure.nodeRoleArn });
    new TerraformOutput(this, "karpenter_interruption_queue", { value: infrastructure.queueName });
  }
}
