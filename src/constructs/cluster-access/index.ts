import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface EksClusterAccessProps {
  /** Name of an existing EKS cluster (looked up at plan time). */
  readonly clusterName: string;
  /** The cluster's region, passed to `aws eks get-token`. */
  readonly region: string;
}

/** The exec credential plugin config both the Helm and the Kubernetes provider accept. */
export interface ExecAuth {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: string[];
}

/**
 * How a later stack reaches an existing cluster's API: endpoint and CA looked up by name (no cross-stack tokens, so
 * the stack plans on its own), and a token fetched by `aws eks get-token` on every call, so a long apply never
 * outlives its credentials.
 */
export class EksClusterAccess extends Construct {
  readonly endpoint: string;
  /** PEM, decoded. */
  readonly clusterCaCertificate: string;
  readonly exec: ExecAuth;

  constructor(scope: Construct, id: string, props: EksClusterAccessProps) {
    super(scope, id);
    const cluster = new DataAwsEksCluster(this, "cluster", { name: props.clusterName });
    this.endpoint = cluster.endpoint;
    this.clusterCaCertificate = Fn.base64decode(cluster.certificateAuthority.get(0).data);
    this.exec = {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", props.clusterName, "--region", props.region],
    };
  }
}
