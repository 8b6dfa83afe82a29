import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { type Grantee, keyThroughServiceStatement } from "../../lib/iam";
import { checkedName } from "../../lib/naming";
import { type FailureDestination, resourcePolicyDocument } from "./permissions";

export interface DeadLetterQueueProps {
  /** Physical queue name, checked against SQS's limit. */
  readonly queueName: string;
  /** Customer-managed key encrypting the messages; senders get it through SQS only. */
  readonly kmsKeyArn: string;
  /** Region of the queue, for the key's kms:ViaService condition. */
  readonly region: string;
}

/** Fourteen days: the longest SQS keeps a message, time to notice the alarm and replay. */
const RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * Where events that could not be delivered or processed end up: EventBridge deliveries that failed (allowed by
 * the queue policy, per rule ARN) and asynchronous invocations that failed every attempt (granted to the function).
 */
export class DeadLetterQueue extends Construct implements FailureDestination {
  readonly queueArn: string;
  readonly queueName: string;
  private readonly kmsKeyArn: string;
  private readonly region: string;
  private readonly eventRuleArns: string[] = [];

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    const queue = new SqsQueue(this, "queue", {
      name: checkedName("aws_sqs_queue.name", props.queueName),
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: RETENTION_SECONDS,
    });
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.kmsKeyArn = props.kmsKeyArn;
    this.region = props.region;
    new SqsQueuePolicy(this, "policy", {
      queueUrl: queue.url,
      policy: Lazy.stringValue({
        produce: () =>
          resourcePolicyDocument([
            {
              Sid: "EventBridgeDeadLetters",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: queue.arn,
              Condition: { ArnEquals: { "aws:SourceArn": [...this.eventRuleArns] } },
            },
          ]),
      }),
    });
  }

  /** Lets an EventBridge rule put its undeliverable events here. */
  acceptFromEventRule(ruleArn: string): void {
    this.eventRuleArns.push(ruleArn);
  }

  /** Lets the grantee send to the queue, and use its key through SQS only. */
  grantSend(grantee: Grantee): void {
    grantee.addToRolePolicy({ Sid: "SendToDeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.queueArn });
    grantee.addToRolePolicy(keyThroughServiceStatement("DeadLetterQueueKey", this.kmsKeyArn, "sqs", this.region));
  }
}
