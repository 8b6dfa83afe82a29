/**
 * Test support: simulate what a role of the synthesized output may do. Terraform references in its policies are
 * resolved by the policy gate's Workspace (`${aws_dynamodb_table.x.arn}` → a realistic fake ARN in the stack's
 * account and region), so a reference never matches everything and tests compare ARNs the way AWS would.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { collectPolicies } from "../../src/policy/iam-documents";
import { stackFromJson } from "../../src/policy/load";
import type { JsonObject, TerraformBlock } from "../../src/policy/model";
import { type RolePermissions, rolePermissions } from "../../src/policy/rules/iam";
import { Workspace } from "../../src/policy/workspace";
import type { Synthesized } from "./synth";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export class RoleSimulator {
  readonly workspace: Workspace;
  private readonly roles: RolePermissions[];

  /** Every stack of a synthesis (stack name → cdk.tf.json), so cross-stack references resolve too. */
  constructor(synthesized: Pick<Synthesized, "stacks">) {
    this.workspace = new Workspace(Object.entries(synthesized.stacks).map(([name, json]) => stackFromJson(json as JsonObject, name)));
    this.roles = rolePermissions(this.workspace, collectPolicies(this.workspace));
  }

  /** The role of a stack whose physical name is `name`. */
  role(stack: string, name: string): RolePermissions {
    const role = this.roles.find((candidate) => candidate.role.stack === stack && this.workspace.physicalName(candidate.role) === name);
    if (!role)
      throw new Error(
        `no role "${name}" in ${stack}; roles: ${this.roles
          .filter((r) => r.role.stack === stack)
          .map((r) => this.workspace.physicalName(r.role))
          .join(", ")}`,
      );
    return role;
  }

  /**
   * A stand-in principal holding only the managed policy (`aws_iam_policy`) whose logical id contains `idPart`,
   * to simulate what attaching it grants.
   */
  holderOf(stack: string, idPart: string): RolePermissions {
    const policy = this.block(stack, "aws_iam_policy", idPart);
    const sources = collectPolicies(this.workspace).filter((source) => source.owner.address === policy.address);
    return { role: policy, arn: `arn:aws:iam::${this.workspace.account(stack)}:role/holder-of-${policy.name}`, policies: sources, attachedArns: [] };
  }

  /** Fake ARN of the resource of `type` in `stack` whose logical id contains `idPart` (exactly one). */
  arn(stack: string, type: string, idPart = ""): string {
    return this.workspace.arnOf(this.block(stack, type, idPart));
  }

  /** Fake value of any attribute, e.g. `attribute(stack, "aws_api_gateway_rest_api", "", "execution_arn")`. */
  attribute(stack: string, type: string, idPart: string, attribute: string): string {
    const block = this.block(stack, type, idPart);
    return this.workspace.resolveString(stack, `\${${type}.${block.name}.${attribute}}`);
  }

  account(stack: string): string {
    return this.workspace.account(stack);
  }

  region(stack: string): string {
    return this.workspace.region(stack);
  }

  /** The resolved resource policy of a resource (e.g. a KMS key's policy, which KMS always evaluates). */
  resourcePolicy(stack: string, type: string, idPart = "", attribute = "policy"): JsonObject {
    const block = this.block(stack, type, idPart);
    return JSON.parse(this.workspace.resolveString(stack, block.config[attribute] as string)) as JsonObject;
  }

  /**
   * The decision for one request by the role, with its own identity policies (no SCPs, no boundaries) and, when
   * given, the target's resource policy.
   */
  async decide(
    role: RolePermissions,
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
    resourcePolicy?: JsonObject,
  ): Promise<Decision> {
    const unreadable = role.policies.filter((source) => source.document === undefined || source.unresolved.length > 0);
    if (unreadable.length > 0) {
      throw new Error(
        `policies of ${role.role.address} are unreadable or hold unresolved references: ${unreadable.map((source) => source.error ?? source.unresolved.join(", ")).join("; ")}`,
      );
    }
    const result = await runSimulation(
      {
        request: { principal: role.arn, action, resource: { resource, accountId: this.workspace.account(role.role.stack) }, contextVariables: context },
        identityPolicies: role.policies.map((source, index) => ({ name: `policy-${index}`, policy: source.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
      },
      { simulationMode: "Strict" },
    );
    if (result.resultType === "error") throw new Error(`simulation of ${action} on ${resource} rejected: ${JSON.stringify(result.errors)}`);
    return result.overallResult as Decision;
  }

  /**
   * Whether an AWS service (e.g. `pods.eks.amazonaws.com`) may assume the role of `stack` named `name`, judged by the
   * role's trust policy alone, with the request's context (session tags as `aws:RequestTag/…`, `aws:SourceAccount`).
   */
  async serviceMayAssume(stack: string, name: string, service: string, context: Record<string, string>, action = "sts:AssumeRole"): Promise<Decision> {
    const role = this.workspace.resources("aws_iam_role").find((block) => block.stack === stack && this.workspace.physicalName(block) === name);
    if (!role) throw new Error(`no role "${name}" in ${stack}`);
    const trust = JSON.parse(this.workspace.resolveString(stack, role.config["assume_role_policy"] as string)) as JsonObject;
    const result = await runSimulation(
      {
        request: {
          principal: service,
          action,
          resource: { resource: this.workspace.arnOf(role), accountId: this.workspace.account(stack) },
          contextVariables: context,
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust,
      },
      { simulationMode: "Strict" },
    );
    if (result.resultType === "error") throw new Error(`simulation of ${action} on ${name} rejected: ${JSON.stringify(result.errors)}`);
    return result.overallResult as Decision;
  }

  private block(stack: string, type: string, idPart: string): TerraformBlock {
    const matches = this.workspace.resources(type).filter((block) => block.stack === stack && block.name.includes(idPart));
    if (matches.length !== 1)
      throw new Error(`expected one ${type} matching "${idPart}" in ${stack}, found ${matches.map((block) => block.name).join(", ") || "none"}`);
    return matches[0]!;
  }
}
