import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Notifier } from "../service/ports";

/** SNS subjects must be ASCII, start with a letter/number/punctuation and stay under 100 characters. */
export const SNS_SUBJECT_MAX = 100;

export function toSnsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7E]/g, "?").trim();
  return ascii.slice(0, SNS_SUBJECT_MAX);
}

/** Publishes manager notifications (approval requests, alerts) to one topic. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: toSnsSubject(subject),
        Message: message,
        MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }])),
      }),
    );
  }
}
