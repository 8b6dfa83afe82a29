import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { type Grantee, keyThroughServiceStatement } from "../../lib/iam";
import { resourcePolicyDocument } from "./permissions";

export interface NotificationTopicProps {
  /** Physical topic name. */
  readonly topicName: string;
  /** Customer-managed key encrypting the topic; publishers get it through SNS only. */
  readonly kmsKeyArn: string;
  /** Account, partition and region of the topic (the alarms allowed to publish are this account's). */
  readonly aws: AwsContext;
  /** Prefix of the CloudWatch alarm names allowed to publish. */
  readonly alarmNamePrefix: string;
  /**
   * Address subscribed to the topic; it must confirm the subscription.
   * @default none
   */
  readonly email?: string;
}

/**
 * Approvals, alerts and alarms: a KMS-encrypted topic whose policy lets only this account's alarms (by name prefix)
 * publish as a service; everything else needs an identity policy (see grantPublish).
 */
export class NotificationTopic extends Construct {
  readonly topicArn: string;
  private readonly kmsKeyArn: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const { accountId, partition, region } = props.aws;
    const topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.kmsKeyArn });
    new SnsTopicPolicy(this, "policy", {
      arn: topic.arn,
      policy: resourcePolicyDocument([
        {
          Sid: "AlarmsPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: {
            ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${props.alarmNamePrefix}*` },
            StringEquals: { "aws:SourceAccount": accountId },
          },
        },
      ]),
    });
    if (props.email !== undefined) {
      new SnsTopicSubscription(this, "email", { topicArn: topic.arn, protocol: "email", endpoint: props.email });
    }
    this.topicArn = topic.arn;
    this.kmsKeyArn = props.kmsKeyArn;
    this.region = region;
  }

  /** Lets the grantee publish to the topic, and use its key through SNS only. */
  grantPublish(grantee: Grantee): void {
    grantee.addToRolePolicy({ Sid: "PublishNotifications", Effect: "Allow", Action: "sns:Publish", Resource: this.topicArn });
    grantee.addToRolePolicy(keyThroughServiceStatement("NotificationTopicKey", this.kmsKeyArn, "sns", this.region));
  }
}
