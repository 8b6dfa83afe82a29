import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { dataVolumeDeviceFor } from "../../lib/capacity-blocks/facts";
import { CAPACITY_BLOCK_INSTANCE_TYPES, type GpuAmiType } from "../../lib/instance-types";
import { capacityBlockNodeGroupPrefix, checkedName, UNIQUE_ID_SUFFIX_LENGTH } from "../../lib/naming";
import type { ZonalSubnet } from "../network";
import { NodeLaunchTemplate } from "../node-launch-template";

/** Labels every capacity-block node carries, so workloads and the capacity manager can find the block. */
export const CAPACITY_BLOCK_LABELS = {
  name: "blockfleet.io/capacity-block",
  reservationId: "blockfleet.io/capacity-reservation-id",
} as const;

/** Taint that keeps non-accelerator pods off the block's nodes, per accelerator kind. */
export const ACCELERATOR_TAINTS = {
  nvidia: { key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" },
  neuron: { key: "aws.amazon.com/neuron", value: "true", effect: "NO_SCHEDULE" },
} as const;

/** A taint on a managed node group's nodes, in the EKS API's spelling. */
export interface NodeTaint {
  /** Taint key, e.g. `nvidia.com/gpu`. */
  readonly key: string;
  /** Taint value. */
  readonly value: string;
  /** What the taint does to pods that don't tolerate it. */
  readonly effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
}

export interface CapacityBlockNodeGroupProps {
  /** Cluster the node group joins; also prefixes the launch template and EFA security group names. */
  readonly clusterName: string;
  /** The block's name: node group name prefix and label value. */
  readonly blockName: string;
  /** The capacity block's reservation id (`cr-…`): launch template target and node label. */
  readonly reservationId: string;
  /** The reservation's instance type (a reservation holds one type); must be sold as a capacity block. */
  readonly instanceType: string;
  /** Instances the block holds: the node group's max size. */
  readonly instanceCount: number;
  /**
   * The group's desired size at creation (Terraform ignores it afterwards).
   * @default instanceCount
   */
  readonly desiredSize?: number;
  /**
   * The private subnet of the block's availability zone (`Network.privateSubnetIn(zone)`): a block's instances can
   * launch nowhere else, and one subnet value carries its zone, so a subnet outside the block's zone can't be named.
   */
  readonly subnet: ZonalSubnet;
  /** EKS GPU AMI type (e.g. `AL2023_x86_64_NVIDIA`); Bottlerocket types put the data volume on `/dev/xvdb`. */
  readonly amiType: GpuAmiType;
  /** Node IAM role the instances run as. */
  readonly nodeRoleArn: string;
  /** VPC of the EFA security group. */
  readonly vpcId: string;
  /** Cluster and node security groups of every node interface. */
  readonly securityGroupIds: readonly string[];
  /** The node role's policy attachments and networking add-ons: destroyed after the nodes, created before. */
  readonly dependsOn: readonly ITerraformDependable[];
  /**
   * Extra node labels.
   * @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Extra taints beside the accelerator taint.
   * @default []
   */
  readonly taints?: readonly NodeTaint[];
  /**
   * Data volume size in GiB.
   * @default 500
   */
  readonly rootVolumeGib?: number;
  /**
   * EFA interfaces on every network card and an all-traffic self rule for multi-node training. No placement group:
   * EC2 already co-locates a capacity block's instances, and a placement group on a reservation can leave part of it
   * unlaunchable (AWS ParallelCluster refuses the combination; eksctl stopped adding one for reservations).
   * @default false
   */
  readonly efa?: boolean;
}

/**
 * An EKS managed node group on an EC2 Capacity Block: a launch template targeting the reservation with the
 * `capacity-block` market type and `CAPACITY_BLOCK` capacity. Created with desired size = the block's instance
 * count (min 0, max the count): per the EKS user guide ("Create a managed node group with Capacity Blocks for ML"),
 * the Auto Scaling group keeps a non-zero desired size from creation, its launches fail until the reservation is
 * active and then succeed, so the group fills at the block's first minute with nothing done by hand. EKS scales it
 * to 0 forty minutes before the end and the capacity manager scales it back after an extension, so Terraform
 * ignores the desired size after creation.
 */
export class CapacityBlockNodeGroup extends Construct {
  /** The node group's name (prefix plus the unique suffix Terraform adds). */
  readonly nodeGroupName: string;
  readonly nodeGroupArn: string;
  /** Longest name EKS can give the group (prefix plus Terraform's unique suffix). */
  readonly nodeGroupNameMaxLength: number;

  constructor(scope: Construct, id: string, props: CapacityBlockNodeGroupProps) {
    super(scope, id);
    const labels = props.labels ?? {};
    const extraTaints = props.taints ?? [];
    const rootVolumeGib = props.rootVolumeGib ?? 500;
    const efa = props.efa ?? false;
    const desiredSize = props.desiredSize ?? props.instanceCount;
    const where = `capacity block node group "${props.blockName}"`;

    const instanceType = props.instanceType;
    const instance = CAPACITY_BLOCK_INSTANCE_TYPES[instanceType];
    if (!instance) throw new Error(`${where}: instance type "${instanceType}" is not sold as a capacity block`);
    if (efa && instance.efaUnsupportedReason) throw new Error(`${where}: efa is not supported for "${instanceType}": ${instance.efaUnsupportedReason}`);
    if (!Number.isInteger(props.instanceCount) || props.instanceCount < 1) {
      throw new Error(`${where}: instanceCount must be a whole number >= 1, got ${props.instanceCount}`);
    }
    if (!Number.isInteger(desiredSize) || desiredSize < 0 || desiredSize > props.instanceCount) {
      throw new Error(`${where}: desiredSize must be a whole number from 0 to instanceCount (${props.instanceCount}), got ${desiredSize}`);
    }

    const securityGroupIds = [...props.securityGroupIds];
    if (efa) {
      // EFA traffic must be allowed both ways between the nodes themselves, on every protocol.
      const efaGroup = new SecurityGroup(this, "efa-security-group", {
        namePrefix: checkedName("aws_security_group.name_prefix", `${props.clusterName}-${props.blockName}-efa-`),
        description: `EFA traffic between nodes of capacity block ${props.blockName}`,
        vpcId: props.vpcId,
        tags: { Name: `${props.clusterName}-${props.blockName}-efa` },
        lifecycle: { createBeforeDestroy: true },
      });
      new VpcSecurityGroupIngressRule(this, "efa-ingress-self", {
        securityGroupId: efaGroup.id,
        referencedSecurityGroupId: efaGroup.id,
        ipProtocol: "-1",
        description: "EFA: all traffic from nodes of the same block",
      });
      new VpcSecurityGroupEgressRule(this, "efa-egress-self", {
        securityGroupId: efaGroup.id,
        referencedSecurityGroupId: efaGroup.id,
        ipProtocol: "-1",
        description: "EFA: all traffic to nodes of the same block",
      });
      securityGroupIds.push(efaGroup.id);
    }

    const launchTemplate = new NodeLaunchTemplate(this, "launch-template", {
      namePrefix: `${props.clusterName}-${props.blockName}`,
      instanceType,
      capacityBlockReservationId: props.reservationId,
      securityGroupIds,
      volumeSizeGib: rootVolumeGib,
      volumeDeviceName: dataVolumeDeviceFor(props.amiType),
      efaInterfaces: efa ? instance.maxEfaInterfaces : 0,
      resourceTags: { Name: `${props.clusterName}-${props.blockName}`, "blockfleet.io/capacity-reservation-id": props.reservationId },
    });

    const acceleratorTaint = ACCELERATOR_TAINTS[instance.acceleratorKind];
    const namePrefix = capacityBlockNodeGroupPrefix(props.blockName);
    const nodeGroup = new EksNodeGroup(this, "node-group", {
      clusterName: props.clusterName,
      // A prefix, not a name: create_before_destroy needs the replacement to have a different name.
      nodeGroupNamePrefix: namePrefix,
      nodeRoleArn: props.nodeRoleArn,
      subnetIds: [props.subnet.id],
      amiType: props.amiType,
      capacityType: "CAPACITY_BLOCK",
      scalingConfig: { minSize: 0, desiredSize, maxSize: props.instanceCount },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: launchTemplate.launchTemplateId, version: launchTemplate.latestVersion },
      labels: {
        ...labels,
        [CAPACITY_BLOCK_LABELS.name]: props.blockName,
        [CAPACITY_BLOCK_LABELS.reservationId]: props.reservationId,
      },
      taint: [acceleratorTaint, ...extraTaints].map((taint) => ({ ...taint })),
      tags: {
        "k8s.io/cluster-autoscaler/enabled": "false",
        "blockfleet.io/capacity-reservation-id": props.reservationId,
      },
      lifecycle: { createBeforeDestroy: true, ignoreChanges: ["scaling_config[0].desired_size"] },
      dependsOn: [...props.dependsOn],
    });
    this.nodeGroupName = nodeGroup.nodeGroupName;
    this.nodeGroupArn = nodeGroup.arn;
    this.nodeGroupNameMaxLength = namePrefix.length + UNIQUE_ID_SUFFIX_LENGTH;
  }
}
