/**
 * State moves for resources whose Terraform address changed. An address is the resource type plus a logical id that
 * cdktf derives from the construct path; when a refactor changes that path, Terraform would destroy the resource and
 * create a new one. A `moved` block (cdktf: `moveFromId`) makes it carry the state over instead. Moves stay in the
 * code for as long as any deployed state may still hold the old address.
 */
import { TerraformElement, type TerraformResource, TerraformStack } from "cdktf";
import type { Construct, Node } from "constructs";

/**
 * The address a resource of `type` had (or would have) at the construct path `scope/...path`, computed with cdktf's
 * own logical-id scheme, so a move names the exact address an earlier version synthesized.
 */
export function addressAt(type: string, scope: Construct, ...path: readonly string[]): string {
  if (path.length === 0) throw new Error(`addressAt: path must name the resource's construct id below "${scope.node.path}", got []`);
  const scopes = [...scope.node.scopes, ...path.map((id) => ({ node: { id } }))];
  // getLogicalId reads only `scopes` (and each scope's node id) of a plain node.
  return `${type}.${TerraformStack.of(scope).getLogicalId({ scopes } as unknown as Node)}`;
}

/** Ships `moved { from = previousAddress, to = resource }`; the previous address must be of the same resource type. */
export function movedFrom(resource: TerraformResource, previousAddress: string): void {
  const previousType = previousAddress.split(".")[0];
  if (previousType !== resource.terraformResourceType) {
    throw new Error(`moved: "${previousAddress}" is not of type ${resource.terraformResourceType}; Terraform moves state only between resources of one type`);
  }
  resource.moveFromId(previousAddress);
}

/**
 * A `moved` block whose target is one instance of a counted resource (`type.name[0]`), which cdktf's own
 * `moveFromId` cannot name.
 */
class MovedToInstance extends TerraformElement {
  constructor(
    scope: Construct,
    id: string,
    private readonly from: string,
    private readonly to: string,
  ) {
    super(scope, id);
  }

  override toTerraform(): unknown {
    return { moved: [{ from: this.from, to: this.to }] };
  }

  override toHclTerraform(): unknown {
    const reference = (value: string) => ({ value, isBlock: false, type: "simple", storageClassType: "reference" });
    return { moved: [{ from: reference(this.from), to: reference(this.to) }] };
  }
}

/** Ships `moved { from = previousAddress, to = resource[index] }` for a resource created with `count`. */
export function movedToInstance(resource: TerraformResource, previousAddress: string, index: number): void {
  const previousType = previousAddress.split(".")[0];
  if (previousType !== resource.terraformResourceType) {
    throw new Error(`moved: "${previousAddress}" is not of type ${resource.terraformResourceType}; Terraform moves state only between resources of one type`);
  }
  new MovedToInstance(resource, "moved-from", previousAddress, `${resource.terraformResourceType}.${resource.friendlyUniqueId}[${index}]`);
}
