import { beforeAll, describe, expect, it } from "vitest";
import { synthesizeWith, type Synthesized } from "../support/synth";

describe("bootstrap stack", () => {
  let out: Synthesized;
  beforeAll(async () => {
    // GIVEN an environment with an account id  WHEN synthesized
    out = await synthesizeWith({ account_id: "123456789012" });
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
      { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true },
    ]);
    expect(out.resource("test-bootstrap", "aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(out.resource("test-bootstrap", "aws_s3_bucket_ownership_controls")).toMatchObject({ rule: { object_ownership: "BucketOwnerEnforced" } });
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
    expect(names).toEqual(["blockfleet-tfstate-test-111111111111-us-east-1", "blockfleet-tfstate-test-222222222222-us-east-1", "blockfleet-tfstate-test-111111111111-eu-west-1"]);
  });

  it("uses a custom state bucket name when the environment file gives one", async () => {
    const custom = await synthesizeWith({ account_id: undefined, state_bucket: "acme-terraform-state" });
    expect(custom.resource("test-bootstrap", "aws_s3_bucket").bucket).toBe("acme-terraform-state");
    expect((custom.stack("test-cluster").terraform!.backend as { s3: { bucket: string } }).s3.bucket).toBe("acme-terraform-state");
  });
});
