import { LaunchTemplate, type LaunchTemplateConfig } from "@cdktf/provider-aws/lib/launch-template";
import { Construct } from "constructs";
import { DATA_VOLUME_DEVICE } from "../../lib/capacity-blocks/facts";
import { checkedName } from "../../lib/naming";

export interface NodeLaunchTemplateProps {
  /** Name prefix; Terraform adds a suffix so a replacement can be created before the old one is destroyed. */
  readonly namePrefix: string;
  /** Security groups for the node's primary interface (or every EFA interface). */
  readonly securityGroupIds: readonly string[];
  /** Size of the volume that holds images and container storage, in GiB. */
  readonly volumeSizeGib: number;
  /**
   * Device the data volume is attached as: `/dev/xvda` for AL2023 (single root volume), `/dev/xvdb` for
   * Bottlerocket (its second volume holds container storage); `dataVolumeDeviceFor(amiType)` in lib/capacity-blocks/facts.
   * @default "/dev/xvda" (AL2023)
   */
  readonly volumeDeviceName?: string;
  /**
   * The one instance type, when the node group must not choose (capacity blocks).
   * @default undefined — the node group lists the instance types
   */
  readonly instanceType?: string;
  /**
   * Capacity reservation to launch into; with it the market type is `capacity-block`, which the provider's
   * documentation omits but EC2 requires for capacity blocks.
   * @default undefined — no reservation
   */
  readonly capacityBlockReservationId?: string;
  /**
   * Number of EFA interfaces, one per network card; 0 means a plain primary interface.
   * @default 0
   */
  readonly efaInterfaces?: number;
  /**
   * Cluster placement group for low-latency multi-node traffic. Not with a capacity block: its instances are already
   * co-located by EC2, and a placement group on top can leave part of the reservation unlaunchable.
   * @default undefined — no placement group
   */
  readonly placementGroupName?: string;
  /** Tags for instances and volumes launched from the template. */
  readonly resourceTags: Readonly<Record<string, string>>;
}

/**
 * The launch template every blockfleet node group uses: IMDSv2 only with a hop limit of 1 (pods can't reach the
 * node's credentials), an encrypted gp3 volume, no public addresses, and capacity-block market options when asked.
 */
export class NodeLaunchTemplate extends Construct {
  readonly launchTemplateId: string;
  readonly latestVersion: string;

  constructor(scope: Construct, id: string, props: NodeLaunchTemplateProps) {
    super(scope, id);
    const efaInterfaces = props.efaInterfaces ?? 0;
    const volumeDeviceName = props.volumeDeviceName ?? DATA_VOLUME_DEVICE.al2023;
    if (efaInterfaces < 0 || !Number.isInteger(efaInterfaces)) {
      throw new Error(`launch template "${props.namePrefix}": efaInterfaces must be a whole number >= 0, got ${efaInterfaces}`);
    }
    if (props.placementGroupName !== undefined && props.capacityBlockReservationId !== undefined) {
      throw new Error(
        `launch template "${props.namePrefix}": placementGroupName must be unset with a capacity block reservation, got "${props.placementGroupName}" with "${props.capacityBlockReservationId}"`,
      );
    }

    const config: LaunchTemplateConfig = {
      namePrefix: checkedName("aws_launch_template.name_prefix", `${props.namePrefix}-`),
      updateDefaultVersion: true,
      instanceType: props.instanceType,
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: volumeDeviceName,
          ebs: { volumeSize: props.volumeSizeGib, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      monitoring: { enabled: true },
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags: { ...props.resourceTags } })),
      lifecycle: { createBeforeDestroy: true },
      ...(props.capacityBlockReservationId
        ? {
            instanceMarketOptions: { marketType: "capacity-block" },
            capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: props.capacityBlockReservationId } },
          }
        : {}),
      ...(props.placementGroupName ? { placement: { groupName: props.placementGroupName } } : {}),
      ...(efaInterfaces > 0
        ? {
            // With explicit interfaces the security groups move onto them; the template may not set both. Card 0 carries
            // the primary interface (EFA with ENA, for IP traffic); every further card gets an EFA-only interface at
            // device index 0, as EC2's multi-card EFA guidance prescribes (device index 1 is for an extra ENA interface).
            networkInterfaces: Array.from({ length: efaInterfaces }, (_, card) => ({
              networkCardIndex: card,
              deviceIndex: 0,
              interfaceType: card === 0 ? "efa" : "efa-only",
              associatePublicIpAddress: "false",
              deleteOnTermination: "true",
              securityGroups: [...props.securityGroupIds],
            })),
          }
        : { vpcSecurityGroupIds: [...props.securityGroupIds] }),
    };
    const template = new LaunchTemplate(this, "template", config);
    this.launchTemplateId = template.id;
    this.latestVersion = template.latestVersion.toString();
  }
}
