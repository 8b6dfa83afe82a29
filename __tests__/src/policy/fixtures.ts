/**
 * Hand-written cdk.tf.json fixtures for the policy gate. `secureStacks()` returns a small but complete output
 * (bootstrap + cluster + services) that passes every rule; tests break one thing with `patch` and check the
 * rule that must notice.
 */

import { runGate } from "../../../src/policy/engine";
import { stackFromJson } from "../../../src/policy/load";
import type { JsonObject, JsonValue, StackDocument } from "../../../src/policy/model";
import { ALL_RULES } from "../../../src/policy/rules";
import type { Waiver } from "../../../src/policy/waivers";

export const TODAY = new Date("2026-11-22T12:00:00Z");
export const ACCOUNT = "111122223333";

const policy = (statements: JsonObject[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trust = (service: string): string => policy([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
const denyInsecureTransport = (resource: string): JsonObject => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "*",
  Resource: resource,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

function bucketResources(prefix: string, bucket: string): JsonObject {
  const ref = `\${aws_s3_bucket.${prefix}.id}`;
  return {
    aws_s3_bucket: { [prefix]: { bucket, lifecycle: { prevent_destroy: true } } },
    aws_s3_bucket_versioning: { [prefix]: { bucket: ref, versioning_configuration: { status: "Enabled" } } },
    aws_s3_bucket_server_side_encryption_configuration: {
      [prefix]: { bucket: ref, rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] },
    },
    aws_s3_bucket_public_access_block: {
      [prefix]: { bucket: ref, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
    },
    aws_s3_bucket_policy: { [prefix]: { bucket: ref, policy: policy([denyInsecureTransport(`\${aws_s3_bucket.${prefix}.arn}/*`)]) } },
  };
}

/** The state key's ARN as the backends name it (a backend block cannot reference resources). */
export const STATE_KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/blockfleet-tfstate-test`;

function bootstrapStack(): JsonObject {
  const state = bucketResources("state", "blockfleet-tfstate-test");
  return {
    "//": { metadata: { stackName: "test-bootstrap", backend: "local" } },
    terraform: { backend: { local: { path: "terraform.test-bootstrap.tfstate" } } },
    provider: { aws: [{ region: "us-east-1", allowed_account_ids: [ACCOUNT] }] },
    resource: {
      ...state,
      aws_kms_key: {
        state: {
          enable_key_rotation: true,
          lifecycle: { prevent_destroy: true },
          policy: policy([
            {
              Sid: "AccountAdministers",
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
              Action: ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:Enable*", "kms:ScheduleKeyDeletion"],
              Resource: "*",
            },
            {
              Sid: "DeployRolesUseTheKey",
              Effect: "Allow",
              Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/blockfleet-deploy`] },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:DescribeKey"],
              Resource: "*",
              Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
            },
          ]),
        },
      },
      aws_kms_alias: { state: { name: "alias/blockfleet-tfstate-test", target_key_id: "${aws_kms_key.state.key_id}" } },
      aws_s3_bucket_server_side_encryption_configuration: {
        state: {
          bucket: "${aws_s3_bucket.state.id}",
          rule: [
            { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.state.arn}" }, bucket_key_enabled: true },
          ],
        },
      },
      aws_s3_bucket_lifecycle_configuration: {
        state: {
          bucket: "${aws_s3_bucket.state.id}",
          rule: [{ id: "expire-old-states", status: "Enabled", filter: {}, noncurrent_version_expiration: { noncurrent_days: 90 } }],
        },
      },
    },
  };
}

function clusterStack(): JsonObject {
  const models = bucketResources("models", "blockfleet-test-models");
  return {
    "//": { metadata: { stackName: "test-cluster", backend: "s3" } },
    terraform: {
      backend: {
        s3: {
          bucket: "blockfleet-tfstate-test",
          key: "test/test-cluster.tfstate",
          region: "us-east-1",
          encrypt: true,
          kms_key_id: STATE_KEY_ARN,
          use_lockfile: true,
        },
      },
    },
    provider: { aws: [{ region: "us-east-1", allowed_account_ids: [ACCOUNT] }] },
    data: {
      aws_caller_identity: { current: {} },
      aws_iam_policy_document: {
        controller: {
          statement: [
            { sid: "Queue", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], resources: ["${aws_sqs_queue.interruption.arn}"] },
            {
              sid: "RegionalReads",
              actions: ["ec2:DescribeInstances", "ec2:DescribeSubnets"],
              resources: ["*"],
              condition: [{ test: "StringEquals", variable: "aws:RequestedRegion", values: ["us-east-1"] }],
            },
            { sid: "Cluster", actions: ["eks:DescribeCluster"], resources: ["${aws_eks_cluster.main.arn}"] },
          ],
        },
      },
    },
    resource: {
      ...models,
      aws_vpc: { main: { cidr_block: "10.0.0.0/16" } },
      aws_flow_log: {
        main: {
          vpc_id: "${aws_vpc.main.id}",
          traffic_type: "ALL",
          log_destination: "${aws_cloudwatch_log_group.flow.arn}",
          iam_role_arn: "${aws_iam_role.flow.arn}",
        },
      },
      aws_default_security_group: { default: { vpc_id: "${aws_vpc.main.id}", ingress: [], egress: [] } },
      aws_internet_gateway: { igw: { vpc_id: "${aws_vpc.main.id}" } },
      aws_subnet: {
        public_a: { vpc_id: "${aws_vpc.main.id}", cidr_block: "10.0.128.0/24", availability_zone: "us-east-1a", map_public_ip_on_launch: true },
        private_a: { vpc_id: "${aws_vpc.main.id}", cidr_block: "10.0.0.0/20", availability_zone: "us-east-1a" },
        private_b: { vpc_id: "${aws_vpc.main.id}", cidr_block: "10.0.16.0/20", availability_zone: "us-east-1b" },
      },
      aws_route_table: { public: { vpc_id: "${aws_vpc.main.id}", route: [{ cidr_block: "0.0.0.0/0", gateway_id: "${aws_internet_gateway.igw.id}" }] } },
      aws_route_table_association: { public_a: { subnet_id: "${aws_subnet.public_a.id}", route_table_id: "${aws_route_table.public.id}" } },
      aws_security_group: {
        nodes: {
          vpc_id: "${aws_vpc.main.id}",
          description: "EKS nodes",
          ingress: [{ from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["10.0.0.0/16"], description: "API server to kubelet webhooks" }],
          egress: [{ from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["0.0.0.0/0"], description: "nodes pull images and reach AWS APIs" }],
        },
      },
      aws_vpc_security_group_ingress_rule: {
        efa: {
          security_group_id: "${aws_security_group.nodes.id}",
          referenced_security_group_id: "${aws_security_group.nodes.id}",
          ip_protocol: "-1",
          description: "EFA traffic between training nodes",
        },
      },
      aws_kms_key: {
        main: {
          enable_key_rotation: true,
          lifecycle: { prevent_destroy: true },
          policy: policy([{ Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }]),
        },
      },
      aws_cloudwatch_log_group: { flow: { name: "/aws/vpc/test/flow-logs", retention_in_days: 30, kms_key_id: "${aws_kms_key.main.arn}" } },
      aws_eks_cluster: {
        main: {
          name: "blockfleet-test",
          version: "1.34",
          role_arn: "${aws_iam_role.cluster.arn}",
          enabled_cluster_log_types: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
          encryption_config: { resources: ["secrets"], provider: { key_arn: "${aws_kms_key.main.arn}" } },
          vpc_config: {
            endpoint_private_access: true,
            endpoint_public_access: false,
            subnet_ids: ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"],
          },
        },
      },
      aws_iam_role: {
        cluster: { name: "blockfleet-test-cluster", assume_role_policy: trust("eks.amazonaws.com") },
        node: { name: "blockfleet-test-node", assume_role_policy: trust("ec2.amazonaws.com") },
        flow: { name: "blockfleet-test-flow-logs", assume_role_policy: trust("vpc-flow-logs.amazonaws.com") },
        controller: {
          name: "blockfleet-test-karpenter",
          assume_role_policy: policy([
            {
              Effect: "Allow",
              Principal: { Service: "pods.eks.amazonaws.com" },
              Action: ["sts:AssumeRole", "sts:TagSession"],
              Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT, "aws:RequestTag/kubernetes-namespace": "karpenter" } },
            },
          ]),
        },
        reconcile: { name: "blockfleet-test-reconcile", assume_role_policy: trust("lambda.amazonaws.com") },
      },
      aws_iam_role_policy_attachment: {
        node_worker: { role: "${aws_iam_role.node.name}", policy_arn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" },
        cluster: { role: "${aws_iam_role.cluster.name}", policy_arn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy" },
      },
      aws_iam_role_policy: {
        controller: { role: "${aws_iam_role.controller.id}", policy: "${data.aws_iam_policy_document.controller.json}" },
        flow: {
          role: "${aws_iam_role.flow.id}",
          policy: policy([{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: "${aws_cloudwatch_log_group.flow.arn}:*" }]),
        },
        reconcile: {
          role: "${aws_iam_role.reconcile.name}",
          policy: policy([
            {
              Sid: "Table",
              Effect: "Allow",
              Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
              Resource: "${aws_dynamodb_table.records.arn}",
            },
            { Sid: "Reservations", Effect: "Allow", Action: "ec2:DescribeCapacityReservations", Resource: "*" },
          ]),
        },
      },
      aws_launch_template: {
        gpu: {
          name: "blockfleet-test-p5",
          metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
          block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "true", volume_type: "gp3", volume_size: 200 } }],
          instance_market_options: { market_type: "capacity-block" },
          capacity_reservation_specification: { capacity_reservation_target: { capacity_reservation_id: "cr-0123456789abcdef0" } },
          user_data: Buffer.from('[settings.kubernetes]\ncluster-name = "blockfleet-test"\n').toString("base64"),
        },
      },
      aws_eks_node_group: {
        gpu: {
          cluster_name: "${aws_eks_cluster.main.name}",
          node_group_name: "p5-a",
          node_role_arn: "${aws_iam_role.node.arn}",
          capacity_type: "CAPACITY_BLOCK",
          ami_type: "AL2023_x86_64_NVIDIA",
          instance_types: ["p5.48xlarge"],
          subnet_ids: ["${aws_subnet.private_a.id}"],
          launch_template: { id: "${aws_launch_template.gpu.id}", version: "${aws_launch_template.gpu.latest_version}" },
          scaling_config: { min_size: 0, max_size: 2, desired_size: 0 },
          lifecycle: { ignore_changes: ["scaling_config[0].desired_size"], create_before_destroy: true },
        },
      },
      kubernetes_manifest: {
        gpu_node_class: {
          manifest: {
            apiVersion: "karpenter.k8s.aws/v1",
            kind: "EC2NodeClass",
            metadata: { name: "gpu" },
            spec: {
              amiSelectorTerms: [{ alias: "bottlerocket@latest" }],
              metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
              blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { encrypted: true, volumeSize: "200Gi", volumeType: "gp3" } }],
            },
          },
        },
      },
      aws_sqs_queue: {
        interruption: { name: "blockfleet-test-karpenter", sqs_managed_sse_enabled: true, message_retention_seconds: 300 },
        dlq: { name: "blockfleet-test-reconcile-dlq", kms_master_key_id: "${aws_kms_key.main.arn}" },
      },
      aws_sqs_queue_policy: {
        interruption: {
          queue_url: "${aws_sqs_queue.interruption.url}",
          policy: policy([
            {
              Sid: "EventBridgeSends",
              Effect: "Allow",
              Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
              Action: "sqs:SendMessage",
              Resource: "${aws_sqs_queue.interruption.arn}",
              Condition: { ArnEquals: { "aws:SourceArn": "${aws_cloudwatch_event_rule.schedule.arn}" } },
            },
            denyInsecureTransport("${aws_sqs_queue.interruption.arn}"),
          ]),
        },
      },
      aws_sns_topic: { alerts: { name: "blockfleet-test-alerts", kms_master_key_id: "${aws_kms_key.main.arn}" } },
      aws_sns_topic_policy: {
        alerts: {
          arn: "${aws_sns_topic.alerts.arn}",
          policy: policy([
            {
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
              Resource: "${aws_sns_topic.alerts.arn}",
              Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
            },
          ]),
        },
      },
      aws_dynamodb_table: {
        records: {
          name: "blockfleet-test-records",
          billing_mode: "PAY_PER_REQUEST",
          hash_key: "PK",
          point_in_time_recovery: { enabled: true },
          server_side_encryption: { enabled: true, kms_key_arn: "${aws_kms_key.main.arn}" },
          deletion_protection_enabled: true,
          lifecycle: { prevent_destroy: true },
        },
      },
      aws_dynamodb_resource_policy: {
        records: {
          resource_arn: "${aws_dynamodb_table.records.arn}",
          policy: policy([
            {
              Sid: "OnlyTheManagerWrites",
              Effect: "Deny",
              Principal: "*",
              Action: [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:PartiQLInsert",
                "dynamodb:PartiQLUpdate",
                "dynamodb:PartiQLDelete",
              ],
              Resource: "${aws_dynamodb_table.records.arn}",
              Condition: { ArnNotEquals: { "aws:PrincipalArn": ["${aws_iam_role.reconcile.arn}"] } },
            },
          ]),
        },
      },
      aws_secretsmanager_secret: { api_key: { name: "test/capacity-manager/api-key", kms_key_id: "${aws_kms_key.main.arn}" } },
      aws_lambda_function: {
        reconcile: {
          function_name: "blockfleet-test-capacity-manager-reconcile",
          role: "${aws_iam_role.reconcile.arn}",
          runtime: "nodejs22.x",
          handler: "index.handler",
          reserved_concurrent_executions: 1,
          tracing_config: { mode: "Active" },
          environment: {
            variables: { TABLE_NAME: "${aws_dynamodb_table.records.name}", API_KEY_SECRET_NAME: "test/capacity-manager/api-key", LOG_LEVEL: "INFO" },
          },
        },
      },
      aws_lambda_function_event_invoke_config: {
        reconcile: {
          function_name: "${aws_lambda_function.reconcile.function_name}",
          destination_config: { on_failure: { destination: "${aws_sqs_queue.dlq.arn}" } },
        },
      },
      aws_cloudwatch_event_rule: { schedule: { name: "blockfleet-test-reconcile", schedule_expression: "rate(1 minute)" } },
      aws_lambda_permission: {
        schedule: {
          function_name: "${aws_lambda_function.reconcile.function_name}",
          action: "lambda:InvokeFunction",
          principal: "events.amazonaws.com",
          source_arn: "${aws_cloudwatch_event_rule.schedule.arn}",
        },
      },
      aws_api_gateway_rest_api: { api: { name: "blockfleet-test-capacity" } },
      aws_api_gateway_method: {
        get: {
          rest_api_id: "${aws_api_gateway_rest_api.api.id}",
          resource_id: "${aws_api_gateway_rest_api.api.root_resource_id}",
          http_method: "GET",
          authorization: "AWS_IAM",
          api_key_required: true,
        },
        options: {
          rest_api_id: "${aws_api_gateway_rest_api.api.id}",
          resource_id: "${aws_api_gateway_rest_api.api.root_resource_id}",
          http_method: "OPTIONS",
          authorization: "NONE",
        },
      },
      aws_api_gateway_stage: {
        live: {
          rest_api_id: "${aws_api_gateway_rest_api.api.id}",
          stage_name: "live",
          deployment_id: "abc123",
          access_log_settings: { destination_arn: "${aws_cloudwatch_log_group.flow.arn}", format: "$context.requestId" },
        },
      },
      aws_api_gateway_method_settings: {
        all: {
          rest_api_id: "${aws_api_gateway_rest_api.api.id}",
          stage_name: "${aws_api_gateway_stage.live.stage_name}",
          method_path: "*/*",
          settings: { metrics_enabled: true, logging_level: "INFO", data_trace_enabled: false, throttling_rate_limit: 10, throttling_burst_limit: 20 },
        },
      },
      aws_api_gateway_usage_plan: {
        plan: {
          name: "blockfleet-test",
          api_stages: [{ api_id: "${aws_api_gateway_rest_api.api.id}", stage: "${aws_api_gateway_stage.live.stage_name}" }],
          throttle_settings: { rate_limit: 10, burst_limit: 20 },
          quota_settings: { limit: 10000, period: "DAY" },
        },
      },
      aws_api_gateway_api_key: { key: { name: "blockfleet-test" } },
      aws_api_gateway_usage_plan_key: {
        key: { key_id: "${aws_api_gateway_api_key.key.id}", key_type: "API_KEY", usage_plan_id: "${aws_api_gateway_usage_plan.plan.id}" },
      },
      aws_db_instance: {
        db: {
          identifier: "blockfleet-test",
          engine: "postgres",
          storage_encrypted: true,
          deletion_protection: true,
          publicly_accessible: false,
          backup_retention_period: 7,
          enabled_cloudwatch_logs_exports: ["postgresql"],
        },
      },
      aws_elasticache_replication_group: {
        cache: {
          replication_group_id: "blockfleet-test",
          at_rest_encryption_enabled: true,
          transit_encryption_enabled: true,
          auth_token: "${data.aws_secretsmanager_secret_version.redis.secret_string}",
          lifecycle: { prevent_destroy: true },
        },
      },
    },
  };
}

/** Fresh JSON of a secure output: `test-bootstrap` (local state, the state bucket) and `test-cluster`. */
export function secureStacks(): Record<string, JsonObject> {
  return { "test-bootstrap": bootstrapStack(), "test-cluster": clusterStack() };
}

/**
 * Changes one block in place: `patch(json, "resource.aws_eks_cluster.main", { version: "1.20" })` merges the
 * object in (an `undefined` value deletes the key); `patch(json, "resource.aws_x.y", null)` removes the block.
 */
export function patch(json: JsonObject, path: string, change: Record<string, JsonValue | undefined> | null): JsonObject {
  const keys = path.split(".");
  const last = keys.pop()!;
  let parent = json;
  for (const key of keys) {
    parent[key] ??= {};
    parent = parent[key] as JsonObject;
  }
  if (change === null) {
    delete parent[last];
    return json;
  }
  parent[last] ??= {};
  const target = parent[last] as JsonObject;
  for (const [key, value] of Object.entries(change)) {
    if (value === undefined) delete target[key];
    else target[key] = value;
  }
  return json;
}

export function toStacks(json: Record<string, JsonObject>): StackDocument[] {
  return Object.entries(json).map(([name, stack]) => stackFromJson(stack, name));
}

/** Findings of one rule on the fixture (waivers applied), as `address: message` lines. */
export async function findingsOf(ruleId: string, json: Record<string, JsonObject>, waivers: readonly Waiver[] = [], today = TODAY): Promise<string[]> {
  const rules = ALL_RULES.filter((rule) => rule.id === ruleId);
  if (rules.length !== 1) throw new Error(`no rule ${ruleId}`);
  const result = await runGate({ stacks: toStacks(json), rules, waivers, today });
  return result.failures.map((finding) => `${finding.address}: ${finding.message}`);
}

export { policy, trust };
