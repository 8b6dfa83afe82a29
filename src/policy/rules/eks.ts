import { EKS_VERSIONS } from "../../lib/eks-versions";
import { firstBlock, stringList } from "../model";
import { hasValue, isTrue, type Rule, resourceRule } from "./rule";

const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

export const eksRules: readonly Rule[] = [
  resourceRule({
    id: "BF-EKS-001",
    checkovId: "CKV_AWS_37",
    title: "EKS control-plane logging for all log types",
    fix: `set enabled_cluster_log_types = ${JSON.stringify(CONTROL_PLANE_LOG_TYPES)}`,
    types: ["aws_eks_cluster"],
    test: (cluster) => {
      const enabled = new Set(stringList(cluster.config["enabled_cluster_log_types"]));
      const missing = CONTROL_PLANE_LOG_TYPES.filter((type) => !enabled.has(type));
      return missing.length > 0 ? `control-plane log types not enabled: ${missing.join(", ")}` : undefined;
    },
  }),
  resourceRule({
    id: "BF-EKS-002",
    checkovId: "CKV_AWS_58",
    title: "EKS secrets encrypted with a KMS key",
    fix: 'add encryption_config { resources = ["secrets"], provider { key_arn = <customer managed key> } }',
    types: ["aws_eks_cluster"],
    test: (cluster) => {
      const encryption = firstBlock(cluster.config["encryption_config"]);
      if (!encryption || !stringList(encryption["resources"]).includes("secrets")) {
        return 'Kubernetes secrets are not envelope-encrypted (no encryption_config for "secrets")';
      }
      return hasValue(firstBlock(encryption["provider"])?.["key_arn"]) ? undefined : "encryption_config has no provider.key_arn";
    },
  }),
  resourceRule({
    id: "BF-EKS-003",
    checkovId: "CKV_AWS_38",
    title: "EKS endpoint private, public only with restricted CIDRs",
    fix: "set vpc_config.endpoint_private_access = true and either endpoint_public_access = false or public_access_cidrs to specific ranges",
    types: ["aws_eks_cluster"],
    test: (cluster) => {
      const vpc = firstBlock(cluster.config["vpc_config"]) ?? {};
      const problems: string[] = [];
      if (!isTrue(vpc["endpoint_private_access"])) problems.push("the private API endpoint is disabled (endpoint_private_access is not true)");
      // AWS enables the public endpoint unless told otherwise.
      const isPublic = vpc["endpoint_public_access"] === undefined || isTrue(vpc["endpoint_public_access"]);
      if (isPublic) {
        const cidrs = stringList(vpc["public_access_cidrs"]);
        if (cidrs.length === 0) problems.push("the public API endpoint is open to 0.0.0.0/0 (no public_access_cidrs)");
        else if (cidrs.some((cidr) => OPEN_CIDRS.has(cidr)))
          problems.push(`the public API endpoint allows ${cidrs.filter((cidr) => OPEN_CIDRS.has(cidr)).join(", ")}`);
      }
      return problems;
    },
  }),
  resourceRule({
    id: "BF-EKS-004",
    checkovId: "CKV_AWS_339",
    title: "EKS runs a supported Kubernetes version",
    fix: `set version to one of ${Object.keys(EKS_VERSIONS).join(", ")}`,
    types: ["aws_eks_cluster"],
    test: (cluster, { today }) => {
      const version = cluster.config["version"];
      if (typeof version !== "string") return "version is not pinned (EKS would pick its default and upgrade it under you)";
      const support = EKS_VERSIONS[version];
      if (!support) return `Kubernetes ${version} is not supported by EKS (supported: ${Object.keys(EKS_VERSIONS).join(", ")})`;
      if (support.endOfExtendedSupport < today.toISOString().slice(0, 10)) {
        return `Kubernetes ${version} left EKS extended support on ${support.endOfExtendedSupport}`;
      }
      return undefined;
    },
  }),
  resourceRule({
    id: "BF-EKS-005",
    checkovId: "CKV_AWS_100",
    title: "No node group SSH key without source security groups",
    fix: "remove remote_access, or set remote_access.source_security_group_ids",
    types: ["aws_eks_node_group"],
    test: (group) => {
      const remote = firstBlock(group.config["remote_access"]);
      if (!remote || !hasValue(remote["ec2_ssh_key"])) return undefined;
      return stringList(remote["source_security_group_ids"]).length === 0
        ? `SSH key "${String(remote["ec2_ssh_key"])}" is reachable from 0.0.0.0/0 (no source_security_group_ids)`
        : undefined;
    },
  }),
  resourceRule({
    id: "BF-EKS-006",
    checkovId: "",
    title: "Node groups launch from a launch template",
    fix: "give the node group a launch_template whose metadata_options require IMDSv2 with hop limit 1 (BF-EC2-001/002 check it)",
    types: ["aws_eks_node_group"],
    test: (group) =>
      hasValue(firstBlock(group.config["launch_template"])?.["id"]) || hasValue(firstBlock(group.config["launch_template"])?.["name"])
        ? undefined
        : "node group has no launch template, so EKS launches its nodes with IMDSv1 allowed and a metadata hop limit of 2 (pods can read the node role's credentials)",
  }),
  resourceRule({
    id: "BF-EKS-007",
    checkovId: "",
    title: "EKS Auto Mode all on or all off, on access entries, without self-managed add-ons",
    fix: 'with compute_config.enabled = true also set kubernetes_network_config.elastic_load_balancing.enabled and storage_config.block_storage.enabled to true, bootstrap_self_managed_addons = false and access_config.authentication_mode = "API"',
    types: ["aws_eks_cluster"],
    test: (cluster) => {
      // The provider refuses a partial set (terraform-provider-aws internal/service/eks/cluster.go, validateAutoModeCustomizeDiff).
      const capabilities = {
        "compute_config.enabled": firstBlock(cluster.config["compute_config"])?.["enabled"],
        "kubernetes_network_config.elastic_load_balancing.enabled": firstBlock(
          firstBlock(cluster.config["kubernetes_network_config"])?.["elastic_load_balancing"],
        )?.["enabled"],
        "storage_config.block_storage.enabled": firstBlock(firstBlock(cluster.config["storage_config"])?.["block_storage"])?.["enabled"],
      };
      const on = Object.entries(capabilities)
        .filter(([, value]) => isTrue(value))
        .map(([name]) => name);
      if (on.length === 0) return undefined;
      const problems: string[] = [];
      if (on.length < 3) {
        problems.push(
          `EKS Auto Mode is half on (${on.join(", ")}); ${Object.keys(capabilities)
            .filter((name) => !on.includes(name))
            .join(", ")} must be true as well`,
        );
      }
      if (cluster.config["bootstrap_self_managed_addons"] !== false && cluster.config["bootstrap_self_managed_addons"] !== "false") {
        problems.push(
          "EKS Auto Mode cluster bootstraps the self-managed add-ons (bootstrap_self_managed_addons is not false): they would run beside Auto Mode's own",
        );
      }
      const mode = firstBlock(cluster.config["access_config"])?.["authentication_mode"];
      if (mode !== "API" && mode !== "API_AND_CONFIG_MAP") {
        problems.push(`EKS Auto Mode needs access entries, but access_config.authentication_mode is ${mode === undefined ? "unset" : String(mode)}`);
      }
      return problems;
    },
  }),
];
