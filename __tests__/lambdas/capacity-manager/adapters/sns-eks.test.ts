import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { EksNodeGroupScaler } from "../../../../lambdas/capacity-manager/adapters/eks-scaler";
import { SnsNotifier, toSnsSubject } from "../../../../lambdas/capacity-manager/adapters/sns-notifier";

const sns = new SNSClient({ region: "us-east-1" });
const eks = new EKSClient({ region: "us-east-1" });
const snsMock = mockClient(sns);
const eksMock = mockClient(eks);
afterEach(() => {
  snsMock.reset();
  eksMock.reset();
});

describe("SnsNotifier", () => {
  it("GIVEN a notification THEN it publishes to the topic with string attributes", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "m" });
    await new SnsNotifier(sns, "arn:aws:sns:us-east-1:123456789012:cbm").publish("Approve extension", "body", { PK: "env-1", kind: "APPROVAL_REQUEST" });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: "arn:aws:sns:us-east-1:123456789012:cbm",
      Subject: "Approve extension",
      Message: "body",
      MessageAttributes: { PK: { DataType: "String", StringValue: "env-1" }, kind: { DataType: "String", StringValue: "APPROVAL_REQUEST" } },
    });
  });

  it("GIVEN a long non-ASCII subject THEN it is made ASCII and cut to 100 characters", () => {
    const subject = toSnsSubject(`Bloc — ${"x".repeat(200)}`);
    expect(subject).toHaveLength(100);
    expect(subject.startsWith("Bloc ? x")).toBe(true);
  });
});

describe("EksNodeGroupScaler", () => {
  const scaler = new EksNodeGroupScaler(eks);
  it("GIVEN the node group already has the size THEN no update is made", async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({ nodegroup: { scalingConfig: { desiredSize: 4, minSize: 0, maxSize: 8 } } });
    expect(await scaler.ensureDesiredSize("prod", "p5-a", 4)).toEqual({ changed: false, previous: 4 });
    expect(eksMock.commandCalls(UpdateNodegroupConfigCommand)).toHaveLength(0);
  });

  it("GIVEN another size THEN it updates desired size, keeping min/max valid", async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({ nodegroup: { scalingConfig: { desiredSize: 0, minSize: 0, maxSize: 2 } } });
    eksMock.on(UpdateNodegroupConfigCommand).resolves({});
    expect(await scaler.ensureDesiredSize("prod", "p5-a", 4)).toEqual({ changed: true, previous: 0 });
    expect(eksMock.commandCalls(UpdateNodegroupConfigCommand)[0]?.args[0].input).toEqual({
      clusterName: "prod",
      nodegroupName: "p5-a",
      scalingConfig: { desiredSize: 4, minSize: 0, maxSize: 4 },
    });
  });
});
