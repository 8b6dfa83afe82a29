/**
 * Physical names: one naming module that knows every resource's limit. The limits are pinned below with their source
 * (hashicorp/terraform-provider-aws v6.25.0 validators, or the AWS API reference where the provider doesn't check).
 * Read at the source for this table: eks/node_group.go (node_group_name 63, node_group_name_prefix 63-26),
 * eks/validate.go (validClusterName 1-100), iam/role.go (roleNameMaxLen 64, prefix 64-26), iam/policy.go
 * (policyNameMaxLen 128, prefix 128-26), events/validate.go (validateRuleName 64), verify/validate.go
 * (ValidLaunchTemplateName 125, prefix 99), ElastiCache replication group id 1-40. The others are the provider's and
 * APIs' published limits, far from any name blockfleet builds; the synth-time check applies all of them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnvironment } from "../../../src/config/load";
import { environmentSchema } from "../../../src/config/schema";
import {
  capacityBlockNodeGroupPrefix,
  longestEnvironmentName,
  MAX_CAPACITY_BLOCK_NAME_LENGTH,
  NAME_LIMITS,
  NameTooLongError,
  nameLimitProblems,
  naming,
  physicalNameViolations,
  plannedNames,
} from "../../../src/lib/naming";
import { validEnvironmentWithServicesInput } from "../../support/arbitraries";
import { baseEnvironmentInput, issuesOf, synthesize } from "../../support/synth";

const runs = Number(process.env.FC_RUNS_SYNTH ?? 6);

describe("name limits pinned from the provider and the AWS APIs", () => {
  it("holds the limit of every physical name blockfleet sets", () => {
    expect(Object.fromEntries(Object.entries(NAME_LIMITS).map(([kind, limit]) => [kind, limit.max]))).toEqual({
      "aws_eks_cluster.name": 100,
      "aws_eks_node_group.node_group_name": 63,
      "aws_eks_node_group.node_group_name_prefix": 37,
      "aws_launch_template.name": 125,
      "aws_launch_template.name_prefix": 99,
      "aws_iam_role.name": 64,
      "aws_iam_role.name_prefix": 38,
      "aws_iam_policy.name": 128,
      "aws_iam_policy.name_prefix": 102,
      "aws_sqs_queue.name": 80,
      "aws_sns_topic.name": 256,
      "aws_cloudwatch_event_rule.name": 64,
      "aws_cloudwatch_log_group.name": 512,
      "aws_cloudwatch_metric_alarm.alarm_name": 255,
      "aws_lambda_function.function_name": 64,
      "aws_dynamodb_table.name": 255,
      "aws_s3_bucket.bucket": 63,
      "aws_s3_bucket.bucket_prefix": 37,
      "aws_kms_alias.name": 256,
      "aws_security_group.name": 255,
      "aws_security_group.name_prefix": 229,
      "aws_db_instance.identifier": 63,
      "aws_db_parameter_group.name_prefix": 229,
      "aws_db_subnet_group.name": 255,
      "aws_elasticache_replication_group.replication_group_id": 40,
      "aws_elasticache_subnet_group.name": 255,
      "aws_secretsmanager_secret.name": 512,
      "aws_ssm_parameter.name": 2048,
    });
    for (const limit of Object.values(NAME_LIMITS)) expect(limit.source).toMatch(/terraform-provider-aws v6\.25\.0 internal\/|API/);
  });

  it("never cuts a name: one over its limit is an error naming the resource", () => {
    expect(() => naming("prod").resource("x".repeat(60), "aws_iam_role.name")).toThrow(NameTooLongError);
    expect(() => capacityBlockNodeGroupPrefix("b".repeat(37))).toThrow(
      `aws_eks_node_group.node_group_name_prefix "${"b".repeat(37)}-" is 38 characters; AWS allows 37`,
    );
    expect(naming("prod").resource("karpenter", "aws_sqs_queue.name")).toBe("blockfleet-prod-karpenter");
  });
});

describe("names refused when the file is loaded", () => {
  it("fails when a capacity block name would make the node group name_prefix longer than 37", async () => {
    // GIVEN a 37-character block name (37-40 passed the old limit)  THEN the message names the key and the longest allowed
    const base = baseEnvironmentInput();
    const [block] = base.capacity_blocks as Array<Record<string, unknown>>;
    const issues = await issuesOf({ ...base, capacity_blocks: [{ ...block, name: "b".repeat(37) }] });
    expect(issues).toEqual([
      {
        path: "capacity_blocks[0].name",
        message: `at most ${MAX_CAPACITY_BLOCK_NAME_LENGTH} characters: the node group's name_prefix is the name and "-", which aws_eks_node_group allows 37 characters`,
      },
    ]);
    expect(MAX_CAPACITY_BLOCK_NAME_LENGTH).toBe(36);
  });

  it("accepts a 16-character environment name with every feature on (karpenter, capacity manager, every platform service)", async () => {
    // GIVEN a 16-character environment name, such as staging-eu-west2 teams use, with every name-bearing feature on
    // (and the derived state bucket name in a region with one of the longest names)
    const everything = {
      region: "ap-southeast-1",
      account_id: "111122223333",
      karpenter: { enabled: true },
      capacity_blocks: [],
      capacity_manager: {},
      platform: { database: {}, cache: {}, model_registry: {}, external_secrets: {}, load_balancer_controller: {}, logs: {} },
    };
    // THEN every planned name fits: the binding names (ElastiCache's 40, the capacity manager's event rules' 64) allow at least 16
    expect(longestEnvironmentName(everything)).toBe(16);
    expect(nameLimitProblems("staging-eu-west2", everything)).toEqual([]);
    const rules = plannedNames("staging-eu-west2", everything).filter((planned) => planned.kind === "aws_cloudwatch_event_rule.name");
    expect(Math.max(...rules.map((planned) => planned.name.length))).toBeLessThanOrEqual(64);
    expect(rules.map((planned) => planned.name)).toContain("blockfleet-staging-eu-west2-capacity-manager-reservation-events");
    // WHEN a file with the capacity manager on is loaded under that name
    const result = await parseEnvironment("environments/staging-eu-west2.tfvars.json", JSON.stringify({ ...baseEnvironmentInput(), capacity_manager: {} }));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("fails when a name grown from the environment name is over its limit, naming the name, its length, the limit and the longest environment name", () => {
    // GIVEN an environment name longer than files accept (measured directly: the file-name rule refuses it first)
    const problems = nameLimitProblems("abcdefghijklmnopqrstuv", { karpenter: { enabled: false }, capacity_blocks: [], platform: { cache: {} } });
    // THEN the ElastiCache replication group id (40) is the name over its limit, and 20 characters would fit
    expect(problems.map((problem) => [problem.planned.name, problem.limit, problem.longestInput])).toEqual([
      ["blockfleet-abcdefghijklmnopqrstuv-platform", 40, 20],
    ]);
  });
});

describe("the synthesized JSON, checked name by name", () => {
  it("reports a name over its limit, measuring references by what they become", () => {
    const stack = {
      resource: {
        aws_eks_cluster: { c: { name: "blockfleet-a-very-long-environment" } },
        aws_launch_template: { lt: { name_prefix: `\${aws_eks_cluster.c.name}-${"x".repeat(70)}-` } },
        aws_iam_role: { ok: { name: "blockfleet-prod-node" }, computed: { name: "${aws_iam_role.other.name}" } },
      },
    };
    expect(physicalNameViolations("s", stack)).toEqual([
      { stack: "s", address: "aws_launch_template.lt", kind: "aws_launch_template.name_prefix", name: `blockfleet-a-very-long-environment-${"x".repeat(70)}-` },
    ]);
  });

  it("synthesizes generated environments whose names are at the longest allowed, every name within its limit", async () => {
    // GIVEN any valid environment with services, named at the longest length its settings allow, with blocks named at 36
    const letters = fc.stringMatching(/^[a-z]{16}$/);
    await fc.assert(
      fc.asyncProperty(validEnvironmentWithServicesInput, letters, letters, async (input, envLetters, blockLetters) => {
        const blocks = (input["capacity_blocks"] as Array<Record<string, unknown>>).map((block, index) => ({
          ...block,
          name: `${String.fromCharCode(97 + index)}${blockLetters}${"z".repeat(40)}`.slice(0, MAX_CAPACITY_BLOCK_NAME_LENGTH),
        }));
        const withBlocks = { ...input, capacity_blocks: blocks };
        // Measured on the parsed file: the capacity manager is on wherever blocks are declared unless switched off.
        const length = longestEnvironmentName(environmentSchema.parse(withBlocks));
        const name = envLetters.slice(0, length);
        // WHEN loaded and synthesized
        const result = await parseEnvironment(`environments/${name}.tfvars.json`, JSON.stringify(withBlocks));
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        const synthesized = await synthesize([result.environment]);
        // THEN no physical name is over its limit (synthesis itself would have refused), and one more character is refused
        expect(Object.entries(synthesized.stacks).flatMap(([stackName, stack]) => physicalNameViolations(stackName, stack as never))).toEqual([]);
        if (length < 16) {
          const longer = await parseEnvironment(`environments/${name}q.tfvars.json`, JSON.stringify(withBlocks));
          expect(!longer.ok && longer.issues.map((issue) => issue.message)).toEqual([
            expect.stringContaining(`the longest environment name is ${length} characters`),
          ]);
        }
      }),
      { numRuns: runs },
    );
  }, 300_000);
});
