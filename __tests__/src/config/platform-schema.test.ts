import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/config/schema";
import { expectRejected, type Input } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

const CERTIFICATE = "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

function withPlatform(platform: Input, extra: Input = {}): Input {
  return { ...baseEnvironmentInput(), ...extra, platform };
}

function bottlerocketBlock(labels: Record<string, string> = {}): Input {
  return {
    capacity_blocks: [
      {
        name: "p5-br",
        reservation_id: "cr-0123456789abcdef0",
        instance_type: "p5.48xlarge",
        instance_count: 1,
        availability_zone: "us-east-1a",
        ami_type: "BOTTLEROCKET_x86_64_NVIDIA",
        labels,
      },
    ],
  };
}

describe("platform schema", () => {
  it("leaves the platform off when the environment file has no platform section", () => {
    // GIVEN an environment without platform  WHEN parsed  THEN there is no platform config
    expect(environmentSchema.parse(baseEnvironmentInput()).platform).toBeUndefined();
  });

  it("turns on only the parts that are present, each with secure defaults", () => {
    // GIVEN empty blocks for the database, cache, gpu and logs  WHEN parsed
    const platform = environmentSchema.parse(withPlatform({ database: {}, cache: {}, gpu: {}, logs: {} })).platform!;
    // THEN those parts carry their defaults and the others stay off
    expect(platform.database).toEqual({
      engine_version: "17",
      instance_class: "db.m8g.large",
      multi_az: true,
      backup_retention_days: 30,
      allocated_storage_gib: 100,
      max_allocated_storage_gib: 1000,
      database_name: "platform",
    });
    expect(platform.cache).toEqual({ node_type: "cache.r7g.large", automatic_failover: true, num_cache_clusters: 2 });
    expect(platform.gpu).toEqual({ nvidia_device_plugin: true, gpu_operator: false, dcgm_exporter: false, dcgm_service_monitor: false });
    expect(platform.logs).toEqual({ retention_days: 90 });
    expect(platform.model_registry).toBeUndefined();
    expect(platform.load_balancer_controller).toBeUndefined();
    expect(platform.reloader).toBeUndefined();
  });

  it("defaults OIDC providers to PKCE without self sign-up, and the load balancer to internal", () => {
    const platform = environmentSchema.parse(
      withPlatform({
        secrets: { oidc_providers: [{ name: "Okta", key: "okta", issuer_url: "https://example.okta.com", client_id: "abc" }] },
        load_balancer_controller: { certificate_arn: CERTIFICATE },
      }),
    ).platform!;
    expect(platform.secrets!.oidc_providers[0]).toMatchObject({ pkce: true, allow_sign_up: false, scopes: ["openid", "email", "profile"] });
    expect(platform.load_balancer_controller!.scheme).toBe("internal");
  });

  it("fails when an unknown part is named, suggesting the right one", async () => {
    await expectRejected(withPlatform({ databse: {} }), "platform.databse", /did you mean "database"/);
  });

  it("fails when the PostgreSQL version is older than 17", async () => {
    await expectRejected(withPlatform({ database: { engine_version: "16" } }), "platform.database.engine_version", /PostgreSQL 17 or newer/);
  });

  it("fails when the instance class is not an RDS class", async () => {
    await expectRejected(withPlatform({ database: { instance_class: "m8g.large" } }), "platform.database.instance_class", /RDS instance class/);
  });

  it("fails when backups would be turned off", async () => {
    await expectRejected(withPlatform({ database: { backup_retention_days: 0 } }), "platform.database.backup_retention_days", /backups can't be turned off/);
  });

  it("fails when backups would be kept longer than RDS allows", async () => {
    await expectRejected(withPlatform({ database: { backup_retention_days: 40 } }), "platform.database.backup_retention_days", /at most 35 days/);
  });

  it("fails when the storage autoscaling ceiling is below the allocated storage", async () => {
    await expectRejected(
      withPlatform({ database: { allocated_storage_gib: 500, max_allocated_storage_gib: 200 } }),
      "platform.database.max_allocated_storage_gib",
      /must be at least allocated_storage_gib, got max_allocated_storage_gib=200, allocated_storage_gib=500/,
    );
  });

  it("fails when the database name is not a PostgreSQL identifier", async () => {
    await expectRejected(withPlatform({ database: { database_name: "My-DB" } }), "platform.database.database_name", /PostgreSQL database name/);
  });

  it("fails when the cache node type is not an ElastiCache type", async () => {
    await expectRejected(withPlatform({ cache: { node_type: "r7g.large" } }), "platform.cache.node_type", /ElastiCache node type/);
  });

  it("fails when automatic failover has no replica to promote", async () => {
    await expectRejected(
      withPlatform({ cache: { num_cache_clusters: 1 } }),
      "platform.cache.num_cache_clusters",
      /automatic_failover needs a replica to promote.*got 1/,
    );
  });

  it("accepts a single cache node when automatic failover is off", async () => {
    expect(await issuesOf(withPlatform({ cache: { automatic_failover: false, num_cache_clusters: 1 } }))).toEqual([]);
  });

  it("fails when an OIDC client secret is put in the environment file", async () => {
    await expectRejected(
      withPlatform({
        secrets: { oidc_providers: [{ name: "Okta", key: "okta", issuer_url: "https://example.okta.com", client_id: "abc", client_secret: "s3cr3t" }] },
      }),
      "platform.secrets.oidc_providers[0].client_secret",
      /client secrets never go in the environment file/,
    );
  });

  it("fails when an OIDC issuer is not https", async () => {
    await expectRejected(
      withPlatform({ secrets: { oidc_providers: [{ name: "Okta", key: "okta", issuer_url: "http://example.okta.com", client_id: "abc" }] } }),
      "platform.secrets.oidc_providers[0].issuer_url",
      /https issuer URL/,
    );
  });

  it("fails when two OIDC providers share a key", async () => {
    const provider = { name: "Okta", key: "okta", issuer_url: "https://example.okta.com", client_id: "abc" };
    await expectRejected(
      withPlatform({ secrets: { oidc_providers: [provider, { ...provider, name: "Okta 2" }] } }),
      "platform.secrets.oidc_providers[1].key",
      /"okta" is already used by oidc_providers\[0\]/,
    );
  });

  it("fails when a model registry service account is listed twice", async () => {
    const account = { namespace: "ml", name: "harmony" };
    await expectRejected(
      withPlatform({ model_registry: { service_accounts: [account, account] } }),
      "platform.model_registry.service_accounts[1]",
      /"ml\/harmony" is already listed at service_accounts\[0\]/,
    );
  });

  it("fails when a namespace is not a DNS label", async () => {
    await expectRejected(
      withPlatform({ secrets: {}, external_secrets: { namespace: "ML_Platform" } }),
      "platform.external_secrets.namespace",
      /expected a DNS label/,
    );
  });

  it("fails when External Secrets is on with nothing to sync", async () => {
    await expectRejected(
      withPlatform({ external_secrets: {} }),
      "platform.external_secrets",
      /nothing to sync; turn on at least one of database, cache, model_registry or secrets/,
    );
  });

  it("fails when the load balancer certificate is not an ACM ARN", async () => {
    await expectRejected(
      withPlatform({ load_balancer_controller: { certificate_arn: "arn:aws:iam::111122223333:server-certificate/x" } }),
      "platform.load_balancer_controller.certificate_arn",
      /expected an ACM certificate ARN/,
    );
  });

  it("fails when the certificate is in another region than the environment", async () => {
    await expectRejected(
      withPlatform({ load_balancer_controller: { certificate_arn: CERTIFICATE.replace("us-east-1", "eu-west-1") } }),
      "platform.load_balancer_controller.certificate_arn",
      /certificate is in "eu-west-1" but the environment is in "us-east-1"/,
    );
  });

  it("fails when the scheme is neither internal nor internet-facing", async () => {
    await expectRejected(
      withPlatform({ load_balancer_controller: { certificate_arn: CERTIFICATE, scheme: "public" } }),
      "platform.load_balancer_controller.scheme",
      /"internal" or "internet-facing"/,
    );
  });

  it("fails when both the GPU Operator and the standalone device plugin are on", async () => {
    await expectRejected(
      withPlatform({ gpu: { gpu_operator: true } }),
      "platform.gpu.nvidia_device_plugin",
      /set nvidia_device_plugin = false when gpu_operator = true/,
    );
  });

  it("fails when the GPU Operator would reach a Bottlerocket block that has not opted out", async () => {
    await expectRejected(
      withPlatform({ gpu: { gpu_operator: true, nvidia_device_plugin: false } }, bottlerocketBlock()),
      "capacity_blocks[0].labels",
      /block "p5-br" runs Bottlerocket.*"nvidia.com\/gpu.deploy.operands" = "false"/,
    );
  });

  it("accepts the GPU Operator beside a Bottlerocket block labelled to opt out", async () => {
    const input = withPlatform({ gpu: { gpu_operator: true, nvidia_device_plugin: false } }, bottlerocketBlock({ "nvidia.com/gpu.deploy.operands": "false" }));
    expect(await issuesOf(input)).toEqual([]);
  });

  it("fails when the log retention is not a CloudWatch Logs period", async () => {
    await expectRejected(withPlatform({ logs: { retention_days: 45 } }), "platform.logs.retention_days", /CloudWatch Logs retention period/);
  });

  it("fails when reloader is given settings it does not have", async () => {
    await expectRejected(withPlatform({ reloader: { replicas: 2 } }), "platform.reloader.replicas", /unknown key/);
  });
});
