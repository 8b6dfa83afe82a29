import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_MANAGED_POLICIES } from "../../src/constructs/eks-cluster";
import { INTERRUPTION_EVENTS } from "../../src/constructs/karpenter";
import { controllerPolicyStatements } from "../../src/constructs/karpenter/controller-policy";
import { karpenterManifests } from "../../src/constructs/karpenter/manifests";
import { buildApp } from "../../stacks/app";
import { RoleSimulator } from "../support/iam-simulation";
import { baseEnvironmentInput, environmentFrom, type Synthesized, synthesize } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const KARPENTER = "test-karpenter";
const POOLS = "test-karpenter-pools";
const BLOCKS = [
  { name: "p5-a", reservation_id: "cr-0123456789abcdef0", instance_type: "p5.48xlarge", instance_count: 2, availability_zone: "us-east-1a" },
  {
    name: "p5e-b",
    reservation_id: "cr-0fedcba9876543210",
    instance_type: "p5e.48xlarge",
    instance_count: 1,
    availability_zone: "us-east-1b",
    consumer: "karpenter",
  },
];
const TEST_INPUT = { ...baseEnvironmentInput(), account_id: "111122223333", capacity_blocks: BLOCKS, create_spot_service_linked_role: true };
/** Defaults only, and no capacity blocks. */
const PLAIN_INPUT = { ...baseEnvironmentInput(), capacity_blocks: [] };

const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;

describe("karpenter stacks", () => {
  let out: Synthesized;
  const idOf = (stack: string, type: string, part: string): string => {
    const matches = out.resources(stack, type).filter(([id]) => id.includes(part));
    if (matches.length !== 1) throw new Error(`expected one ${type} matching ${part}, got ${matches.map(([id]) => id).join(", ")}`);
    return matches[0]![0];
  };

  beforeAll(async () => {
    // GIVEN an environment with two capacity blocks that asks for the Spot service-linked role, and a plain one
    out = await synthesize([environmentFrom("test", TEST_INPUT), environmentFrom("plain", PLAIN_INPUT)]);
  });

  describe("redeploys", () => {
    it("moves the controller's role, policy and association from the addresses they had before 3261bdb", () => {
      // GIVEN the addresses `npm run synth` gave them at 3261bdb^ (the role was then the construct's own child)
      const moved = (out.stack(KARPENTER)["moved"] as Array<{ from: string; to: string }>).sort((a, b) => (a.from < b.from ? -1 : 1));
      // THEN each moves to the PodIdentityRole's resource of the same type, so Terraform keeps the role
      expect(moved).toEqual([
        {
          from: "aws_eks_pod_identity_association.infrastructure_pod-identity_C9E32B2D",
          to: `aws_eks_pod_identity_association.${idOf(KARPENTER, "aws_eks_pod_identity_association", "controller-role")}`,
        },
        { from: "aws_iam_role.infrastructure_controller-role_4B5AC9B6", to: `aws_iam_role.${idOf(KARPENTER, "aws_iam_role", "controller-role")}` },
        {
          from: "aws_iam_role_policy.infrastructure_controller-policy_E1981D8C",
          to: `aws_iam_role_policy.${idOf(KARPENTER, "aws_iam_role_policy", "controller-role")}`,
        },
      ]);
    });
  });

  describe("deploy order", () => {
    const outdir = mkdtempSync(join(tmpdir(), "blockfleet-order-"));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));
    const stacksOf = (input: Json) => {
      const app = buildApp([environmentFrom("test", input)], { outdir });
      return new Map(app.node.children.filter((child): child is TerraformStack => child instanceof TerraformStack).map((stack) => [stack.node.id, stack]));
    };

    it("puts the Helm release after the cluster and the node pools after the Helm release", () => {
      const stacks = stacksOf(TEST_INPUT);
      expect(stacks.get(KARPENTER)!.dependencies.map((stack) => stack.node.id)).toEqual(["test-cluster"]);
      expect(stacks.get(POOLS)!.dependencies.map((stack) => stack.node.id)).toEqual([KARPENTER]);
    });

    it("creates no Karpenter stack when karpenter.enabled = false", () => {
      // (the Karpenter block is left out: config refuses one without Karpenter)
      const names = [...stacksOf({ ...TEST_INPUT, capacity_blocks: BLOCKS.slice(0, 1), karpenter: { enabled: false } }).keys()];
      expect(names.filter((name) => name.includes("karpenter"))).toEqual([]);
      expect(names).toContain("test-cluster");
    });
  });

  describe("controller identity", () => {
    it("is a role EKS Pod Identity assumes, bound to the karpenter service account", () => {
      const role = out.resource(KARPENTER, "aws_iam_role", "controller-role");
      expect(JSON.parse(role.assume_role_policy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "PodIdentityKarpenterKarpenter",
            Effect: "Allow",
            Principal: { Service: "pods.eks.amazonaws.com" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: {
              StringEquals: {
                "aws:RequestTag/eks-cluster-arn":
                  "arn:${data.aws_partition.partition.partition}:eks:us-east-1:${data.aws_caller_identity.caller-identity.account_id}:cluster/blockfleet-test",
                "aws:RequestTag/kubernetes-namespace": "karpenter",
                "aws:RequestTag/kubernetes-service-account": "karpenter",
              },
            },
          },
        ],
      });
      expect(out.resource(KARPENTER, "aws_eks_pod_identity_association")).toMatchObject({
        cluster_name: "blockfleet-test",
        namespace: "karpenter",
        service_account: "karpenter",
        role_arn: ref("aws_iam_role", idOf(KARPENTER, "aws_iam_role", "controller-role"), "arn"),
      });
    });

    it("GIVEN a pod of another namespace, service account, cluster or account THEN Pod Identity may not assume the role", async () => {
      const simulator = new RoleSimulator(out);
      const account = simulator.account(KARPENTER);
      const pod = (overrides: Record<string, string> = {}) => ({
        "aws:SourceAccount": account,
        "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${account}:cluster/blockfleet-test`,
        "aws:RequestTag/kubernetes-namespace": "karpenter",
        "aws:RequestTag/kubernetes-service-account": "karpenter",
        ...overrides,
      });
      const decide = (context: Record<string, string>) =>
        simulator.serviceMayAssume(KARPENTER, "blockfleet-test-karpenter-controller", "pods.eks.amazonaws.com", context);
      expect(await decide(pod())).toBe("Allowed");
      expect(await decide(pod({ "aws:RequestTag/kubernetes-namespace": "default" }))).toBe("ImplicitlyDenied");
      expect(await decide(pod({ "aws:RequestTag/kubernetes-service-account": "default" }))).toBe("ImplicitlyDenied");
      expect(await decide(pod({ "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${account}:cluster/other` }))).toBe("ImplicitlyDenied");
      // the same cluster name in another account: its cluster ARN names that account
      expect(
        await decide(
          pod({ "aws:SourceAccount": "444455556666", "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:444455556666:cluster/blockfleet-test" }),
        ),
      ).toBe("ImplicitlyDenied");
      // the trust doesn't depend on aws:SourceAccount, which AWS doesn't document for EKS Auth's AssumeRole
      const { "aws:SourceAccount": _sourceAccount, ...withoutSourceAccount } = pod();
      expect(await decide(withoutSourceAccount)).toBe("Allowed");
    });

    it("carries the upstream-scoped policy for this cluster, region, node role and queue", () => {
      const policy = JSON.parse(out.resource(KARPENTER, "aws_iam_role_policy", "controller-role").policy as string);
      const expected = controllerPolicyStatements({
        partition: "${data.aws_partition.partition.partition}",
        region: "us-east-1",
        accountId: "${data.aws_caller_identity.caller-identity.account_id}",
        clusterName: "blockfleet-test",
        nodeRoleArn: ref("aws_iam_role", idOf(KARPENTER, "aws_iam_role", "node-role"), "arn"),
        interruptionQueueArn: ref("aws_sqs_queue", idOf(KARPENTER, "aws_sqs_queue", "interruption-queue"), "arn"),
      });
      expect(policy).toEqual({ Version: "2012-10-17", Statement: JSON.parse(JSON.stringify(expected)) });
    });
  });

  describe("nodes", () => {
    it("get their own role with the node policies and an EC2_LINUX access entry", () => {
      const nodeRoleId = idOf(KARPENTER, "aws_iam_role", "node-role");
      expect(out.resource(KARPENTER, "aws_iam_role", "node-role").name).toBe("blockfleet-test-karpenter-node");
      const attached = out.resources(KARPENTER, "aws_iam_role_policy_attachment").map(([, attachment]) => attachment);
      expect(attached.map((attachment) => String(attachment.policy_arn).split("/").pop()).sort()).toEqual([...NODE_MANAGED_POLICIES].sort());
      expect(attached.every((attachment) => attachment.role === ref("aws_iam_role", nodeRoleId, "name"))).toBe(true);
      expect(out.resource(KARPENTER, "aws_eks_access_entry")).toMatchObject({
        cluster_name: "blockfleet-test",
        principal_arn: ref("aws_iam_role", nodeRoleId, "arn"),
        type: "EC2_LINUX",
      });
    });

    it("create the Spot service-linked role only when the environment asks", () => {
      expect(out.resource(KARPENTER, "aws_iam_service_linked_role")).toMatchObject({ aws_service_name: "spot.amazonaws.com" });
      expect(out.resources("plain-karpenter", "aws_iam_service_linked_role")).toEqual([]);
    });
  });

  describe("interruption handling", () => {
    it("queues events for 300 s with SSE", () => {
      expect(out.resource(KARPENTER, "aws_sqs_queue")).toMatchObject({
        name: "blockfleet-test-karpenter",
        message_retention_seconds: 300,
        sqs_managed_sse_enabled: true,
      });
    });

    it("lets only the interruption rules send, and denies access without TLS", () => {
      const ruleArns = out.resources(KARPENTER, "aws_cloudwatch_event_rule").map(([id]) => ref("aws_cloudwatch_event_rule", id, "arn"));
      expect(ruleArns).toHaveLength(5);
      const queueArn = ref("aws_sqs_queue", idOf(KARPENTER, "aws_sqs_queue", "interruption-queue"), "arn");
      const queuePolicy = out.resource(KARPENTER, "aws_sqs_queue_policy");
      expect(queuePolicy.queue_url).toBe(ref("aws_sqs_queue", idOf(KARPENTER, "aws_sqs_queue", "interruption-queue"), "url"));
      expect(JSON.parse(queuePolicy.policy as string).Statement).toEqual([
        {
          Sid: "AllowEventDelivery",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queueArn,
          Condition: { ArnEquals: { "aws:SourceArn": expect.arrayContaining(ruleArns) } },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: queueArn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
    });

    it("routes exactly the five interruption events to the queue, with names derived from the cluster", () => {
      const rules = out.resources(KARPENTER, "aws_cloudwatch_event_rule").map(([id, rule]) => [id, rule] as const);
      const byName = Object.fromEntries(rules.map(([, rule]) => [rule.name as string, JSON.parse(rule.event_pattern as string)]));
      expect(byName).toEqual({
        "blockfleet-test-karpenter-spot-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
        "blockfleet-test-karpenter-rebalance": { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
        "blockfleet-test-karpenter-state-change": { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
        "blockfleet-test-karpenter-scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
        "blockfleet-test-karpenter-capacity-interruption": { source: ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"] },
      });
      expect(Object.keys(INTERRUPTION_EVENTS)).toHaveLength(5);
      const queueArn = ref("aws_sqs_queue", idOf(KARPENTER, "aws_sqs_queue", "interruption-queue"), "arn");
      const targets = out.resources(KARPENTER, "aws_cloudwatch_event_target").map(([, target]) => target);
      expect(targets.map((target) => target.rule).sort()).toEqual(rules.map(([id]) => ref("aws_cloudwatch_event_rule", id, "name")).sort());
      expect(targets.every((target) => target.arn === queueArn)).toBe(true);
    });
  });

  describe("Helm release", () => {
    let release: Json;
    let crds: Json;
    beforeAll(() => {
      release = out.resource(KARPENTER, "helm_release", "karpenter_release");
      crds = out.resource(KARPENTER, "helm_release", "karpenter_crds");
    });

    it("installs the pinned chart and waits for the controller", () => {
      expect(out.resources(KARPENTER, "helm_release")).toHaveLength(2);
      expect(release).toMatchObject({
        chart: "oci://public.ecr.aws/karpenter/karpenter",
        version: "1.14.1",
        namespace: "karpenter",
        create_namespace: true,
        wait: true,
        atomic: true,
      });
    });

    it("installs the CRDs from the karpenter-crd chart at the same version, before the controller, so upgrades move them too", () => {
      // GIVEN Helm never upgrades a chart's bundled crds/  THEN the controller skips them and the CRD chart owns them
      expect(crds).toMatchObject({
        chart: "oci://public.ecr.aws/karpenter/karpenter-crd",
        version: release.version,
        name: "karpenter-crd",
        namespace: "karpenter",
        wait: true,
      });
      expect(release.skip_crds).toBe(true);
      expect(release.depends_on).toContain(`helm_release.${idOf(KARPENTER, "helm_release", "karpenter_crds")}`);
    });

    it("configures cluster, endpoint, queue, 2 replicas on the system nodes, resources and a PDB", () => {
      const values = JSON.parse(release.values[0]);
      expect(values.settings).toEqual({
        clusterName: "blockfleet-test",
        clusterEndpoint: `\${data.aws_eks_cluster.${out.dataSources(KARPENTER, "aws_eks_cluster")[0]![0]}.endpoint}`,
        interruptionQueue: "blockfleet-test-karpenter",
        featureGates: { reservedCapacity: true },
      });
      expect(values).toMatchObject({
        replicas: 2,
        serviceAccount: { name: "karpenter" },
        nodeSelector: { "blockfleet.io/node-role": "system" },
        controller: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } },
        podDisruptionBudget: { maxUnavailable: 1 },
      });
    });

    it("starts only after the controller's credentials, the nodes' access entry and the queue rules exist", () => {
      expect(release.depends_on).toEqual(
        expect.arrayContaining([
          `aws_eks_pod_identity_association.${idOf(KARPENTER, "aws_eks_pod_identity_association", "controller-role")}`,
          `aws_iam_role_policy.${idOf(KARPENTER, "aws_iam_role_policy", "controller-role")}`,
          `aws_eks_access_entry.${idOf(KARPENTER, "aws_eks_access_entry", "node-access")}`,
          ...out.resources(KARPENTER, "aws_cloudwatch_event_target").map(([id]) => `aws_cloudwatch_event_target.${id}`),
        ]),
      );
    });
  });

  describe("providers", () => {
    const EXEC = {
      api_version: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", "blockfleet-test", "--region", "us-east-1"],
    };

    it("reach the cluster by name with a fresh token per call, in both stacks", () => {
      for (const stack of [KARPENTER, POOLS]) {
        const [[id, cluster]] = out.dataSources(stack, "aws_eks_cluster") as [[string, Json]];
        expect(cluster.name).toBe("blockfleet-test");
        const connection = {
          host: `\${data.aws_eks_cluster.${id}.endpoint}`,
          cluster_ca_certificate: `\${base64decode(data.aws_eks_cluster.${id}.certificate_authority[0].data)}`,
        };
        if (stack === KARPENTER) expect(out.stack(stack).provider!.helm).toEqual([{ kubernetes: { ...connection, exec: EXEC } }]);
        else expect(out.stack(stack).provider!.kubernetes).toEqual([{ ...connection, exec: [EXEC] }]);
      }
    });

    it("keep state per stack in the environment's bucket", () => {
      expect((out.stack(POOLS).terraform!.backend as Json).s3).toMatchObject({ key: "test/test-karpenter-pools.tfstate", use_lockfile: true });
    });
  });

  describe("node pools stack", () => {
    it("applies exactly the generated EC2NodeClasses and NodePools, each pool after its node class", () => {
      const config = environmentFrom("test", TEST_INPUT).config;
      const expected = karpenterManifests({
        environment: "test",
        clusterName: "blockfleet-test",
        nodeRoleName: "blockfleet-test-karpenter-node",
        amiFamily: config.karpenter.ami_family,
        amiAliasVersion: config.karpenter.ami_alias_version,
        nodePools: config.node_pools,
        capacityBlocks: config.capacity_blocks,
      });
      const applied = out.resources(POOLS, "kubernetes_manifest") as Array<[string, Json]>;
      expect(applied.map(([, resource]) => resource.manifest)).toEqual(
        expect.arrayContaining([...expected.nodeClasses, ...expected.nodePools].map((manifest) => JSON.parse(JSON.stringify(manifest)))),
      );
      expect(applied).toHaveLength(expected.nodeClasses.length + expected.nodePools.length);
      for (const [, resource] of applied.filter(([, candidate]) => candidate.manifest.kind === "NodePool")) {
        const nodeClassId = applied.find(
          ([, candidate]) =>
            candidate.manifest.kind === "EC2NodeClass" && candidate.manifest.metadata.name === resource.manifest.spec.template.spec.nodeClassRef.name,
        )![0];
        expect(resource.depends_on).toEqual([`kubernetes_manifest.${nodeClassId}`]);
      }
    });

    it("selects the Karpenter block by id and never the node group's block, and has no capacity-block pool without blocks", () => {
      const nodeClass = (out.resources(POOLS, "kubernetes_manifest") as Array<[string, Json]>).find(
        ([, resource]) => resource.manifest.kind === "EC2NodeClass" && resource.manifest.metadata.name === "gpu-capacity-block",
      )![1];
      expect(nodeClass.manifest.spec.capacityReservationSelectorTerms).toEqual([{ id: "cr-0fedcba9876543210" }]);
      const plainNames = (out.resources("plain-karpenter-pools", "kubernetes_manifest") as Array<[string, Json]>).map(
        ([, resource]) => resource.manifest.metadata.name,
      );
      expect(plainNames).not.toContain("gpu-capacity-block");
      expect(plainNames).toContain("gpu-spot");
    });
  });
});
