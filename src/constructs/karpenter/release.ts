import { Release } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { KARPENTER_CHART, KARPENTER_CRD_CHART, karpenterHelmValues } from "./helm-values";
import type { KarpenterNames } from "./names";

export interface KarpenterReleaseProps {
  /** The EKS cluster Karpenter manages (Helm `settings.clusterName`). */
  readonly clusterName: string;
  /** API server endpoint (Helm `settings.clusterEndpoint`), so the controller needn't call DescribeCluster at start. */
  readonly clusterEndpoint: string;
  /** Namespace, release, service account and queue names shared with the AWS side. */
  readonly names: KarpenterNames;
  /** Version of both the controller chart and its CRD chart; they must move together. */
  readonly chartVersion: string;
  /**
   * Controller replicas.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Fewest nodes the controller may run on (the system node group's min_size). The chart requires each replica on a
   * node of its own, so more replicas than nodes leave one Pending and the atomic release fails.
   */
  readonly systemNodeMinSize: number;
  /** The controller's IAM, the nodes' access entry and the interruption queue: created before the controller starts. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/**
 * The Karpenter chart, pinned, with its CRDs; Terraform waits until the controller is ready. Helm installs a chart's
 * bundled CRDs on first install only and never upgrades them, so the CRDs come from the `karpenter-crd` chart at the
 * same version, as a release of their own applied before the controller: raising `chart_version` upgrades both.
 * (A cluster whose CRDs an older blockfleet installed through the controller chart needs them labelled
 * `app.kubernetes.io/managed-by=Helm` and annotated `meta.helm.sh/release-name=karpenter-crd`,
 * `meta.helm.sh/release-namespace=karpenter` once, so Helm adopts them.)
 */
export class KarpenterRelease extends Construct {
  readonly release: Release;
  readonly crdRelease: Release;

  constructor(scope: Construct, id: string, props: KarpenterReleaseProps) {
    super(scope, id);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new Error(`karpenter release: replicas must be a whole number >= 1, got ${replicas}`);
    }
    if (replicas > props.systemNodeMinSize) {
      throw new Error(
        `karpenter release: replicas must not exceed systemNodeMinSize (each replica needs a system node of its own; karpenter.replicas vs system_node_group.min_size), got replicas=${replicas}, systemNodeMinSize=${props.systemNodeMinSize}`,
      );
    }
    this.crdRelease = new Release(this, "crds", {
      name: `${props.names.releaseName}-crd`,
      namespace: props.names.namespace,
      createNamespace: true,
      chart: KARPENTER_CRD_CHART,
      version: props.chartVersion,
      wait: true,
      atomic: true,
      timeout: 300,
    });
    this.release = new Release(this, "release", {
      name: props.names.releaseName,
      namespace: props.names.namespace,
      createNamespace: true,
      chart: KARPENTER_CHART,
      version: props.chartVersion,
      // The CRDs belong to the release above; two owners would fight over them.
      skipCrds: true,
      wait: true,
      atomic: true,
      timeout: 600,
      values: [
        // JSON is YAML; Terraform resolves the endpoint token inside the string.
        JSON.stringify(
          karpenterHelmValues({
            clusterName: props.clusterName,
            clusterEndpoint: props.clusterEndpoint,
            interruptionQueueName: props.names.queueName,
            serviceAccountName: props.names.serviceAccount,
            replicas,
          }),
        ),
      ],
      dependsOn: [...props.dependsOn, this.crdRelease],
    });
  }
}
