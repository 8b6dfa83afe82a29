import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import type { PolicyStatement } from "../../lib/iam";
import { EncryptionKey } from "../kms-key";
import { PodIdentityRole, type ServiceAccountRef } from "./pod-identity-role";

/**
 * What pods need to read and write large model files, multipart uploads included. Creating and completing a
 * multipart upload and uploading its parts are authorized by `s3:PutObject`; there are no separate IAM actions.
 */
export const MODEL_BUCKET_ACTIONS = {
  bucket: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
  object: [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
  ],
} as const;

/** Key prefixes inside the bucket, written to the storage secret. */
export const MODEL_REGISTRY_PREFIXES = { modelRegistry: "model_registry", workdir: "shared" } as const;

export interface ModelRegistryProps {
  readonly clusterName: string;
  readonly aws: AwsContext;
  /** Service accounts whose pods read and write models. */
  readonly serviceAccounts: readonly ServiceAccountRef[];
  /**
   * Days a replaced or deleted object version is kept.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days before an unfinished multipart upload's parts are deleted.
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number;
}

/**
 * The model registry: an S3 bucket encrypted with its own KMS key, versioned, private, owner-enforced, TLS-only,
 * cleaning up abandoned multipart uploads; and the workloads' Pod Identity role that reaches this bucket only.
 */
export class ModelRegistry extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const abortDays = props.abortIncompleteMultipartUploadDays ?? 7;
    if (!Number.isInteger(abortDays) || abortDays < 1) {
      throw new Error(`model registry: abortIncompleteMultipartUploadDays must be a whole number >= 1, got ${abortDays}`);
    }
    const { aws } = props;
    const key = new EncryptionKey(this, "key", { aliasName: `${props.clusterName}-models`, description: `Model registry of ${props.clusterName}`, aws });

    // The account id makes the global bucket name unique without a random suffix.
    const bucket = new S3Bucket(this, "bucket", { bucket: `${props.clusterName}-models-${aws.accountId}`, lifecycle: { preventDestroy: true } });
    new S3BucketVersioningA(this, "versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn }, bucketKeyEnabled: true }],
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
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
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: bucket.id,
      rule: [
        { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }] },
        { id: "expire-noncurrent-versions", status: "Enabled", filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays }] },
      ],
    });

    const role = new PodIdentityRole(this, "workloads", {
      clusterName: props.clusterName,
      roleName: `${props.clusterName}-model-registry`,
      serviceAccounts: props.serviceAccounts,
      statements: this.accessStatements(bucket.arn, key.keyArn, aws.region),
    });

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.roleArn = role.roleArn;
  }

  /** Read, write and multipart-upload on this bucket; the key only as S3 uses it for this bucket's objects. */
  private accessStatements(bucketArn: string, keyArn: string, region: string): PolicyStatement[] {
    return [
      { Sid: "ModelBucket", Effect: "Allow", Action: [...MODEL_BUCKET_ACTIONS.bucket], Resource: bucketArn },
      { Sid: "ModelObjects", Effect: "Allow", Action: [...MODEL_BUCKET_ACTIONS.object], Resource: `${bucketArn}/*` },
      {
        Sid: "ModelEncryption",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ];
  }
}

