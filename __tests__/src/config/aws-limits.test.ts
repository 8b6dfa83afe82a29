/**
 * Inputs AWS or Kubernetes refuse at apply time, refused when the file is loaded. Every limit is pinned here with
 * where it comes from:
 * - AWS tags: awsdocs/amazon-eks-user-guide latest/ug/clusters/management/eks-using-tags.adoc ("Tag restrictions":
 *   50 tags per resource, keys up to 128 and values up to 256 characters, `aws:` prefix reserved).
 * - Taints: hashicorp/terraform-provider-aws v6.25.0 internal/service/eks/node_group.go (`taint` MaxItems 50, key
 *   StringLenBetween(1, 63), value StringLenBetween(0, 63)); EKS API reference, Taint (same lengths).
 * - Node labels: EKS API reference, CreateNodegroup/UpdateLabelsPayload (`labels` key and value length 1-63);
 *   Kubernetes label syntax (kubernetes.io "Labels and Selectors": optional DNS-subdomain prefix of at most 253
 *   characters and "/", a name of at most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric; values likewise or empty).
 * - Public access CIDRs: EKS quota "Public endpoint access CIDR ranges per cluster" = 40, not adjustable (AWS General
 *   Reference, Amazon EKS endpoints and quotas; linked from awsdocs/amazon-eks-user-guide
 *   latest/ug/clusters/management/service-quotas.adoc); "The block cannot include reserved addresses"
 *   (latest/ug/clusters/config-cluster-endpoint.adoc).
 * - VPC CIDR: Amazon VPC User Guide, "VPC CIDR blocks" (block size between /16 and /28; restricted ranges).
 */
import { describe, expect, it } from "vitest";
import {
  MAX_EKS_LABEL_LENGTH,
  MAX_EKS_TAINT_KEY_LENGTH,
  MAX_PUBLIC_ACCESS_CIDRS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS_PER_RESOURCE,
  MAX_TAINTS,
  MAX_USER_TAGS,
  VPC_PREFIX_RANGE,
} from "../../../src/config/aws-limits";
import { expectRejected, withBlock, withCluster } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf, synthesizeWith } from "../../support/synth";

const tags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`tag-${index}`, "x"]));

describe("limits pinned from their sources", () => {
  it("matches the numbers AWS and EKS publish", () => {
    expect({
      MAX_TAGS_PER_RESOURCE,
      MAX_TAG_KEY_LENGTH,
      MAX_TAG_VALUE_LENGTH,
      MAX_TAINTS,
      MAX_EKS_TAINT_KEY_LENGTH,
      MAX_EKS_LABEL_LENGTH,
      MAX_PUBLIC_ACCESS_CIDRS,
      VPC_PREFIX_RANGE,
    }).toEqual({
      MAX_TAGS_PER_RESOURCE: 50,
      MAX_TAG_KEY_LENGTH: 128,
      MAX_TAG_VALUE_LENGTH: 256,
      MAX_TAINTS: 50,
      MAX_EKS_TAINT_KEY_LENGTH: 63,
      MAX_EKS_LABEL_LENGTH: 63,
      MAX_PUBLIC_ACCESS_CIDRS: 40,
      VPC_PREFIX_RANGE: { largest: 16, smallest: 28 },
    });
  });
});

describe("tags", () => {
  it("accepts the most tags, with every resource staying within AWS's 50", async () => {
    // GIVEN the largest tag set the file may hold, in a production environment (one more default tag)
    // WHEN synthesized  THEN no resource carries more than 50 tags
    const synthesized = await synthesizeWith({ tags: tags(MAX_USER_TAGS), production: true });
    for (const [stackName, stack] of Object.entries(synthesized.stacks)) {
      const defaults = Object.keys((stack.provider?.["aws"]?.[0]?.["default_tags"] as Array<{ tags: object }> | undefined)?.[0]?.tags ?? {});
      for (const [type, byId] of Object.entries(stack.resource ?? {})) {
        for (const [id, body] of Object.entries(byId)) {
          const own = Object.keys((body["tags"] as object | undefined) ?? {});
          expect(new Set([...defaults, ...own]).size, `${stackName} ${type}.${id}`).toBeLessThanOrEqual(MAX_TAGS_PER_RESOURCE);
        }
      }
    }
  });

  it("fails when there are more tags than fit beside blockfleet's own", async () => {
    await expectRejected(
      { ...baseEnvironmentInput(), tags: tags(MAX_USER_TAGS + 1) },
      "tags",
      new RegExp(`${MAX_USER_TAGS + 1} tags; at most ${MAX_USER_TAGS} \\(AWS allows 50 per resource`),
    );
  });

  it("fails when a tag key is longer than 128 characters", async () => {
    const key = "k".repeat(129);
    await expectRejected({ ...baseEnvironmentInput(), tags: { [key]: "v" } }, `tags.${key}`, /tag keys are 1-128 characters, got 129/);
  });

  it("fails when a tag value is longer than 256 characters", async () => {
    await expectRejected({ ...baseEnvironmentInput(), tags: { team: "v".repeat(257) } }, "tags.team", /tag values are at most 256 characters, got 257/);
  });

  it("fails when a tag key starts with aws:, in any case", async () => {
    await expectRejected({ ...baseEnvironmentInput(), tags: { "AWS:team": "x" } }, 'tags["AWS:team"]', /starting with "aws:" are reserved for AWS/);
  });
});

describe("node labels and taints", () => {
  it("accepts prefixed label keys and taints in Kubernetes syntax", async () => {
    expect(
      await issuesOf(
        withBlock({ labels: { "example.com/team": "ml_infra-1", tier: "gpu" }, taints: [{ key: "example.com/dedicated", value: "", effect: "NO_SCHEDULE" }] }),
      ),
    ).toEqual([]);
  });

  it("fails when a label key is not a Kubernetes label key", async () => {
    await expectRejected(
      withBlock({ labels: { "-team": "a" } }),
      'capacity_blocks[0].labels["-team"]',
      /not a valid node label key: the name must be 1-63 characters/,
    );
  });

  it("fails when a label key's prefix is not a DNS subdomain", async () => {
    await expectRejected(
      withBlock({ labels: { "Example.com/team": "a" } }),
      'capacity_blocks[0].labels["Example.com/team"]',
      /the prefix "Example.com" must be a DNS subdomain/,
    );
  });

  it("fails when a label key is longer than EKS's 63 characters, prefix included", async () => {
    const key = `example.com/${"a".repeat(52)}`;
    await expectRejected(
      withBlock({ labels: { [key]: "a" } }),
      `capacity_blocks[0].labels[${JSON.stringify(key)}]`,
      /EKS takes label keys of at most 63 characters, prefix included; got 64/,
    );
  });

  it("fails when a label value is not a Kubernetes label value", async () => {
    await expectRejected(withBlock({ labels: { team: "a b" } }), "capacity_blocks[0].labels.team", /not a valid node label value: at most 63 characters/);
  });

  it("fails when a label value is empty, which EKS refuses", async () => {
    await expectRejected(withBlock({ labels: { team: "" } }), "capacity_blocks[0].labels.team", /EKS refuses empty label values/);
  });

  it("fails when a taint key is not a Kubernetes key", async () => {
    await expectRejected(withBlock({ taints: [{ key: "dedicated gpu", effect: "NO_SCHEDULE" }] }), "capacity_blocks[0].taints[0].key", /not a valid taint key/);
  });

  it("fails when a taint key is longer than 63 characters", async () => {
    await expectRejected(
      withBlock({ taints: [{ key: `example.com/${"a".repeat(52)}`, effect: "NO_SCHEDULE" }] }),
      "capacity_blocks[0].taints[0].key",
      /at most 63 characters, prefix included; got 64/,
    );
  });

  it("fails when a taint value is not a Kubernetes label value", async () => {
    await expectRejected(
      withBlock({ taints: [{ key: "dedicated", value: "x".repeat(64), effect: "NO_SCHEDULE" }] }),
      "capacity_blocks[0].taints[0].value",
      /not a valid taint value/,
    );
  });

  it("fails when there are more than 50 taints", async () => {
    const taints = Array.from({ length: MAX_TAINTS + 1 }, (_, index) => ({ key: `t${index}`, effect: "NO_SCHEDULE" }));
    await expectRejected(withBlock({ taints }), "capacity_blocks[0].taints", /EKS takes at most 50 taints per node group/);
  });
});

describe("cluster endpoint and principals", () => {
  it("fails when more than 40 public access CIDRs are listed", async () => {
    const cidrs = Array.from({ length: MAX_PUBLIC_ACCESS_CIDRS + 1 }, (_, index) => `203.0.${index}.0/24`);
    await expectRejected(
      withCluster({ endpoint_public_access: true, public_access_cidrs: cidrs }),
      "cluster.public_access_cidrs",
      /at most 40 public access CIDR blocks/,
    );
  });

  it("fails when a public access CIDR is a private range", async () => {
    await expectRejected(
      withCluster({ endpoint_public_access: true, public_access_cidrs: ["192.168.0.0/24"] }),
      "cluster.public_access_cidrs[0]",
      /includes private \(192\.168\.0\.0\/16\) addresses; EKS only takes public addresses/,
    );
  });

  it("fails when a public access CIDR covers a private range", async () => {
    await expectRejected(
      withCluster({ endpoint_public_access: true, public_access_cidrs: ["8.0.0.0/6"] }),
      "cluster.public_access_cidrs[0]",
      /includes private \(10\.0\.0\.0\/8\) addresses/,
    );
  });

  it("fails when an admin principal is listed twice", async () => {
    const arn = "arn:aws:iam::111122223333:role/admin";
    await expectRejected(
      withCluster({ admin_principal_arns: [arn, "arn:aws:iam::111122223333:role/other", arn] }),
      "cluster.admin_principal_arns[2]",
      /is already listed at admin_principal_arns\[0\]/,
    );
  });

  it("fails when a state access principal is listed twice", async () => {
    const arn = "arn:aws:iam::111122223333:role/ci-deploy";
    await expectRejected(
      { ...baseEnvironmentInput(), state_access_principal_arns: [arn, arn] },
      "state_access_principal_arns[1]",
      /"arn:aws:iam::111122223333:role\/ci-deploy" is already listed at state_access_principal_arns\[0\]; list each state principal once/,
    );
  });

  it("fails when a capacity manager approver is listed twice", async () => {
    const arn = "arn:aws:iam::111122223333:role/finance";
    await expectRejected(
      { ...baseEnvironmentInput(), capacity_manager: { approver_principal_arns: [arn, arn] } },
      "capacity_manager.approver_principal_arns[1]",
      /is already listed at capacity_manager\.approver_principal_arns\[0\]; list each approver once/,
    );
  });
});

describe("VPC CIDR", () => {
  it("fails when the VPC CIDR is larger than a /16", async () => {
    await expectRejected({ ...baseEnvironmentInput(), vpc_cidr: "10.0.0.0/8" }, "vpc_cidr", /AWS takes VPC CIDR blocks from \/16 to \/28, got \/8/);
  });

  it("fails when the VPC CIDR is in a range a VPC can't use", async () => {
    await expectRejected(
      { ...baseEnvironmentInput(), vpc_cidr: "169.254.0.0/16" },
      "vpc_cidr",
      /169\.254\.0\.0\/16 is in the link-local \(169\.254\.0\.0\/16\) range, which a VPC can't use/,
    );
  });
});

describe("region", () => {
  it("fails once, at region, when no zone is in the region, without an error per zone", async () => {
    // GIVEN zones and a block in us-east-1 but region eu-west-1
    const issues = await issuesOf({ ...baseEnvironmentInput(), region: "eu-west-1" });
    // THEN the one issue blames the region and names where the zones are
    expect(issues).toEqual([
      { path: "region", message: 'no availability zone is in "eu-west-1": availability_zones are in "us-east-1"; fix the region or the zones' },
    ]);
  });

  it("fails once, at region, without echoing it through the region checks of the WAF ACL", async () => {
    const input = {
      ...baseEnvironmentInput(),
      region: "eu-west-1",
      capacity_manager: { waf_web_acl_arn: "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/blockfleet/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" },
    };
    expect((await issuesOf(input)).map((issue) => issue.path)).toEqual(["region"]);
  });

  it("fails only on the format of a malformed region", async () => {
    expect(await issuesOf({ ...baseEnvironmentInput(), region: "useast1" })).toEqual([
      { path: "region", message: 'expected an AWS region name such as "us-east-1"' },
    ]);
  });
});

describe("lookups by a user's string", () => {
  it.each(["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"])(
    "fails when instance_type is %s, with the message for an unknown type",
    async (name) => {
      const issues = await issuesOf(withBlock({ instance_type: name }));
      expect(issues).toEqual([
        { path: "capacity_blocks[0].instance_type", message: expect.stringMatching(/^expected an instance type sold as a capacity block/) },
      ]);
    },
  );

  it.each(["toString", "constructor", "__proto__"])("fails when ami_type is %s, with the message for an unknown AMI type", async (name) => {
    const issues = await issuesOf(withBlock({ ami_type: name }));
    expect(issues).toEqual([{ path: "capacity_blocks[0].ami_type", message: expect.stringMatching(/^expected a GPU AMI type, one of/) }]);
  });

  it("fails when cluster.version is toString, listing the supported versions", async () => {
    await expectRejected(withCluster({ version: "toString" }), "cluster.version", /expected a Kubernetes version EKS supports/);
  });
});
