import { EKS_VERSIONS, SUPPORTED_EKS_VERSIONS } from "../../../../src/lib/eks-versions";
import { eksRules } from "../../../../src/policy/rules/eks";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const CLUSTER = "resource.aws_eks_cluster.main";
const at = "test-cluster/aws_eks_cluster.main";

describeRuleCases("EKS rules", eksRules, [
  { rule: "BF-EKS-001", when: "all five log types are enabled", change: () => {}, expected: [] },
  { rule: "BF-EKS-007", when: "Auto Mode is off (no compute_config)", change: () => {}, expected: [] },
  {
    rule: "BF-EKS-007",
    when: "Auto Mode is fully on, without self-managed add-ons, on access entries",
    change: (s) =>
      patch(s["test-cluster"]!, CLUSTER, {
        compute_config: { enabled: true, node_pools: ["system"] },
        kubernetes_network_config: { elastic_load_balancing: { enabled: true } },
        storage_config: { block_storage: { enabled: true } },
        bootstrap_self_managed_addons: false,
        access_config: { authentication_mode: "API" },
      }),
    expected: [],
  },
  {
    rule: "BF-EKS-007",
    when: "only compute is on, add-ons bootstrapped and the aws-auth ConfigMap only",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { compute_config: { enabled: true }, access_config: { authentication_mode: "CONFIG_MAP" } }),
    expected: [
      `${at}: EKS Auto Mode is half on (compute_config.enabled); kubernetes_network_config.elastic_load_balancing.enabled, storage_config.block_storage.enabled must be true as well`,
      `${at}: EKS Auto Mode cluster bootstraps the self-managed add-ons (bootstrap_self_managed_addons is not false): they would run beside Auto Mode's own`,
      `${at}: EKS Auto Mode needs access entries, but access_config.authentication_mode is CONFIG_MAP`,
    ],
  },
  {
    rule: "BF-EKS-001",
    when: "scheduler and controllerManager logs are off",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { enabled_cluster_log_types: ["api", "audit", "authenticator"] }),
    expected: [`${at}: control-plane log types not enabled: controllerManager, scheduler`],
  },
  { rule: "BF-EKS-002", when: "secrets use a KMS key", change: () => {}, expected: [] },
  {
    rule: "BF-EKS-002",
    when: "there is no encryption_config",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { encryption_config: undefined }),
    expected: [`${at}: Kubernetes secrets are not envelope-encrypted (no encryption_config for "secrets")`],
  },
  {
    rule: "BF-EKS-002",
    when: "the encryption config has no key",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { encryption_config: { resources: ["secrets"], provider: {} } }),
    expected: [`${at}: encryption_config has no provider.key_arn`],
  },
  {
    rule: "BF-EKS-003",
    when: "the public endpoint is restricted to named CIDRs",
    change: (s) =>
      patch(s["test-cluster"]!, CLUSTER, {
        vpc_config: { endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] },
      }),
    expected: [],
  },
  {
    rule: "BF-EKS-003",
    when: "the endpoint is public by default with no CIDRs and private access off",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { vpc_config: { subnet_ids: [] } }),
    expected: [
      `${at}: the private API endpoint is disabled (endpoint_private_access is not true)`,
      `${at}: the public API endpoint is open to 0.0.0.0/0 (no public_access_cidrs)`,
    ],
  },
  {
    rule: "BF-EKS-003",
    when: "the public endpoint allows 0.0.0.0/0",
    change: (s) =>
      patch(s["test-cluster"]!, CLUSTER, { vpc_config: { endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"] } }),
    expected: [`${at}: the public API endpoint allows 0.0.0.0/0`],
  },
  { rule: "BF-EKS-004", when: "the version is supported", change: () => {}, expected: [] },
  {
    rule: "BF-EKS-004",
    when: "the version is out of support",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { version: "1.27" }),
    expected: [`${at}: Kubernetes 1.27 is not supported by EKS (supported: ${SUPPORTED_EKS_VERSIONS.join(", ")})`],
  },
  {
    rule: "BF-EKS-004",
    when: "a listed version has left extended support by the evaluation date",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { version: "1.34" }),
    today: new Date(`${EKS_VERSIONS["1.34"]!.endOfExtendedSupport}T00:00:00Z`.replace(/^(\d{4})/, (year) => String(Number(year) + 1))),
    expected: [`${at}: Kubernetes 1.34 left EKS extended support on ${EKS_VERSIONS["1.34"]!.endOfExtendedSupport}`],
  },
  {
    rule: "BF-EKS-004",
    when: "the version is not pinned",
    change: (s) => patch(s["test-cluster"]!, CLUSTER, { version: undefined }),
    expected: [`${at}: version is not pinned (EKS would pick its default and upgrade it under you)`],
  },
  {
    rule: "BF-EKS-005",
    when: "SSH is limited to source security groups",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_eks_node_group.gpu", {
        remote_access: { ec2_ssh_key: "ops", source_security_group_ids: ["${aws_security_group.nodes.id}"] },
      }),
    expected: [],
  },
  {
    rule: "BF-EKS-005",
    when: "an SSH key is set without source security groups",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_eks_node_group.gpu", { remote_access: { ec2_ssh_key: "ops" } }),
    expected: ['test-cluster/aws_eks_node_group.gpu: SSH key "ops" is reachable from 0.0.0.0/0 (no source_security_group_ids)'],
  },
  { rule: "BF-EKS-006", when: "the node group launches from a launch template", change: () => {}, expected: [] },
  {
    rule: "BF-EKS-006",
    when: "a node group has no launch template",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_eks_node_group.system", {
        cluster_name: "${aws_eks_cluster.main.name}",
        node_group_name: "system",
        node_role_arn: "${aws_iam_role.node.arn}",
        subnet_ids: ["${aws_subnet.private_a.id}"],
        scaling_config: { min_size: 2, max_size: 3, desired_size: 2 },
      }),
    expected: [
      "test-cluster/aws_eks_node_group.system: node group has no launch template, so EKS launches its nodes with IMDSv1 allowed and a metadata hop limit of 2 (pods can read the node role's credentials)",
    ],
  },
]);
