import { validateIdentityPolicy, validateResourcePolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { expandAction, isNarrowedBeyondResourceTypes, isScopable, matchesAction, scopableChanges } from "../iam-actions";
import { type PolicySource, statementsOfDocument } from "../iam-documents";
import { type Finding, type JsonObject, stringList, type TerraformBlock } from "../model";
import { accountOfPrincipal, conditionValues, isAccountRoot, principalsOf } from "../principals";
import type { Workspace } from "../workspace";
import { isPublicPrincipal } from "./data-services";
import type { Rule, RuleContext } from "./rule";

/** A role and everything that grants it permissions in the synthesized output. */
export interface RolePermissions {
  readonly role: TerraformBlock;
  readonly arn: string;
  readonly policies: readonly PolicySource[];
  /** ARNs of attached managed policies, resolved. */
  readonly attachedArns: readonly string[];
}

/** Joins roles with inline policies, `aws_iam_role_policy` and attached `aws_iam_policy` documents. */
export function rolePermissions(workspace: Workspace, policies: readonly PolicySource[]): RolePermissions[] {
  return workspace.resources("aws_iam_role").map((role) => {
    const granted: PolicySource[] = [];
    const attachedArns: string[] = stringList(role.config["managed_policy_arns"]).map((arn) => workspace.resolveString(role.stack, arn));
    for (const source of policies) {
      if (source.kind !== "identity") continue;
      const owner = source.owner;
      if (owner.address === role.address) granted.push(source);
      else if (owner.type === "aws_iam_role_policy" && workspace.refersTo(owner, owner.config["role"], role)) granted.push(source);
    }
    const attachments = [
      ...workspace.resources("aws_iam_role_policy_attachment").filter((attachment) => workspace.refersTo(attachment, attachment.config["role"], role)),
      ...workspace
        .resources("aws_iam_policy_attachment")
        .filter((attachment) => stringList(attachment.config["roles"]).some((entry) => workspace.refersTo(attachment, entry, role))),
    ];
    for (const attachment of attachments) {
      const target = workspace.target(attachment.stack, attachment.config["policy_arn"] ?? null);
      if (target?.block.type === "aws_iam_policy") {
        granted.push(...policies.filter((source) => source.owner.address === target.block.address));
      } else if (typeof attachment.config["policy_arn"] === "string") {
        attachedArns.push(workspace.resolveString(attachment.stack, attachment.config["policy_arn"]));
      }
    }
    return { role, arn: workspace.arnOf(role), policies: granted, attachedArns };
  });
}

function statementLabel(statement: JsonObject, index: number): string {
  return `statement ${JSON.stringify(statement["Sid"] ?? index)}`;
}

function where(source: PolicySource): string {
  return source.dataSource ? `${source.attribute} (from ${source.dataSource})` : source.attribute;
}

const validators = { identity: validateIdentityPolicy, trust: validateTrustPolicy, resource: validateResourcePolicy } as const;

/** Services whose roles, once passed, run code or instances with the role's permissions, and how to start them. */
const PASS_ROLE_TARGETS: ReadonlyArray<{ service: string; start: readonly string[] }> = [
  { service: "ec2.amazonaws.com", start: ["ec2:RunInstances", "ec2:CreateFleet", "autoscaling:CreateAutoScalingGroup"] },
  { service: "lambda.amazonaws.com", start: ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"] },
  { service: "ecs-tasks.amazonaws.com", start: ["ecs:RunTask", "ecs:RegisterTaskDefinition"] },
  { service: "cloudformation.amazonaws.com", start: ["cloudformation:CreateStack", "cloudformation:UpdateStack"] },
  { service: "glue.amazonaws.com", start: ["glue:CreateDevEndpoint", "glue:CreateJob"] },
  { service: "sagemaker.amazonaws.com", start: ["sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob"] },
  { service: "codebuild.amazonaws.com", start: ["codebuild:CreateProject"] },
  { service: "states.amazonaws.com", start: ["states:CreateStateMachine"] },
];

type ProbeKind = "role" | "policy" | "user" | "group" | "function";

/** Actions that let a principal raise its own permissions, and what they act on. */
const ESCALATION_ACTIONS: ReadonlyArray<{ action: string; on: ProbeKind }> = [
  { action: "iam:CreatePolicyVersion", on: "policy" },
  { action: "iam:SetDefaultPolicyVersion", on: "policy" },
  { action: "iam:AttachRolePolicy", on: "role" },
  { action: "iam:PutRolePolicy", on: "role" },
  { action: "iam:UpdateAssumeRolePolicy", on: "role" },
  { action: "iam:AttachUserPolicy", on: "user" },
  { action: "iam:PutUserPolicy", on: "user" },
  { action: "iam:CreateAccessKey", on: "user" },
  { action: "iam:CreateLoginProfile", on: "user" },
  { action: "iam:UpdateLoginProfile", on: "user" },
  { action: "iam:AddUserToGroup", on: "group" },
  { action: "iam:AttachGroupPolicy", on: "group" },
  { action: "iam:PutGroupPolicy", on: "group" },
  { action: "lambda:UpdateFunctionCode", on: "function" },
  { action: "sts:AssumeRole", on: "role" },
];

const PROBE_NAME = "blockfleet-policy-gate-probe";

function probeArn(kind: ProbeKind, account: string, region: string): string {
  if (kind === "function") return `arn:aws:lambda:${region}:${account}:function:${PROBE_NAME}`;
  return `arn:aws:iam::${account}:${kind}/${PROBE_NAME}`;
}

export async function isAllowed(
  principal: RolePermissions,
  account: string,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): Promise<boolean> {
  const identityPolicies = principal.policies
    .filter((source) => source.document !== undefined)
    .map((source, index) => ({ name: `policy-${index}`, policy: source.document }));
  if (identityPolicies.length === 0) return false;
  const result = await runSimulation(
    {
      request: { principal: principal.arn, action, resource: { resource, accountId: account }, contextVariables: context },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: "Strict" },
  );
  return result.resultType !== "error" && result.overallResult === "Allowed";
}

/**
 * Action patterns the principal's Allow statements name, ignoring resources and conditions (an Allow with
 * NotAction counts as `*`). A cheap upper bound: actions outside it are never simulated.
 */
function allowedPatterns(principal: RolePermissions): string[] {
  return principal.policies.flatMap((source) =>
    source.document
      ? statementsOfDocument(source.document)
          .filter((statement) => statement["Effect"] === "Allow")
          .flatMap((statement) => (statement["NotAction"] !== undefined ? ["*"] : stringList(statement["Action"])))
      : [],
  );
}

async function escalationFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const roles = rolePermissions(workspace, policies);
  for (const principal of roles) {
    const account = workspace.account(principal.role.stack);
    const region = workspace.region(principal.role.stack);
    const otherRoles = roles.map((candidate) => candidate.arn);
    const patterns = allowedPatterns(principal);
    for (const { action, on } of ESCALATION_ACTIONS) {
      if (!matchesAction(patterns, action)) continue;
      const targets = [probeArn(on, account, region), ...(on === "role" && action !== "sts:AssumeRole" ? otherRoles : [])];
      const reachable: string[] = [];
      for (const target of targets) if (await isAllowed(principal, account, action, target)) reachable.push(target);
      if (reachable.length === 0) continue;
      const scope = reachable[0]!.endsWith(PROBE_NAME) ? `any ${on}` : reachable.join(", ");
      findings.push({
        ruleId: "BF-IAM-005",
        address: principal.role.address,
        message: `role can ${action} on ${scope}, which lets it raise its own permissions`,
      });
    }
    for (const { service } of matchesAction(patterns, "iam:PassRole") ? PASS_ROLE_TARGETS : []) {
      if (await isAllowed(principal, account, "iam:PassRole", probeArn("role", account, region), { "iam:PassedToService": service })) {
        findings.push({ ruleId: "BF-IAM-005", address: principal.role.address, message: `role can iam:PassRole any role to ${service}` });
        break;
      }
    }
  }
  return findings;
}

async function passRoleComboFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const roles = rolePermissions(workspace, policies);
  for (const principal of roles) {
    const account = workspace.account(principal.role.stack);
    const patterns = allowedPatterns(principal);
    if (!matchesAction(patterns, "iam:PassRole")) continue;
    for (const { service, start } of PASS_ROLE_TARGETS) {
      const starters = start.filter((action) => matchesAction(patterns, action));
      if (starters.length === 0) continue;
      const passable: string[] = [];
      for (const target of roles) {
        if (target.role.address === principal.role.address) continue;
        if (await isAllowed(principal, account, "iam:PassRole", target.arn, { "iam:PassedToService": service })) passable.push(target.role.address);
      }
      if (passable.length === 0) continue;
      findings.push({
        ruleId: "BF-IAM-006",
        address: principal.role.address,
        message: `role can pass ${passable.join(", ")} to ${service} and start it (${starters.join(", ")}), so it can act with that role's permissions`,
      });
    }
  }
  return findings;
}

/**
 * Condition keys that tie a service principal's request to a resource or account (the confused-deputy guard), per
 * the IAM global condition key reference: aws:SourceArn, aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths.
 * CloudWatch Logs calls KMS with the log group in the encryption context instead, so that key counts too.
 */
const SOURCE_CONDITION_KEYS: readonly string[] = [
  "aws:SourceArn",
  "aws:SourceAccount",
  "aws:SourceOrgID",
  "aws:SourceOrgPaths",
  "kms:EncryptionContext:aws:logs:arn",
];

/** Trust policies whose service principal must carry a source condition (roles other services assume stay as AWS documents them). */
const TRUSTED_SERVICES_NEEDING_SOURCE: readonly string[] = ["pods.eks.amazonaws.com"];

/** True when a source-condition value names something specific: an account, an org, or an ARN whose account is not a wildcard. */
function isSpecificSource(value: string): boolean {
  if (value === "" || value === "*") return false;
  if (!value.startsWith("arn:")) return !/^[*?]+$/.test(value);
  const parts = value.split(":");
  const account = parts[4] ?? "";
  return /^\d{12}$/.test(account) || (account === "" && parts[2] === "s3" && !/^\*?$/.test(parts.slice(5).join(":")));
}

/**
 * EKS Pod Identity documents session tags, not source keys, for its trust (awsdocs/amazon-eks-user-guide
 * pod-id-role.adoc, pod-id-abac.adoc): EKS Auth sets `eks-cluster-arn`, whose ARN names the cluster's account, so a
 * specific cluster ARN there scopes the trust to one account as aws:SourceAccount would.
 */
const POD_IDENTITY_SOURCE_KEY = "aws:RequestTag/eks-cluster-arn";

/** `arn:<partition>:eks:<region>:<account>:cluster/<name>` with an account (12 digits or a Terraform reference) and no wildcard. */
/** A statement's exact-match conditions (StringEquals, ArnEquals), key → values; IfExists and Like operators don't count. */
function exactConditions(statement: JsonObject): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const condition = statement["Condition"];
  if (condition === null || typeof condition !== "object" || Array.isArray(condition)) return found;
  for (const operator of ["StringEquals", "ArnEquals"]) {
    const entries = (condition as JsonObject)[operator];
    if (entries === null || typeof entries !== "object" || Array.isArray(entries)) continue;
    for (const [key, value] of Object.entries(entries)) found.set(key, [...(found.get(key) ?? []), ...stringList(value)]);
  }
  return found;
}

function isSpecificClusterArn(value: string): boolean {
  const parts = value.split(":");
  return parts.length === 6 && parts[0] === "arn" && parts[2] === "eks" && /^(\d{12}|\$\{[^}*?]+\})$/.test(parts[4]!) && /^cluster\/[^*?]+$/.test(parts[5]!);
}

function hasSourceCondition(statement: JsonObject, trust = false): boolean {
  if (trust && principalsOf(statement, "Service").every((service) => service === "pods.eks.amazonaws.com")) {
    const clusters = conditionValues(statement, POD_IDENTITY_SOURCE_KEY);
    if (clusters.length > 0 && clusters.every(isSpecificClusterArn)) return true;
  }
  return SOURCE_CONDITION_KEYS.some((key) => {
    const values = conditionValues(statement, key);
    return values.length > 0 && values.every(isSpecificSource);
  });
}

function serviceSourceFindings({ policies }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const source of policies) {
    if (!source.document || source.kind === "identity") continue;
    statementsOfDocument(source.document).forEach((statement, index) => {
      if (statement["Effect"] !== "Allow") return;
      const services = principalsOf(statement, "Service").filter((service) => service !== "*");
      const checked = source.kind === "trust" ? services.filter((service) => TRUSTED_SERVICES_NEEDING_SOURCE.includes(service)) : services;
      if (checked.length === 0 || hasSourceCondition(statement, source.kind === "trust")) return;
      findings.push({
        ruleId: "BF-IAM-010",
        address: source.owner.address,
        message: `${where(source)}: ${statementLabel(statement, index)} lets ${checked.join(", ")} act for any account's resources (no aws:SourceArn or aws:SourceAccount condition${checked.includes("pods.eks.amazonaws.com") ? ", nor a specific aws:RequestTag/eks-cluster-arn" : ""})`,
      });
    });
  }
  return findings;
}

function crossAccountTrustFindings({ policies, workspace }: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const source of policies) {
    if (source.kind !== "trust" || !source.document) continue;
    const own = workspace.account(source.owner.stack);
    statementsOfDocument(source.document).forEach((statement, index) => {
      if (statement["Effect"] !== "Allow") return;
      const foreignRoots = principalsOf(statement, "AWS").filter((principal) => isAccountRoot(principal) && accountOfPrincipal(principal) !== own);
      if (foreignRoots.length === 0) return;
      const externalIds = conditionValues(statement, "sts:ExternalId").filter((value) => !/[*?]/.test(value));
      if (externalIds.length > 0) return;
      findings.push({
        ruleId: "BF-IAM-009",
        address: source.owner.address,
        message: `${statementLabel(statement, index)} of the trust policy lets account ${foreignRoots.map(accountOfPrincipal).join(", ")} (any principal it allows) assume the role without an sts:ExternalId condition`,
      });
    });
  }
  return findings;
}

const ADMIN_MANAGED_POLICIES: ReadonlySet<string> = new Set(["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"]);

export const iamRules: readonly Rule[] = [
  {
    id: "BF-IAM-001",
    checkovId: "",
    title: "Policy documents are valid",
    fix: "fix the document so IAM accepts it; build it with JSON.stringify or an aws_iam_policy_document and reference resources that exist",
    check: ({ policies, workspace }) =>
      policies.flatMap((source) => {
        if (source.error) return [{ ruleId: "BF-IAM-001", address: source.owner.address, message: source.error }];
        const errors = validators[source.kind](source.document).map((error) => `${where(source)}: ${error.path}: ${error.message}`);
        const unresolved = source.unresolved.map(
          (placeholder) => `${where(source)}: reference ${workspace.unresolvedExpression(placeholder)} does not point at anything in the synthesized output`,
        );
        return [...errors, ...unresolved].map((message) => ({ ruleId: "BF-IAM-001", address: source.owner.address, message }));
      }),
  },
  {
    id: "BF-IAM-002",
    checkovId: "",
    title: "Every action exists",
    fix: "correct the action name (see the service authorization reference); a misspelt action silently grants nothing",
    check: async ({ policies }) => {
      const findings: Finding[] = [];
      for (const source of policies) {
        if (!source.document) continue;
        const names = new Set(
          statementsOfDocument(source.document).flatMap((statement) => [...stringList(statement["Action"]), ...stringList(statement["NotAction"])]),
        );
        for (const name of names) {
          if (name === "*") continue;
          const expanded = await expandAction(name);
          if (!expanded.serviceExists)
            findings.push({
              ruleId: "BF-IAM-002",
              address: source.owner.address,
              message: `${where(source)}: unknown service in action ${JSON.stringify(name)}`,
            });
          else if (expanded.actions.length === 0)
            findings.push({ ruleId: "BF-IAM-002", address: source.owner.address, message: `${where(source)}: action ${JSON.stringify(name)} does not exist` });
        }
      }
      return findings;
    },
  },
  {
    id: "BF-IAM-003",
    checkovId: "CKV_AWS_63, CKV_AWS_49",
    title: "No * action",
    fix: "list the actions the principal needs",
    check: ({ policies }) =>
      policies.flatMap((source) =>
        source.document
          ? statementsOfDocument(source.document).flatMap((statement, index) => {
              if (statement["Effect"] !== "Allow") return [];
              if (stringList(statement["Action"]).includes("*")) {
                return [
                  {
                    ruleId: "BF-IAM-003",
                    address: source.owner.address,
                    message: `${where(source)}: ${statementLabel(statement, index)} allows every action ("*")`,
                  },
                ];
              }
              if (statement["NotAction"] !== undefined) {
                return [
                  {
                    ruleId: "BF-IAM-003",
                    address: source.owner.address,
                    message: `${where(source)}: ${statementLabel(statement, index)} allows every action except ${JSON.stringify(statement["NotAction"])} (Allow with NotAction)`,
                  },
                ];
              }
              return [];
            })
          : [],
      ),
  },
  {
    id: "BF-IAM-004",
    checkovId: "CKV_AWS_355, CKV_AWS_356, CKV_AWS_290, CKV_AWS_111",
    title: "No * resource on actions that can be scoped",
    fix: 'replace "*" with the ARNs (or ARN patterns such as arn:aws:ec2:<region>:<account>:instance/*) the actions need',
    check: async ({ policies }) => {
      const findings: Finding[] = [];
      for (const source of policies) {
        if (source.kind !== "identity" || !source.document) continue;
        for (const [index, statement] of statementsOfDocument(source.document).entries()) {
          if (statement["Effect"] !== "Allow" || !stringList(statement["Resource"]).includes("*")) continue;
          const scopable: string[] = [];
          for (const name of stringList(statement["Action"])) {
            if (name === "*") continue; // BF-IAM-003 reports it.
            const expanded = await expandAction(name);
            if (expanded.actions.length === 0) continue; // BF-IAM-002 reports it.
            if (!expanded.isWildcard) {
              if ((await isScopable(expanded.actions[0]!)) && !(await isNarrowedBeyondResourceTypes(expanded.actions[0]!, exactConditions(statement))))
                scopable.push(name);
              continue;
            }
            // A wildcard counts as unscoped, like "*", when it grants any change that could have been scoped
            // (`dynamodb:*` grants PutItem and DeleteTable); read-only patterns such as `ec2:Describe*` do not.
            const changes = await scopableChanges(expanded.actions);
            if (changes.length > 0) scopable.push(`${name} (${changes.length} of its actions change resources, e.g. ${changes.slice(0, 3).join(", ")})`);
          }
          if (scopable.length > 0) {
            findings.push({
              ruleId: "BF-IAM-004",
              address: source.owner.address,
              message: `${where(source)}: ${statementLabel(statement, index)} grants ${scopable.join(", ")} on "*" although they support resource ARNs`,
            });
          }
        }
      }
      return findings;
    },
  },
  {
    id: "BF-IAM-005",
    checkovId: "CKV_AWS_286, CKV_AWS_110",
    title: "No privilege escalation",
    fix: "remove the action or scope it to resources that cannot raise the principal's permissions (IAM simulation with a probe resource shows it reaches any)",
    check: escalationFindings,
  },
  {
    id: "BF-IAM-006",
    checkovId: "CKV_AWS_286, CKV_AWS_110",
    title: "No iam:PassRole combined with a way to start the passed role",
    fix: "drop the PassRole or the start action; where it is the design (Karpenter launching nodes with the node role), waive with the reason",
    check: passRoleComboFindings,
  },
  {
    id: "BF-IAM-007",
    checkovId: "CKV_AWS_60",
    title: "No role trust with a * principal",
    fix: "trust named principals: a service (ec2.amazonaws.com, pods.eks.amazonaws.com) or specific role/account ARNs",
    check: ({ policies }) =>
      policies
        .filter((source) => source.kind === "trust" && source.document)
        .flatMap((source) =>
          statementsOfDocument(source.document!)
            .map((statement, index) => ({ statement, index }))
            .filter(({ statement }) => statement["Effect"] === "Allow" && isPublicPrincipal(statement["Principal"]))
            .map(({ statement, index }) => ({
              ruleId: "BF-IAM-007",
              address: source.owner.address,
              message: `${statementLabel(statement, index)} of the trust policy lets any principal (*) assume the role`,
            })),
        ),
  },
  {
    id: "BF-IAM-008",
    checkovId: "CKV_AWS_274, CKV2_AWS_56",
    title: "No AWS managed administrator policies",
    fix: "attach a least-privilege policy instead of AdministratorAccess, IAMFullAccess or PowerUserAccess",
    check: ({ workspace, policies }) =>
      rolePermissions(workspace, policies).flatMap(({ role, attachedArns }) =>
        attachedArns
          .map((arn) => /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1])
          .filter((name): name is string => name !== undefined && ADMIN_MANAGED_POLICIES.has(name))
          .map((name) => ({ ruleId: "BF-IAM-008", address: role.address, message: `role has the AWS managed ${name} policy attached` })),
      ),
  },
  {
    id: "BF-IAM-009",
    checkovId: "CKV_AWS_61",
    title: "No trust to another account's root without sts:ExternalId",
    fix: "trust the specific role of the other account, or require the ExternalId agreed with it (StringEquals sts:ExternalId)",
    check: crossAccountTrustFindings,
  },
  {
    id: "BF-IAM-010",
    checkovId: "",
    title: "Service principals scoped by a source condition",
    fix: "add aws:SourceArn (the rule, topic, log group … that calls) or aws:SourceAccount to the statement, as AWS advises against the confused deputy",
    check: serviceSourceFindings,
  },
];
