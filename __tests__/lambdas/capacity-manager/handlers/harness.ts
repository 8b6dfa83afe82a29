import {
  DescribeCapacityBlockExtensionHistoryCommand,
  DescribeCapacityBlockExtensionOfferingsCommand,
  DescribeCapacityReservationsCommand,
  EC2Client,
  type EC2ClientResolvedConfig,
  EC2ServiceException,
  PurchaseCapacityBlockExtensionCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from "@aws-sdk/client-ec2";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { type AwsStub, mockClient } from "aws-sdk-client-mock";
import { DynamoSpendLedger } from "../../../../lambdas/capacity-manager/adapters/dynamodb-ledger";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { Ec2CapacityApi } from "../../../../lambdas/capacity-manager/adapters/ec2";
import type { HistoryEntry } from "../../../../lambdas/capacity-manager/domain/types";
import { CONFIG_DEFAULTS, type ManagerConfig } from "../../../../lambdas/capacity-manager/runtime/config";
import { createLogger, type Logger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { NodeGroupScaler, Notifier } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import { journalTableOf, type LocalDynamo } from "../dynalite";

type Ec2Stub = AwsStub<ServiceInputTypes, ServiceOutputTypes, EC2ClientResolvedConfig>;

export interface Harness {
  readonly store: DynamoRecordStore;
  /** The spend ledger on the same dynalite journal table. */
  readonly ledger: DynamoSpendLedger;
  readonly ec2Read: Ec2Stub;
  readonly ec2Purchase: Ec2Stub;
  readonly published: { subject: string; message: string; attributes: Readonly<Record<string, string>> }[];
  /** Every publish call, accepted or refused, with the time it was made. */
  readonly publishAttempts: { kind: string | undefined; at: Date }[];
  /** While set, SNS refuses every publish with this error (a broken topic or key). */
  publishFault: Error | undefined;
  readonly scaled: { nodegroupName: string; desiredSize: number }[];
  readonly lines: Record<string, unknown>[];
  readonly logger: Logger;
  readonly config: ManagerConfig;
  now: Date;
  /** Every history entry of a record, oldest first (read through the store's pages). */
  history(pk: string): Promise<HistoryEntry[]>;
  reconciler(options?: { notifications?: boolean; monthlyBudgetUsd?: number }): Reconciler;
  service(): RecordsService;
}

/** Real DynamoDB store on dynalite, EC2 mocked at the SDK client, SNS/EKS recorded in memory. */
export function createHarness(dynamo: LocalDynamo, tableName: string, now: Date): Harness {
  const read = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const purchase = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1 });
  const ec2 = new Ec2CapacityApi({ read, purchase });
  const store = new DynamoRecordStore(createDocumentClient(dynamo.client), tableName, journalTableOf(tableName));
  const ledger = new DynamoSpendLedger(createDocumentClient(dynamo.client), journalTableOf(tableName));
  const lines: Record<string, unknown>[] = [];
  const published: Harness["published"] = [];
  const scaled: Harness["scaled"] = [];
  const publishAttempts: Harness["publishAttempts"] = [];
  const notifier: Notifier = {
    publish: async (subject, message, attributes) => {
      publishAttempts.push({ kind: attributes["kind"], at: harness.now });
      if (harness.publishFault) throw harness.publishFault;
      published.push({ subject, message, attributes });
    },
  };
  const scaler: NodeGroupScaler = {
    ensureDesiredSize: async (_cluster, nodegroupName, desiredSize) => {
      scaled.push({ nodegroupName, desiredSize });
      return { changed: true, previous: 0 };
    },
  };
  const harness: Harness = {
    store,
    ledger,
    ec2Read: mockClient(read),
    ec2Purchase: mockClient(purchase),
    published,
    publishAttempts,
    publishFault: undefined,
    scaled,
    lines,
    logger: createLogger(
      (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      () => harness.now,
    ),
    config: {
      tableName,
      journalTableName: journalTableOf(tableName),
      topicArn: "arn:aws:sns:us-east-1:123456789012:cbm",
      ...CONFIG_DEFAULTS,
      extensionsEnabled: true,
      access: { mode: "iam_and_key", approverPrincipalArns: HARNESS_APPROVERS, apiKeyIds: {} },
    },
    now,
    history: async (pk) => {
      const entries: HistoryEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.history(pk, { limit: 7, ...(cursor ? { cursor } : {}) });
        entries.push(...page.entries);
        cursor = page.cursor;
      } while (cursor);
      return entries.reverse();
    },
    reconciler: (options = {}) =>
      new Reconciler({
        store,
        ec2,
        notifier: options.notifications === false ? undefined : notifier,
        scaler,
        logger: harness.logger,
        clock: () => harness.now,
        concurrency: 4,
        ledger,
        ...(options.monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd: options.monthlyBudgetUsd } : {}),
      }),
    service: () => new RecordsService({ store, ec2, clock: () => harness.now }),
  };
  return harness;
}

/** The approvers the harness's API trusts (`capacity_manager.approver_principal_arns`). */
export const HARNESS_APPROVERS = [
  "arn:aws:iam::123456789012:user/finance",
  "arn:aws:iam::123456789012:role/finance-approver",
  "arn:aws:iam::123456789012:user/ops-approver",
] as const;

export interface EventOptions {
  readonly pk?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly query?: Record<string, string>;
  readonly userArn?: string | null;
  /** `requestContext.identity.apiKeyId` (key-only mode identifies callers by it). */
  readonly apiKeyId?: string;
}

/** An API Gateway REST proxy event as the infrastructure's resources produce it. */
export function apiEvent(httpMethod: string, resource: string, options: EventOptions = {}): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  return {
    httpMethod,
    resource,
    path: options.pk ? `/${encodeURIComponent(options.pk)}` : resource,
    pathParameters: options.pk !== undefined ? { PK: encodeURIComponent(options.pk) } : null,
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { "content-type": "application/json" },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      identity: {
        userArn: options.userArn === undefined ? "arn:aws:iam::123456789012:user/finance" : options.userArn,
        ...(options.apiKeyId !== undefined ? { apiKeyId: options.apiKeyId } : {}),
      },
    } as APIGatewayProxyEvent["requestContext"],
  };
}

export const metricLines = (lines: readonly Record<string, unknown>[]) => lines.filter((l) => "_aws" in l);

export interface FakeBlock {
  state: string;
  end: Date;
  /** Offerings EC2 sells for this block (24 h unless said otherwise). */
  offerings: { id: string; fee: string; hours?: number }[];
}

/** EC2 as seen through the SDK: capacity blocks, extension history and purchases, with hooks for faults. */
export interface FakeEc2 {
  readonly blocks: Map<string, FakeBlock>;
  readonly extensions: {
    CapacityReservationId: string;
    CapacityBlockExtensionOfferingId: string;
    CapacityBlockExtensionStatus: string;
    CapacityBlockExtensionPurchaseDate: Date;
    UpfrontFee: string;
  }[];
  purchases: number;
  /** Throws from the purchase call after (or instead of) buying. */
  purchaseFault?: { afterBuying: boolean; error: Error };
  offeringsFault?: { id: string; error: Error };
}

export function installFakeEc2(h: Harness): FakeEc2 {
  const fake: FakeEc2 = { blocks: new Map(), extensions: [], purchases: 0 };
  h.ec2Read.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds?: string[] }) => {
    const ids = input.CapacityReservationIds ?? [...fake.blocks.keys()];
    const unknown = ids.find((id) => !fake.blocks.has(id));
    if (unknown) {
      throw new EC2ServiceException({
        name: "InvalidCapacityReservationId.NotFound",
        message: `The capacity reservation ID '${unknown}' does not exist`,
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      });
    }
    return {
      CapacityReservations: ids.map((id) => {
        const b = fake.blocks.get(id) as FakeBlock;
        return {
          CapacityReservationId: id,
          State: b.state,
          ReservationType: "capacity-block",
          EndDate: b.end,
          InstanceType: "p5.48xlarge",
          TotalInstanceCount: 2,
        };
      }),
    };
  });
  h.ec2Read.on(DescribeCapacityBlockExtensionHistoryCommand).callsFake((input: { CapacityReservationIds?: string[] }) => ({
    CapacityBlockExtensions: fake.extensions.filter((e) => input.CapacityReservationIds?.includes(e.CapacityReservationId) ?? true),
  }));
  h.ec2Read
    .on(DescribeCapacityBlockExtensionOfferingsCommand)
    .callsFake((input: { CapacityReservationId: string; CapacityBlockExtensionDurationHours: number }) => {
      if (fake.offeringsFault?.id === input.CapacityReservationId) throw fake.offeringsFault.error;
      const b = fake.blocks.get(input.CapacityReservationId);
      return {
        CapacityBlockExtensionOfferings: (b?.offerings ?? [])
          .filter((o) => (o.hours ?? 24) === input.CapacityBlockExtensionDurationHours)
          .map((o) => ({
            CapacityBlockExtensionOfferingId: o.id,
            CapacityBlockExtensionDurationHours: o.hours ?? 24,
            UpfrontFee: o.fee,
            CurrencyCode: "USD",
            CapacityBlockExtensionStartDate: b?.end,
          })),
      };
    });
  h.ec2Purchase.on(PurchaseCapacityBlockExtensionCommand).callsFake((input: { CapacityReservationId: string; CapacityBlockExtensionOfferingId: string }) => {
    const fault = fake.purchaseFault;
    if (fault && !fault.afterBuying) throw fault.error;
    fake.purchases += 1;
    const offer = fake.blocks.get(input.CapacityReservationId)?.offerings.find((o) => o.id === input.CapacityBlockExtensionOfferingId);
    const entry = {
      CapacityReservationId: input.CapacityReservationId,
      CapacityBlockExtensionOfferingId: input.CapacityBlockExtensionOfferingId,
      CapacityBlockExtensionStatus: "payment-pending",
      CapacityBlockExtensionPurchaseDate: h.now,
      UpfrontFee: offer?.fee ?? "0",
    };
    fake.extensions.push(entry);
    if (fault) throw fault.error;
    return { CapacityBlockExtensions: [entry] };
  });
  return fake;
}
