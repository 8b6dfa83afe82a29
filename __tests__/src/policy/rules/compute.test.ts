import type { JsonObject } from "../../../../src/policy/model";
import { computeRules } from "../../../../src/policy/rules/compute";
import { patch } from "../fixtures";
import { describeRuleCases, type RuleCase } from "../rule-cases";

const TEMPLATE = "resource.aws_launch_template.gpu";
const lt = "test-cluster/aws_launch_template.gpu";
const nc = "test-cluster/kubernetes_manifest.gpu_node_class";

/** Replaces the node class spec with the given one. */
const nodeClassSpec =
  (spec: JsonObject): RuleCase["change"] =>
  (s) =>
    patch(s["test-cluster"]!, "resource.kubernetes_manifest.gpu_node_class", {
      manifest: { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "gpu" }, spec },
    });

describeRuleCases("launch template and node class rules", computeRules, [
  { rule: "BF-EC2-001", when: "both require IMDSv2", change: () => {}, expected: [] },
  { rule: "BF-EC2-001", when: "a node class leaves metadata options to Karpenter's secure defaults", change: nodeClassSpec({}), expected: [] },
  {
    rule: "BF-EC2-001",
    when: "IMDSv1 is allowed on the template and the node class",
    change: (s) => {
      patch(s["test-cluster"]!, TEMPLATE, { metadata_options: { http_tokens: "optional", http_put_response_hop_limit: 1 } });
      nodeClassSpec({ metadataOptions: { httpTokens: "optional" } })(s);
    },
    expected: [`${lt}: IMDSv1 is allowed (metadata_options.http_tokens is "optional")`, `${nc}: IMDSv1 is allowed (metadataOptions.httpTokens is "optional")`],
  },
  {
    rule: "BF-EC2-001",
    when: "the template has no metadata options",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { metadata_options: undefined }),
    expected: [`${lt}: IMDSv1 is allowed (metadata_options.http_tokens is "unset")`],
  },
  {
    rule: "BF-EC2-001",
    when: "the metadata service is disabled altogether",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { metadata_options: { http_endpoint: "disabled" } }),
    expected: [],
  },
  { rule: "BF-EC2-002", when: "the hop limit is 1", change: () => {}, expected: [] },
  {
    rule: "BF-EC2-002",
    when: "the metadata service is disabled altogether",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { metadata_options: { http_endpoint: "disabled" } }),
    expected: [],
  },
  {
    rule: "BF-EC2-002",
    when: "the hop limit is 2",
    change: (s) => {
      patch(s["test-cluster"]!, TEMPLATE, { metadata_options: { http_tokens: "required", http_put_response_hop_limit: 2 } });
      nodeClassSpec({ metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } })(s);
    },
    expected: [
      `${lt}: pods can reach the node's instance credentials (metadata hop limit is 2, expected 1)`,
      `${nc}: pods can reach the node's instance credentials (metadataOptions.httpPutResponseHopLimit is 2, expected 1)`,
    ],
  },
  {
    rule: "BF-EC2-002",
    when: "the template leaves the hop limit to the AMI",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { metadata_options: { http_tokens: "required" } }),
    expected: [`${lt}: pods can reach the node's instance credentials (metadata hop limit is unset, expected 1)`],
  },
  { rule: "BF-EC2-003", when: "every declared volume is encrypted", change: () => {}, expected: [] },
  {
    rule: "BF-EC2-003",
    when: "volumes are unencrypted",
    change: (s) => {
      patch(s["test-cluster"]!, TEMPLATE, { block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_type: "gp3" } }] });
      nodeClassSpec({ blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { volumeSize: "100Gi" } }] })(s);
    },
    expected: [`${lt}: block device /dev/xvda is not encrypted`, `${nc}: block device /dev/xvdb is not encrypted`],
  },
  {
    rule: "BF-EC2-003",
    when: "the template declares no block devices",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { block_device_mappings: undefined }),
    expected: [`${lt}: no block_device_mappings: the root volume takes the AMI's unencrypted default`],
  },
  {
    rule: "BF-EC2-004",
    when: "interfaces keep private addresses only",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { network_interfaces: [{ device_index: 0, associate_public_ip_address: "false" }] }),
    expected: [],
  },
  {
    rule: "BF-EC2-004",
    when: "nodes get public IPs",
    change: (s) => {
      patch(s["test-cluster"]!, TEMPLATE, { network_interfaces: [{ device_index: 0, associate_public_ip_address: true }] });
      nodeClassSpec({ associatePublicIPAddress: true })(s);
    },
    expected: [
      `${lt}: a network interface gets a public IP (associate_public_ip_address = true)`,
      `${nc}: nodes get a public IP (associatePublicIPAddress: true)`,
    ],
  },
  { rule: "BF-EC2-005", when: "user data only configures the node", change: () => {}, expected: [] },
  {
    rule: "BF-EC2-005",
    when: "user data carries credentials",
    change: (s) => {
      patch(s["test-cluster"]!, TEMPLATE, { user_data: Buffer.from("#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n").toString("base64") });
      nodeClassSpec({ userData: '[settings]\npassword = "hunter2hunter2"\n' })(s);
    },
    expected: [`${lt}: user_data contains an AWS access key id`, `${nc}: userData contains a password assignment`],
  },
  {
    rule: "BF-EC2-006",
    when: "a standalone volume is encrypted",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_ebs_volume.scratch", { availability_zone: "us-east-1a", size: 100, encrypted: true }),
    expected: [],
  },
  {
    rule: "BF-EC2-006",
    when: "a standalone volume is not encrypted",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_ebs_volume.scratch", { availability_zone: "us-east-1a", size: 100 }),
    expected: ["test-cluster/aws_ebs_volume.scratch: the volume is not encrypted at rest (encrypted is not true)"],
  },
]);
