import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { Construct } from "constructs";
import type { AwsContext } from "../../../lib/aws-context";
import { managedPolicyArn } from "../../../lib/iam";
import { checkedName } from "../../../lib/naming";
import { PodIdentityRole } from "../../pod-identity-role";

export const OBSERVABILITY_ADDON = "amazon-cloudwatch-observability";

/** The add-on's agent, whose service account the role is associated with. */
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = { namespace: "amazon-cloudwatch", name: "cloudwatch-agent" } as const;

/** Log groups Container Insights writes; created here first so retention and encryption are ours. */
export const CONTAINER_INSIGHTS_LOG_GROUPS = ["application", "dataplane", "host", "performance"] as const;

export interface ClusterObservabilityProps {
  /** The EKS cluster the add-on is installed on; names the Container Insights log groups. */
  readonly clusterName: string;
  /** Account, partition and region of the cluster (the agent role's trust, the managed policy ARN). */
  readonly aws: Pick<AwsContext, "accountId" | "partition" | "region">;
  /** Retention of the Container Insights log groups. */
  readonly logRetentionDays: number;
  /** Encrypts the Container Insights log groups. */
  readonly logsKmsKeyArn: string;
}

/**
 * Container logs and metrics through the CloudWatch Observability EKS add-on: its agent assumes a Pod Identity role
 * with the CloudWatch agent policy, and the Container Insights log groups exist beforehand with the environment's
 * retention and a KMS key.
 */
export class ClusterObservability extends Construct {
  constructor(scope: Construct, id: string, props: ClusterObservabilityProps) {
    super(scope, id);
    const logGroups = CONTAINER_INSIGHTS_LOG_GROUPS.map(
      (kind) =>
        new CloudwatchLogGroup(this, `log-group-${kind}`, {
          name: checkedName("aws_cloudwatch_log_group.name", `/aws/containerinsights/${props.clusterName}/${kind}`),
          retentionInDays: props.logRetentionDays,
          kmsKeyId: props.logsKmsKeyArn,
        }),
    );
    const role = new PodIdentityRole(this, "agent", {
      clusterName: props.clusterName,
      aws: props.aws,
      roleName: `${props.clusterName}-cloudwatch-agent`,
      serviceAccounts: [CLOUDWATCH_AGENT_SERVICE_ACCOUNT],
      managedPolicyArns: [managedPolicyArn(props.aws.partition, "CloudWatchAgentServerPolicy")],
      // The add-on associates the role with its own service account.
      associate: false,
    });
    new EksAddon(this, "addon", {
      clusterName: props.clusterName,
      addonName: OBSERVABILITY_ADDON,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      podIdentityAssociation: [{ roleArn: role.roleArn, serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT.name }],
      configurationValues: JSON.stringify({ containerLogs: { enabled: true } }),
      dependsOn: logGroups,
    });
  }
}
