/**
 * The Karpenter controller's permissions, scoped the way upstream Karpenter scopes them (the getting-started
 * CloudFormation matching the default chart, 1.14.1), including what capacity blocks
 * need: launching into `capacity-reservation/*` and `ec2:DescribeCapacityReservations`.
 * A pure function of plain strings, so tests can simulate the exact policy the stack attaches.
 */
import type { PolicyStatement } from "../../lib/iam";

export interface ControllerPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  /** The only role the controller may pass, to EC2 only. */
  readonly nodeRoleArn: string;
  readonly interruptionQueueArn: string;
}

/** Tag values Karpenter puts on everything it creates; create/tag/terminate are conditioned on them. */
function clusterTags(clusterName: string) {
  return {
    ownedKey: `kubernetes.io/cluster/${clusterName}`,
    nodePoolKey: "karpenter.sh/nodepool",
    nodeClassKey: "karpenter.k8s.aws/ec2nodeclass",
    eksClusterNameKey: "eks:eks-cluster-name",
  };
}

export function controllerPolicyStatements(input: ControllerPolicyInput): PolicyStatement[] {
  const { partition, region, accountId, clusterName } = input;
  const tags = clusterTags(clusterName);
  const ec2 = (resource: string, account = "*") => `arn:${partition}:ec2:${region}:${account}:${resource}`;
  const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
  const launchedResources = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map((resource) =>
    ec2(resource),
  );
  const requestTagsOfCluster = {
    [`aws:RequestTag/${tags.ownedKey}`]: "owned",
    [`aws:RequestTag/${tags.eksClusterNameKey}`]: clusterName,
  };

  return [
    {
      Sid: "AllowScopedEC2InstanceAccessActions",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      // capacity-reservation/* lets CreateFleet target the blocks the EC2NodeClass selects (any owner: blocks can be
      // shared through RAM); placement-group/* is what Karpenter 1.14's placementGroupSelector launches into.
      Resource: [
        `arn:${partition}:ec2:${region}::image/*`,
        `arn:${partition}:ec2:${region}::snapshot/*`,
        ec2("security-group/*"),
        ec2("subnet/*"),
        ec2("capacity-reservation/*"),
        ec2("placement-group/*"),
      ],
    },
    {
      Sid: "AllowScopedEC2LaunchTemplateAccessActions",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      Resource: ec2("launch-template/*"),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${tags.ownedKey}`]: "owned" },
        StringLike: { [`aws:ResourceTag/${tags.nodePoolKey}`]: "*" },
      },
    },
    {
      Sid: "AllowScopedEC2InstanceActionsWithTags",
      Effect: "Allow",
      Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
      Resource: launchedResources,
      Condition: {
        StringEquals: requestTagsOfCluster,
        StringLike: { [`aws:RequestTag/${tags.nodePoolKey}`]: "*" },
      },
    },
    {
      Sid: "AllowScopedResourceCreationTagging",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: launchedResources,
      Condition: {
        StringEquals: { ...requestTagsOfCluster, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] },
        StringLike: { [`aws:RequestTag/${tags.nodePoolKey}`]: "*" },
      },
    },
    {
      Sid: "AllowScopedResourceTagging",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: ec2("instance/*"),
      Condition: {
        StringEquals: { [`aws:ResourceTag/${tags.ownedKey}`]: "owned" },
        StringLike: { [`aws:ResourceTag/${tags.nodePoolKey}`]: "*" },
        StringEqualsIfExists: { [`aws:RequestTag/${tags.eksClusterNameKey}`]: clusterName },
        "ForAllValues:StringEquals": { "aws:TagKeys": [tags.eksClusterNameKey, "karpenter.sh/nodeclaim", "Name"] },
      },
    },
    {
      Sid: "AllowScopedDeletion",
      Effect: "Allow",
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Resource: [ec2("instance/*"), ec2("launch-template/*")],
      Condition: {
        StringEquals: { [`aws:ResourceTag/${tags.ownedKey}`]: "owned" },
        StringLike: { [`aws:ResourceTag/${tags.nodePoolKey}`]: "*" },
      },
    },
    {
      Sid: "AllowRegionalReadActions",
      Effect: "Allow",
      Action: [
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribePlacementGroups",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
      ],
      // Describe calls support no resource-level scoping; the region condition is what confines them.
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": region } },
    },
    {
      Sid: "AllowSSMReadActions",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
    },
    {
      Sid: "AllowPricingReadActions",
      Effect: "Allow",
      Action: "pricing:GetProducts",
      Resource: "*",
    },
    {
      Sid: "AllowInterruptionQueueActions",
      Effect: "Allow",
      Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
      Resource: input.interruptionQueueArn,
    },
    {
      Sid: "AllowPassingInstanceRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: input.nodeRoleArn,
      Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
    },
    {
      Sid: "AllowScopedInstanceProfileCreationActions",
      Effect: "Allow",
      Action: "iam:CreateInstanceProfile",
      Resource: instanceProfiles,
      Condition: {
        StringEquals: { ...requestTagsOfCluster, "aws:RequestTag/topology.kubernetes.io/region": region },
        StringLike: { [`aws:RequestTag/${tags.nodeClassKey}`]: "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileTagActions",
      Effect: "Allow",
      Action: "iam:TagInstanceProfile",
      Resource: instanceProfiles,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${tags.ownedKey}`]: "owned",
          "aws:ResourceTag/topology.kubernetes.io/region": region,
          ...requestTagsOfCluster,
          "aws:RequestTag/topology.kubernetes.io/region": region,
        },
        StringLike: { [`aws:ResourceTag/${tags.nodeClassKey}`]: "*", [`aws:RequestTag/${tags.nodeClassKey}`]: "*" },
      },
    },
    {
      Sid: "AllowScopedInstanceProfileActions",
      Effect: "Allow",
      Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
      Resource: instanceProfiles,
      Condition: {
        StringEquals: { [`aws:ResourceTag/${tags.ownedKey}`]: "owned", "aws:ResourceTag/topology.kubernetes.io/region": region },
        StringLike: { [`aws:ResourceTag/${tags.nodeClassKey}`]: "*" },
      },
    },
    {
      Sid: "AllowInstanceProfileReadActions",
      Effect: "Allow",
      Action: "iam:GetInstanceProfile",
      Resource: instanceProfiles,
    },
    {
      Sid: "AllowUnscopedInstanceProfileListAction",
      Effect: "Allow",
      Action: "iam:ListInstanceProfiles",
      Resource: "*",
    },
    {
      Sid: "AllowAPIServerEndpointDiscovery",
      Effect: "Allow",
      Action: "eks:DescribeCluster",
      Resource: `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}`,
    },
  ];
}

/**
 * Karpenter asks ARC whether a zonal shift or autoshift moved the cluster away from an AZ, and launches elsewhere
 * meanwhile. Upstream grants it as a policy of its own (ZonalShiftPolicy in the getting-started CloudFormation), with
 * "*" narrowed by the resource identifier: IAM lists only ALB and NLB resource types for the action, none for EKS.
 */
export function zonalShiftStatements(input: Pick<ControllerPolicyInput, "partition" | "region" | "accountId" | "clusterName">): PolicyStatement[] {
  const { partition, region, accountId, clusterName } = input;
  return [
    {
      Sid: "AllowZonalShiftStatusReadOnly",
      Effect: "Allow",
      Action: "arc-zonal-shift:GetManagedResource",
      Resource: "*",
      Condition: { StringEquals: { "arc-zonal-shift:ResourceIdentifier": `arn:${partition}:eks:${region}:${accountId}:cluster/${clusterName}` } },
    },
  ];
}
