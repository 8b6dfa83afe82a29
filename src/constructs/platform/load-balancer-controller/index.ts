/**
 * The AWS Load Balancer Controller's permissions, following the upstream policy statement by statement (the same
 * actions as `docs/install/iam_policy.json` of the pinned app version; a test compares them) but scoped
 * to this account, region and VPC: every action that supports resource ARNs gets them; "*" remains only for actions
 * IAM cannot scope (Describe*, List*, SetWebAcl, shield:CreateProtection). Resources the controller creates carry the
 * `elbv2.k8s.aws/cluster` tag, and modifying or deleting requires it, as upstream does.
 */
import type { PolicyStatement } from "../../../lib/iam";

/** Tag the controller puts on every load balancer, target group and security group it creates. */
export const LOAD_BALANCER_CONTROLLER_TAG = "elbv2.k8s.aws/cluster";

export interface LoadBalancerControllerScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The cluster's VPC: the only one the controller creates security groups in. */
  readonly vpcId: string;
}

/** Read-only calls IAM cannot scope to a resource. */
const UNSCOPABLE_READS = [
  "ec2:DescribeAccountAttributes",
  "ec2:DescribeAddresses",
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeInternetGateways",
  "ec2:DescribeVpcs",
  "ec2:DescribeVpcPeeringConnections",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeInstances",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeTags",
  "ec2:DescribeCoipPools",
  "ec2:DescribeIpamPools",
  "ec2:DescribeRouteTables",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeListenerCertificates",
  "elasticloadbalancing:DescribeListenerAttributes",
  "elasticloadbalancing:DescribeSSLPolicies",
  "elasticloadbalancing:DescribeRules",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:DescribeTargetHealth",
  "elasticloadbalancing:DescribeTags",
  "elasticloadbalancing:DescribeTrustStores",
  "elasticloadbalancing:DescribeCapacityReservation",
  "acm:ListCertificates",
  "iam:ListServerCertificates",
  "shield:GetSubscriptionState",
];

export function loadBalancerControllerStatements(scope: LoadBalancerControllerScope): PolicyStatement[] {
  const { partition, region, accountId, vpcId } = scope;
  const arn = (service: string, resource: string, regional = true): string => `arn:${partition}:${service}:${regional ? region : ""}:${accountId}:${resource}`;
  const elb = (resource: string): string => arn("elasticloadbalancing", resource);
  const loadBalancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")];
  const targetGroups = elb("targetgroup/*/*");
  const listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")];
  const listenerRules = [elb("listener-rule/app/*/*/*/*"), elb("listener-rule/net/*/*/*/*")];
  const securityGroups = arn("ec2", "security-group/*");
  const vpc = arn("ec2", `vpc/${vpcId}`);
  const requestTagged = { Null: { [`aws:RequestTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "false" } };
  const resourceTagged = { Null: { [`aws:ResourceTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "false" } };
  // Tag changes on resources the controller owns, except removing its own ownership tag in the same call.
  const ownedTagChange = { Null: { [`aws:RequestTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "true", [`aws:ResourceTag/${LOAD_BALANCER_CONTROLLER_TAG}`]: "false" } };

  return [
    {
      Sid: "CreateElbServiceLinkedRole",
      Effect: "Allow",
      Action: "iam:CreateServiceLinkedRole",
      Resource: arn("iam", "role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing", false),
      Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
    },
    { Sid: "Describe", Effect: "Allow", Action: UNSCOPABLE_READS, Resource: "*" },
    {
      Sid: "ReadReferencedResources",
      Effect: "Allow",
      Action: [
        "acm:DescribeCertificate",
        "iam:GetServerCertificate",
        "cognito-idp:DescribeUserPoolClient",
        "ec2:GetCoipPoolUsage",
        "ec2:GetSecurityGroupsForVpc",
      ],
      Resource: [arn("acm", "certificate/*"), arn("iam", "server-certificate/*", false), arn("cognito-idp", "userpool/*"), arn("ec2", "coip-pool/*"), vpc],
    },
    {
      Sid: "WebAclsAndShield",
      Effect: "Allow",
      Action: [
        "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource",
        "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "shield:DescribeProtection",
        "shield:DeleteProtection",
      ],
      Resource: [arn("waf-regional", "webacl/*"), arn("wafv2", "regional/webacl/*/*"), arn("shield", "protection/*", false), elb("loadbalancer/app/*/*")],
    },
    { Sid: "UnscopableWrites", Effect: "Allow", Action: ["elasticloadbalancing:SetWebAcl", "shield:CreateProtection"], Resource: "*" },
    { Sid: "CreateSecurityGroups", Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: [vpc, securityGroups] },
    {
      Sid: "TagSecurityGroupsOnCreate",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: securityGroups,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, ...requestTagged },
    },
    { Sid: "TagOwnedSecurityGroups", Effect: "Allow", Action: ["ec2:CreateTags", "ec2:DeleteTags"], Resource: securityGroups, Condition: ownedTagChange },
    // Backend rules go on the nodes' groups, which the controller does not own.
    { Sid: "SecurityGroupIngress", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], Resource: securityGroups },
    { Sid: "DeleteOwnedSecurityGroups", Effect: "Allow", Action: "ec2:DeleteSecurityGroup", Resource: securityGroups, Condition: resourceTagged },
    {
      Sid: "CreateTaggedLoadBalancers",
      Effect: "Allow",
      Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
      Resource: [...loadBalancers, targetGroups],
      Condition: requestTagged,
    },
    {
      Sid: "ManageListenersAndRules",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:DeleteRule",
      ],
      Resource: [...loadBalancers, ...listeners, ...listenerRules],
    },
    {
      Sid: "TagOwnedLoadBalancers",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
      Resource: [...loadBalancers, targetGroups],
      Condition: ownedTagChange,
    },
    {
      Sid: "TagListenersAndRules",
      Effect: "Allow",
      Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
      Resource: [...listeners, ...listenerRules],
    },
    {
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: "elasticloadbalancing:AddTags",
      Resource: [...loadBalancers, targetGroups],
      Condition: { StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] }, ...requestTagged },
    },
    {
      Sid: "ModifyOwnedLoadBalancers",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyCapacityReservation",
        "elasticloadbalancing:ModifyIpPools",
      ],
      Resource: [...loadBalancers, targetGroups, ...listeners],
      Condition: resourceTagged,
    },
    {
      Sid: "RegisterTargets",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: targetGroups,
    },
    {
      Sid: "ModifyListenersAndRules",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:ModifyRule",
        // Reorders an Ingress group's rules when their group.order changes.
        "elasticloadbalancing:SetRulePriorities",
      ],
      Resource: [...listeners, ...listenerRules],
    },
  ];
}
