import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_CHARTS } from "../../src/constructs/platform/charts";
import { platformNames, platformSecretKinds } from "../../src/constructs/platform/common/names";
import { ALB_SSL_POLICY } from "../../src/constructs/platform/manifests";
import { MODEL_BUCKET_ACTIONS } from "../../src/constructs/platform/model-registry";
import { naming } from "../../src/lib/naming";
import { DEFAULT_WAIVERS_FILE } from "../../src/policy/cli";
import { runGate } from "../../src/policy/engine";
import { stackFromJson } from "../../src/policy/load";
import type { JsonObject } from "../../src/policy/model";
import { loadWaivers } from "../../src/policy/waivers";
import { buildApp } from "../../stacks/app";
import { esoCrdErrors } from "../src/constructs/platform/eso-crd-validation";
import { RoleSimulator } from "../support/iam-simulation";
import { baseEnvironmentInput, environmentFrom, type Synthesized, synthesize } from "../support/synth";

const CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

const blocks = [
  { name: "p5-a", reservation_id: "cr-0123456789abcdef0", instance_type: "p5.48xlarge", instance_count: 2, availability_zone: "us-east-1a", efa: true },
  {
    name: "p5e-b",
    reservation_id: "cr-0fedcba9876543210",
    instance_type: "p5e.48xlarge",
    instance_count: 1,
    availability_zone: "us-east-1b",
    ami_type: "BOTTLEROCKET_x86_64_NVIDIA",
    labels: { "nvidia.com/gpu.deploy.operands": "false" },
    taints: [{ key: "workload", value: "inference", effect: "NO_SCHEDULE" }],
  },
];

/** Every part on. */
const FULL = environmentFrom("pf", {
  ...baseEnvironmentInput(),
  account_id: "111122223333",
  capacity_blocks: blocks,
  platform: {
    model_registry: {},
    database: {},
    cache: {},
    secrets: { oidc_providers: [{ name: "Okta", key: "okta", issuer_url: "https://example.okta.com", client_id: "abc123" }] },
    external_secrets: {},
    load_balancer_controller: { certificate_arn: CERTIFICATE, scheme: "internet-facing" },
    gpu: { dcgm_exporter: true },
    logs: { retention_days: 400 },
    reloader: {},
  },
});
/** Only the data services, each at its smallest. */
const MINIMAL = environmentFrom("pfmin", {
  ...baseEnvironmentInput(),
  platform: { database: { multi_az: false }, cache: { automatic_failover: false, num_cache_clusters: 1 } },
});
/** Only Kubernetes parts: the GPU Operator instead of the device plugin, Karpenter on AL2023. */
const GPU_OPERATOR = environmentFrom("pfgpu", {
  ...baseEnvironmentInput(),
  capacity_blocks: blocks.map((block) => ({ ...block, efa: false })),
  karpenter: { ami_family: "al2023" },
  platform: { gpu: { gpu_operator: true, nvidia_device_plugin: false, dcgm_exporter: true }, reloader: {} },
});
const NONE = environmentFrom("pfnone", baseEnvironmentInput());

const P = "pf-platform";
const K = "pf-platform-k8s";
const M = "pf-platform-manifests";

let synthesized: Synthesized;

beforeAll(async () => {
  synthesized = await synthesize([FULL, MINIMAL, GPU_OPERATOR, NONE]);
}, 60_000);

type Body = Record<string, unknown>;
const resources = (stack: string, type: string) => synthesized.resources(stack, type);
const one = (stack: string, type: string, idPart = "") => synthesized.resource(stack, type, idPart);
const policyOf = (stack: string, idPart: string) => JSON.parse(one(stack, "aws_iam_role_policy", idPart)["policy"] as string) as { Statement: Body[] };
const associations = (stack: string) =>
  resources(stack, "aws_eks_pod_identity_association")
    .map(([, body]) => `${String(body["namespace"])}/${String(body["service_account"])}`)
    .sort();
const releases = (stack: string) => Object.fromEntries(resources(stack, "helm_release").map(([, body]) => [body["chart"] as string, body]));
// biome-ignore lint/suspicious/noExplicitAny: Helm values walked by key in assertions; the assertions check the values
const valuesOf = (release: Body) => JSON.parse((release["values"] as string[])[0]!) as Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects walked by key in assertions; the assertions check the values
const manifests = (stack: string) => resources(stack, "kubernetes_manifest").map(([, body]) => body["manifest"] as Record<string, any>);

describe("platform stacks", () => {
  it("exist only for the parts an environment turns on", () => {
    // GIVEN four environments  WHEN synthesized  THEN each has exactly the platform stacks its parts need
    const platformStacks = (env: string) =>
      Object.keys(synthesized.stacks)
        .filter((name) => name.startsWith(`${env}-platform`))
        .sort();
    expect(platformStacks("pf")).toEqual([P, M, K].sort());
    expect(platformStacks("pfmin")).toEqual(["pfmin-platform"]);
    expect(platformStacks("pfgpu")).toEqual(["pfgpu-platform-k8s"]);
    expect(platformStacks("pfnone")).toEqual([]);
  });

  it("deploy in order: cluster, platform, charts, then the manifests that need the charts' CRDs", () => {
    const outdir = mkdtempSync(join(tmpdir(), "blockfleet-platform-order-"));
    try {
      const app = buildApp([FULL, GPU_OPERATOR], { outdir });
      const dependenciesOf = (name: string) =>
        (app.node.findChild(name) as unknown as { dependencies: Array<{ node: { id: string } }> }).dependencies.map((stack) => stack.node.id);
      expect(dependenciesOf(P)).toEqual(["pf-cluster"]);
      expect(dependenciesOf(K)).toEqual([P]);
      expect(dependenciesOf(M)).toEqual([K]);
      expect(dependenciesOf("pfgpu-platform-k8s")).toEqual(["pfgpu-cluster"]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("passes the policy gate with every part on", async () => {
    const stacks = Object.entries(synthesized.stacks)
      .filter(([name]) => name.startsWith("pf-"))
      .map(([name, json]) => stackFromJson(json as JsonObject, name));
    // The shipped waivers file, as `npm run check` uses it (it covers Karpenter's by-design PassRole).
    const result = await runGate({ stacks, waivers: loadWaivers(DEFAULT_WAIVERS_FILE), today: new Date("2026-11-22T00:00:00Z") });
    expect(result.failures.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`)).toEqual([]);
  });

  it("never writes a generated secret (Redis token, cookie secret) to an output", () => {
    const outputs = Object.values(synthesized.stacks).flatMap((stack) => Object.values(stack.output ?? {}).map((output) => JSON.stringify(output.value)));
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.filter((value) => value.includes("random_password") || value.includes("secret_string"))).toEqual([]);
  });
});

describe("model registry", () => {
  it("is a private, versioned, KMS-encrypted, owner-enforced, TLS-only bucket that cleans up multipart uploads", () => {
    const bucket = one(P, "aws_s3_bucket", "model-registry");
    expect(bucket["bucket"]).toBe("blockfleet-pf-models-${data.aws_caller_identity.caller-identity.account_id}");
    expect(bucket["lifecycle"]).toEqual({ prevent_destroy: true });
    expect(one(P, "aws_s3_bucket_versioning")["versioning_configuration"]).toEqual({ status: "Enabled" });
    const [rule] = one(P, "aws_s3_bucket_server_side_encryption_configuration")["rule"] as Body[];
    expect(rule!["apply_server_side_encryption_by_default"]).toEqual({
      sse_algorithm: "aws:kms",
      kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.model-registry_key_\w+\.arn\}$/),
    });
    expect(rule!["bucket_key_enabled"]).toBe(true);
    expect(one(P, "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(P, "aws_s3_bucket_ownership_controls")["rule"]).toEqual({ object_ownership: "BucketOwnerEnforced" });
    const policy = JSON.parse(one(P, "aws_s3_bucket_policy")["policy"] as string) as { Statement: Body[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
    const lifecycle = one(P, "aws_s3_bucket_lifecycle_configuration")["rule"] as Body[];
    expect(lifecycle.map((entry) => [entry["id"], entry["status"]])).toEqual([
      ["abort-incomplete-multipart-uploads", "Enabled"],
      ["expire-noncurrent-versions", "Enabled"],
    ]);
    expect(lifecycle[0]!["abort_incomplete_multipart_upload"]).toEqual([{ days_after_initiation: 7 }]);
    expect(lifecycle[1]!["noncurrent_version_expiration"]).toEqual([{ noncurrent_days: 90 }]);
  });

  it("gives the workloads' service account exactly the object and multipart actions, through Pod Identity", () => {
    const statements = policyOf(P, "model-registry");
    expect(
      statements.Statement.flatMap((statement) => statement["Action"] as string[])
        .filter((action) => action.startsWith("s3:"))
        .sort(),
    ).toEqual([...MODEL_BUCKET_ACTIONS.bucket, ...MODEL_BUCKET_ACTIONS.object].sort());
    expect(JSON.parse(one(P, "aws_iam_role", "model-registry")["assume_role_policy"] as string).Statement[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: { StringEquals: { "aws:RequestTag/kubernetes-namespace": "ml-platform", "aws:RequestTag/kubernetes-service-account": "ml-workloads" } },
    });
    expect(associations(P)).toContain("ml-platform/ml-workloads");
  });

  it("is absent when the part is off", () => {
    expect(resources("pfmin-platform", "aws_s3_bucket")).toEqual([]);
    expect(resources("pfmin-platform", "aws_iam_role")).toEqual([]);
  });
});

describe("database", () => {
  it("is PostgreSQL 17, private, encrypted gp3, Multi-AZ, backed up 30 days, protected, with an RDS-managed password", () => {
    const db = one(P, "aws_db_instance");
    expect(db).toMatchObject({
      engine: "postgres",
      engine_version: "17",
      storage_type: "gp3",
      storage_encrypted: true,
      multi_az: true,
      backup_retention_period: 30,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: expect.stringMatching(/^blockfleet-pf-platform-final-\$\{random_id\.database_final-snapshot-suffix_\w+\.hex\}$/),
      manage_master_user_password: true,
      publicly_accessible: false,
      identifier: "blockfleet-pf-platform",
    });
    expect(db["password"]).toBeUndefined();
    // A new suffix per instance: a second destroy never collides with the first one's final snapshot.
    expect(one(P, "random_id")).toMatchObject({ byte_length: 4, keepers: { identifier: "blockfleet-pf-platform" } });
    expect(db["kms_key_id"]).toMatch(/^\$\{aws_kms_key\.data-key_\w+\.arn\}$/);
    expect(db["master_user_secret_kms_key_id"]).toMatch(/^\$\{aws_kms_key\.secrets_key_\w+\.arn\}$/);
    expect(one(P, "aws_db_subnet_group")["subnet_ids"]).toMatch(/^\$\{data\.aws_subnets\.cluster_private-subnets_\w+\.ids\}$/);
  });

  it("forces TLS through its parameter group", () => {
    const group = one(P, "aws_db_parameter_group");
    expect(group["family"]).toBe("postgres17");
    expect(group["name_prefix"]).toBe("blockfleet-pf-platform-postgres17-");
    expect(one(P, "aws_db_instance")["parameter_group_name"]).toMatch(/^\$\{aws_db_parameter_group\.database_parameter-group_\w+\.name\}$/);
    expect(group["parameter"]).toEqual([{ name: "rds.force_ssl", value: "1", apply_method: "pending-reboot" }]);
  });

  it("admits only the nodes' security groups on 5432", () => {
    const rules = resources(P, "aws_vpc_security_group_ingress_rule")
      .filter(([id]) => id.startsWith("database_"))
      .map(([, body]) => body);
    expect(rules.map((rule) => rule["referenced_security_group_id"]).sort()).toEqual([
      expect.stringMatching(/^\$\{data\.aws_eks_cluster\.cluster_\w+\.vpc_config\[0\]\.cluster_security_group_id\}$/),
      expect.stringMatching(/^\$\{data\.aws_security_group\.cluster_node-security-group_\w+\.id\}$/),
    ]);
    for (const rule of rules) {
      expect(rule).toMatchObject({ ip_protocol: "tcp", from_port: 5432, to_port: 5432 });
      expect(rule["cidr_ipv4"]).toBeUndefined();
    }
    expect(synthesized.dataSources(P, "aws_security_group")[0]![1]["tags"]).toEqual({ "karpenter.sh/discovery": "blockfleet-pf" });
  });

  it("runs in one AZ when multi_az is off", () => {
    expect(one("pfmin-platform", "aws_db_instance")["multi_az"]).toBe(false);
  });
});

describe("cache", () => {
  it("is Redis 7 encrypted at rest and in transit, with IAM authentication (no token anywhere) and automatic failover", () => {
    const group = one(P, "aws_elasticache_replication_group");
    expect(group).toMatchObject({
      engine: "redis",
      engine_version: "7.1",
      at_rest_encryption_enabled: "true",
      transit_encryption_enabled: true,
      transit_encryption_mode: "required",
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      num_cache_clusters: 2,
      node_type: "cache.r7g.large",
      lifecycle: { prevent_destroy: true },
    });
    expect(group["auth_token"]).toBeUndefined();
    expect(group["user_group_ids"]).toEqual([expect.stringMatching(/^\$\{aws_elasticache_user_group\.cache_user-group_\w+\.user_group_id\}$/)]);
    expect(one(P, "aws_elasticache_user_group")).toMatchObject({ user_group_id: "blockfleet-pf-platform", engine: "redis" });
    // The mandatory "default" user can't log in; the app user authenticates with IAM only (user id = user name).
    expect(one(P, "aws_elasticache_user", "default-user")).toMatchObject({
      user_name: "default",
      access_string: "off -@all",
      authentication_mode: { type: "no-password-required" },
    });
    expect(one(P, "aws_elasticache_user", "app-user")).toMatchObject({
      user_id: "blockfleet-pf-platform-app",
      user_name: "blockfleet-pf-platform-app",
      authentication_mode: { type: "iam" },
    });
    expect(one(P, "aws_elasticache_user", "app-user")["passwords"]).toBeUndefined();
    expect(resources(P, "random_password")).toEqual([]);
    const ports = resources(P, "aws_vpc_security_group_ingress_rule")
      .filter(([id]) => id.startsWith("cache_"))
      .map(([, body]) => body["from_port"]);
    expect(ports).toEqual([6379, 6379]);
  });

  it("is a single node without failover when asked", () => {
    expect(one("pfmin-platform", "aws_elasticache_replication_group")).toMatchObject({
      automatic_failover_enabled: false,
      multi_az_enabled: false,
      num_cache_clusters: 1,
    });
  });
});

describe("secrets layout", () => {
  const secretNamed = (name: string) => resources(P, "aws_secretsmanager_secret").find(([, body]) => body["name"] === name)?.[1];
  const secretValueOf = (kind: string) => one(P, "aws_secretsmanager_secret_version", `secrets_${kind}_value`);

  it("creates exactly the secrets the manifests stack syncs, whatever parts are on", () => {
    // GIVEN every part on, and only the data services  THEN the AWS stack's secrets are the layout's kinds for those parts
    for (const environment of [FULL, MINIMAL]) {
      const created = resources(`${environment.name}-platform`, "aws_secretsmanager_secret")
        .map(([, body]) => body["name"])
        .sort();
      const layout = platformNames(naming(environment.name)).secrets;
      expect(created).toEqual(
        platformSecretKinds(environment.config.platform!)
          .map((kind) => layout[kind])
          .sort(),
      );
    }
    expect(platformSecretKinds(MINIMAL.config.platform!)).toEqual(["databaseConnection", "redis"]);
  });

  it("puts every secret under <env>/ with the secrets key and a 30-day recovery window", () => {
    const names = resources(P, "aws_secretsmanager_secret")
      .map(([, body]) => body["name"])
      .sort();
    expect(names).toEqual(["pf/cookies-secret", "pf/oidc_secret", "pf/rds/connection", "pf/redis/auth-token", "pf/s3/storage"]);
    for (const name of names) {
      expect(secretNamed(name as string)).toMatchObject({
        kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.secrets_key_\w+\.arn\}$/),
        recovery_window_in_days: 30,
      });
    }
  });

  it("holds the database location, storage URLs and the Redis URL and user, with no password in them", () => {
    expect(JSON.parse(secretValueOf("databaseConnection")["secret_string"] as string)).toEqual({
      endpoint: expect.stringMatching(/^\$\{aws_db_instance\.database_instance_\w+\.address\}$/),
      port: "5432",
      database_name: "platform",
    });
    expect(JSON.parse(secretValueOf("storage")["secret_string"] as string)).toEqual({
      model_registry: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.model-registry_bucket_\w+\.bucket\}\/model_registry$/),
      workdir: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.model-registry_bucket_\w+\.bucket\}\/shared$/),
    });
    const redis = JSON.parse(secretValueOf("redis")["secret_string"] as string) as { url: string; username: string };
    expect(redis.username).toMatch(/^\$\{aws_elasticache_user\.cache_app-user_\w+\.user_name\}$/);
    expect(redis.url).toMatch(
      /^rediss:\/\/\$\{aws_elasticache_user\.cache_app-user_\w+\.user_name\}@\$\{aws_elasticache_replication_group\.cache_replication-group_\w+\.primary_endpoint_address\}:6379$/,
    );
  });

  it("seeds the OIDC providers without client secrets and keeps what is set later; generates the cookie secret outside state", () => {
    const oidc = secretValueOf("oidcProviders");
    expect(oidc["lifecycle"]).toEqual({ ignore_changes: ["secret_string"] });
    expect(JSON.parse(oidc["secret_string"] as string)).toEqual([
      {
        name: "Okta",
        key: "okta",
        issuer_url: "https://example.okta.com",
        client_id: "abc123",
        scopes: ["openid", "email", "profile"],
        pkce: true,
        allow_sign_up: false,
        client_secret: "",
      },
    ]);
    // An ephemeral password written through the write-only attribute: neither lands in state.
    const cookies = secretValueOf("cookies");
    expect(cookies["secret_string"]).toBeUndefined();
    expect(cookies["secret_string_wo"]).toBe("${ephemeral.random_password.secrets_cookies.result}");
    expect(cookies["secret_string_wo_version"]).toBe(1);
    const stack = synthesized.stack(P) as { ephemeral?: Record<string, Record<string, unknown>> };
    expect(stack.ephemeral).toEqual({ random_password: { secrets_cookies: { length: 64, special: false } } });
    expect(resources(P, "random_password")).toEqual([]);
    expect(cookies["lifecycle"]).toBeUndefined();
  });

  it("associates the controllers' roles with their service accounts", () => {
    expect(associations(P)).toEqual(["external-secrets/external-secrets", "kube-system/aws-load-balancer-controller", "ml-platform/ml-workloads"]);
  });
});

describe("logs", () => {
  it("installs the CloudWatch Observability add-on with Pod Identity and pre-creates its log groups with retention and KMS", () => {
    const addon = one(P, "aws_eks_addon");
    expect(addon).toMatchObject({ addon_name: "amazon-cloudwatch-observability", cluster_name: "blockfleet-pf" });
    expect(addon["pod_identity_association"]).toEqual([
      { role_arn: expect.stringMatching(/observability_agent_role_\w+\.arn/), service_account: "cloudwatch-agent" },
    ]);
    const groups = resources(P, "aws_cloudwatch_log_group")
      .map(([, body]) => body)
      .filter((body) => String(body["name"]).startsWith("/aws/containerinsights/"));
    expect(groups.map((group) => group["name"]).sort()).toEqual(
      ["application", "dataplane", "host", "performance"].map((kind) => `/aws/containerinsights/blockfleet-pf/${kind}`),
    );
    for (const group of groups) expect(group).toMatchObject({ retention_in_days: 400, kms_key_id: expect.stringMatching(/logs-key_\w+\.arn/) });
  });

  it("is absent when the part is off", () => {
    expect(resources("pfmin-platform", "aws_eks_addon")).toEqual([]);
  });
});

describe("charts", () => {
  it("installs the pinned charts of the parts that are on, and nothing else", () => {
    const installed = releases(K);
    expect(Object.keys(installed).sort()).toEqual([
      "aws-efa-k8s-device-plugin",
      "aws-load-balancer-controller",
      "dcgm-exporter",
      "external-secrets",
      "nvidia-device-plugin",
      "reloader",
    ]);
    for (const pin of Object.values(PLATFORM_CHARTS)) {
      if (installed[pin.chart]) expect(installed[pin.chart]).toMatchObject({ repository: pin.repository, version: pin.version, atomic: true, wait: true });
    }
  });

  it("reaches the cluster with aws eks get-token, never a stored token", () => {
    const kubernetes = synthesized.stack(K).provider!["kubernetes"]![0]!;
    expect(kubernetes["exec"]).toEqual([
      {
        api_version: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", "blockfleet-pf", "--region", "us-east-1"],
      },
    ]);
    expect(kubernetes["token"]).toBeUndefined();
  });

  it("runs the NVIDIA device plugin only on AL2023 GPU nodes, tolerating the GPU taints", () => {
    const values = valuesOf(releases(K)["nvidia-device-plugin"]!);
    expect(values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "blockfleet.io/capacity-block", operator: "In", values: ["p5-a"] }] },
    ]);
    expect(values.tolerations).toEqual(
      expect.arrayContaining([
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        { key: "workload", operator: "Exists", effect: "NoSchedule" },
      ]),
    );
  });

  it("gives the load balancer controller the cluster, region and VPC, on the system nodes", () => {
    expect(valuesOf(releases(K)["aws-load-balancer-controller"]!)).toMatchObject({
      clusterName: "blockfleet-pf",
      region: "us-east-1",
      vpcId: expect.stringMatching(/^\$\{data\.aws_eks_cluster\.cluster_\w+\.vpc_config\[0\]\.vpc_id\}$/),
      serviceAccount: { name: "aws-load-balancer-controller" },
      nodeSelector: { "blockfleet.io/node-role": "system" },
    });
    expect(valuesOf(releases(K)["external-secrets"]!)).toMatchObject({ installCRDs: true, serviceAccount: { name: "external-secrets" } });
  });

  it("creates the namespace synced secrets are written to", () => {
    expect((one(K, "kubernetes_namespace_v1")["metadata"] as Body)["name"]).toBe("ml-platform");
  });

  it("uses the GPU Operator with the driver and toolkit off instead of the standalone plugin and exporter", () => {
    const installed = releases("pfgpu-platform-k8s");
    expect(Object.keys(installed).sort()).toEqual(["gpu-operator", "reloader"]);
    expect(valuesOf(installed["gpu-operator"]!)).toMatchObject({
      driver: { enabled: false },
      toolkit: { enabled: false },
      devicePlugin: { enabled: true },
      dcgmExporter: { enabled: true },
    });
  });
});

describe("manifests", () => {
  it("syncs each secret with External Secrets: database credentials every 3 minutes, the rest hourly", () => {
    const synced = manifests(M).filter((manifest) => manifest["kind"] === "ExternalSecret");
    expect(Object.fromEntries(synced.map((manifest) => [manifest["metadata"].name, manifest["spec"].refreshInterval]))).toEqual({
      "platform-auth": "1h",
      "platform-database": "3m",
      "platform-redis": "1h",
      "platform-storage": "1h",
    });
    const database = synced.find((manifest) => manifest["metadata"].name === "platform-database")!;
    expect(database["spec"].data[0].remoteRef).toEqual({ key: "${data.aws_db_instance.database.master_user_secret[0].secret_arn}", property: "username" });
    expect(synthesized.dataSources(M, "aws_db_instance")[0]![1]["db_instance_identifier"]).toBe("blockfleet-pf-platform");
  });

  it("validates every ClusterSecretStore and ExternalSecret against the External Secrets 2.0.1 v1 CRDs", () => {
    const objects = manifests(M).filter((manifest) => String(manifest["apiVersion"]).startsWith("external-secrets.io/"));
    expect(objects.map((manifest) => manifest["kind"]).sort()).toEqual([
      "ClusterSecretStore",
      "ExternalSecret",
      "ExternalSecret",
      "ExternalSecret",
      "ExternalSecret",
    ]);
    for (const object of objects) expect(esoCrdErrors(object), `${object["kind"]} ${object["metadata"].name}`).toEqual([]);
  });

  it("opens the cluster store only to the namespace the secrets are synced to", () => {
    const store = manifests(M).find((manifest) => manifest["kind"] === "ClusterSecretStore")!;
    expect(store["spec"].conditions).toEqual([{ namespaces: ["ml-platform"] }]);
    expect(store["spec"].provider).toEqual({ aws: { service: "SecretsManager", region: "us-east-1" } });
  });

  it("defines the ALB ingress class with the TLS 1.3 policy and the certificate from the environment file", () => {
    const params = manifests(M).find((manifest) => manifest["kind"] === "IngressClassParams")!;
    expect(params["spec"]).toMatchObject({ scheme: "internet-facing", sslPolicy: ALB_SSL_POLICY, certificateArn: [CERTIFICATE] });
    expect(ALB_SSL_POLICY).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    const ingressClass = manifests(M).find((manifest) => manifest["kind"] === "IngressClass")!;
    expect(ingressClass["spec"]).toEqual({
      controller: "ingress.k8s.aws/alb",
      parameters: { apiGroup: "elbv2.k8s.aws", kind: "IngressClassParams", name: "alb" },
    });
  });
});

describe("IAM, simulated", () => {
  let simulator: RoleSimulator;
  beforeAll(() => {
    simulator = new RoleSimulator(synthesized);
  });
  const account = "111122223333";
  const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:${account}:secret:${name}-AbCdEf`;
  const rdsSecret = secretArn("rds!db-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b");
  const rdsTag = "aws:ResourceTag/aws:rds:primaryDBInstanceArn";

  describe("Pod Identity trust", () => {
    const clusterArn = `arn:aws:eks:us-east-1:${account}:cluster/blockfleet-pf`;
    const pod = (namespace: string, serviceAccount: string, overrides: Record<string, string> = {}) => ({
      "aws:SourceAccount": account,
      "aws:RequestTag/eks-cluster-arn": clusterArn,
      "aws:RequestTag/eks-cluster-name": "blockfleet-pf",
      "aws:RequestTag/kubernetes-namespace": namespace,
      "aws:RequestTag/kubernetes-service-account": serviceAccount,
      ...overrides,
    });
    const ROLES: Array<[string, string, string]> = [
      ["blockfleet-pf-external-secrets", "external-secrets", "external-secrets"],
      ["blockfleet-pf-aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller"],
      ["blockfleet-pf-model-registry", "ml-platform", "ml-workloads"],
      ["blockfleet-pf-cloudwatch-agent", "amazon-cloudwatch", "cloudwatch-agent"],
    ];

    it.each(ROLES)(
      "GIVEN a pod of %s's service account on this cluster THEN EKS Pod Identity may assume and tag the session",
      async (role, namespace, serviceAccount) => {
        for (const action of ["sts:AssumeRole", "sts:TagSession"]) {
          expect(await simulator.serviceMayAssume(P, role, "pods.eks.amazonaws.com", pod(namespace, serviceAccount), action), action).toBe("Allowed");
        }
        // the trust doesn't depend on aws:SourceAccount, which AWS doesn't document for EKS Auth's AssumeRole
        const { "aws:SourceAccount": _sourceAccount, ...withoutSourceAccount } = pod(namespace, serviceAccount);
        expect(await simulator.serviceMayAssume(P, role, "pods.eks.amazonaws.com", withoutSourceAccount)).toBe("Allowed");
      },
    );

    it.each(ROLES)("GIVEN %s: another namespace, service account, cluster or account THEN it is denied", async (role, namespace, serviceAccount) => {
      const denied = [
        pod("default", serviceAccount),
        pod(namespace, "default"),
        pod(namespace, serviceAccount, { "aws:RequestTag/eks-cluster-arn": `arn:aws:eks:us-east-1:${account}:cluster/analytics` }),
        // the same cluster name in another account: its cluster ARN names that account
        pod(namespace, serviceAccount, {
          "aws:SourceAccount": "444455556666",
          "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:444455556666:cluster/blockfleet-pf",
        }),
      ];
      for (const context of denied) {
        expect(await simulator.serviceMayAssume(P, role, "pods.eks.amazonaws.com", context), JSON.stringify(context)).toBe("ImplicitlyDenied");
      }
      expect(await simulator.serviceMayAssume(P, role, "ec2.amazonaws.com", pod(namespace, serviceAccount))).toBe("ImplicitlyDenied");
    });
  });

  it("lets the platform workloads connect to Redis as the app user, and to nothing else there", async () => {
    const role = simulator.role(P, "blockfleet-pf-model-registry");
    const group = simulator.arn(P, "aws_elasticache_replication_group");
    expect(await simulator.decide(role, "elasticache:Connect", group)).toBe("Allowed");
    // The policy gate's workspace has no ARN format for ElastiCache users, so the user half is read off the policy.
    const connect = JSON.parse(one(P, "aws_iam_role_policy", "workloads-connect")["policy"] as string) as { Statement: Array<{ Resource: string[] }> };
    expect(connect.Statement[0]!.Resource).toEqual([
      expect.stringMatching(/^\$\{aws_elasticache_replication_group\.cache_replication-group_\w+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_elasticache_user\.cache_app-user_\w+\.arn\}$/),
    ]);
    expect(await simulator.decide(role, "elasticache:Connect", `arn:aws:elasticache:us-east-1:${account}:replicationgroup:payments`)).toBe("ImplicitlyDenied");
    expect(await simulator.decide(simulator.role(P, "blockfleet-pf-external-secrets"), "elasticache:Connect", group)).toBe("ImplicitlyDenied");
  });

  it("lets External Secrets read every secret of its layout, and nothing else there", async () => {
    const role = simulator.role(P, "blockfleet-pf-external-secrets");
    for (const [id] of resources(P, "aws_secretsmanager_secret")) {
      const arn = simulator.arn(P, "aws_secretsmanager_secret", id);
      expect(await simulator.decide(role, "secretsmanager:GetSecretValue", arn), arn).toBe("Allowed");
      expect(await simulator.decide(role, "secretsmanager:DescribeSecret", arn), arn).toBe("Allowed");
      expect(await simulator.decide(role, "secretsmanager:PutSecretValue", arn), arn).toBe("ImplicitlyDenied");
    }
    expect(await simulator.decide(role, "secretsmanager:GetSecretValue", secretArn("pf/something-else"))).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "secretsmanager:GetSecretValue", secretArn("prod/rds/connection"))).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "secretsmanager:ListSecrets", "*")).toBe("ImplicitlyDenied");
  });

  it("lets External Secrets read its own database's rds!db- secret and not another database's", async () => {
    const role = simulator.role(P, "blockfleet-pf-external-secrets");
    const ownInstance = simulator.arn(P, "aws_db_instance");
    expect(await simulator.decide(role, "secretsmanager:GetSecretValue", rdsSecret, { [rdsTag]: ownInstance })).toBe("Allowed");
    const otherInstance = `arn:aws:rds:us-east-1:${account}:db:someone-elses-db`;
    expect(await simulator.decide(role, "secretsmanager:GetSecretValue", rdsSecret, { [rdsTag]: otherInstance })).toBe("ImplicitlyDenied");
  });

  it("lets External Secrets decrypt with the secrets key only through Secrets Manager", async () => {
    const role = simulator.role(P, "blockfleet-pf-external-secrets");
    // KMS always evaluates the key policy too; it delegates to the account's IAM policies.
    const key = simulator.arn(P, "aws_kms_key", "secrets_key");
    const keyPolicy = simulator.resourcePolicy(P, "aws_kms_key", "secrets_key");
    expect(await simulator.decide(role, "kms:Decrypt", key, { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" }, keyPolicy)).toBe("Allowed");
    expect(await simulator.decide(role, "kms:Decrypt", key, {}, keyPolicy)).toBe("ImplicitlyDenied");
    const modelKey = simulator.arn(P, "aws_kms_key", "model-registry");
    const modelKeyPolicy = simulator.resourcePolicy(P, "aws_kms_key", "model-registry");
    expect(await simulator.decide(role, "kms:Decrypt", modelKey, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, modelKeyPolicy)).toBe("ImplicitlyDenied");
  });

  it("lets the workloads reach their bucket's objects and multipart uploads, and nothing else", async () => {
    const role = simulator.role(P, "blockfleet-pf-model-registry");
    const bucket = simulator.arn(P, "aws_s3_bucket");
    for (const action of MODEL_BUCKET_ACTIONS.object)
      expect(await simulator.decide(role, action, `${bucket}/model_registry/llama/part-0001`), action).toBe("Allowed");
    for (const action of MODEL_BUCKET_ACTIONS.bucket) expect(await simulator.decide(role, action, bucket), action).toBe("Allowed");
    expect(await simulator.decide(role, "s3:GetObject", "arn:aws:s3:::another-bucket/model")).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "s3:ListBucket", "arn:aws:s3:::another-bucket")).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "s3:PutBucketPolicy", bucket)).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "s3:DeleteBucket", bucket)).toBe("ImplicitlyDenied");
    expect(await simulator.decide(role, "secretsmanager:GetSecretValue", simulator.arn(P, "aws_secretsmanager_secret", "storage"))).toBe("ImplicitlyDenied");
    const key = simulator.arn(P, "aws_kms_key", "model-registry");
    const keyPolicy = simulator.resourcePolicy(P, "aws_kms_key", "model-registry");
    expect(await simulator.decide(role, "kms:GenerateDataKey", key, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, keyPolicy)).toBe("Allowed");
    expect(await simulator.decide(role, "kms:Decrypt", key, { "kms:ViaService": "s3.us-east-1.amazonaws.com" }, keyPolicy)).toBe("Allowed");
    expect(await simulator.decide(role, "kms:Decrypt", key, {}, keyPolicy)).toBe("ImplicitlyDenied");
    const secretsKey = simulator.arn(P, "aws_kms_key", "secrets_key");
    expect(
      await simulator.decide(
        role,
        "kms:Decrypt",
        secretsKey,
        { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
        simulator.resourcePolicy(P, "aws_kms_key", "secrets_key"),
      ),
    ).toBe("ImplicitlyDenied");
  });
});
