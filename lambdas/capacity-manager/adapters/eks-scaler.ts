import { DescribeNodegroupCommand, type EKSClient, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import type { NodeGroupScaler } from "../service/ports";

/**
 * Sets a managed node group's desired size. Reads first so a run that finds the right size
 * makes no update (EKS rejects concurrent updates of one node group). maxSize is raised when needed.
 */
export class EksNodeGroupScaler implements NodeGroupScaler {
  constructor(private readonly client: EKSClient) {}

  async ensureDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): Promise<{ changed: boolean; previous: number | undefined }> {
    const described = await this.client.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
    const scaling = described.nodegroup?.scalingConfig;
    const previous = scaling?.desiredSize;
    if (previous === desiredSize) return { changed: false, previous };
    const minSize = Math.min(scaling?.minSize ?? 0, desiredSize);
    const maxSize = Math.max(scaling?.maxSize ?? 1, desiredSize, 1);
    await this.client.send(
      new UpdateNodegroupConfigCommand({
        clusterName,
        nodegroupName,
        scalingConfig: { desiredSize, minSize, maxSize },
      }),
    );
    return { changed: true, previous };
  }
}
