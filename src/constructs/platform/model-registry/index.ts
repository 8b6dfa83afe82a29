import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { Construct } from "constructs";
import type { AwsContext } from "../../../lib/aws-context";
import { GrantedStatements } from "../../../lib/iam";
import { EncryptionKey } from "../../kms-key";
import { PodIdentityRole, type ServiceAccountRef } from "../../pod-identity-role";
import { PrivateBucket } from "../../private-bucket";

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
  /** Names the bucket, its key and the workloads' role; the role's associations are made on this cluster. */
  readonly clusterName: string;
  /** Partition, region and account: the bucket name's account suffix and the key's `kms:ViaService`. */
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
  /** The workloads' Pod Identity role (other platform resources grant it access, e.g. Redis). */
  readonly roleName: string;

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
    const bucket = new PrivateBucket(this, "bucket", { bucketName: `${props.clusterName}-models-${aws.accountId}`, kmsKeyArn: key.keyArn });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: bucket.bucketId,
      rule: [
        { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }] },
        { id: "expire-noncurrent-versions", status: "Enabled", filter: [{}], noncurrentVersionExpiration: [{ noncurrentDays }] },
      ],
    });

    // Read, write and multipart-upload on this bucket; the key only as S3 uses it for this bucket's objects.
    const access = new GrantedStatements();
    bucket.grantAccess(access, { sid: "Model", bucketActions: MODEL_BUCKET_ACTIONS.bucket, objectActions: MODEL_BUCKET_ACTIONS.object });
    key.grantUseThrough(access, { sid: "ModelEncryption", service: "s3" });
    const role = new PodIdentityRole(this, "workloads", {
      clusterName: props.clusterName,
      aws,
      roleName: `${props.clusterName}-model-registry`,
      serviceAccounts: props.serviceAccounts,
      statements: access.statements,
    });

    this.bucketName = bucket.bucketName;
    this.bucketArn = bucket.bucketArn;
    this.roleArn = role.roleArn;
    this.roleName = role.roleName;
  }
}
