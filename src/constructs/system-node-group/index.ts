import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { NodeLaunchTemplate } from "../node-launch-template";

/** Label and value system workloads (Karpenter's controller, CoreDNS) select to land on the system node group. */
export const SYSTEM_NODE_LABEL = { key: "blockfleet.io/node-role", value: "system" } as const;

export interface SystemNodeGroupProps {
  /** Cluster the node group joins. */
  readonly clusterName: string;
  /** Node IAM role the instances run as. */
  readonly nodeRoleArn: string;
  /** Private subnets, one per AZ, so system pods survive an AZ outage. */
  readonly subnetIds: readonly string[];
  /** Cluster and node security groups. */
  readonly securityGroupIds: readonly string[];
  /** On-demand instance types the node group may choose from. */
  readonly instanceTypes: readonly string[];
  /** Smallest node count; must not exceed `desiredSize`. */
  readonly minSize: number;
  /** Largest node count. */
  readonly maxSize: number;
  /** Node count at creation; Terraform ignores later changes (autoscaling owns it). */
  readonly desiredSize: number;
  /** Resources that must exist before nodes join (node role policies, networking add-ons). */
  readonly dependsOn: readonly ITerraformDependable[];
  /**
   * Root volume size in GiB.
   * @default 50
   */
  readonly volumeSizeGib?: number;
}

/**
 * A small on-demand managed node group for cluster-critical pods, so Karpenter never has to schedule the controller
 * that schedules everything else.
 */
export class SystemNodeGroup extends Construct {
  readonly nodeGroup: EksNodeGroup;

  constructor(scope: Construct, id: string, props: SystemNodeGroupProps) {
    super(scope, id);
    const volumeSizeGib = props.volumeSizeGib ?? 50;
    if (props.minSize > props.desiredSize || props.desiredSize > props.maxSize) {
      throw new Error(`system node group: sizes must satisfy minSize <= desiredSize <= maxSize, got ${props.minSize}/${props.desiredSize}/${props.maxSize}`);
    }
    const launchTemplate = new NodeLaunchTemplate(this, "launch-template", {
      namePrefix: `${props.clusterName}-system`,
      securityGroupIds: props.securityGroupIds,
      volumeSizeGib,
      resourceTags: { Name: `${props.clusterName}-system` },
    });
    this.nodeGroup = new EksNodeGroup(this, "node-group", {
      clusterName: props.clusterName,
      nodeGroupNamePrefix: "system-",
      nodeRoleArn: props.nodeRoleArn,
      subnetIds: [...props.subnetIds],
      amiType: "AL2023_x86_64_STANDARD",
      capacityType: "ON_DEMAND",
      instanceTypes: [...props.instanceTypes],
      scalingConfig: { minSize: props.minSize, maxSize: props.maxSize, desiredSize: props.desiredSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: launchTemplate.launchTemplateId, version: launchTemplate.latestVersion },
      labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
      lifecycle: { createBeforeDestroy: true, ignoreChanges: ["scaling_config[0].desired_size"] },
      dependsOn: [...props.dependsOn],
    });
  }
}
