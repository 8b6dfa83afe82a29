import { describe, expect, it } from "vitest";
import { stackFromJson } from "../../../src/policy/load";
import { FAKE_ACCOUNT_ID, Workspace } from "../../../src/policy/workspace";
import { secureStacks, toStacks } from "./fixtures";

describe("reference resolution", () => {
  const workspace = new Workspace(toStacks(secureStacks()));
  const resolve = (text: string) => workspace.resolveString("test-cluster", text);

  it("turns resource references into realistic per-type ARNs in the stack's region and account", () => {
    // GIVEN references as cdktf writes them WHEN resolved THEN each becomes the ARN AWS would report
    expect(resolve("${aws_iam_role.node.arn}")).toBe("arn:aws:iam::111122223333:role/blockfleet-test-node");
    expect(resolve("${aws_sqs_queue.interruption.arn}")).toBe("arn:aws:sqs:us-east-1:111122223333:blockfleet-test-karpenter");
    expect(resolve("${aws_dynamodb_table.records.arn}")).toBe("arn:aws:dynamodb:us-east-1:111122223333:table/blockfleet-test-records");
    expect(resolve("${aws_eks_cluster.main.arn}")).toBe("arn:aws:eks:us-east-1:111122223333:cluster/blockfleet-test");
    expect(resolve("${aws_lambda_function.reconcile.arn}")).toBe("arn:aws:lambda:us-east-1:111122223333:function:blockfleet-test-capacity-manager-reconcile");
    expect(resolve("${aws_s3_bucket.models.arn}/*")).toBe("arn:aws:s3:::blockfleet-test-models/*");
    expect(resolve("${aws_cloudwatch_log_group.flow.arn}:*")).toBe("arn:aws:logs:us-east-1:111122223333:log-group:/aws/vpc/test/flow-logs:*");
    expect(resolve("${aws_kms_key.main.arn}")).toMatch(
      /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it("resolves ids, names, data sources and plain attributes the way Terraform reports them", () => {
    expect(resolve("${aws_iam_role.controller.id}")).toBe("blockfleet-test-karpenter");
    expect(resolve("${aws_sqs_queue.interruption.url}")).toBe("https://sqs.us-east-1.amazonaws.com/111122223333/blockfleet-test-karpenter");
    expect(resolve("${aws_vpc.main.id}")).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(resolve("${aws_subnet.private_a.id}")).not.toBe(resolve("${aws_subnet.private_b.id}"));
    expect(resolve("${aws_subnet.private_a.availability_zone}")).toBe("us-east-1a");
    expect(resolve("arn:aws:iam::${data.aws_caller_identity.current.account_id}:root")).toBe("arn:aws:iam::111122223333:root");
    expect(resolve("${data.aws_region.current.region}/${data.aws_partition.current.partition}")).toBe("us-east-1/aws");
    expect(resolve("literal $${not.a.reference}")).toBe("literal ${not.a.reference}");
    // Nested attributes read the last name: an EC2 id for *_id, an ARN for *_arn.
    expect(resolve("${aws_eks_cluster.main.vpc_config[0].vpc_id}")).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(resolve("${aws_db_instance.db.master_user_secret[0].secret_arn}")).toMatch(/^arn:aws:rds:us-east-1:111122223333:secret\/[0-9a-f]{16}$/);
  });

  it("never resolves an unknown reference to something that matches everything", () => {
    const value = resolve("${aws_iam_role.missing.arn}");
    expect(value).toMatch(/^unresolved-[0-9a-f]{10}$/);
    expect(value).not.toContain("*");
    expect(workspace.unresolvedExpression(value)).toBe("${aws_iam_role.missing.arn}");
  });

  it("follows cdktf cross-stack references to the producing stack's output", () => {
    // GIVEN a producer stack exporting a queue ARN and a consumer reading it through terraform_remote_state
    const producer = stackFromJson(
      {
        provider: { aws: [{ region: "eu-west-1" }] },
        resource: { aws_sqs_queue: { q: { name: "events" } } },
        output: { "cross-stack-output-aws_sqs_queueqarn": { value: "${aws_sqs_queue.q.arn}", sensitive: true } },
      },
      "dev-a",
    );
    const consumer = stackFromJson({ data: { terraform_remote_state: { "cross-stack-reference-input-dev-a": { backend: "s3" } } } }, "dev-b");
    const crossStack = new Workspace([producer, consumer]);
    const reference = "${data.terraform_remote_state.cross-stack-reference-input-dev-a.outputs.cross-stack-output-aws_sqs_queueqarn}";
    // WHEN the consumer's reference is resolved THEN it is the producer's queue, in the producer's region
    expect(crossStack.resolveString("dev-b", reference)).toBe(`arn:aws:sqs:eu-west-1:${FAKE_ACCOUNT_ID}:events`);
    expect(crossStack.target("dev-b", reference)?.block.address).toBe("dev-a/aws_sqs_queue.q");
  });
});
