import { DataAwsDbInstance } from "@cdktf/provider-aws/lib/data-aws-db-instance";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Construct } from "constructs";
import type { PlatformConfig } from "../src/config/platform-schema";
import { EksClusterAccess } from "../src/constructs/cluster-access";
import { controllerPlacement, PlatformCharts } from "../src/constructs/platform/charts";
import { ClusterLookup } from "../src/constructs/platform/cluster-lookup";
import { platformNames, platformSecretKinds } from "../src/constructs/platform/common/names";
import type { GpuFleet } from "../src/constructs/platform/gpu-scheduling";
import {
  albIngressClass,
  albIngressClassParams,
  autoModeAlbIngressClass,
  autoModeAlbIngressClassParams,
  clusterSecretStore,
  externalSecrets,
  type KubernetesObject,
  ManifestSet,
} from "../src/constructs/platform/manifests";
import type { PlatformSecretKind } from "../src/constructs/platform/secrets";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

export interface PlatformKubernetesStackProps extends Omit<EnvironmentStackProps, "stateBackend"> {
  readonly platform: PlatformConfig;
}

/** True when the platform section installs anything into the cluster. */
export function platformHasCharts(platform: PlatformConfig): boolean {
  return [platform.external_secrets, platform.load_balancer_controller, platform.gpu, platform.reloader].some((part) => part !== undefined);
}

/** True when the platform section needs objects of the charts' custom resource kinds. */
export function platformHasManifests(platform: PlatformConfig): boolean {
  return platform.external_secrets !== undefined || platform.load_balancer_controller !== undefined || platform.auto_mode_ingress !== undefined;
}

function gpuFleet(stack: EnvironmentStack): GpuFleet {
  const { config } = stack;
  // Karpenter-consumed blocks have no node group: their nodes are Karpenter's and covered by its term.
  return {
    capacityBlocks: config.capacity_blocks.filter((block) => block.consumer === "node_group"),
    karpenterAmiFamily: config.karpenter.enabled ? config.karpenter.ami_family : undefined,
    ...(config.cluster.auto_mode ? { autoMode: true } : {}),
  };
}

/**
 * `<env>-platform-k8s`, after `<env>-platform`: the Helm releases (External Secrets, the load balancer controller,
 * GPU device plugins and exporters, Reloader) and the namespace synced secrets go to. The charts bring their CRDs.
 */
export class PlatformKubernetesStack extends EnvironmentStack {
  constructor(scope: Construct, props: PlatformKubernetesStackProps) {
    super(scope, "platform-k8s", props);
    const { config, names } = this;
    const { platform } = props;
    const access = new EksClusterAccess(this, "cluster-access", { clusterName: names.clusterName, region: config.region });
    new HelmProvider(this, "helm", { kubernetes: { host: access.endpoint, clusterCaCertificate: access.clusterCaCertificate, exec: access.exec } });
    new KubernetesProvider(this, "kubernetes", { host: access.endpoint, clusterCaCertificate: access.clusterCaCertificate, exec: [access.exec] });
    const vpcId = platform.load_balancer_controller ? new ClusterLookup(this, "cluster", { clusterName: names.clusterName }).vpcId : undefined;

    new PlatformCharts(this, "charts", {
      clusterName: names.clusterName,
      region: config.region,
      vpcId,
      fleet: gpuFleet(this),
      externalSecrets: platform.external_secrets !== undefined,
      loadBalancerController: platform.load_balancer_controller !== undefined,
      nvidiaDevicePlugin: platform.gpu?.nvidia_device_plugin ?? false,
      gpuOperator: platform.gpu?.gpu_operator ?? false,
      efaDevicePlugin: platform.gpu ? platform.gpu.efa_device_plugin : false,
      dcgmExporter: platform.gpu?.dcgm_exporter ?? false,
      dcgmServiceMonitor: platform.gpu?.dcgm_service_monitor ?? false,
      reloader: platform.reloader !== undefined,
      controllers: controllerPlacement(config.cluster),
    });
    if (platform.external_secrets) {
      new NamespaceV1(this, "workload-namespace", {
        metadata: { name: platform.external_secrets.namespace, labels: { "app.kubernetes.io/managed-by": "blockfleet" } },
      });
    }
  }
}

/**
 * `<env>-platform-manifests`, after `<env>-platform-k8s`: the ClusterSecretStore, the ExternalSecrets and the ALB
 * ingress class. kubernetes_manifest needs the CRDs at plan time, so these can't share a stack with the charts.
 */
export class PlatformManifestsStack extends EnvironmentStack {
  constructor(scope: Construct, props: PlatformKubernetesStackProps) {
    super(scope, "platform-manifests", props);
    const { config, names } = this;
    const { platform } = props;
    const named = platformNames(names);
    const access = new EksClusterAccess(this, "cluster-access", { clusterName: names.clusterName, region: config.region });
    new KubernetesProvider(this, "kubernetes", { host: access.endpoint, clusterCaCertificate: access.clusterCaCertificate, exec: [access.exec] });

    const objects: KubernetesObject[] = [];
    if (platform.external_secrets) {
      const existing: Partial<Record<PlatformSecretKind, string>> = Object.fromEntries(
        platformSecretKinds(platform).map((kind) => [kind, named.secrets[kind]]),
      );
      // The master secret's name (rds!db-<uuid>) is chosen by RDS; the instance tells it.
      const databaseMasterSecretArn = platform.database
        ? new DataAwsDbInstance(this, "database", { dbInstanceIdentifier: named.databaseIdentifier }).masterUserSecret.get(0).secretArn
        : undefined;
      objects.push(
        clusterSecretStore({ region: config.region, namespaces: [platform.external_secrets.namespace] }),
        ...externalSecrets({ namespace: platform.external_secrets.namespace, secretNames: existing, databaseMasterSecretArn }),
      );
    }
    if (platform.load_balancer_controller) {
      objects.push(
        albIngressClassParams({ certificateArn: platform.load_balancer_controller.certificate_arn, scheme: platform.load_balancer_controller.scheme }),
        albIngressClass(),
      );
    }
    if (platform.auto_mode_ingress) {
      const ingress = platform.auto_mode_ingress;
      objects.push(autoModeAlbIngressClassParams({ certificateArn: ingress.certificate_arn, scheme: ingress.scheme }), autoModeAlbIngressClass());
    }
    new ManifestSet(this, "manifests", { objects });
  }
}
