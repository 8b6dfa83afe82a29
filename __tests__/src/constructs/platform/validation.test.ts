import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { PlatformCache } from "../../../../src/constructs/platform/cache";
import { PlatformCharts } from "../../../../src/constructs/platform/charts";
import { ClientSecurityGroup } from "../../../../src/constructs/platform/common/client-security-group";
import { PlatformDatabase, type PlatformDatabaseProps } from "../../../../src/constructs/platform/database";
import { albIngressClass, ManifestSet } from "../../../../src/constructs/platform/manifests";
import { ModelRegistry } from "../../../../src/constructs/platform/model-registry";
import { SecretsStore } from "../../../../src/constructs/platform/secrets";
import { PodIdentityRole } from "../../../../src/constructs/pod-identity-role";
import { awsContext } from "../../../../src/lib/aws-context";

/** A fresh stack per case: constructs throw at construction, before any synthesis. */
function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "validation");
}

const cacheProps = {
  replicationGroupId: "blockfleet-test-platform",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a", "subnet-b"],
  clientSecurityGroups: { node: "sg-1" },
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k",
  nodeType: "cache.r7g.large",
  automaticFailover: true,
  numCacheClusters: 2,
};

function databaseProps(scope: TerraformStack, overrides: Partial<PlatformDatabaseProps> = {}): PlatformDatabaseProps {
  return {
    identifier: "blockfleet-test-platform",
    aws: awsContext(scope, "us-east-1"),
    vpcId: "vpc-1",
    subnetIds: ["subnet-a", "subnet-b"],
    clientSecurityGroups: { node: "sg-1" },
    storageKmsKeyArn: "k1",
    secretKmsKeyArn: "k2",
    logsKmsKeyArn: "k3",
    logRetentionDays: 30,
    engineVersion: "17",
    instanceClass: "db.m8g.large",
    multiAz: true,
    backupRetentionDays: 30,
    allocatedStorageGib: 100,
    maxAllocatedStorageGib: 1000,
    databaseName: "platform",
    ...overrides,
  };
}

const PLAIN_AWS = { accountId: "111122223333", partition: "aws", region: "us-east-1" };

describe("platform construct validation", () => {
  it("fails when a pod identity role has no service account", () => {
    expect(
      () =>
        new PodIdentityRole(stack(), "role", {
          clusterName: "c",
          aws: PLAIN_AWS,
          roleName: "r",
          serviceAccounts: [],
          managedPolicyArns: ["arn:aws:iam::aws:policy/X"],
        }),
    ).toThrow('pod identity role "r": serviceAccounts must name at least one service account, got []');
  });

  it.each([
    ["neither a value nor a generated one", { description: "d" }, 'secrets store: secret "env/cookies-secret" needs exactly one of value and generated'],
    [
      "both a value and a generated one",
      { description: "d", value: "v", generated: { length: 32 } },
      'secrets store: secret "env/cookies-secret" needs exactly one of value and generated',
    ],
    [
      "a generated value shorter than 16",
      { description: "d", generated: { length: 8 } },
      'secrets store: secret "env/cookies-secret": generated.length must be 16-4096, got 8',
    ],
    [
      "a generated value's version below 1",
      { description: "d", generated: { length: 32, version: 0 } },
      'secrets store: secret "env/cookies-secret": generated.version must be a whole number >= 1, got 0',
    ],
  ])("fails when a secret has %s", (_name, options, message) => {
    const store = new SecretsStore(stack(), "secrets", {
      clusterName: "c",
      prefix: "env",
      aws: { ...PLAIN_AWS, callerArn: "arn:aws:iam::111122223333:user/ci" },
    });
    expect(() => store.addSecret("cookies", options)).toThrow(message);
  });

  it("fails when a pod identity role has no permissions", () => {
    expect(
      () => new PodIdentityRole(stack(), "role", { clusterName: "c", aws: PLAIN_AWS, roleName: "r", serviceAccounts: [{ namespace: "n", name: "s" }] }),
    ).toThrow('pod identity role "r": give it statements or managedPolicyArns, got neither');
  });

  it("fails when a data service's security group admits no one", () => {
    expect(() => new ClientSecurityGroup(stack(), "sg", { name: "db", service: "PostgreSQL", vpcId: "vpc-1", port: 5432, clientSecurityGroups: {} })).toThrow(
      'security group "db": clientSecurityGroups must name who may connect, got {}',
    );
  });

  it("fails when the cache id is not a valid replication group id", () => {
    expect(() => new PlatformCache(stack(), "cache", { ...cacheProps, replicationGroupId: "Blockfleet--x" })).toThrow(
      /replicationGroupId must be 1-40 lower-case letters/,
    );
  });

  it("fails when automatic failover has a single node", () => {
    expect(() => new PlatformCache(stack(), "cache", { ...cacheProps, numCacheClusters: 1 })).toThrow("automaticFailover needs numCacheClusters >= 2, got 1");
  });

  it("fails when a literal subnet list spans fewer than 2 AZs", () => {
    const scope = stack();
    expect(() => new PlatformDatabase(scope, "db", databaseProps(scope, { subnetIds: ["subnet-a"] }))).toThrow(/subnetIds must span at least 2 AZs .* got 1/);
  });

  it("fails when storage autoscaling would stop below the allocated storage", () => {
    const scope = stack();
    expect(() => new PlatformDatabase(scope, "db", databaseProps(scope, { allocatedStorageGib: 500, maxAllocatedStorageGib: 100 }))).toThrow(
      "maxAllocatedStorageGib must be >= allocatedStorageGib, got 100 < 500",
    );
  });

  it("fails when unfinished uploads would never be cleaned up", () => {
    const scope = stack();
    expect(
      () =>
        new ModelRegistry(scope, "models", {
          clusterName: "c",
          aws: awsContext(scope, "us-east-1"),
          serviceAccounts: [{ namespace: "n", name: "s" }],
          abortIncompleteMultipartUploadDays: 0,
        }),
    ).toThrow("abortIncompleteMultipartUploadDays must be a whole number >= 1, got 0");
  });

  it("fails when a secret's recovery window is outside 7-30 days", () => {
    const scope = stack();
    expect(
      () => new SecretsStore(scope, "secrets", { clusterName: "c", prefix: "test", aws: awsContext(scope, "us-east-1"), recoveryWindowInDays: 0 }),
    ).toThrow('secrets store "test": recoveryWindowInDays must be 7-30, got 0');
  });

  it("fails when the same secret is added twice, and when there is nothing to grant", () => {
    const scope = stack();
    const secrets = new SecretsStore(scope, "secrets", { clusterName: "c", prefix: "test", aws: awsContext(scope, "us-east-1") });
    expect(() => secrets.readStatements()).toThrow("secrets store: nothing to read; add a secret or pass extra statements");
    secrets.addSecret("cookies", { description: "d", value: "v" });
    expect(() => secrets.addSecret("cookies", { description: "d", value: "v" })).toThrow('secrets store: secret "test/cookies-secret" was already added');
  });

  it("fails when the load balancer controller has no VPC", () => {
    const props = {
      clusterName: "c",
      region: "us-east-1",
      fleet: { capacityBlocks: [] },
      externalSecrets: false,
      loadBalancerController: true,
      nvidiaDevicePlugin: false,
      gpuOperator: false,
      efaDevicePlugin: false,
      dcgmExporter: false,
      reloader: false,
    };
    expect(() => new PlatformCharts(stack(), "charts", props)).toThrow("platform charts: vpcId is required with loadBalancerController, got undefined");
  });

  it("fails when a manifest is listed twice", () => {
    expect(() => new ManifestSet(stack(), "manifests", { objects: [albIngressClass(), albIngressClass()] })).toThrow(
      'manifest set "manifests": objects lists IngressClass "alb" twice',
    );
  });
});
