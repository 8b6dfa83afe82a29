/** Values for the Karpenter Helm chart, as a plain object (the release serializes it). */
import { SYSTEM_NODE_LABEL } from "../system-node-group";

export const KARPENTER_CHART = "oci://public.ecr.aws/karpenter/karpenter";
/** The same release's CRDs as a chart of their own, so an upgrade of the controller upgrades them too. */
export const KARPENTER_CRD_CHART = "oci://public.ecr.aws/karpenter/karpenter-crd";

export interface KarpenterHelmValuesInput {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  readonly interruptionQueueName: string;
  readonly serviceAccountName: string;
  readonly replicas: number;
}

/**
 * Controller requests equal limits (Guaranteed QoS): a throttled or evicted controller stops all provisioning.
 * 1 CPU / 1 GiB is upstream's recommendation for clusters of a few hundred nodes.
 */
export const CONTROLLER_RESOURCES = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } as const;

export function karpenterHelmValues(input: KarpenterHelmValuesInput): Record<string, unknown> {
  return {
    settings: {
      clusterName: input.clusterName,
      clusterEndpoint: input.clusterEndpoint,
      interruptionQueue: input.interruptionQueueName,
      // On by default since 1.6; explicit because capacity blocks depend on it.
      featureGates: { reservedCapacity: true },
    },
    replicas: input.replicas,
    serviceAccount: { create: true, name: input.serviceAccountName },
    // On the system node group: Karpenter must never run on nodes it manages itself.
    nodeSelector: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
    controller: { resources: CONTROLLER_RESOURCES },
    podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
  };
}
