import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { EksCluster as AwsEksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { dependable, Fn, type ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { managedPolicyArn, policyDocument, serviceAssumeRolePolicy } from "../../lib/iam";
import { addressAt, movedFrom, movedToInstance } from "../../lib/moves";
import { checkedName } from "../../lib/naming";
import { KARPENTER_DISCOVERY_TAG } from "../../lib/tags";
import { EncryptionKey } from "../kms-key";

/** Every control-plane log type EKS can ship; all are on, because an audit gap can't be filled afterwards. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** Managed add-ons every cluster gets. coredns needs nodes, so it waits for them. */
export const MANAGED_ADDONS = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns"] as const;

/** Policies every EKS node needs: join the cluster, pull images, run the VPC CNI. */
export const NODE_MANAGED_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy"] as const;

/** Makes a node reachable through SSM Session Manager: only where the environment asks for it (`cluster.ssm_access`). */
export const NODE_SSM_POLICY = "AmazonSSMManagedInstanceCore";

/** The node role's managed policies, with SSM access when asked for. */
export function nodeManagedPolicies(ssmAccess: boolean): readonly string[] {
  return ssmAccess ? [...NODE_MANAGED_POLICIES, NODE_SSM_POLICY] : NODE_MANAGED_POLICIES;
}

export interface EksClusterProps {
  /** Name of the cluster; also names its roles, node security group, key alias and log group. */
  readonly clusterName: string;
  /** Kubernetes minor version, one EKS supports (validated by the config schema). */
  readonly kubernetesVersion: string;
  /** VPC of the node security group. */
  readonly vpcId: string;
  /** Subnets for the control plane's network interfaces (intra: no internet route). */
  readonly controlPlaneSubnetIds: readonly string[];
  /** Account, partition and caller of the stack, for ARNs and the deployer's access entry. */
  readonly aws: AwsContext;
  /** KMS key for the control-plane log group. */
  readonly logsKmsKeyArn: string;
  /**
   * Control-plane log retention in days.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Serve the API on a public endpoint too (the private endpoint is always on).
   * @default false
   */
  readonly endpointPublicAccess?: boolean;
  /**
   * CIDRs allowed to reach the public endpoint. Must be non-empty when the endpoint is public.
   * @default []
   */
  readonly publicAccessCidrs?: readonly string[];
  /**
   * IAM principals that get cluster-admin through access entries, one entry per ARN (duplicates count once).
   * @default []
   */
  readonly adminPrincipalArns?: readonly string[];
  /**
   * Who besides the nodes may reach the API server (TCP 443 on the cluster security group, which the private
   * endpoint's network interfaces carry): security groups and CIDRs, one ingress rule each.
   * @default { securityGroupIds: [], cidrs: [] }
   */
  readonly apiAccess?: ApiAccess;
  /**
   * Give the identity running Terraform cluster-admin, so later stacks (Helm, manifests) can reach the API on the
   * first deploy. The entry is explicit and removable, unlike EKS's implicit creator permissions; it is skipped at
   * plan time when the deployer is already one of adminPrincipalArns. Off, the deployer needs to be one of those.
   * @default false
   */
  readonly grantDeployerAdmin?: boolean;
  /**
   * Attach AmazonSSMManagedInstanceCore to the node role (Session Manager on nodes).
   * @default false
   */
  readonly ssmAccess?: boolean;
  /**
   * Turn on EKS Auto Mode: compute, block storage and load balancing by EKS, the cluster role's Auto Mode policies,
   * and a node role for Auto Mode nodes. Absent: a cluster whose nodes blockfleet provisions.
   * @default undefined (off)
   */
  readonly autoMode?: EksAutoMode;
}

/**
 * Managed policies EKS Auto Mode needs on the cluster role, beside AmazonEKSClusterPolicy: compute, block storage,
 * load balancing, networking (awsdocs/amazon-eks-user-guide latest/ug/automode/auto-learn-iam.adoc, "Cluster IAM role").
 */
export const AUTO_MODE_CLUSTER_POLICIES = [
  "AmazonEKSComputePolicy",
  "AmazonEKSBlockStoragePolicy",
  "AmazonEKSLoadBalancingPolicy",
  "AmazonEKSNetworkingPolicy",
] as const;

/** The Auto Mode node role's managed policies (auto-learn-iam.adoc, "Node IAM role"). */
export const AUTO_MODE_NODE_POLICIES = ["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** Name of the Auto Mode node role, which NodeClasses in later stacks name literally. */
export function autoModeNodeRoleName(clusterName: string): string {
  return checkedName("aws_iam_role.name", `${clusterName}-auto-node`);
}

/** EKS access policy that lets Auto Mode nodes join (create-node-class.adoc: the node role needs it through an access entry). */
export const AUTO_MODE_NODE_ACCESS_POLICY = "AmazonEKSAutoNodePolicy";

/** EKS Auto Mode settings of the cluster. */
export interface EksAutoMode {
  /** Auto Mode's built-in node pools to run ("general-purpose", "system"); empty runs only blockfleet's. */
  readonly builtInNodePools: readonly string[];
  /**
   * Managed node groups run beside Auto Mode (capacity-block node groups, a system node group): they need the
   * networking add-ons (VPC CNI, kube-proxy, Pod Identity agent) that Auto Mode nodes carry built in.
   */
  readonly managedNodeGroups: boolean;
  /**
   * A system node group runs beside Auto Mode (its built-in "system" pool is off): it gets the CoreDNS add-on too,
   * for the add-ons and pods on managed nodes.
   */
  readonly systemNodeGroup: boolean;
  /**
   * Taints of the managed node groups beside Auto Mode. Without a system node group CoreDNS runs on those nodes
   * (pods on non-Auto nodes can't use Auto Mode's node-local DNS), so it tolerates them.
   * @default [] — no tolerations beyond the add-on's defaults
   */
  readonly nodeGroupTaints?: ReadonlyArray<{
    /** Taint key, e.g. `nvidia.com/gpu`. */
    readonly key: string;
    /** Taint effect, in the EKS API's spelling. */
    readonly effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
  }>;
}

const KUBERNETES_EFFECTS = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" } as const;

/**
 * CoreDNS add-on `configurationValues` for an Auto Mode cluster whose only non-Auto nodes are (tainted) managed node
 * groups: the add-on's own tolerations (CriticalAddonsOnly, the control-plane taint) plus the node groups' taints.
 * Auto Mode nodes answer DNS themselves, but managed node groups' pods need CoreDNS (awsdocs/amazon-eks-user-guide
 * latest/ug/workloads/eks-add-ons.adoc at 9cade941ecff2b3a39228321a8a0622f49f6c0da, "Considerations for Amazon EKS
 * Auto Mode": combined with managed node groups, VPC CNI, kube-proxy, CoreDNS and the Pod Identity agent "remain
 * necessary").
 */
export function autoModeCoreDnsConfiguration(nodeGroupTaints: NonNullable<EksAutoMode["nodeGroupTaints"]>): string {
  const tolerations = [
    { key: "CriticalAddonsOnly", operator: "Exists" },
    { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
    ...nodeGroupTaints.map((taint) => ({ key: taint.key, operator: "Exists", effect: KUBERNETES_EFFECTS[taint.effect] })),
  ];
  const unique = new Map(tolerations.map((toleration) => [`${toleration.key}:${toleration.effect ?? ""}`, toleration]));
  // Our own affinity replaces the add-on's default, so CoreDNS may also run on Auto Mode nodes (the `system` pool, whose
  // CriticalAddonsOnly taint it tolerates): until a capacity block's node group has nodes there is nowhere else, the
  // add-on would stay DEGRADED and Terraform's create would time out waiting for ACTIVE. Fargate and hybrid nodes stay out.
  const affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
              { key: "eks.amazonaws.com/compute-type", operator: "NotIn", values: ["fargate", "hybrid"] },
            ],
          },
        ],
      },
    },
  };
  return JSON.stringify({ affinity, tolerations: [...unique.values()] });
}

/** Clients admitted to the API server's private endpoint. */
export interface ApiAccess {
  /** Security groups whose members may reach the endpoint (port 443). */
  readonly securityGroupIds: readonly string[];
  /** IPv4 CIDR blocks that may reach the endpoint (port 443). */
  readonly cidrs: readonly string[];
}

/**
 * An EKS cluster with secrets envelope-encrypted by its own KMS key, every control-plane log type retained,
 * API-only authentication (access entries, no aws-auth ConfigMap), the managed add-ons, and the node role.
 */
export class EksCluster extends Construct {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  readonly clusterCertificateAuthority: string;
  readonly clusterArn: string;
  /** The security group EKS creates for control plane ↔ node traffic. */
  readonly clusterSecurityGroupId: string;
  /** Additional node security group, tagged for Karpenter discovery. */
  readonly nodeSecurityGroupId: string;
  readonly nodeRoleArn: string;
  readonly nodeRoleName: string;
  /** The node role's policy attachments: node groups depend on them so a destroy never strands nodes. */
  readonly nodeRolePolicyAttachments: readonly ITerraformDependable[];
  readonly secretsKmsKeyArn: string;
  private readonly addons = new Map<string, EksAddon>();
  private readonly cluster: AwsEksCluster;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const logRetentionDays = props.logRetentionDays ?? 90;
    const endpointPublicAccess = props.endpointPublicAccess ?? false;
    const publicAccessCidrs = props.publicAccessCidrs ?? [];
    const adminPrincipalArns = props.adminPrincipalArns ?? [];
    const grantDeployerAdmin = props.grantDeployerAdmin ?? false;
    const apiAccess = props.apiAccess ?? { securityGroupIds: [], cidrs: [] };
    const ssmAccess = props.ssmAccess ?? false;
    const autoMode = props.autoMode;
    if (endpointPublicAccess && publicAccessCidrs.length === 0) {
      throw new Error(`eks cluster "${props.clusterName}": publicAccessCidrs must list the allowed networks when endpointPublicAccess is true, got []`);
    }
    const { partition } = props.aws;

    const secretsKey = new EncryptionKey(this, "secrets-key", {
      aliasName: `${props.clusterName}-eks-secrets`,
      description: `Envelope encryption of Kubernetes secrets in ${props.clusterName}`,
      aws: props.aws,
    });

    const logGroup = new CloudwatchLogGroup(this, "control-plane-logs", {
      // EKS writes to this exact name; creating it first lets us own retention and encryption.
      name: checkedName("aws_cloudwatch_log_group.name", `/aws/eks/${props.clusterName}/cluster`),
      retentionInDays: logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
      // The audit log outlives a destroy or rename of the cluster.
      skipDestroy: true,
    });

    const clusterRole = new IamRole(this, "cluster-role", {
      name: checkedName("aws_iam_role.name", `${props.clusterName}-cluster`),
      // sts:TagSession is also what Auto Mode requires of the cluster role (amazon-eks-user-guide automode/auto-enable-existing.adoc).
      assumeRolePolicy: serviceAssumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
    });
    const clusterRolePolicies: ITerraformDependable[] = [
      "AmazonEKSClusterPolicy",
      "AmazonEKSVPCResourceController",
      ...(autoMode ? AUTO_MODE_CLUSTER_POLICIES : []),
    ].map((policy) => new IamRolePolicyAttachment(this, `cluster-role-${policy}`, { role: clusterRole.name, policyArn: managedPolicyArn(partition, policy) }));
    // AmazonEKSClusterPolicy grants no KMS actions, and the key policy delegates to IAM: without this the control plane
    // can't envelope-encrypt secrets with the key.
    clusterRolePolicies.push(
      new IamRolePolicy(this, "cluster-role-secrets-key", {
        role: clusterRole.id,
        name: "encrypt-secrets",
        policy: policyDocument([{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: secretsKey.keyArn }]),
      }),
    );

    const nodeSecurityGroup = new SecurityGroup(this, "node-security-group", {
      name: `${props.clusterName}-node`,
      description: `Nodes of ${props.clusterName}`,
      vpcId: props.vpcId,
      tags: { Name: `${props.clusterName}-node`, [KARPENTER_DISCOVERY_TAG]: props.clusterName },
    });
    new VpcSecurityGroupIngressRule(this, "node-to-node", {
      securityGroupId: nodeSecurityGroup.id,
      referencedSecurityGroupId: nodeSecurityGroup.id,
      ipProtocol: "-1",
      description: "Node to node: pod networking, CoreDNS, webhooks",
    });
    new VpcSecurityGroupEgressRule(this, "node-egress", {
      securityGroupId: nodeSecurityGroup.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
      description: "Nodes reach AWS APIs, registries and the control plane",
    });

    // Auto Mode nodes get a role of their own: the minimal worker policy and image pulls, no CNI policy (EKS runs the CNI).
    const autoNodeRole = autoMode
      ? new IamRole(this, "auto-node-role", {
          name: autoModeNodeRoleName(props.clusterName),
          assumeRolePolicy: serviceAssumeRolePolicy("ec2.amazonaws.com"),
        })
      : undefined;
    const autoNodeRolePolicies = autoNodeRole
      ? AUTO_MODE_NODE_POLICIES.map(
          (policy) =>
            new IamRolePolicyAttachment(this, `auto-node-role-${policy}`, { role: autoNodeRole.name, policyArn: managedPolicyArn(partition, policy) }),
        )
      : [];
    const builtInNodePools = autoMode ? [...autoMode.builtInNodePools] : [];

    this.cluster = new AwsEksCluster(this, "cluster", {
      name: checkedName("aws_eks_cluster.name", props.clusterName),
      version: props.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: [...props.controlPlaneSubnetIds],
        endpointPrivateAccess: true,
        endpointPublicAccess,
        publicAccessCidrs: endpointPublicAccess ? [...publicAccessCidrs] : undefined,
      },
      encryptionConfig: { provider: { keyArn: secretsKey.keyArn }, resources: ["secrets"] },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      deletionProtection: true,
      // Auto Mode: compute, block storage and load balancing all on together (the provider refuses a partial set,
      // validateAutoModeCustomizeDiff), and no self-managed add-ons bootstrapped (Auto Mode nodes carry their own).
      // node_role_arn only with built-in pools: EKS then makes that role's access entry itself.
      ...(autoMode && autoNodeRole
        ? {
            bootstrapSelfManagedAddons: false,
            computeConfig: {
              enabled: true,
              nodePools: builtInNodePools.length > 0 ? builtInNodePools : undefined,
              nodeRoleArn: builtInNodePools.length > 0 ? autoNodeRole.arn : undefined,
            },
            kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
            storageConfig: { blockStorage: { enabled: true } },
          }
        : {}),
      dependsOn: [logGroup, ...clusterRolePolicies, ...autoNodeRolePolicies],
    });

    if (autoNodeRole && builtInNodePools.length === 0) {
      // Without built-in pools EKS knows no node role, so blockfleet's NodeClasses' role joins through this entry.
      const scope = new Construct(this, "auto-node-access");
      const entry = new EksAccessEntry(scope, "access-entry", { clusterName: this.cluster.name, principalArn: autoNodeRole.arn, type: "EC2" });
      new EksAccessPolicyAssociation(scope, "auto-node", {
        clusterName: this.cluster.name,
        principalArn: autoNodeRole.arn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${AUTO_MODE_NODE_ACCESS_POLICY}`,
        accessScope: { type: "cluster" },
        dependsOn: [entry],
      });
    }

    // The cluster security group admits only itself; callers outside the nodes (a CI runner planning the Kubernetes
    // stacks, a VPN) get 443, keyed by who they are so removing one leaves the others alone.
    const clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;
    for (const groupId of new Set(apiAccess.securityGroupIds)) {
      new VpcSecurityGroupIngressRule(this, `api-access-${groupId}`, {
        securityGroupId: clusterSecurityGroupId,
        referencedSecurityGroupId: groupId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: `Kubernetes API from ${groupId}`,
      });
    }
    for (const cidr of new Set(apiAccess.cidrs)) {
      new VpcSecurityGroupIngressRule(this, `api-access-${cidr}`, {
        securityGroupId: clusterSecurityGroupId,
        cidrIpv4: cidr,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: `Kubernetes API from ${cidr}`,
      });
    }

    const nodeRole = new IamRole(this, "node-role", {
      name: `${props.clusterName}-node`,
      assumeRolePolicy: serviceAssumeRolePolicy("ec2.amazonaws.com"),
    });
    this.nodeRolePolicyAttachments = nodeManagedPolicies(ssmAccess).map(
      (policy) => new IamRolePolicyAttachment(this, `node-role-${policy}`, { role: nodeRole.name, policyArn: managedPolicyArn(partition, policy) }),
    );

    // Keyed by principal ARN, so removing one admin never replaces another; the same ARN twice is one entry.
    const admins = [...new Set(adminPrincipalArns)];
    const adminPolicyArn = `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
    admins.forEach((principalArn) => {
      if (Token.isUnresolved(principalArn)) {
        throw new Error(`eks cluster "${props.clusterName}": adminPrincipalArns must be literal ARNs (they key the access entries), got ${principalArn}`);
      }
      const access = this.clusterAdmin(`admin-${principalArn}`, principalArn, adminPolicyArn);
      // Up to 0.1 entries were keyed by list position.
      const previous = adminPrincipalArns.indexOf(principalArn);
      movedFrom(access.entry, addressAt(access.entry.terraformResourceType, this, `admin-${previous}`, "access-entry"));
      movedFrom(access.association, addressAt(access.association.terraformResourceType, this, `admin-${previous}`, "cluster-admin"));
    });
    if (grantDeployerAdmin) {
      // An assumed-role session ARN can't hold an access entry; the session context resolves it to the role.
      const deployerArn = new DataAwsIamSessionContext(this, "deployer-role", { arn: props.aws.callerArn }).issuerArn;
      // The deployer may also be listed as an admin: a second entry for one principal fails with 409, so the deployer's
      // own entry exists only when it isn't (known at plan time: the session context is read while planning).
      const count = admins.length === 0 ? 1 : Token.asNumber(Fn.conditional(Fn.contains(admins, deployerArn), 0, 1));
      const access = this.clusterAdmin("deployer", deployerArn, adminPolicyArn, count);
      // Up to 0.1 the deployer's entry was always on and came after the listed admins.
      movedToInstance(access.entry, addressAt(access.entry.terraformResourceType, this, `admin-${adminPrincipalArns.length}`, "access-entry"), 0);
      movedToInstance(access.association, addressAt(access.association.terraformResourceType, this, `admin-${adminPrincipalArns.length}`, "cluster-admin"), 0);
    }

    // Auto Mode nodes bring networking and DNS built in; managed node groups beside them still need the networking
    // add-ons and CoreDNS (eks-add-ons.adoc, see autoModeCoreDnsConfiguration). With a system node group CoreDNS runs
    // there as usual; without one it tolerates the node groups' taints (GPU groups are tainted) and runs on them.
    const nonAutoNodes = autoMode ? autoMode.managedNodeGroups || autoMode.systemNodeGroup : true;
    const addonNames = nonAutoNodes ? MANAGED_ADDONS : [];
    const coreDnsOnNodeGroups = autoMode !== undefined && !autoMode.systemNodeGroup;
    for (const addonName of addonNames) {
      this.addons.set(
        addonName,
        new EksAddon(this, `addon-${addonName}`, {
          clusterName: this.cluster.name,
          addonName,
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          ...(addonName === "coredns" && coreDnsOnNodeGroups ? { configurationValues: autoModeCoreDnsConfiguration(autoMode.nodeGroupTaints ?? []) } : {}),
        }),
      );
    }

    this.clusterName = this.cluster.name;
    this.clusterEndpoint = this.cluster.endpoint;
    this.clusterCertificateAuthority = this.cluster.certificateAuthority.get(0).data;
    this.clusterArn = this.cluster.arn;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;
    this.nodeSecurityGroupId = nodeSecurityGroup.id;
    this.nodeRoleArn = nodeRole.arn;
    this.nodeRoleName = nodeRole.name;
    this.secretsKmsKeyArn = secretsKey.keyArn;
  }

  /** A STANDARD access entry with cluster-wide AmazonEKSClusterAdminPolicy, under its own scope. */
  private clusterAdmin(
    id: string,
    principalArn: string,
    policyArn: string,
    count?: number,
  ): { entry: EksAccessEntry; association: EksAccessPolicyAssociation } {
    const scope = new Construct(this, id);
    const entry = new EksAccessEntry(scope, "access-entry", { clusterName: this.cluster.name, principalArn, type: "STANDARD", count });
    const association = new EksAccessPolicyAssociation(scope, "cluster-admin", {
      clusterName: this.cluster.name,
      principalArn,
      policyArn,
      accessScope: { type: "cluster" },
      count,
      dependsOn: [entry],
    });
    return { entry, association };
  }

  /** Add-ons that must exist before nodes join (networking); node groups depend on these. */
  get networkingAddons(): readonly ITerraformDependable[] {
    return [...this.addons].filter(([name]) => name !== "coredns").map(([, addon]) => addon);
  }

  /** Makes the add-ons that need running nodes (CoreDNS) wait for the given node group. */
  addonsNeedNodesFrom(nodeGroup: ITerraformDependable): void {
    const coredns = this.addons.get("coredns");
    if (!coredns) return;
    coredns.dependsOn = [...(coredns.dependsOn ?? []), dependable(nodeGroup)];
  }
}
