import { Release } from "@cdktf/provider-helm/lib/release";
import { Construct } from "constructs";
import { SYSTEM_NODE_LABEL } from "../../system-node-group";
import { devicePluginNodeTerms, fleetUsesEfa, type GpuFleet, gpuTolerations, nvidiaNodeTerms, requiredNodeAffinity } from "../gpu-scheduling";

export interface ChartPin {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

/** Charts the platform installs, pinned; upgrading one is a reviewed change to this table. */
export const PLATFORM_CHARTS = {
  externalSecrets: { repository: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.0.1" },
  loadBalancerController: { repository: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "1.14.0" },
  nvidiaDevicePlugin: { repository: "https://nvidia.github.io/k8s-device-plugin", chart: "nvidia-device-plugin", version: "0.19.1" },
  gpuOperator: { repository: "https://helm.ngc.nvidia.com/nvidia", chart: "gpu-operator", version: "v25.10.1" },
  efaDevicePlugin: { repository: "https://aws.github.io/eks-charts", chart: "aws-efa-k8s-device-plugin", version: "v0.5.29" },
  dcgmExporter: { repository: "https://nvidia.github.io/dcgm-exporter/helm-charts", chart: "dcgm-exporter", version: "4.7.0" },
  reloader: { repository: "https://stakater.github.io/stakater-charts", chart: "reloader", version: "2.2.16" },
} as const satisfies Record<string, ChartPin>;

/** Service accounts of the controllers that assume IAM roles (their Pod Identity associations name these). */
export const CONTROLLER_SERVICE_ACCOUNTS = {
  externalSecrets: { namespace: "external-secrets", name: "external-secrets" },
  loadBalancerController: { namespace: "kube-system", name: "aws-load-balancer-controller" },
} as const;

export interface PlatformChartsProps {
  /** The EKS cluster (load balancer controller `clusterName`). */
  readonly clusterName: string;
  /** The cluster's region (load balancer controller `region`). */
  readonly region: string;
  /**
   * The cluster's VPC; required with the load balancer controller.
   * @default undefined — only valid while loadBalancerController is false
   */
  readonly vpcId?: string;
  /** The GPU nodes there are, which decide where device plugins and exporters run and which taints they tolerate. */
  readonly fleet: GpuFleet;
  /** Install External Secrets Operator with its CRDs. */
  readonly externalSecrets: boolean;
  /** Install the AWS Load Balancer Controller. */
  readonly loadBalancerController: boolean;
  /** Install the NVIDIA device plugin on the AL2023 NVIDIA nodes (skipped when there are none). */
  readonly nvidiaDevicePlugin: boolean;
  /** Install the NVIDIA GPU Operator (driver and toolkit off) instead of the standalone plugin. */
  readonly gpuOperator: boolean;
  /** Install the EFA device plugin; undefined means on when a capacity block uses EFA. */
  readonly efaDevicePlugin: boolean | undefined;
  /** Install the DCGM exporter (through the GPU Operator when that is on). */
  readonly dcgmExporter: boolean;
  /**
   * Let the DCGM exporter render its ServiceMonitor; needs the Prometheus Operator CRDs already in the cluster.
   * @default false — the standalone chart renders one by default (dcgm-exporter 4.7.0), which fails without the CRDs
   */
  readonly dcgmServiceMonitor?: boolean;
  /** Install Stakater Reloader. */
  readonly reloader: boolean;
  /**
   * Where the controllers (External Secrets, Reloader, the GPU Operator and its NFD master) run.
   * @default SYSTEM_NODE_GROUP_PLACEMENT — blockfleet's system node group
   */
  readonly controllers?: ControllerPlacement;
}

/** Nodes a controller runs on: a node selector and the tolerations for those nodes' taints. */
export interface ControllerPlacement {
  /** Labels the nodes carry. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations of those nodes' taints; empty leaves each chart's default tolerations alone. */
  readonly tolerations: ReadonlyArray<{
    /** Taint key tolerated. */
    readonly key: string;
    /** Any value of that key. */
    readonly operator: "Exists";
  }>;
}

/** blockfleet's system node group (untainted, labelled blockfleet.io/node-role=system). */
export const SYSTEM_NODE_GROUP_PLACEMENT: ControllerPlacement = { nodeSelector: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value }, tolerations: [] };

/**
 * EKS Auto Mode's built-in `system` pool: its nodes carry `karpenter.sh/nodepool: system` and the `CriticalAddonsOnly`
 * taint (awsdocs/amazon-eks-user-guide latest/ug/automode/critical-workload.adoc at
 * 390223ef50785e42bd70f41d6d5216d8261b1627 and set-builtin-node-pools.adoc at 01c16ed8b31533d1b829b7e185345e3af01ce43b).
 */
export const AUTO_MODE_SYSTEM_POOL_PLACEMENT: ControllerPlacement = {
  nodeSelector: { "karpenter.sh/nodepool": "system" },
  tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
};

/**
 * Where the platform's controllers run: Auto Mode's built-in system pool when it is on (there is no system node group
 * then), else the system node group (also on Auto Mode without its system pool, where blockfleet keeps one).
 */
export function controllerPlacement(cluster: { readonly auto_mode: boolean; readonly auto_mode_node_pools: readonly string[] }): ControllerPlacement {
  return cluster.auto_mode && cluster.auto_mode_node_pools.includes("system") ? AUTO_MODE_SYSTEM_POOL_PLACEMENT : SYSTEM_NODE_GROUP_PLACEMENT;
}

/** Chart values placing pods: the node selector, and tolerations only when there are some (an empty list would drop a chart's defaults). */
function placementValues(placement: ControllerPlacement): Record<string, unknown> {
  return {
    nodeSelector: { ...placement.nodeSelector },
    ...(placement.tolerations.length > 0 ? { tolerations: placement.tolerations.map((toleration) => ({ ...toleration })) } : {}),
  };
}

/**
 * The platform's Helm releases. Controllers run on the system node group with two replicas where the chart supports
 * it; GPU daemons tolerate the GPU taints and select only the nodes that need them. CRDs come with the charts, so
 * resources of those kinds live in a later stack.
 */
export class PlatformCharts extends Construct {
  /** Releases by key, for dependencies and tests. */
  readonly releases = new Map<keyof typeof PLATFORM_CHARTS, Release>();

  /**
   * The load balancer controller's release, when installed. Its Service mutating webhook (failurePolicy Fail, every
   * Service but its own) refuses Services while its pods start, so every other release waits for it (`wait = true`).
   */
  private loadBalancerControllerRelease?: Release;

  constructor(scope: Construct, id: string, props: PlatformChartsProps) {
    super(scope, id);
    const tolerations = gpuTolerations(props.fleet);
    const dcgmServiceMonitor = props.dcgmServiceMonitor ?? false;
    const systemNodes = placementValues(props.controllers ?? SYSTEM_NODE_GROUP_PLACEMENT);
    if (props.loadBalancerController) {
      if (props.vpcId === undefined) throw new Error("platform charts: vpcId is required with loadBalancerController, got undefined");
      const account = CONTROLLER_SERVICE_ACCOUNTS.loadBalancerController;
      this.loadBalancerControllerRelease = this.install("loadBalancerController", account.namespace, {
        clusterName: props.clusterName,
        region: props.region,
        // Pods can't reach instance metadata (hop limit 1), so the VPC is given rather than discovered.
        vpcId: props.vpcId,
        replicaCount: 2,
        serviceAccount: { create: true, name: account.name },
        podDisruptionBudget: { maxUnavailable: 1 },
        // The `alb` IngressClass and IngressClassParams belong to <env>-platform-manifests (with the certificate and
        // TLS policy); the chart would create both by default and the manifests would then fail with "already exists".
        createIngressClassResource: false,
        ingressClassParams: { create: false },
        ...systemNodes,
      });
    }

    if (props.externalSecrets) {
      const account = CONTROLLER_SERVICE_ACCOUNTS.externalSecrets;
      this.install("externalSecrets", account.namespace, {
        installCRDs: true,
        replicaCount: 2,
        serviceAccount: { create: true, name: account.name },
        ...systemNodes,
        webhook: { replicaCount: 2, ...systemNodes },
        certController: systemNodes,
      });
    }
    const pluginTerms = devicePluginNodeTerms(props.fleet);
    // No AL2023 NVIDIA nodes means nothing needs the plugin; an empty affinity would match no node anyway.
    if (props.nvidiaDevicePlugin && pluginTerms.length > 0) {
      this.install("nvidiaDevicePlugin", "nvidia-device-plugin", { affinity: requiredNodeAffinity(pluginTerms), tolerations });
    }
    if (props.gpuOperator) {
      this.install("gpuOperator", "gpu-operator", {
        // The EKS accelerated AMIs ship the driver and the container toolkit.
        driver: { enabled: false },
        toolkit: { enabled: false },
        devicePlugin: { enabled: true },
        dcgmExporter: { enabled: props.dcgmExporter, serviceMonitor: { enabled: dcgmServiceMonitor } },
        operator: systemNodes,
        daemonsets: { tolerations },
        "node-feature-discovery": { worker: { tolerations }, master: systemNodes, gc: systemNodes },
      });
    }
    if (props.efaDevicePlugin ?? fleetUsesEfa(props.fleet)) {
      // The chart's own affinity already limits it to EFA-capable instance types.
      this.install("efaDevicePlugin", "kube-system", { tolerations });
    }
    const nvidiaTerms = nvidiaNodeTerms(props.fleet);
    if (props.dcgmExporter && !props.gpuOperator && nvidiaTerms.length > 0) {
      this.install("dcgmExporter", "dcgm-exporter", {
        affinity: requiredNodeAffinity(nvidiaTerms),
        tolerations,
        serviceMonitor: { enabled: dcgmServiceMonitor },
      });
    }
    if (props.reloader) {
      this.install("reloader", "reloader", { reloader: { watchGlobally: true, deployment: { ...systemNodes } } });
    }
  }

  private install(key: keyof typeof PLATFORM_CHARTS, namespace: string, values: Record<string, unknown>): Release {
    const pin = PLATFORM_CHARTS[key];
    const after = this.loadBalancerControllerRelease;
    const release = new Release(this, key, {
      name: pin.chart,
      namespace,
      createNamespace: namespace !== "kube-system",
      repository: pin.repository,
      chart: pin.chart,
      version: pin.version,
      skipCrds: false,
      wait: true,
      atomic: true,
      timeout: 600,
      // JSON is YAML; Terraform resolves tokens (the VPC id) inside the string.
      values: [JSON.stringify(values)],
      dependsOn: after ? [after] : undefined,
    });
    this.releases.set(key, release);
    return release;
  }
}
