import { Release } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { KARPENTER_CHART, karpenterHelmValues } from "./helm-values";
import type { KarpenterNames } from "./names";

export interface KarpenterReleaseProps {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  readonly names: KarpenterNames;
  readonly chartVersion: string;
  /**
   * Controller replicas.
   * @default 2
   */
  readonly replicas?: number;
  /** The controller's IAM, the nodes' access entry and the interruption queue: created before the controller starts. */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** The Karpenter chart, pinned, with its CRDs; Terraform waits until the controller is ready. */
export class KarpenterRelease extends Construct {
  readonly release: Release;

  constructor(scope: Construct, id: string, props: KarpenterReleaseProps) {
    super(scope, id);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new Error(`karpenter release: replicas must be a whole number >= 1, got ${replicas}`);
    }
    this.release = new Release(this, "release", {
      name: props.names.releaseName,
      namespace: props.names.namespace,
      createNamespace: true,
      chart: KARPENTER_CHART,
      version: props.chartVersion,
      skipCrds: false,
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
      dependsOn: [...props.dependsOn],
    });
  }
}
