import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { PrivateBucket } from "../src/constructs/private-bucket";
import { EnvironmentStack, stateBucketName, type EnvironmentStackProps } from "./environment-stack";

/** `<env>-bootstrap`: creates the bucket every other stack of the environment keeps its state in. Local state. */
export class BootstrapStack extends EnvironmentStack {
  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend">) {
    super(scope, "bootstrap", { ...props, stateBackend: "local" });
    const bucket = new PrivateBucket(this, "state-bucket", { bucketName: stateBucketName(props.environment, props.config) });
    new TerraformOutput(this, "state_bucket", { value: bucket.bucketName });
  }
}
