import type { Naming } from "../../lib/naming";

/**
 * Physical names of Karpenter's pieces, derived from the environment alone, so the stacks that create them and the
 * stacks that refer to them (Helm values, EC2NodeClass roles) agree without passing tokens between stacks.
 */
export interface KarpenterNames {
  /** Kubernetes namespace of the controller. */
  readonly namespace: string;
  /** The controller's service account; its Pod Identity association names it. */
  readonly serviceAccount: string;
  /** Helm release name. */
  readonly releaseName: string;
  /** SQS queue receiving interruption events; also the Helm `settings.interruptionQueue`. */
  readonly queueName: string;
  /** IAM role of the controller (Pod Identity). */
  readonly controllerRoleName: string;
  /** Role of the nodes Karpenter launches; EC2NodeClasses name it in `spec.role`. */
  readonly nodeRoleName: string;
  /** EventBridge rule name for an interruption event kind, within the 64-character limit. */
  ruleName(kind: string): string;
}

export function karpenterNames(names: Naming): KarpenterNames {
  return {
    namespace: "karpenter",
    serviceAccount: "karpenter",
    releaseName: "karpenter",
    queueName: names.resource("karpenter", "aws_sqs_queue.name"),
    controllerRoleName: names.resource("karpenter-controller", "aws_iam_role.name"),
    nodeRoleName: names.resource("karpenter-node", "aws_iam_role.name"),
    ruleName: (kind) => names.resource(`karpenter-${kind}`, "aws_cloudwatch_event_rule.name"),
  };
}
