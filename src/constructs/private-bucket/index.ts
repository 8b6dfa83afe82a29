import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import type { Grantee } from "../../lib/iam";
import { checkedName } from "../../lib/naming";

export interface PrivateBucketProps {
  /** The bucket's name (3–63 characters, globally unique). */
  readonly bucketName: string;
  /**
   * Customer-managed KMS key for default encryption.
   * @default undefined — the account's AWS managed `aws/s3` key
   */
  readonly kmsKeyArn?: string;
  /**
   * Days a replaced or deleted object version is kept before S3 expires it (a lifecycle rule of the bucket's own;
   * leave unset when the owner manages the bucket's lifecycle itself).
   * @default undefined — no lifecycle rule
   */
  readonly noncurrentVersionExpirationDays?: number;
}

/**
 * An S3 bucket for data that must survive mistakes: versioned, KMS-encrypted with a bucket key, all public access
 * blocked, ACLs disabled (bucket owner enforced), reachable only over TLS, and protected from `terraform destroy`.
 * Used for Terraform state and the model registry.
 */
export class PrivateBucket extends Construct {
  readonly bucketId: string;
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, "bucket", { bucket: checkedName("aws_s3_bucket.bucket", props.bucketName), lifecycle: { preventDestroy: true } });
    const versioning = new S3BucketVersioningA(this, "versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }, bucketKeyEnabled: true }],
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const noncurrentDays = props.noncurrentVersionExpirationDays;
    if (noncurrentDays !== undefined) {
      if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) {
        throw new Error(`bucket "${props.bucketName}": noncurrentVersionExpirationDays must be a whole number >= 1, got ${noncurrentDays}`);
      }
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: bucket.id,
        rule: [
          { id: "expire-noncurrent-versions", status: "Enabled", filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays }] },
          { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
        ],
        dependsOn: [versioning],
      });
    }
    new S3BucketOwnershipControls(this, "ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPolicy(this, "tls-only", {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
      // S3 rejects a bucket policy while the public access block is being applied.
      dependsOn: [publicAccessBlock],
    });
    this.bucketId = bucket.id;
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
  }

  /**
   * Grants bucket-level actions on the bucket (statement `<sid>Bucket`) and object-level actions on its objects
   * (`<sid>Objects`). Objects are encrypted with the bucket's KMS key: grant its use through S3 too.
   */
  grantAccess(grantee: Grantee, access: BucketAccess): void {
    grantee.addToRolePolicy({ Sid: `${access.sid}Bucket`, Effect: "Allow", Action: [...access.bucketActions], Resource: this.bucketArn });
    grantee.addToRolePolicy({ Sid: `${access.sid}Objects`, Effect: "Allow", Action: [...access.objectActions], Resource: `${this.bucketArn}/*` });
  }
}

/** What a grantee may do with a private bucket. */
export interface BucketAccess {
  /** Prefix of the statement ids (letters and digits), e.g. `Model` gives `ModelBucket` and `ModelObjects`. */
  readonly sid: string;
  /** Actions on the bucket itself (`s3:ListBucket` …). */
  readonly bucketActions: readonly string[];
  /** Actions on its objects (`s3:GetObject` …). */
  readonly objectActions: readonly string[];
}
