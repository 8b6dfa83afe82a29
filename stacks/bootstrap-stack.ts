import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { EncryptionKey } from "../src/constructs/kms-key";
import { PrivateBucket } from "../src/constructs/private-bucket";
import { awsContext } from "../src/lib/aws-context";
import { EnvironmentStack, type EnvironmentStackProps, stateBucketName } from "./environment-stack";

/**
 * Days an overwritten state file is kept: long enough to roll back a bad apply, short enough that secrets an old state
 * held (before they moved out of state) don't stay readable for ever.
 */
export const STATE_NONCURRENT_VERSION_DAYS = 90;

/**
 * `<env>-bootstrap`: creates the bucket every other stack of the environment keeps its state in, encrypted with a key
 * only the state's principals (`state_access_principal_arns`, and whoever deploys this stack) may use. Local state.
 */
export class BootstrapStack extends EnvironmentStack {
  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "bootstrap", { ...props, stateBackend: "local" });
    const { config } = this;
    const aws = awsContext(this, config.region);
    // A role session can't be a key policy principal; the session context resolves it to the role.
    const deployer = new DataAwsIamSessionContext(this, "deployer", { arn: aws.callerArn }).issuerArn;
    const key = new EncryptionKey(this, "state-key", {
      aliasName: `blockfleet-tfstate-${props.environment}`,
      description: `Terraform state of blockfleet environment ${props.environment}`,
      aws,
      restrictUseTo: { principalArns: [...config.state_access_principal_arns, deployer], viaService: `s3.${config.region}.amazonaws.com` },
    });
    const bucket = new PrivateBucket(this, "state-bucket", {
      bucketName: stateBucketName(props.environment, props.config),
      kmsKeyArn: key.keyArn,
      noncurrentVersionExpirationDays: STATE_NONCURRENT_VERSION_DAYS,
    });
    new TerraformOutput(this, "state_bucket", { value: bucket.bucketName });
    new TerraformOutput(this, "state_key_arn", { value: key.keyArn });
  }
}
