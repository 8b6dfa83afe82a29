import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamServiceLinkedRole } from "@cdktf/provider-aws/lib/iam-service-linked-role";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { managedPolicyArn, policyDocument, serviceAssumeRolePolicy } from "../../lib/iam";
import { addressAt } from "../../lib/moves";
import { nodeManagedPolicies } from "../eks-cluster";
import { PodIdentityRole } from "../pod-identity-role";
import { controllerPolicyStatements, zonalShiftStatements } from "./controller-policy";
import type { KarpenterNames } from "./names";

/**
 * EventBridge events Karpenter acts on, by rule suffix: it cordons and drains the node before EC2 takes it away.
 * The capacity-reservation warning is what a capacity block's end (and an interruptible reservation) sends.
 */
export const INTERRUPTION_EVENTS = {
  "spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
  rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
  "state-change": { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
  "scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
  "capacity-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
} as const;

/** Interruption messages are useless after a few minutes; Karpenter's own setup keeps them 300 s. */
export const INTERRUPTION_QUEUE_RETENTION_SECONDS = 300;

export interface KarpenterInfrastructureProps {
  /** The EKS cluster: scopes the controller's permissions and receives the node role's access entry. */
  readonly clusterName: string;
  /** Physical names shared with the Helm release (queue, roles, namespace, service account). */
  readonly names: KarpenterNames;
  /** Partition, region and account the policies are scoped to. */
  readonly aws: AwsContext;
  /**
   * Create the EC2 Spot service-linked role. Creating it when the account already has one fails.
   * @default false
   */
  readonly createSpotServiceLinkedRole?: boolean;
  /**
   * Attach AmazonSSMManagedInstanceCore to the node role (Session Manager on nodes).
   * @default false
   */
  readonly ssmAccess?: boolean;
}

/**
 * The AWS side of Karpenter: a controller role assumed through EKS Pod Identity with upstream-scoped permissions,
 * the node role with its EKS access entry (no aws-auth ConfigMap), the interruption queue and the EventBridge rules
 * feeding it, and optionally the Spot service-linked role.
 */
export class KarpenterInfrastructure extends Construct {
  readonly controllerRoleArn: string;
  readonly nodeRoleArn: string;
  readonly nodeRoleName: string;
  readonly queueName: string;
  readonly queueArn: string;
  /** What must exist before the controller starts: its credentials, the nodes' access, the queue's wiring. */
  readonly readyForController: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: KarpenterInfrastructureProps) {
    super(scope, id);
    const createSpotServiceLinkedRole = props.createSpotServiceLinkedRole ?? false;
    const { names, aws } = props;

    const nodeRole = new IamRole(this, "node-role", {
      name: names.nodeRoleName,
      description: `Nodes Karpenter launches in ${props.clusterName}`,
      assumeRolePolicy: serviceAssumeRolePolicy("ec2.amazonaws.com"),
    });
    const nodePolicies = nodeManagedPolicies(props.ssmAccess ?? false).map(
      (policy) => new IamRolePolicyAttachment(this, `node-role-${policy}`, { role: nodeRole.name, policyArn: managedPolicyArn(aws.partition, policy) }),
    );
    // EC2_LINUX entries map the role to system:nodes; Bottlerocket nodes join through the same type.
    const nodeAccess = new EksAccessEntry(this, "node-access-entry", { clusterName: props.clusterName, principalArn: nodeRole.arn, type: "EC2_LINUX" });

    const queue = new SqsQueue(this, "interruption-queue", {
      name: names.queueName,
      messageRetentionSeconds: INTERRUPTION_QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
    });
    const rules = Object.entries(INTERRUPTION_EVENTS).map(([kind, pattern]) => {
      const ruleScope = new Construct(this, `rule-${kind}`);
      const rule = new CloudwatchEventRule(ruleScope, "rule", {
        name: names.ruleName(kind),
        description: `Karpenter interruption handling for ${props.clusterName}: ${pattern["detail-type"][0]}`,
        eventPattern: JSON.stringify(pattern),
      });
      return { ruleScope, rule };
    });
    const queuePolicy = new SqsQueuePolicy(this, "interruption-queue-policy", {
      queueUrl: queue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Id: "KarpenterInterruptionQueue",
        Statement: [
          {
            // Only the interruption rules above deliver here, not any EventBridge rule of any account.
            Sid: "AllowEventDelivery",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": rules.map(({ rule }) => rule.arn) } },
          },
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "sqs:*",
            Resource: queue.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });
    const targets = rules.map(({ ruleScope, rule }) => {
      return new CloudwatchEventTarget(ruleScope, "target", {
        rule: rule.name,
        targetId: "KarpenterInterruptionQueue",
        arn: queue.arn,
        dependsOn: [queuePolicy],
      });
    });

    const controller = new PodIdentityRole(this, "controller-role", {
      clusterName: props.clusterName,
      aws,
      roleName: names.controllerRoleName,
      description: `Karpenter controller of ${props.clusterName} (EKS Pod Identity)`,
      serviceAccounts: [{ namespace: names.namespace, name: names.serviceAccount }],
      policyName: "karpenter-controller",
      statements: controllerPolicyStatements({
        partition: aws.partition,
        region: aws.region,
        accountId: aws.accountId,
        clusterName: props.clusterName,
        nodeRoleArn: nodeRole.arn,
        interruptionQueueArn: queue.arn,
      }),
    });

    // Until 3261bdb the role, its policy and its association were this construct's own children.
    controller.movedFrom({
      role: addressAt("aws_iam_role", this, "controller-role"),
      policy: addressAt("aws_iam_role_policy", this, "controller-policy"),
      associations: { [`${names.namespace}/${names.serviceAccount}`]: addressAt("aws_eks_pod_identity_association", this, "pod-identity") },
    });

    // A policy of its own, as upstream ships it; its "*" is narrowed by arc-zonal-shift:ResourceIdentifier to this cluster, which BF-IAM-004 recognises.
    const zonalShift = new IamRolePolicy(this, "controller-zonal-shift", {
      role: controller.roleName,
      name: "karpenter-zonal-shift",
      policy: policyDocument(zonalShiftStatements({ partition: aws.partition, region: aws.region, accountId: aws.accountId, clusterName: props.clusterName })),
    });

    const ready: ITerraformDependable[] = [...controller.grants, zonalShift, nodeAccess, ...nodePolicies, ...targets];
    if (createSpotServiceLinkedRole) {
      ready.push(new IamServiceLinkedRole(this, "spot-service-linked-role", { awsServiceName: "spot.amazonaws.com" }));
    }

    this.controllerRoleArn = controller.roleArn;
    this.nodeRoleArn = nodeRole.arn;
    this.nodeRoleName = nodeRole.name;
    this.queueName = queue.name;
    this.queueArn = queue.arn;
    this.readyForController = ready;
  }
}
