import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../src/config/schema";
import { derivedStateBucketName, type Naming, naming } from "../src/lib/naming";
import { defaultTags } from "../src/lib/tags";

export interface EnvironmentStackProps {
  readonly environment: string;
  readonly config: EnvironmentConfig;
  /**
   * Where the stack keeps its state: the environment's S3 bucket, or a local file (only the bootstrap stack, which
   * creates that bucket).
   * @default "s3"
   */
  readonly stateBackend?: "s3" | "local";
}

/** S3's limit on bucket names. */
const MAX_BUCKET_NAME_LENGTH = 63;

/**
 * Name of the bucket holding an environment's state: `state_bucket`, or `blockfleet-tfstate-<env>-<account>-<region>`
 * (bucket names are global; the account and region make the derived one the environment's own). The schema requires
 * account_id when state_bucket is absent.
 */
export function stateBucketName(environment: string, config: Pick<EnvironmentConfig, "state_bucket" | "account_id" | "region">): string {
  if (config.state_bucket !== undefined) return config.state_bucket;
  if (config.account_id === undefined) {
    throw new Error(`environment "${environment}": account_id is required to derive the state bucket's name; add account_id, or set state_bucket`);
  }
  // The loader refuses files whose derived name is too long (src/lib/naming.ts plans it); this is the backstop.
  const name = derivedStateBucketName(environment, config.account_id, config.region);
  if (name.length > MAX_BUCKET_NAME_LENGTH) {
    throw new Error(
      `environment "${environment}": the derived state bucket name "${name}" is over S3's ${MAX_BUCKET_NAME_LENGTH} characters; set state_bucket`,
    );
  }
  return name;
}

/**
 * Base of every blockfleet stack: the AWS provider with the environment's default tags and account guard, and the
 * state backend. The stack name is `<env>-<kind>` and its state key `<env>/<stack>.tfstate`.
 */
export class EnvironmentStack extends TerraformStack {
  readonly environment: string;
  readonly config: EnvironmentConfig;
  readonly names: Naming;

  constructor(scope: Construct, kind: string, props: EnvironmentStackProps) {
    const names = naming(props.environment);
    super(scope, names.stackName(kind));
    const stateBackend = props.stateBackend ?? "s3";
    this.environment = props.environment;
    this.config = props.config;
    this.names = names;

    new AwsProvider(this, "aws", {
      region: props.config.region,
      allowedAccountIds: props.config.account_id ? [props.config.account_id] : undefined,
      defaultTags: [{ tags: defaultTags(props.environment, props.config.tags, props.config.production) }],
    });

    if (stateBackend === "local") {
      new LocalBackend(this, { path: `terraform.${this.node.id}.tfstate` });
    } else {
      const backend = new S3Backend(this, {
        bucket: stateBucketName(props.environment, props.config),
        key: `${props.environment}/${this.node.id}.tfstate`,
        region: props.config.region,
        // The bucket encrypts every object with the environment's state key (SSE-KMS by default). `encrypt = true`
        // without a kms_key_id would make Terraform ask for SSE-S3 (AES256) instead (hashicorp/terraform
        // internal/backend/remote-state/s3/client.go, PutObject), bypassing that key; the key's ARN isn't known here.
        encrypt: false,
      });
      // S3-native locking (terraform >= 1.10); cdktf 0.21's typed config predates the key.
      backend.addOverride("use_lockfile", true);
    }
  }
}
