import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../src/config/schema";
import { ACCELERATOR_TAINTS, CapacityBlockNodeGroup } from "../src/constructs/capacity-block-node-group";
import { type DeclaredBlockInput, DeclaredBlocksParameter, declaredBlocksParameterName } from "../src/constructs/capacity-manager/declared-blocks";
import { EksCluster } from "../src/constructs/eks-cluster";
import { EncryptionKey } from "../src/constructs/kms-key";
import { Network } from "../src/constructs/network";
import { SystemNodeGroup } from "../src/constructs/system-node-group";
import { awsContext } from "../src/lib/aws-context";
import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../src/lib/instance-types";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

/** True when EKS Auto Mode's built-in "system" pool runs the cluster's add-ons (then there is no system node group). */
export function autoModeRunsSystemPool(config: EnvironmentConfig): boolean {
  return config.cluster.auto_mode && config.cluster.auto_mode_node_pools.includes("system");
}

/** Taints on the capacity-block node groups' nodes: the accelerator taint of each block's kind and its own taints. */
function nodeGroupTaints(config: EnvironmentConfig): Array<{ key: string; effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE" }> {
  return config.capacity_blocks
    .filter((block) => block.consumer === "node_group")
    .flatMap((block) => {
      const kind = CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]?.acceleratorKind;
      const accelerator = kind === "nvidia" || kind === "neuron" ? [ACCELERATOR_TAINTS[kind]] : [];
      return [...accelerator, ...block.taints].map((taint) => ({ key: taint.key, effect: taint.effect }));
    });
}

/** `<env>-cluster`: network, EKS, the system node group and one node group per capacity block. */
export class ClusterStack extends EnvironmentStack {
  readonly network: Network;
  readonly cluster: EksCluster;

  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "cluster", props);
    const { config, names } = this;
    const aws = awsContext(this, config.region);

    const logsKey = new EncryptionKey(this, "logs-key", {
      aliasName: `${names.clusterName}-logs`,
      description: `CloudWatch Logs of ${names.clusterName}`,
      aws,
      servicePrincipals: [`logs.${config.region}.amazonaws.com`],
    });

    this.network = new Network(this, "network", {
      namePrefix: names.clusterName,
      vpcCidr: config.vpc_cidr,
      availabilityZones: config.availability_zones,
      region: config.region,
      clusterName: names.clusterName,
      singleNatGateway: config.single_nat_gateway,
      logsKmsKeyArn: logsKey.keyArn,
      flowLogRetentionDays: config.cluster.log_retention_days,
      aws,
    });

    this.cluster = new EksCluster(this, "eks", {
      clusterName: names.clusterName,
      kubernetesVersion: config.cluster.version,
      vpcId: this.network.vpcId,
      controlPlaneSubnetIds: this.network.intraSubnetIds,
      aws,
      logsKmsKeyArn: logsKey.keyArn,
      logRetentionDays: config.cluster.log_retention_days,
      endpointPublicAccess: config.cluster.endpoint_public_access,
      publicAccessCidrs: config.cluster.public_access_cidrs,
      adminPrincipalArns: config.cluster.admin_principal_arns,
      grantDeployerAdmin: config.cluster.grant_deployer_admin,
      apiAccess: { securityGroupIds: config.cluster.api_access.security_group_ids, cidrs: config.cluster.api_access.cidrs },
      ssmAccess: config.cluster.ssm_access,
      autoMode: config.cluster.auto_mode
        ? {
            builtInNodePools: config.cluster.auto_mode_node_pools,
            managedNodeGroups: config.capacity_blocks.some((block) => block.consumer === "node_group"),
            systemNodeGroup: !autoModeRunsSystemPool(config),
            nodeGroupTaints: nodeGroupTaints(config),
          }
        : undefined,
    });
    const nodeSecurityGroupIds = [this.cluster.clusterSecurityGroupId, this.cluster.nodeSecurityGroupId];
    const nodeDependencies = [...this.cluster.nodeRolePolicyAttachments, ...this.cluster.networkingAddons];

    // With Auto Mode's built-in "system" pool, that pool runs the add-ons and no system node group is needed.
    if (!autoModeRunsSystemPool(config)) {
      const systemNodes = new SystemNodeGroup(this, "system-nodes", {
        clusterName: this.cluster.clusterName,
        nodeRoleArn: this.cluster.nodeRoleArn,
        subnetIds: this.network.privateSubnetIds,
        securityGroupIds: nodeSecurityGroupIds,
        instanceTypes: config.system_node_group.instance_types,
        minSize: config.system_node_group.min_size,
        maxSize: config.system_node_group.max_size,
        desiredSize: config.system_node_group.desired_size,
        dependsOn: nodeDependencies,
      });
      this.cluster.addonsNeedNodesFrom(systemNodes.nodeGroup);
    }

    const declared: DeclaredBlockInput[] = [];
    const groups = new Map<string, CapacityBlockNodeGroup>();
    // Karpenter-consumed blocks get no node group: one consumer per reservation.
    for (const block of config.capacity_blocks.filter((candidate) => candidate.consumer === "node_group")) {
      const group = new CapacityBlockNodeGroup(this, `capacity-block-${block.name}`, {
        clusterName: this.cluster.clusterName,
        blockName: block.name,
        reservationId: block.reservation_id,
        instanceType: block.instance_type,
        instanceCount: block.instance_count,
        desiredSize: block.desired_size ?? block.instance_count,
        subnet: this.network.privateSubnetIn(block.availability_zone),
        amiType: block.ami_type,
        nodeRoleArn: this.cluster.nodeRoleArn,
        vpcId: this.network.vpcId,
        securityGroupIds: nodeSecurityGroupIds,
        dependsOn: nodeDependencies,
        labels: block.labels,
        taints: block.taints,
        rootVolumeGib: block.root_volume_gib,
        efa: block.efa,
      });
      groups.set(block.name, group);
    }

    if (config.capacity_manager) {
      // Every declared block, for the capacity manager to track (it only reads this); node-group blocks with the
      // group it scales. Here, beside the node groups, so a replaced group's new name reaches it in the same apply.
      for (const block of config.capacity_blocks) {
        const group = groups.get(block.name);
        declared.push({
          name: block.name,
          reservationId: block.reservation_id,
          instanceType: block.instance_type,
          availabilityZone: block.availability_zone,
          instanceCount: block.instance_count,
          policy: {
            extendBeforeHours: block.extend.before_hours,
            extendByHours: block.extend.by_hours,
            requireApproval: block.extend.require_approval,
            ...(block.extend.max_upfront_fee_usd !== undefined ? { maxUpfrontFeeUsd: block.extend.max_upfront_fee_usd } : {}),
            ...(block.extend.replace !== undefined
              ? {
                  allowReplacement: block.extend.replace.enabled,
                  replacementDurationHours: block.extend.replace.duration_hours,
                  ...(block.extend.replace.availability_zones !== undefined ? { replacementAvailabilityZones: block.extend.replace.availability_zones } : {}),
                }
              : {}),
          },
          ...(group
            ? {
                nodeGroup: {
                  clusterName: names.clusterName,
                  nodegroupName: group.nodeGroupName,
                  desiredSize: block.desired_size ?? block.instance_count,
                  nameLengthAtMost: group.nodeGroupNameMaxLength,
                },
              }
            : {}),
        });
      }
      new DeclaredBlocksParameter(this, "declared-capacity-blocks", { parameterName: declaredBlocksParameterName(this.environment), blocks: declared });
    }

    new TerraformOutput(this, "cluster_name", { value: this.cluster.clusterName });
    new TerraformOutput(this, "cluster_endpoint", { value: this.cluster.clusterEndpoint });
    new TerraformOutput(this, "region", { value: config.region });
    new TerraformOutput(this, "configure_kubectl", {
      value: `aws eks update-kubeconfig --region ${config.region} --name ${names.clusterName}`,
    });
    new TerraformOutput(this, "node_role_arn", { value: this.cluster.nodeRoleArn });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
  }
}
