import { beforeAll, describe, expect, it } from "vitest";
import { STATE_NONCURRENT_VERSION_DAYS } from "../../stacks/bootstrap-stack";
import { RoleSimulator } from "../support/iam-simulation";
import { type Synthesized, synthesizeWith } from "../support/synth";

const DEPLOY_ROLE = "arn:aws:iam::123456789012:role/blockfleet-deploy-test";
const PLAN_ROLE = "arn:aws:iam::123456789012:role/blockfleet-plan-test";

describe("bootstrap stack", () => {
  let out: Synthesized;
  beforeAll(async () => {
    // GIVEN an environment with an account id  WHEN synthesized
    out = await synthesizeWith({ account_id: "123456789012", state_access_principal_arns: [DEPLOY_ROLE, PLAN_ROLE] });
  });

  it("keeps its own state locally, since it creates the bucket the others use", () => {
    expect(out.stack("test-bootstrap").terraform!.backend).toEqual({ local: { path: expect.stringMatching(/terraform\.test-bootstrap\.tfstate$/) } });
  });

  it("creates the state bucket the other stacks name, protected from destroy", () => {
    const bucket = out.resource("test-bootstrap", "aws_s3_bucket");
    expect(bucket).toMatchObject({ bucket: "blockfleet-tfstate-test-123456789012-us-east-1", lifecycle: { prevent_destroy: true } });
    expect((out.stack("test-cluster").terraform!.backend as { s3: { bucket: string } }).s3.bucket).toBe(bucket.bucket);
  });

  it("versions, encrypts, blocks public access and enforces bucket ownership", () => {
    expect(out.resource("test-bootstrap", "aws_s3_bucket_versioning")).toMatchObject({ versioning_configuration: { status: "Enabled" } });
    expect(out.resource("test-bootstrap", "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: "aws:kms",
          kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.state-key_\w+\.arn\}$/),
        },
        bucket_key_enabled: true,
      },
    ]);
    expect(out.resource("test-bootstrap", "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(out.resource("test-bootstrap", "aws_s3_bucket_ownership_controls")).toMatchObject({ rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  it("expires overwritten state versions and abandoned uploads", () => {
    expect(STATE_NONCURRENT_VERSION_DAYS).toBe(90);
    expect(out.resource("test-bootstrap", "aws_s3_bucket_lifecycle_configuration").rule).toEqual([
      { id: "expire-noncurrent-versions", status: "Enabled", filter: [{}], noncurrent_version_expiration: [{ noncurrent_days: 90 }] },
      { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] },
    ]);
  });

  describe("state key", () => {
    let simulator: RoleSimulator;
    beforeAll(() => {
      simulator = new RoleSimulator(out);
    });
    /** Someone whose identity policy allows every KMS action on every key. */
    const withKmsStar = (arn: string) =>
      ({
        role: { address: "aws_iam_role.x", stack: "test-bootstrap", type: "aws_iam_role", name: "x", config: {} },
        arn,
        policies: [{ document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }, unresolved: [] }],
        attachedArns: [],
      }) as unknown as Parameters<RoleSimulator["decide"]>[0];
    const decide = (arn: string, action: string, viaService = "s3.us-east-1.amazonaws.com") =>
      simulator.decide(
        withKmsStar(arn),
        action,
        simulator.arn("test-bootstrap", "aws_kms_key"),
        { "kms:ViaService": viaService, "aws:PrincipalArn": arn },
        simulator.resourcePolicy("test-bootstrap", "aws_kms_key"),
      );

    it("lets the deploy and plan roles (and the bootstrap's deployer) encrypt and decrypt state through S3", async () => {
      for (const arn of [DEPLOY_ROLE, PLAN_ROLE]) {
        expect(await decide(arn, "kms:Decrypt"), arn).toBe("Allowed");
        expect(await decide(arn, "kms:GenerateDataKey"), arn).toBe("Allowed");
        expect(await decide(arn, "kms:Decrypt", "secretsmanager.us-east-1.amazonaws.com"), arn).not.toBe("Allowed");
      }
      const policy = simulator.resourcePolicy("test-bootstrap", "aws_kms_key") as { Statement: Array<{ Sid: string; Principal?: { AWS: string[] } }> };
      expect(policy.Statement.find((statement) => statement.Sid === "OnlyTheseUseTheKey")!.Principal!.AWS).toEqual([
        DEPLOY_ROLE,
        PLAN_ROLE,
        expect.any(String),
      ]);
    });

    it("GIVEN an account admin with kms:* THEN it may administer the key but not decrypt state", async () => {
      const admin = "arn:aws:iam::123456789012:role/account-admin";
      expect(await decide(admin, "kms:Decrypt")).toBe("ImplicitlyDenied");
      expect(await decide(admin, "kms:GenerateDataKey")).toBe("ImplicitlyDenied");
      expect(await decide(admin, "kms:PutKeyPolicy")).toBe("Allowed");
      expect(await decide(admin, "kms:ScheduleKeyDeletion")).toBe("Allowed");
    });
  });

  it("denies every request that does not use TLS", () => {
    const policy = JSON.parse(String(out.resource("test-bootstrap", "aws_s3_bucket_policy").policy));
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  it("derives a globally unique name from the environment, account and region", async () => {
    // GIVEN the same environment name in two accounts and two regions  THEN four different buckets
    const names = await Promise.all(
      [
        { account_id: "111111111111", region: "us-east-1" },
        { account_id: "222222222222", region: "us-east-1" },
        { account_id: "111111111111", region: "eu-west-1", availability_zones: ["eu-west-1a", "eu-west-1b"], capacity_blocks: [] },
      ].map(async (overrides) => (await synthesizeWith(overrides)).resource("test-bootstrap", "aws_s3_bucket").bucket),
    );
    expect(names).toEqual([
      "blockfleet-tfstate-test-111111111111-us-east-1",
      "blockfleet-tfstate-test-222222222222-us-east-1",
      "blockfleet-tfstate-test-111111111111-eu-west-1",
    ]);
  });

  it("uses a custom state bucket name when the environment file gives one", async () => {
    const custom = await synthesizeWith({ account_id: undefined, state_bucket: "acme-terraform-state" });
    expect(custom.resource("test-bootstrap", "aws_s3_bucket").bucket).toBe("acme-terraform-state");
    expect((custom.stack("test-cluster").terraform!.backend as { s3: { bucket: string } }).s3.bucket).toBe("acme-terraform-state");
  });
});
