import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { DECLARED_DOCUMENT_VERSION, type DeclaredBlock, type DeclaredBlocksDocument } from "../../../lambdas/capacity-manager/domain/declared";

/**
 * SSM Parameter Store value limits (characters): 4,096 for the Standard tier, 8,192 for Advanced. The provider
 * (hashicorp/terraform-provider-aws v6.25.0, internal/service/ssm/parameter.go) does not check the length, and
 * forces a replacement when the tier goes from Advanced back to Standard.
 */
export const SSM_STANDARD_VALUE_LIMIT = 4_096;
export const SSM_ADVANCED_VALUE_LIMIT = 8_192;

/** Name of an environment's declared-blocks parameter: written by the cluster stack, read by reconcile. */
export function declaredBlocksParameterName(environment: string): string {
  return `/blockfleet/${environment}/capacity-manager/declared-blocks`;
}

/** A declared block whose node group name may be a Terraform reference, with the longest name it can resolve to. */
export interface DeclaredBlockInput extends Omit<DeclaredBlock, "nodeGroup"> {
  /**
   * The node group launching into the block, its name possibly a Terraform reference.
   * @default none — no node group launches into the block
   */
  readonly nodeGroup?: DeclaredBlock["nodeGroup"] & {
    /** Longest name `nodegroupName` can resolve to, for the size check (a prefix plus Terraform's unique suffix). */
    readonly nameLengthAtMost: number;
  };
}

export interface DeclaredBlocksParameterProps {
  /** SSM parameter name, see declaredBlocksParameterName. */
  readonly parameterName: string;
  /** The environment file's capacity blocks, in file order. */
  readonly blocks: readonly DeclaredBlockInput[];
}

/**
 * The blocks an environment file declares, handed to the capacity manager through an SSM parameter that Terraform
 * owns and reconcile only reads (never records Terraform writes and the manager updates). The tier is chosen from
 * the longest value the document can take; a document beyond the Advanced tier's limit is refused at synth.
 */
export class DeclaredBlocksParameter extends Construct {
  readonly parameterName: string;
  readonly parameterArn: string;
  /** "Standard" or "Advanced". */
  readonly tier: "Standard" | "Advanced";

  constructor(scope: Construct, id: string, props: DeclaredBlocksParameterProps) {
    super(scope, id);
    const document = (nameOf: (link: NonNullable<DeclaredBlockInput["nodeGroup"]>) => string): DeclaredBlocksDocument => ({
      version: DECLARED_DOCUMENT_VERSION,
      blocks: props.blocks.map(({ nodeGroup, ...block }) => ({
        ...block,
        ...(nodeGroup ? { nodeGroup: { clusterName: nodeGroup.clusterName, nodegroupName: nameOf(nodeGroup), desiredSize: nodeGroup.desiredSize } } : {}),
      })),
    });
    const longest = JSON.stringify(document((link) => "x".repeat(link.nameLengthAtMost))).length;
    if (longest > SSM_ADVANCED_VALUE_LIMIT) {
      throw new Error(
        `declared blocks parameter ${props.parameterName}: ${props.blocks.length} capacity_blocks need up to ${longest} characters, ` +
          `beyond SSM's ${SSM_ADVANCED_VALUE_LIMIT} (Advanced tier); split the blocks over environments or shorten their names`,
      );
    }
    this.tier = longest > SSM_STANDARD_VALUE_LIMIT ? "Advanced" : "Standard";
    const parameter = new SsmParameter(this, "parameter", {
      name: props.parameterName,
      type: "String",
      tier: this.tier,
      value: JSON.stringify(document((link) => link.nodegroupName)),
      description: "Capacity blocks the environment file declares; the capacity manager's reconcile reads it, Terraform owns it",
    });
    this.parameterName = props.parameterName;
    this.parameterArn = parameter.arn;
  }
}
